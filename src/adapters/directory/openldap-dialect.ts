// OpenLDAP (and other RFC 4511 servers with the ppolicy overlay): accounts by entryUUID, passwords
// written with the RFC 3062 password modify operation and the ppolicy request control, the ppolicy
// `pwdReset` flag set for a temporary password and cleared otherwise, unlock by removing
// `pwdAccountLockedTime`, rules from the ppolicy entry.
import { Attribute, BerWriter, Change, Control, ResultCodeError, type Entry } from 'ldapts';
import { escapeFilterValue } from '../../core/directory-rules.ts';
import type { DirectoryEntry, SetPasswordOptions } from '../../ports/external-directory.ts';

import type { Connection } from './ldap-connection.ts';
import { randomUUID } from 'node:crypto';
import { checkStep, said, type DirectoryCheckStep } from '../../core/directory-rules.ts';
import {
  refusalOfProbe,
  UNKNOWN_RULES,
  firstValue,
  numberValue,
  type EntryState,
  type LdapDialect,
  type LdapDirectorySettings,
} from './ldap-directory.ts';

/** RFC 3062 Password Modify extended operation. */
export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
/** draft-behera-ldap-password-policy request control. */
export const PPOLICY_CONTROL_OID = '1.3.6.1.4.1.42.2.27.8.5.1';
/** ppolicy's "locked for good" value: an administrative lock, which sspr reads as disabled. */
const PERMANENT_LOCK = '000001010000Z';
/** noSuchAttribute: deleting what is not there (nothing to clear). */
const NO_SUCH_ATTRIBUTE = 16;

/** PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OPTIONAL, oldPasswd [1] OPTIONAL, newPasswd [2] OPTIONAL } */
export function passwordModifyRequest(userDn: string, newPassword: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeString(userDn, 0x80);
  w.writeString(newPassword, 0x82);
  w.endSequence();
  return w.buffer;
}

/** Removes an attribute; absent already is fine. */
async function removeAttribute(c: Connection, dn: string, type: string): Promise<void> {
  try {
    await c.client.modify(dn, new Change({ operation: 'delete', modification: new Attribute({ type }) }));
  } catch (e) {
    if (!(e instanceof ResultCodeError && e.code === NO_SUCH_ATTRIBUTE)) throw e;
  }
}

