// The Directory port on OpenLDAP (and other RFC 4511 servers with the ppolicy overlay): accounts by
// entryUUID, passwords written with the RFC 3062 password modify operation and the ppolicy request
// control, the ppolicy `pwdReset` flag set for temporary passwords and cleared otherwise, unlock by
// removing `pwdAccountLockedTime`.
import { BerWriter, Change, Attribute, Control, type Entry } from 'ldapts';
import { escapeFilterValue, userFilter, type DirectoryRefusal } from '../../core/directory-rules.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type {
  DirectoryEntry,
  DirectoryPasswordRules,
  DirectoryResult,
  ExternalDirectory,
  SetPasswordOptions,
} from '../../ports/external-directory.ts';
import { LdapConnector, refusalOf, type Connection, type LdapConnectionSettings } from './ldap-connection.ts';

export interface OpenLdapSettings extends LdapConnectionSettings {
  readonly baseDn: string;
  /** e.g. `(&(objectClass=inetOrgPerson)(uid={login}))`; the typed login is escaped per RFC 4515. */
  readonly userFilter: string;
  readonly attributes: {
    readonly login: string;
    readonly displayName: string;
    readonly email: string | null;
    readonly mobile: string | null;
  };
  /** Groups (DNs) whose members are administrators in sspr. */
  readonly adminGroups: readonly string[];
  /** The ppolicy entry to read rules from when the account names none (`pwdPolicySubentry`). */
  readonly passwordPolicyDn: string | null;
  /** An attribute and value that mark a disabled account (besides a permanent ppolicy lock). */
  readonly disabledAttribute?: { readonly name: string; readonly value: string } | null;
}

/** RFC 3062 Password Modify extended operation. */
export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
/** draft-behera-ldap-password-policy request control. */
export const PPOLICY_CONTROL_OID = '1.3.6.1.4.1.42.2.27.8.5.1';
/** ppolicy's "locked for good" value: an administrative lock, which sspr reads as disabled. */
const PERMANENT_LOCK = '000001010000Z';

/** PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OPTIONAL, oldPasswd [1] OPTIONAL, newPasswd [2] OPTIONAL } */
export function passwordModifyRequest(userDn: string, newPassword: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeString(userDn, 0x80);
  w.writeString(newPassword, 0x82);
  w.endSequence();
  return w.buffer;
}

