// The Directory port over LDAP, for both kinds: the searches, paging, admin-group checks and the
// entry mapping live here once; what differs between OpenLDAP and Active Directory (the stable id,
// how a password is written, what locked and disabled look like, where the password rules are) is a
// dialect (openldap-dialect.ts, ad-dialect.ts).
import { AndFilter, EqualityFilter, FilterParser, type Entry } from 'ldapts';
import {
  asGiven,
  checkStep,
  checkVerdict,
  said,
  userFilter,
  type CheckText,
  type DirectoryCheckReport,
  type DirectoryCheckStep,
  type DirectoryRefusal,
} from '../../core/directory-rules.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type {
  DirectoryEntry,
  DirectoryPasswordRules,
  DirectoryResult,
  ExternalDirectory,
  ExternalDirectoryKind,
  SetPasswordOptions,
} from '../../ports/external-directory.ts';
import {
  LdapConnector,
  refusalOf,
  resultCode,
  type Connection,
  type LdapConnectionSettings,
} from './ldap-connection.ts';

export interface LdapDirectorySettings extends LdapConnectionSettings {
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
  /** OpenLDAP: the ppolicy entry to read rules from when the account names none (`pwdPolicySubentry`). */
  readonly passwordPolicyDn?: string | null;
  /** OpenLDAP: an attribute and value that mark a disabled account (besides a permanent ppolicy lock). */
  readonly disabledAttribute?: { readonly name: string; readonly value: string } | null;
}

/** What an entry's own attributes say about its state. */
export interface EntryState {
  readonly disabled: boolean;
  readonly locked: boolean;
  readonly protected: boolean;
  /** The password must be changed first (OpenLDAP `pwdReset`). */
  readonly mustChange?: boolean;
}

/** What differs between directory kinds. */
export interface LdapDialect {
  readonly kind: ExternalDirectoryKind;
  /** The stable id attribute (read as bytes when binary). */
  readonly idAttribute: string;
  readonly binaryId: boolean;
  /** Attributes the state needs (lock, disabled flags). */
  stateAttributes(s: LdapDirectorySettings): string[];
  idOf(raw: Buffer | string): string;
  /** The id as the bytes or text an equality filter compares (null: not an id of this kind). */
  idValue(id: string): Buffer | string | null;
  stateOf(entry: Entry, s: LdapDirectorySettings): EntryState;
  /** A filter matching a group entry that has `dn` as a member (AD: nested membership too). */
  memberFilter(dn: string): string;
  writePassword(c: Connection, entry: DirectoryEntry, password: string, options: SetPasswordOptions): Promise<void>;
  unlock(c: Connection, entry: DirectoryEntry): Promise<void>;
  rules(c: Connection, s: LdapDirectorySettings, entry: DirectoryEntry | undefined): Promise<DirectoryPasswordRules>;
  /** Probes the reset and unlock rights on the test account without changing it. */
  probeRights(c: Connection, entry: DirectoryEntry, rules: DirectoryPasswordRules): Promise<DirectoryCheckStep[]>;
  /** Kind-specific findings (AD: the policy-hints control, protected accounts). */
  findings(c: Connection, s: LdapDirectorySettings, rules: DirectoryPasswordRules): Promise<DirectoryCheckStep[]>;
}

/** What an operator does about a connection that failed. */
function connectFix(r: { error: DirectoryRefusal; detail?: string }): CheckText {
  if (/certificate|self.signed|issuer|altname|hostname/i.test(r.detail ?? ''))
    return said('directory.check.connect.fixCertificate');
  if (r.error === 'tls_required') return said('directory.check.connect.fixTls');
  return said('directory.check.connect.fixNetwork');
}

/** A probe that expects a refusal: the refusal it gets tells whether the right is there. */
export async function refusalOfProbe(probe: () => Promise<unknown>): Promise<number | 'accepted'> {
  try {
    await probe();
    return 'accepted';
  } catch (e) {
    return resultCode(e) ?? -1;
  }
}

/** The first value of an attribute, as text (attribute names match case-insensitively). */
export function firstValue(entry: Entry, name: string): string | null {
  const key = name in entry ? name : Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const v = key === undefined ? undefined : entry[key];
  const one = Array.isArray(v) ? v[0] : v;
  if (one === undefined) return null;
  return Buffer.isBuffer(one) ? one.toString('utf8') : String(one);
}

export function numberValue(entry: Entry, name: string): number | null {
  const v = firstValue(entry, name);
  return v === null || !/^-?\d+$/.test(v) ? null : Number(v);
}

const UNKNOWN_RULES: DirectoryPasswordRules = {
  minLength: null,
  complexity: null,
  history: null,
  minAgeMs: null,
  historyOnReset: null,
};
export { UNKNOWN_RULES };