export const openLdapDialect: LdapDialect = {
  kind: 'ldap',
  idAttribute: 'entryUUID',
  binaryId: false,
  stateAttributes: (s) => [
    'pwdAccountLockedTime',
    'pwdPolicySubentry',
    'pwdReset',
    ...(s.disabledAttribute ? [s.disabledAttribute.name] : []),
  ],
  idOf: (raw) => (Buffer.isBuffer(raw) ? raw.toString('utf8') : raw).toLowerCase(),
  idValue: (id) => (/^[0-9a-f-]{36}$/i.test(id) ? id.toLowerCase() : null),
  stateOf(e: Entry, s: LdapDirectorySettings): EntryState {
    const lockedAt = firstValue(e, 'pwdAccountLockedTime');
    const flag = s.disabledAttribute;
    const disabled = lockedAt === PERMANENT_LOCK || (!!flag && firstValue(e, flag.name) === flag.value);
    return {
      disabled,
      locked: lockedAt !== null && !disabled,
      protected: false,
      mustChange: firstValue(e, 'pwdReset')?.toUpperCase() === 'TRUE',
    };
  },
  memberFilter: (dn) => `(member=${escapeFilterValue(dn)})`,
  async writePassword(c: Connection, entry: DirectoryEntry, password: string, options: SetPasswordOptions) {
    await c.client.exop(
      PASSWORD_MODIFY_OID,
      passwordModifyRequest(entry.dn, password),
      new Control(PPOLICY_CONTROL_OID),
    );
    // a reset by someone else sets pwdReset when the policy has pwdMustChange: keep it only for a temporary password
    if (options.mustChange)
      await c.client.modify(
        entry.dn,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdReset', values: ['TRUE'] }) }),
      );
    else await removeAttribute(c, entry.dn, 'pwdReset');
  },
  unlock: (c, entry) => removeAttribute(c, entry.dn, 'pwdAccountLockedTime'),
  async probeRights(c, entry) {
    const steps: DirectoryCheckStep[] = [];
    // deleting a userPassword value the entry cannot have: "no such value" (16) when the service account
    // may write userPassword, "insufficient access" (50) when not. (A one-character password is no probe
    // here: ppolicy refuses it for quality before the access check.)
    const code = await refusalOfProbe(() =>
      c.client.modify(
        entry.dn,
        new Change({
          operation: 'delete',
          modification: new Attribute({ type: 'userPassword', values: [`sspr-check-${randomUUID()}`] }),
        }),
      ),
    );
    steps.push(
      checkStep('reset_right', code === NO_SUCH_ATTRIBUTE ? 'pass' : 'fail', {
        title: said('directory.check.resetRight.title'),
        detail:
          code === NO_SUCH_ATTRIBUTE
            ? said('directory.check.resetRight.ldapProbed')
            : code === 50
              ? said('directory.check.resetRight.insufficient')
              : said('directory.check.resetRight.unexpected', { code: String(code) }),
        ...(code === NO_SUCH_ATTRIBUTE ? {} : { fix: said('directory.check.resetRight.ldapFix') }),
      }),
    );
    // deleting an attribute the entry does not have: "no such attribute" when allowed, "insufficient access"
    // when not; an attribute the entry has is not touched (deleting it would unlock or un-flag the account)
    const own = await c.client.search(entry.dn, { scope: 'base', attributes: ['pwdAccountLockedTime', 'pwdReset'] });
    const missing: string[] = [];
    const unprobed: string[] = [];
    for (const type of ['pwdAccountLockedTime', 'pwdReset']) {
      if (own.searchEntries[0] && firstValue(own.searchEntries[0], type) !== null) {
        unprobed.push(type);
        continue;
      }
      const code = await refusalOfProbe(() =>
        c.client.modify(entry.dn, new Change({ operation: 'delete', modification: new Attribute({ type }) })),
      );
      if (code !== NO_SUCH_ATTRIBUTE) missing.push(type);
    }
    steps.push(
      checkStep('unlock_right', missing.length === 0 ? 'pass' : 'fail', {
        title: said('directory.check.unlockRight.title', { first: 'pwdAccountLockedTime', second: 'pwdReset' }),
        detail:
          missing.length === 0
            ? said('directory.check.unlockRight.writable')
            : said('directory.check.unlockRight.notWritable', { attributes: missing.join(', ') }),
        ...(missing.length === 0
          ? {}
          : {
              fix: said('directory.check.unlockRight.ldapFix', {
                both: String(missing.length > 1),
                first: missing[0]!,
                second: missing[1] ?? '',
              }),
            }),
      }),
    );
    return steps;
  },
  findings: () => Promise.resolve([]),
  async rules(c, s, entry) {
    let policyDn = s.passwordPolicyDn ?? null;
    if (entry) {
      const own = await c.client.search(entry.dn, { scope: 'base', attributes: ['pwdPolicySubentry'] });
      policyDn = (own.searchEntries[0] && firstValue(own.searchEntries[0], 'pwdPolicySubentry')) ?? policyDn;
    }
    if (!policyDn) return UNKNOWN_RULES;
    const r = await c.client.search(policyDn, {
      scope: 'base',
      attributes: ['pwdMinLength', 'pwdInHistory', 'pwdCheckQuality', 'pwdMinAge'],
    });
    const p = r.searchEntries[0];
    if (!p) return UNKNOWN_RULES;
    const quality = numberValue(p, 'pwdCheckQuality');
    const minAge = numberValue(p, 'pwdMinAge');
    return {
      minLength: numberValue(p, 'pwdMinLength'),
      complexity: quality === null ? null : quality > 0,
      history: numberValue(p, 'pwdInHistory'),
      minAgeMs: minAge === null ? null : minAge * 1000,
      // ppolicy checks the history on a password modify by the service account too (seen in the tests)
      historyOnReset: true,
    };
  },
};
