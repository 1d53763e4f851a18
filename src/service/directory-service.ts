import type { AuditEventType } from '../core/audit-events.ts';
import { isDirectoryWriteError, type DirectoryWriteError } from '../core/directory-refusals.ts';
import { ERROR_CODES } from '../core/error-codes.ts';
import { noticePhrase } from '../core/message-templates.ts';
import { DIRECTORY_REFUSED_FOR_ADMIN, formatText } from '../core/ui-text.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { Denial } from '../core/admin-rules.ts';
import type { ContactError } from '../core/contact.ts';
import { DEFAULT_TENANT_POLICY, type Account, type Tenant } from '../core/directory-model.ts';
import { domainOf, normalizeDomain, normalizeLogin, type DomainError, type LoginError } from '../core/login.ts';
import type { PasswordProblem } from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { AccountChanges, type Change, type PrefillOutcome } from './account-changes.ts';
import { importAccounts, type ImportOptions, type ImportReport } from './account-import.ts';
import type { ImportLineError, ImportRecord } from '../core/account-import.ts';
import {
  normalizeDisplayName,
  normalizeTenantName,
  parseMethodKind,
  parseRole,
  type DisplayNameError,
  type MethodKindError,
  type RoleError,
  type TenantNameError,
} from './directory-input.ts';
import { CredentialChange } from './credential-change.ts';
import {
  findTenantByName,
  listUsers,
  type ListUsersError,
  type UserFilter,
  type UserView,
} from './directory-queries.ts';
import { appendAudit, NO_REQUEST } from './request-context.ts';

export * from './directory-input.ts';
export * from './directory-queries.ts';
export type { Change } from './account-changes.ts';

/**
 * Directory administration: tenants, accounts, their contact methods, roles and passwords. Used
 * by the CLI (and later the admin pages). Every use case validates with the core rules, returns a
 * `Result` with a stable error code for bad input, and writes its change together with an audit
 * event in ONE transaction: a refused operation writes nothing at all.
 */

export type LookupError = LoginError | 'account_not_found';

export type CreateTenantError = TenantNameError | DomainError | 'tenant_exists' | 'domain_taken';
export type AddUserError =
  | LoginError
  | DisplayNameError
  | RoleError
  | 'tenant_not_found'
  | 'login_taken'
  | PasswordProblem;
/** `Denial` never for the command line (the rules do not apply to it); there for the shared use case's type. */
export type SetMethodError = LookupError | MethodKindError | ContactError | Denial;
export type SetRoleError = LookupError | RoleError | Denial;
export type SetPasswordError = LookupError | PasswordProblem | 'password_reused' | DirectoryWriteError;
export type DirectoryError =
  | CreateTenantError
  | AddUserError
  | ListUsersError
  | SetMethodError
  | SetRoleError
  | SetPasswordError;

/** The slice of the outbox worker this service uses: a nudge after a commit that enqueued mail. */
export interface OutboxWaker {
  wake(): void;
}

export interface DirectoryServiceDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: OutboxWaker;
  /** The public URL: a pre-fill's notice names the reset page. */
  readonly config?: { readonly public_url: string };
}

/** What `setMethod` did: the one pre-fill's outcome (`AccountChanges.prefillMethod`). */
export type SetMethodOutcome = PrefillOutcome;

export interface SetPasswordOutcome {
  readonly account: Account;
  readonly sessionsRevoked: number;
}

export class DirectoryService {
  readonly #d: DirectoryServiceDeps;
  /** The one role change and pre-fill, shared with the admin console and API (actor `cli` here). */
  readonly #changes: AccountChanges;

  constructor(deps: DirectoryServiceDeps) {
    this.#d = deps;
    this.#changes = new AccountChanges({ ...deps, publicUrl: deps.config?.public_url });
  }

