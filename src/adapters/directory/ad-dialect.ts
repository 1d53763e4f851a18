// Active Directory and Samba AD: accounts by objectGUID, the password written as `unicodePwd` (the
// password in double quotes, UTF-16LE) over TLS, with the password-policy-hints control when the
// server advertises it (so history applies to resets too), `pwdLastSet` -1 (no change forced) or 0
// (a temporary password), unlock by `lockoutTime: 0`, rules from the domain object.
import { Attribute, BerWriter, Change, Control, type Entry } from 'ldapts';
import { escapeFilterValue } from '../../core/directory-rules.ts';
import type { DirectoryEntry, DirectoryPasswordRules, SetPasswordOptions } from '../../ports/external-directory.ts';
import { resultCode, type Connection } from './ldap-connection.ts';
import { firstValue, numberValue, refusalOfProbe, type EntryState, type LdapDialect } from './ldap-directory.ts';
import type { DirectoryCheckStep } from '../../core/directory-rules.ts';

/** LDAP_SERVER_POLICY_HINTS_OID (Windows Server 2012+): apply history and the other rules to a reset. */
export const POLICY_HINTS_OID = '1.2.840.113556.1.4.2239';
/** LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups. */
const IN_CHAIN = '1.2.840.113556.1.4.1941';
const UF_ACCOUNTDISABLE = 0x2;
/** msDS-User-Account-Control-Computed: locked out now (lockoutTime within the lockout duration). */
const UF_LOCKOUT = 0x10;
const DOMAIN_PASSWORD_COMPLEX = 0x1;

/** The policy-hints control: `SEQUENCE { Flags INTEGER }` with flag 1. */
class PolicyHintsControl extends Control {
  constructor() {
    super(POLICY_HINTS_OID, { critical: true });
  }
  protected override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(1);
    value.endSequence();
    writer.writeBuffer(value.buffer, 4);
  }
}

/** objectGUID bytes → the usual text form (the first three fields are little-endian). */
export function guidToText(b: Buffer): string {
  const h = (i: number) => b[i]!.toString(16).padStart(2, '0');
  const part = (idx: number[]) => idx.map(h).join('');
  return `${part([3, 2, 1, 0])}-${part([5, 4])}-${part([7, 6])}-${part([8, 9])}-${part([10, 11, 12, 13, 14, 15])}`;
}

/** The text form → the 16 bytes of objectGUID (null for anything that is not a GUID). */
export function guidBytes(id: string): Buffer | null {
  const hex = id.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex) || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    return null;
  const text = Buffer.from(hex, 'hex');
  return Buffer.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => text[i]!));
}

/** 100-ns intervals (negative on the domain object) → ms. */
const intervalMs = (v: number | null) => (v === null ? null : Math.abs(v) / 10_000);

