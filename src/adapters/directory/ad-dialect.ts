// Active Directory and Samba AD: accounts by objectGUID, the password written as `unicodePwd` (the
// password in double quotes, UTF-16LE) over TLS, with the password-policy-hints control when the
// server advertises it (so history applies to resets too), `pwdLastSet` -1 (no change forced) or 0
// (a temporary password), unlock by `lockoutTime: 0`, rules from the domain object.
import { Attribute, BerWriter, Change, Control, type Entry } from 'ldapts';
import { escapeFilterValue } from '../../core/directory-rules.ts';
import type { DirectoryEntry, DirectoryPasswordRules, SetPasswordOptions } from '../../ports/external-directory.ts';
import { resultCode, type Connection } from './ldap-connection.ts';
import { firstValue, numberValue, refusalOfProbe, type EntryState, type LdapDialect } from './ldap-directory.ts';
import { checkStep, said, type DirectoryCheckStep } from '../../core/directory-rules.ts';

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
        steps.push(
          checkStep('test_account_protected', 'warn', {
            title: said('directory.check.protectedTest.title'),
            detail: said('directory.check.protectedTest.detail'),
            fix: said('directory.check.protectedTest.fix'),
          }),
        );
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
            ? checkStep('reset_right', 'pass', {
                title: said('directory.check.resetRight.title'),
                detail: said('directory.check.resetRight.adProbed'),
              })
            : checkStep('reset_right', 'fail', {
                title: said('directory.check.resetRight.title'),
                detail:
                  code === 50
                    ? said('directory.check.resetRight.insufficient')
                    : said('directory.check.resetRight.unexpected', { code: String(code) }),
                fix: said('directory.check.resetRight.adFix'),
              }),
        );
      } else
        steps.push(
          checkStep('reset_right', 'skip', {
            title: said('directory.check.resetRight.title'),
            detail: said('directory.check.resetRight.adSkipped'),
          }),
        );
      const r = await c.client.search(entry.dn, { scope: 'base', attributes: ['allowedAttributesEffective'] });
      const raw = r.searchEntries[0]?.allowedAttributesEffective;
      const writable = new Set(
        (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map((v) => String(v).toLowerCase()),
      );
      const missing = ['lockoutTime', 'pwdLastSet'].filter((a) => !writable.has(a.toLowerCase()));
      steps.push(
        checkStep('unlock_right', missing.length === 0 ? 'pass' : 'fail', {
          title: said('directory.check.unlockRight.title', { first: 'lockoutTime', second: 'pwdLastSet' }),
          detail:
            missing.length === 0
              ? said('directory.check.unlockRight.writable')
              : said('directory.check.unlockRight.notWritable', { attributes: missing.join(', ') }),
          ...(missing.length === 0
            ? {}
            : {
                fix: said('directory.check.unlockRight.adFix', {
                  both: String(missing.length > 1),
                  first: missing[0]!,
                  second: missing[1] ?? '',
                }),
              }),
        }),
      );
      return steps;
    },
    async findings(c, s, rules) {
      const steps: DirectoryCheckStep[] = [
        rules.historyOnReset
          ? checkStep('policy_hints', 'pass', {
              title: said('directory.check.policyHints.title'),
              detail: said('directory.check.policyHints.supported'),
            })
          : checkStep('policy_hints', 'warn', {
              title: said('directory.check.policyHints.title'),
              detail: said('directory.check.policyHints.missing'),
              fix: said('directory.check.policyHints.fix'),
            }),
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
      const none = logins.length === 0 && !more;
      steps.push(
        checkStep('protected_accounts', none ? 'pass' : 'warn', {
          title: said('directory.check.protectedAccounts.title'),
          detail: none
            ? said('directory.check.protectedAccounts.none')
            : said('directory.check.protectedAccounts.found', {
                more: String(more),
                count: logins.length,
                logins: logins.join(', '),
              }),
          ...(none ? {} : { fix: said('directory.check.protectedAccounts.fix') }),
        }),
      );
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