export class LdapDirectory implements ExternalDirectory {
  readonly kind: ExternalDirectoryKind;
  readonly #s: LdapDirectorySettings;
  readonly #d: LdapDialect;
  readonly #ldap: LdapConnector;

  constructor(settings: LdapDirectorySettings, dialect: LdapDialect) {
    this.#s = settings;
    this.#d = dialect;
    this.kind = dialect.kind;
    this.#ldap = new LdapConnector(settings);
  }

  #attributes(): string[] {
    const a = this.#s.attributes;
    const names = [this.#d.idAttribute, a.login, a.displayName, a.email, a.mobile, ...this.#d.stateAttributes(this.#s)];
    return [...new Set(names.filter((n): n is string => !!n))];
  }

  async #toEntry(c: Connection, e: Entry): Promise<DirectoryEntry | null> {
    const rawId =
      e[this.#d.idAttribute] ??
      e[Object.keys(e).find((k) => k.toLowerCase() === this.#d.idAttribute.toLowerCase()) ?? ''];
    const idValue = Array.isArray(rawId) ? rawId[0] : rawId;
    const login = firstValue(e, this.#s.attributes.login);
    if (idValue === undefined || !login) return null;
    let admin = false;
    for (const group of this.#s.adminGroups) {
      const r = await c.client.search(group, {
        scope: 'base',
        filter: this.#d.memberFilter(e.dn),
        attributes: ['1.1'],
      });
      if (r.searchEntries.length > 0) {
        admin = true;
        break;
      }
    }
    const state = this.#d.stateOf(e, this.#s);
    const a = this.#s.attributes;
    return {
      id: this.#d.idOf(idValue),
      dn: e.dn,
      login,
      displayName: firstValue(e, a.displayName) ?? login,
      email: a.email ? firstValue(e, a.email) : null,
      mobile: a.mobile ? firstValue(e, a.mobile) : null,
      admin,
      ...state,
    };
  }

  #search(c: Connection, filter: string | AndFilter, sizeLimit: number) {
    return c.client.search(this.#s.baseDn, {
      scope: 'sub',
      filter,
      attributes: this.#attributes(),
      sizeLimit,
      ...(this.#d.binaryId ? { explicitBufferAttributes: [this.#d.idAttribute] } : {}),
    });
  }

  async #searchOne(
    c: Connection,
    filter: string | AndFilter,
  ): Promise<Result<DirectoryEntry | null, DirectoryRefusal>> {
    try {
      const r = await this.#search(c, filter, 2);
      // several matches: ambiguous, answered like none (never pick one)
      if (r.searchEntries.length !== 1) return ok(null);
      return ok(await this.#toEntry(c, r.searchEntries[0]!));
    } catch (e) {
      // sizeLimitExceeded (4): more than one match
      return resultCode(e) === 4 ? ok(null) : refusalOf(e);
    }
  }

  /** The user filter with every login: lists and id lookups. */
  #anyUser(): string {
    return this.#s.userFilter.split('{login}').join('*');
  }

  findByLogin(login: string): Promise<DirectoryResult<DirectoryEntry | null>> {
    return this.#ldap.withService((c) => this.#searchOne(c, userFilter(this.#s.userFilter, login)));
  }

  getById(id: string): Promise<DirectoryResult<DirectoryEntry | null>> {
    const value = this.#d.idValue(id);
    if (value === null) return Promise.resolve(ok(null));
    // a filter object, not text: a binary id (objectGUID) must go out as its bytes
    const filter = new AndFilter({
      filters: [
        FilterParser.parseString(this.#anyUser()),
        new EqualityFilter({ attribute: this.#d.idAttribute, value }),
      ],
    });
    return this.#ldap.withService((c) => this.#searchOne(c, filter));
  }

  async *list(pageSize = 200): AsyncIterable<DirectoryResult<DirectoryEntry[]>> {
    const opened = await this.#ldap.open({ dn: this.#s.bindDn, password: this.#s.bindPassword });
    if (!opened.ok) {
      yield opened;
      return;
    }
    const c = opened.value;
    try {
      for await (const page of c.client.searchPaginated(this.#s.baseDn, {
        scope: 'sub',
        filter: this.#anyUser(),
        attributes: this.#attributes(),
        paged: { pageSize },
        ...(this.#d.binaryId ? { explicitBufferAttributes: [this.#d.idAttribute] } : {}),
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
    // OpenLDAP answers a short and a weak password with the same text: the directory's minimum is checked here
    const rules = await this.passwordRules(entry);
    if (rules.ok && rules.value.minLength !== null && [...password].length < rules.value.minLength)
      return err('too_short', `shorter than the directory's minimum length ${rules.value.minLength}`);
    return this.#ldap.withService(
      async (c) => {
        await this.#d.writePassword(c, entry, password, options);
        return ok(undefined);
      },
      { password: true },
    );
  }

  unlock(entry: DirectoryEntry): Promise<DirectoryResult<void>> {
    return this.#ldap.withService(async (c) => {
      await this.#d.unlock(c, entry);
      return ok(undefined);
    });
  }

  passwordRules(entry?: DirectoryEntry): Promise<DirectoryResult<DirectoryPasswordRules>> {
    return this.#ldap.withService(async (c) => ok(await this.#d.rules(c, this.#s, entry)));
  }

  async check(testLogin: string | null): Promise<DirectoryCheckReport> {
    const steps: DirectoryCheckStep[] = [];
    let reachable = 0;
    for (const url of this.#s.urls) {
      const one = new LdapConnector({ ...this.#s, urls: [url], poolSize: 0 });
      const r = await one.open();
      const title = said('directory.check.connect.title', { url });
      if (!r.ok) {
        steps.push(checkStep('connect', 'fail', { title, detail: asGiven(r.detail ?? r.error), fix: connectFix(r) }));
        continue;
      }
      reachable++;
      const secure = r.value.secure;
      steps.push(
        checkStep('connect', secure ? 'pass' : this.#s.allowInsecure ? 'warn' : 'fail', {
          title,
          detail: said(secure ? 'directory.check.connect.secure' : 'directory.check.connect.plain'),
          ...(secure ? {} : { fix: said('directory.check.connect.fixTls') }),
        }),
      );
      await r.value.client.unbind().catch(() => undefined);
    }
    if (reachable === 0) return checkVerdict(steps);
    // another URL answers: a dead one is a weakness (no failover), not a blocker
    for (const [i, step] of steps.entries())
      if (
        step.status === 'fail' &&
        step.id === 'connect' &&
        /certificate|self.signed|issuer|refused|timeout|ENOTFOUND|ECONN/i.test(step.detail)
      )
        steps[i] = { ...step, status: 'warn' };
    const bound = await this.#ldap.withService(async (c) => {
      steps.push(
        checkStep('service_bind', 'pass', {
          title: said('directory.check.serviceBind.title', { bindDn: this.#s.bindDn }),
          detail: said('directory.check.serviceBind.bound', { url: c.url }),
        }),
      );
      const rules = await this.#d.rules(c, this.#s, undefined);
      steps.push(
        checkStep('password_rules', rules.minLength === null ? 'warn' : 'pass', {
          title: said('directory.check.passwordRules.title'),
          detail: said('directory.check.passwordRules.found', {
            minLength: rules.minLength ?? 'unknown',
            complexity: rules.complexity === null ? 'unknown' : String(rules.complexity),
            history: rules.history ?? 'unknown',
          }),
          ...(rules.minLength === null ? { fix: said('directory.check.passwordRules.fix') } : {}),
        }),
      );
      steps.push(...(await this.#d.findings(c, this.#s, rules)));
      if (testLogin === null) {
        steps.push(
          checkStep('test_account', 'skip', {
            title: said('directory.check.testAccount.title'),
            detail: said('directory.check.testAccount.notGiven'),
            fix: said('directory.check.testAccount.fixNotGiven'),
          }),
        );
        return ok(undefined);
      }
      const title = said('directory.check.testAccount.titleNamed', { login: testLogin });
      const found = await this.#searchOne(c, userFilter(this.#s.userFilter, testLogin));
      if (!found.ok || !found.value) {
        steps.push(
          checkStep('test_account', 'fail', {
            title,
            detail: found.ok ? said('directory.check.testAccount.noMatch') : asGiven(found.detail ?? found.error),
            fix: said('directory.check.testAccount.fixNoMatch'),
          }),
        );
        return ok(undefined);
      }
      const entry = found.value;
      steps.push(checkStep('test_account', 'pass', { title, detail: asGiven(entry.dn) }));
      steps.push(...(await this.#d.probeRights(c, entry, await this.#d.rules(c, this.#s, entry))));
      return ok(undefined);
    });
    if (!bound.ok)
      steps.push(
        checkStep('service_bind', 'fail', {
          title: said('directory.check.serviceBind.title', { bindDn: this.#s.bindDn }),
          detail: asGiven(bound.detail ?? bound.error),
          fix: said('directory.check.serviceBind.fix'),
        }),
      );
    return checkVerdict(steps);
  }

  close(): Promise<void> {
    return this.#ldap.close();
  }
}