/** One dialect per directory: it remembers whether the server supports the policy-hints control. */
export function adDialect(): LdapDialect {
  let hints: boolean | null = null;
  let domainDn: string | null = null;
  const rootDse = async (c: Connection) => {
    if (hints !== null && domainDn !== null) return;
    const r = await c.client.search('', { scope: 'base', attributes: ['supportedControl', 'defaultNamingContext'] });
    const root = r.searchEntries[0];
    const controls = root?.supportedControl;
    hints = (Array.isArray(controls) ? controls : [controls]).some((v) => String(v) === POLICY_HINTS_OID);
    domainDn = (root && firstValue(root, 'defaultNamingContext')) ?? '';
  };
  return {
    kind: 'ad',
    idAttribute: 'objectGUID',
    binaryId: true,
    stateAttributes: () => ['userAccountControl', 'msDS-User-Account-Control-Computed', 'lockoutTime', 'adminCount'],
    idOf: (raw) => (Buffer.isBuffer(raw) ? guidToText(raw) : raw.toLowerCase()),
    idValue: guidBytes,
    stateOf(e: Entry): EntryState {
      const uac = numberValue(e, 'userAccountControl') ?? 0;
      const computed = numberValue(e, 'msDS-User-Account-Control-Computed') ?? 0;
      return {
        disabled: (uac & UF_ACCOUNTDISABLE) !== 0,
        locked: (computed & UF_LOCKOUT) !== 0,
        protected: numberValue(e, 'adminCount') === 1,
      };
    },
    memberFilter: (dn) => `(member:${IN_CHAIN}:=${escapeFilterValue(dn)})`,
    async writePassword(c: Connection, entry: DirectoryEntry, password: string, options: SetPasswordOptions) {
      await rootDse(c);
      const value = Buffer.from(`"${password}"`, 'utf16le');
      await c.client.modify(
        entry.dn,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [value] }) }),
        hints ? [new PolicyHintsControl()] : [],
      );
      // -1: the password counts as just set by its owner; 0: must change at next logon
      await c.client.modify(
        entry.dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({ type: 'pwdLastSet', values: [options.mustChange ? '0' : '-1'] }),
        }),
      );
    },
    async unlock(c: Connection, entry: DirectoryEntry) {
      await c.client.modify(
        entry.dn,
        new Change({ operation: 'replace', modification: new Attribute({ type: 'lockoutTime', values: ['0'] }) }),
      );
    },
    async probeRights(c, entry, rules) {
      const steps: DirectoryCheckStep[] = [];
      if (entry.protected)
        steps.push({
          id: 'test_account_protected',
          title: 'The test account is a protected account',
          status: 'warn',
          detail: 'adminCount=1: delegated rights do not reach it, so the probes below may fail for it alone',
          fix: 'Run the check with an ordinary account.',
        });
      if ((rules.minLength ?? 0) >= 2) {
        const tooShort = Buffer.from('"x"', 'utf16le');
        const code = await refusalOfProbe(() =>
          c.client.modify(
            entry.dn,
            new Change({
              operation: 'replace',
              modification: new Attribute({ type: 'unicodePwd', values: [tooShort] }),
            }),
          ),
        );
        steps.push(
          code === 19
            ? {
                id: 'reset_right',
                title: 'The service account may reset passwords',
                status: 'pass',
                detail: 'a one-character password was refused for its length only; nothing changed',
              }
            : {
                id: 'reset_right',
                title: 'The service account may reset passwords',
                status: 'fail',
                detail: code === 50 ? 'insufficient access (50)' : `unexpected answer: ${code}`,
                fix: 'Grant the service account the "Reset password" right on the users\' OU (inherited by user objects).',
              },
        );
      } else
        steps.push({
          id: 'reset_right',
          title: 'The service account may reset passwords',
          status: 'skip',
          detail: "the domain's minimum length is under 2: probing would change the password",
        });
      const r = await c.client.search(entry.dn, { scope: 'base', attributes: ['allowedAttributesEffective'] });
      const raw = r.searchEntries[0]?.allowedAttributesEffective;
      const writable = new Set(
        (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => String(v).toLowerCase()),
      );
      const missing = ['lockoutTime', 'pwdLastSet'].filter((a) => !writable.has(a.toLowerCase()));
      steps.push({
        id: 'unlock_right',
        title: 'The service account may write lockoutTime and pwdLastSet',
        status: missing.length === 0 ? 'pass' : 'fail',
        detail: missing.length === 0 ? 'both are writable' : `not writable: ${missing.join(', ')}`,
        ...(missing.length === 0
          ? {}
          : { fix: `Grant the service account write access to ${missing.join(' and ')} on the users' OU.` }),
      });
      return steps;
    },
    async findings(c, s, rules) {
      const steps: DirectoryCheckStep[] = [
        rules.historyOnReset
          ? {
              id: 'policy_hints',
              title: 'Password history on resets',
              status: 'pass',
              detail: 'the server supports the policy-hints control: history applies to resets',
            }
          : {
              id: 'policy_hints',
              title: 'Password history on resets',
              status: 'warn',
              detail:
                "the server does not advertise the policy-hints control (1.2.840.113556.1.4.2239): a reset by the service account skips the directory's password history",
              fix: 'Windows Server 2012 or later supports it; sspr still refuses the passwords it has set itself.',
            },
      ];
      const filter = `(&${s.userFilter.split('{login}').join('*')}(adminCount=1))`;
      let logins: string[] = [];
      let more = false;
      try {
        const r = await c.client.search(s.baseDn, {
          scope: 'sub',
          filter,
          attributes: [s.attributes.login],
          sizeLimit: 20,
        });
        logins = r.searchEntries.map((e) => firstValue(e, s.attributes.login) ?? e.dn);
      } catch (e) {
        more = resultCode(e) === 4; // sizeLimitExceeded: 20 or more
      }
      steps.push({
        id: 'protected_accounts',
        title: 'Protected accounts (adminCount=1)',
        status: logins.length === 0 && !more ? 'pass' : 'warn',
        detail:
          logins.length === 0 && !more
            ? 'none under the base DN'
            : `${more ? '20 or more' : logins.length}: ${logins.join(', ')}. A delegated reset right does not reach them: their resets fail with "not allowed"`,
        ...(logins.length === 0 && !more
          ? {}
          : {
              fix: 'Reset these accounts with a domain admin, or grant the right on AdminSDHolder if your policy allows it.',
            }),
      });
      return steps;
    },
    async rules(c: Connection): Promise<DirectoryPasswordRules> {
      await rootDse(c);
      const r = await c.client.search(domainDn ?? '', {
        scope: 'base',
        attributes: ['minPwdLength', 'pwdProperties', 'pwdHistoryLength', 'minPwdAge'],
      });
      const d = r.searchEntries[0];
      const props = d ? numberValue(d, 'pwdProperties') : null;
      return {
        minLength: d ? numberValue(d, 'minPwdLength') : null,
        complexity: props === null ? null : (props & DOMAIN_PASSWORD_COMPLEX) !== 0,
        history: d ? numberValue(d, 'pwdHistoryLength') : null,
        minAgeMs: d ? intervalMs(numberValue(d, 'minPwdAge')) : null,
        historyOnReset: hints,
      };
    },
  };
}