  async createTenant(input: {
    readonly name: string;
    readonly domains: readonly string[];
    readonly actor: string;
  }): Promise<Result<Tenant, CreateTenantError>> {
    const name = normalizeTenantName(input.name);
    if (!name.ok) return name;
    if (input.domains.length === 0)
      return err('domain_invalid', 'A tenant needs at least one domain, like example.com.');
    const domains: string[] = [];
    for (const raw of input.domains) {
      const d = normalizeDomain(raw);
      if (!d.ok) return err('domain_invalid', d.detail ?? 'Not a domain name like example.com.');
      if (!domains.includes(d.value)) domains.push(d.value);
    }
    const now = this.#d.clock.now();
    const id = this.#d.random.uuid();
    return this.#d.store.transaction(async (tx) => {
      const created = await tx.directory.createTenant({
        id,
        name: name.value,
        domains,
        policy: DEFAULT_TENANT_POLICY,
        now,
      });
      if (!created.ok) {
        if (created.error === 'tenant_exists')
          return err('tenant_exists', `A tenant named "${name.value}" already exists.`);
        for (const d of domains) {
          const owner = await tx.directory.findTenantByDomain(d);
          if (owner) return err('domain_taken', `The domain ${d} already belongs to the tenant "${owner.name}".`);
        }
        return err('domain_taken', `One of the domains (${domains.join(', ')}) already belongs to another tenant.`);
      }
      await this.#audit(tx, {
        at: now,
        tenantId: id,
        accountId: null,
        actor: input.actor,
        type: 'tenant.created',
        details: { name: name.value, domains: domains.join(',') },
      });
      return created;
    });
  }

  getTenantByName(name: string): Promise<Result<Tenant, 'tenant_not_found'>> {
    return findTenantByName(this.#d.store.directory, name);
  }

  /** Accounts as listed to administrators (the CLI's `user list`). */
  listUsers(filter: UserFilter = {}): Promise<Result<UserView[], ListUsersError>> {
    return listUsers(this.#d.store.directory, filter);
  }

  listTenants(): Promise<Tenant[]> {
    return this.#d.store.directory.listTenants();
  }

  /** Active (enabled) administrators of a tenant; the GUIDE asks to warn when fewer than 2. */
  countActiveAdmins(tenantId: string): Promise<number> {
    return this.#d.store.directory.countActiveAdmins(tenantId);
  }

  async addUser(input: {
    readonly login: string;
    readonly displayName: string;
    readonly role?: string;
    readonly password?: string;
    readonly enabled?: boolean;
    readonly mustChange?: boolean;
    readonly actor: string;
  }): Promise<Result<Account, AddUserError>> {
    const login = normalizeLogin(input.login);
    if (!login.ok) return login;
    const displayName = normalizeDisplayName(input.displayName);
    if (!displayName.ok) return displayName;
    const role = parseRole(input.role ?? 'user');
    if (!role.ok) return role;
    const domain = domainOf(login.value);
    const { directory } = this.#d.store;
    const tenant = await directory.findTenantByDomain(domain);
    if (!tenant) {
      return err('tenant_not_found', `No tenant has the domain "${domain}".`);
    }
    if (await directory.findAccountByLogin(login.value)) {
      return err('login_taken', `The user ID ${login.value} is already taken.`);
    }
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      // the one policy (core/password-policy via CredentialChange); argon2id, off the event loop,
      // and outside the transaction so no write lock waits for it
      const hashed = await new CredentialChange(this.#d).hashFirst({
        login: login.value,
        displayName: displayName.value,
        tenant,
        password: input.password,
      });
      if (!hashed.ok) return hashed;
      passwordHash = hashed.value;
    }
    const now = this.#d.clock.now();
    const id = this.#d.random.uuid();
    const enabled = input.enabled ?? true;
    const mustChangePassword = passwordHash !== null && (input.mustChange ?? false);
    return this.#d.store.transaction(async (tx) => {
      const created = await tx.directory.createAccount({
        id,
        tenantId: tenant.id,
        login: login.value,
        displayName: displayName.value,
        role: role.value,
        enabled,
        passwordHash,
        mustChangePassword,
        now,
      });
      if (!created.ok) return err('login_taken', `The user ID ${login.value} is already taken.`);
      await this.#audit(tx, {
        at: now,
        tenantId: tenant.id,
        accountId: id,
        actor: input.actor,
        type: 'account.created',
        details: {
          login: login.value,
          role: role.value,
          enabled,
          passwordSet: passwordHash !== null,
          mustChangePassword,
        },
      });
      return created;
    });
  }

  /**
   * Adds and updates many accounts at once (`sspr user import`): one transaction per batch of
   * lines, audited like one-by-one changes, a per-line report; see `account-import.ts`.
   */
  importAccounts(
    records: readonly ImportRecord[],
    unreadable: readonly ImportLineError[],
    options: ImportOptions,
  ): Promise<ImportReport> {
    return importAccounts(this.#d, records, unreadable, options);
  }

  async getUser(login: string): Promise<Result<Account, LookupError>> {
    return this.#find(login);
  }

  /**
   * Sets (inserts or replaces) the account's alternate email or mobile phone, recorded as verified:
   * the one pre-fill (`AccountChanges.prefillMethod`), audited `admin.method_prefilled` with actor
   * `input.actor`; the person is told at their login address and alternate email (the old one too
   * when it changed).
   */
  async setMethod(input: {
    readonly login: string;
    readonly kind: string;
    readonly value: string;
    readonly actor: string;
  }): Promise<Result<SetMethodOutcome, SetMethodError>> {
    const account = await this.#find(input.login);
    if (!account.ok) return account;
    const kind = parseMethodKind(input.kind);
    if (!kind.ok) return kind;
    return this.#changes.prefillMethod(
      { kind: 'cli', name: input.actor },
      account.value,
      kind.value,
      input.value,
      NO_REQUEST,
    );
  }

  /** Changes the role: the one role change (`AccountChanges.setRole`), with its notices. */
  async setRole(input: {
    readonly login: string;
    readonly role: string;
    readonly actor: string;
  }): Promise<Result<Change<Account>, SetRoleError>> {
    const account = await this.#find(input.login);
    if (!account.ok) return account;
    const role = parseRole(input.role);
    if (!role.ok) return role;
    return this.#changes.setRole({ kind: 'cli', name: input.actor }, account.value, role.value, NO_REQUEST);
  }

  /** Sets a password chosen by an administrator; every session of the account is revoked with it. */
  async setPassword(input: {
    readonly login: string;
    readonly password: string;
    readonly mustChange?: boolean;
    readonly actor: string;
  }): Promise<Result<SetPasswordOutcome, SetPasswordError>> {
    const account = await this.#find(input.login);
    if (!account.ok) return account;
    const a = account.value;
    const tenant = await this.#d.store.directory.getTenant(a.tenantId);
    const mustChangePassword = input.mustChange ?? false;
    // the one credential change: also ends assisted links and the temporary password, records
    // the history (and refuses a recent password), and tells the person (and other admins)
    const r = await new CredentialChange(this.#d).change({
      path: 'cli',
      account: a,
      tenant,
      password: input.password,
      actor: input.actor,
      rc: null,
      mustChangePassword,
      auditDetails: { mustChangePassword },
      adminNotice: {
        what: noticePhrase('email.phrase.passwordSet'),
        by: noticePhrase('email.phrase.operatorCli'),
      },
    });
    if (!r.ok) {
      if (r.error === 'account_not_found') return err('account_not_found', `There is no account ${a.login}.`);
      // the directory refused: what it means for the operator (its own answer is in the audit log)
      if (isDirectoryWriteError(r.error))
        return err(r.error, formatText(DIRECTORY_REFUSED_FOR_ADMIN.message, { reason: ERROR_CODES[r.error] }));
      return r;
    }
    return ok({ account: r.value.effects.account, sessionsRevoked: r.value.effects.sessionsRevoked });
  }

  /** Disables the account (self-service and sign-in refused) and revokes its sessions. */
  disable(input: { readonly login: string; readonly actor: string }): Promise<Result<Change<Account>, LookupError>> {
    return this.#setEnabled(input.login, false, input.actor);
  }

  enable(input: { readonly login: string; readonly actor: string }): Promise<Result<Change<Account>, LookupError>> {
    return this.#setEnabled(input.login, true, input.actor);
  }

  async #setEnabled(login: string, enabled: boolean, actor: string): Promise<Result<Change<Account>, LookupError>> {
    const account = await this.#find(login);
    if (!account.ok) return account;
    const a = account.value;
    if (a.enabled === enabled) return ok({ value: a, changed: false });
    const now = this.#d.clock.now();
    return this.#d.store.transaction(async (tx) => {
      const updated = await tx.directory.updateAccount(a.id, { enabled }, now);
      if (!updated) return err('account_not_found', `There is no account ${a.login}.`);
      const sessionsRevoked = enabled ? 0 : await tx.directory.revokeSessions(a.id, now);
      await this.#audit(tx, {
        at: now,
        tenantId: a.tenantId,
        accountId: a.id,
        actor,
        type: enabled ? 'account.enabled' : 'account.disabled',
        details: enabled ? {} : { sessionsRevoked },
      });
      return ok({ value: updated, changed: true });
    });
  }

  async #find(input: string): Promise<Result<Account, LookupError>> {
    const login = normalizeLogin(input);
    if (!login.ok) return login;
    const account = await this.#d.store.directory.findAccountByLogin(login.value);
    return account ? ok(account) : err('account_not_found', `There is no account ${login.value}.`);
  }

  /** A command-line change's audit event (no request: no IP, no user agent). */
  #audit(
    tx: Repos,
    e: {
      readonly at: number;
      readonly tenantId: string | null;
      readonly accountId: string | null;
      readonly actor: string;
      readonly type: AuditEventType;
      readonly details: Record<string, string | number | boolean | null>;
    },
  ): Promise<void> {
    return appendAudit(tx, { ...e, outcome: 'ok', rc: NO_REQUEST });
  }
}