function first(entry: Entry, name: string): string | null {
  const v = entry[name] ?? entry[Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''];
  if (v === undefined) return null;
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return null;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

function num(entry: Entry, name: string): number | null {
  const v = first(entry, name);
  return v === null || !/^-?\d+$/.test(v) ? null : Number(v);
}

export class OpenLdapDirectory implements ExternalDirectory {
  readonly kind = 'ldap' as const;
  readonly #s: OpenLdapSettings;
  readonly #ldap: LdapConnector;

  constructor(settings: OpenLdapSettings) {
    this.#s = settings;
    this.#ldap = new LdapConnector(settings);
  }

  #attributes(): string[] {
    const a = this.#s.attributes;
    return [
      'entryUUID',
      a.login,
      a.displayName,
      ...(a.email ? [a.email] : []),
      ...(a.mobile ? [a.mobile] : []),
      'pwdAccountLockedTime',
      'pwdPolicySubentry',
      ...(this.#s.disabledAttribute ? [this.#s.disabledAttribute.name] : []),
    ];
  }

  async #toEntry(c: Connection, e: Entry): Promise<DirectoryEntry | null> {
    const id = first(e, 'entryUUID');
    const login = first(e, this.#s.attributes.login);
    if (!id || !login) return null;
    const lockedAt = first(e, 'pwdAccountLockedTime');
    const flag = this.#s.disabledAttribute;
    const disabled =
      lockedAt === PERMANENT_LOCK || (flag !== null && flag !== undefined && first(e, flag.name) === flag.value);
    let admin = false;
    for (const group of this.#s.adminGroups) {
      const r = await c.client.search(group, {
        scope: 'base',
        filter: `(member=${escapeFilterValue(e.dn)})`,
        attributes: ['1.1'],
      });
      if (r.searchEntries.length > 0) {
        admin = true;
        break;
      }
    }
    return {
      id: id.toLowerCase(),
      dn: e.dn,
      login,
      displayName: first(e, this.#s.attributes.displayName) ?? login,
      email: this.#s.attributes.email ? first(e, this.#s.attributes.email) : null,
      mobile: this.#s.attributes.mobile ? first(e, this.#s.attributes.mobile) : null,
      admin,
      protected: false,
      disabled,
      locked: lockedAt !== null && !disabled,
    };
  }

  async #searchOne(c: Connection, filter: string): Promise<DirectoryEntry | null> {
    const r = await c.client.search(this.#s.baseDn, {
      scope: 'sub',
      filter,
      attributes: this.#attributes(),
      sizeLimit: 2,
    });
    // several matches: ambiguous, answered like none (never pick one)
    if (r.searchEntries.length !== 1) return null;
    return this.#toEntry(c, r.searchEntries[0]!);
  }

  findByLogin(login: string): Promise<DirectoryResult<DirectoryEntry | null>> {
    return this.#ldap.withService(async (c) => ok(await this.#searchOne(c, userFilter(this.#s.userFilter, login))));
  }

  getById(id: string): Promise<DirectoryResult<DirectoryEntry | null>> {
    const base = this.#s.userFilter.replace(/\{login\}/g, '*');
    return this.#ldap.withService(async (c) =>
      ok(await this.#searchOne(c, `(&${base}(entryUUID=${escapeFilterValue(id)}))`)),
    );
  }

  async *list(pageSize = 200): AsyncIterable<DirectoryResult<DirectoryEntry[]>> {
    const opened = await this.#ldap.open({ dn: this.#s.bindDn, password: this.#s.bindPassword });
    if (!opened.ok) {
      yield opened;
      return;
    }
    const c = opened.value;
    try {
      const filter = this.#s.userFilter.replace(/\{login\}/g, '*');
      for await (const page of c.client.searchPaginated(this.#s.baseDn, {
        scope: 'sub',
        filter,
        attributes: this.#attributes(),
        paged: { pageSize },
      })) {
        const entries: DirectoryEntry[] = [];
        for (const e of page.searchEntries) {
          const d = await this.#toEntry(c, e);
          if (d) entries.push(d);
        }
        yield ok(entries);
      }
    } catch (e) {
      yield refusalOf(e);
    } finally {
      await c.client.unbind().catch(() => undefined);
    }
  }

  verifyPassword(entry: DirectoryEntry, password: string): Promise<DirectoryResult<void>> {
    return this.#ldap.bindAs(entry.dn, password);
  }

  async setPassword(
    entry: DirectoryEntry,
    password: string,
    options: SetPasswordOptions,
  ): Promise<DirectoryResult<void>> {
    // ppolicy answers a short and a weak password with the same text: check its minimum here
    const rules = await this.passwordRules(entry);
    if (rules.ok && rules.value.minLength !== null && [...password].length < rules.value.minLength)
      return err('too_short', `shorter than the directory's pwdMinLength ${rules.value.minLength}`);
    return this.#ldap.withService(
      async (c) => {
        await c.client.exop(
          PASSWORD_MODIFY_OID,
          passwordModifyRequest(entry.dn, password),
          new Control(PPOLICY_CONTROL_OID),
        );
        // a reset by someone else sets pwdReset when the policy has pwdMustChange: keep it only for a temporary password
        const reset = options.mustChange
          ? new Change({ operation: 'replace', modification: new Attribute({ type: 'pwdReset', values: ['TRUE'] }) })
          : new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdReset' }) });
        const flagged = await c.client.modify(entry.dn, reset).then(
          () => ok(undefined),
          (e: unknown) => refusalOf(e),
        );
        // deleting a pwdReset that is not there answers noSuchAttribute (16): nothing to clear
        if (!flagged.ok && !/\b16\b|no such attribute/i.test(flagged.detail ?? '')) return flagged;
        return ok(undefined);
      },
      { password: true },
    );
  }

  unlock(entry: DirectoryEntry): Promise<DirectoryResult<void>> {
    return this.#ldap.withService(async (c) => {
      try {
        await c.client.modify(
          entry.dn,
          new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdAccountLockedTime' }) }),
        );
      } catch (e) {
        const r = refusalOf(e);
        if (!/\b16\b|no such attribute/i.test(r.detail ?? '')) return r;
      }
      return ok(undefined);
    });
  }

  passwordRules(entry?: DirectoryEntry): Promise<DirectoryResult<DirectoryPasswordRules>> {
    return this.#ldap.withService(async (c): Promise<Result<DirectoryPasswordRules, DirectoryRefusal>> => {
      let policyDn = this.#s.passwordPolicyDn;
      if (entry) {
        const own = await c.client.search(entry.dn, { scope: 'base', attributes: ['pwdPolicySubentry'] });
        policyDn = (own.searchEntries[0] && first(own.searchEntries[0], 'pwdPolicySubentry')) ?? policyDn;
      }
      if (!policyDn)
        return ok({ minLength: null, complexity: null, history: null, minAgeMs: null, historyOnReset: null });
      const r = await c.client.search(policyDn, {
        scope: 'base',
        attributes: ['pwdMinLength', 'pwdInHistory', 'pwdCheckQuality', 'pwdMinAge'],
      });
      const p = r.searchEntries[0];
      if (!p) return ok({ minLength: null, complexity: null, history: null, minAgeMs: null, historyOnReset: null });
      const quality = num(p, 'pwdCheckQuality');
      const minAge = num(p, 'pwdMinAge');
      return ok({
        minLength: num(p, 'pwdMinLength'),
        complexity: quality === null ? null : quality > 0,
        history: num(p, 'pwdInHistory'),
        minAgeMs: minAge === null ? null : minAge * 1000,
        // ppolicy checks the history on a password modify by the service account too
        historyOnReset: true,
      });
    });
  }

  close(): Promise<void> {
    return this.#ldap.close();
  }
}
