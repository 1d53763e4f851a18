import { maskMethod, normalizeMethod, METHOD_KINDS, type ContactError, type MethodKind } from '../core/contact.ts';
import {
  DEFAULT_TENANT_POLICY,
  ROLES,
  type Account,
  type Method,
  type Role,
  type Tenant,
} from '../core/directory-model.ts';
import { domainOf, normalizeDomain, normalizeLogin, type DomainError, type LoginError } from '../core/login.ts';
import { renderEmail } from '../core/message-templates.ts';
import { checkPassword, type PasswordProblem } from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Config } from '../config/schema.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { AuditEventInput, Repos, Store } from '../ports/store.ts';
import { enqueueEmail } from './message-queue.ts';
import { importAccounts, type ImportOptions, type ImportReport } from './account-import.ts';
import type { ImportLineError, ImportRecord } from '../core/account-import.ts';

/**
 * Directory administration: tenants, accounts, their contact methods, roles and passwords. Used
 * by the CLI (and later the admin pages). Every use case validates with the core rules, returns a
 * `Result` with a stable error code for bad input, and writes its change together with an audit
 * event in ONE transaction: a refused operation writes nothing at all.
 */

export type TenantNameError = 'tenant_name_invalid';
export type DisplayNameError = 'display_name_invalid';
export type RoleError = 'role_invalid';
export type MethodKindError = 'method_kind_invalid';
export type LookupError = LoginError | 'account_not_found';

export type CreateTenantError = TenantNameError | DomainError | 'tenant_exists' | 'domain_taken';
export type AddUserError =
  LoginError | DisplayNameError | RoleError | 'tenant_not_found' | 'login_taken' | PasswordProblem;
export type ListUsersError = RoleError | 'tenant_not_found';
export type SetMethodError = LookupError | MethodKindError | ContactError;
export type SetRoleError = LookupError | RoleError;
export type SetPasswordError = LookupError | PasswordProblem;
export type DirectoryError =
  CreateTenantError | AddUserError | ListUsersError | SetMethodError | SetRoleError | SetPasswordError;

/** The slice of the outbox worker this service uses: a nudge after a commit that enqueued mail. */
export interface OutboxWaker {
  wake(): void;
}

export interface DirectoryServiceDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: OutboxWaker;
  /** `public_url` appears in security notices ("you can reset your password at …/reset"). */
  readonly config: Pick<Config, 'public_url'>;
}

/** An account as listed to administrators: never the password hash. */
export interface UserView {
  readonly id: string;
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly tenant: string;
  readonly passwordSet: boolean;
  readonly mustChangePassword: boolean;
  readonly email: string | null;
  readonly emailVerifiedAt: number | null;
  readonly phone: string | null;
  readonly phoneVerifiedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Change<T> {
  readonly value: T;
  /** False when the request asked for what was already the case: nothing was written. */
  readonly changed: boolean;
}

export interface SetMethodOutcome {
  readonly method: Method;
  readonly changed: boolean;
  /** Security notices queued (to the new alternate email, and to the old one when it changed). */
  readonly noticesQueued: number;
}

export interface SetPasswordOutcome {
  readonly account: Account;
  readonly sessionsRevoked: number;
}

const NAME_MAX = 100;
// C0/C1 controls, line/paragraph separators and bidi overrides: never part of a name
const NAME_FORBIDDEN = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function cleanName(input: string): string | null {
  const value = input.normalize('NFC').trim();
  const length = [...value].length;
  if (length < 1 || length > NAME_MAX || NAME_FORBIDDEN.test(value)) return null;
  return value;
}

export function normalizeTenantName(input: string): Result<string, TenantNameError> {
  const value = cleanName(input);
  return value === null
    ? err('tenant_name_invalid', `A tenant name has 1 to ${NAME_MAX} characters and no control characters.`)
    : ok(value);
}

export function normalizeDisplayName(input: string): Result<string, DisplayNameError> {
  const value = cleanName(input);
  return value === null
    ? err('display_name_invalid', `A display name has 1 to ${NAME_MAX} characters and no control characters.`)
    : ok(value);
}

export function parseRole(input: string): Result<Role, RoleError> {
  const value = input.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(value)
    ? ok(value as Role)
    : err('role_invalid', `"${printable(input)}" is not a role; use one of: ${ROLES.join(', ')}.`);
}

export function parseMethodKind(input: string): Result<MethodKind, MethodKindError> {
  const value = input.trim().toLowerCase();
  return (METHOD_KINDS as readonly string[]).includes(value)
    ? ok(value as MethodKind)
    : err('method_kind_invalid', `"${printable(input)}" is not a method; use one of: ${METHOD_KINDS.join(', ')}.`);
}

export class DirectoryService {
  readonly #d: DirectoryServiceDeps;

  constructor(deps: DirectoryServiceDeps) {
    this.#d = deps;
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

  listTenants(): Promise<Tenant[]> {
    return this.#d.store.directory.listTenants();
  }

  async getTenantByName(name: string): Promise<Result<Tenant, 'tenant_not_found'>> {
    const clean = cleanName(name);
    const tenant = clean === null ? null : await this.#d.store.directory.findTenantByName(clean);
    return tenant ? ok(tenant) : err('tenant_not_found', `There is no tenant named "${printable(name)}".`);
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
      const checked = checkPassword(input.password, {
        minLength: tenant.policy.passwordMinLength,
        personal: [login.value, displayName.value, tenant.name],
      });
      if (!checked.ok) return checked;
      // argon2id, off the event loop, and outside the transaction so no write lock waits for it
      passwordHash = await this.#d.hasher.hash(checked.value);
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

  async listUsers(
    filter: {
      readonly tenant?: string;
      readonly role?: string;
      readonly search?: string;
      readonly limit?: number;
    } = {},
  ): Promise<Result<UserView[], ListUsersError>> {
    const { directory } = this.#d.store;
    let tenantId: string | undefined;
    if (filter.tenant !== undefined) {
      const tenant = await this.getTenantByName(filter.tenant);
      if (!tenant.ok) return tenant;
      tenantId = tenant.value.id;
    }
    let role: Role | undefined;
    if (filter.role !== undefined) {
      const parsed = parseRole(filter.role);
      if (!parsed.ok) return parsed;
      role = parsed.value;
    }
    const search = filter.search?.normalize('NFKC').trim();
    const accounts = await directory.listAccounts({
      ...(tenantId !== undefined ? { tenantId } : {}),
      ...(role !== undefined ? { role } : {}),
      ...(search ? { search } : {}),
      limit: filter.limit ?? 1000,
    });
    const tenantNames = new Map((await directory.listTenants()).map((t) => [t.id, t.name]));
    const views: UserView[] = [];
    for (const a of accounts) {
      const methods = await directory.listMethods(a.id);
      const email = methods.find((m) => m.kind === 'email') ?? null;
      const phone = methods.find((m) => m.kind === 'phone') ?? null;
      views.push({
        id: a.id,
        login: a.login,
        displayName: a.displayName,
        role: a.role,
        enabled: a.enabled,
        tenant: tenantNames.get(a.tenantId) ?? a.tenantId,
        passwordSet: a.passwordHash !== null,
        mustChangePassword: a.mustChangePassword,
        email: email?.value ?? null,
        emailVerifiedAt: email?.verifiedAt ?? null,
        phone: phone?.value ?? null,
        phoneVerifiedAt: phone?.verifiedAt ?? null,
        createdAt: a.createdAt,
        updatedAt: a.updatedAt,
      });
    }
    return ok(views);
  }

  async getUser(login: string): Promise<Result<Account, LookupError>> {
    return this.#find(login);
  }

  /**
   * Sets (inserts or replaces) the account's alternate email or mobile phone. A security notice
   * goes to the alternate email on file after the change — the NEW address, and the OLD one too
   * when the email itself changed — queued in the same transaction as the change.
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
    const value = normalizeMethod(kind.value, input.value);
    if (!value.ok) return value;
    const a = account.value;
    const now = this.#d.clock.now();
    const outcome = await this.#d.store.transaction(async (tx) => {
      const tenant = await tx.directory.getTenant(a.tenantId);
      const before = await tx.directory.listMethods(a.id);
      const previous = before.find((m) => m.kind === kind.value) ?? null;
      const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
      const changed = previous?.value !== value.value;
      // Contact data pre-filled by an administrator (or the operator through the CLI) is trusted
      // and recorded as verified now; a person registering their own method proves it with a code.
      const method = await tx.directory.setMethod(a.id, kind.value, value.value, now, now);
      await this.#audit(tx, {
        at: now,
        tenantId: a.tenantId,
        accountId: a.id,
        actor: input.actor,
        type: 'method.set',
        details: {
          kind: kind.value,
          value: maskMethod(kind.value, value.value),
          previous: previous ? maskMethod(kind.value, previous.value) : null,
          changed,
          verified: true,
        },
      });
      if (!changed) return { method, changed, noticesQueued: 0 };
      const newEmail = kind.value === 'email' ? value.value : previousEmail;
      const recipients = [newEmail, kind.value === 'email' ? previousEmail : null].filter(
        (to, i, all): to is string => to !== null && all.indexOf(to) === i,
      );
      const content = renderEmail('security-info.changed', {
        displayName: a.displayName,
        kind: kind.value,
        maskedValue: maskMethod(kind.value, value.value),
        when: new Date(now).toISOString(),
        changedBy: 'an administrator',
        helpText: this.#helpText(tenant),
      });
      for (const to of recipients) {
        await enqueueEmail(
          tx,
          { keyring: this.#d.keyring, random: this.#d.random },
          {
            tenantId: a.tenantId,
            accountId: a.id,
            template: 'security-info.changed',
            expiresAt: null,
            now,
            to,
            content,
          },
        );
      }
      return { method, changed, noticesQueued: recipients.length };
    });
    if (outcome.noticesQueued > 0) this.#d.outbox.wake();
    return ok(outcome);
  }

  async setRole(input: {
    readonly login: string;
    readonly role: string;
    readonly actor: string;
  }): Promise<Result<Change<Account>, SetRoleError>> {
    const account = await this.#find(input.login);
    if (!account.ok) return account;
    const role = parseRole(input.role);
    if (!role.ok) return role;
    const a = account.value;
    if (a.role === role.value) return ok({ value: a, changed: false });
    const now = this.#d.clock.now();
    return this.#d.store.transaction(async (tx) => {
      const updated = await tx.directory.updateAccount(a.id, { role: role.value }, now);
      if (!updated) return err('account_not_found', `There is no account ${a.login}.`);
      await this.#audit(tx, {
        at: now,
        tenantId: a.tenantId,
        accountId: a.id,
        actor: input.actor,
        type: 'account.role_changed',
        details: { from: a.role, to: role.value },
      });
      return ok({ value: updated, changed: true });
    });
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
    const { directory } = this.#d.store;
    const tenant = await directory.getTenant(a.tenantId);
    const methods = await directory.listMethods(a.id);
    const checked = checkPassword(input.password, {
      minLength: tenant?.policy.passwordMinLength ?? DEFAULT_TENANT_POLICY.passwordMinLength,
      personal: [
        a.login,
        a.displayName,
        ...(tenant ? [tenant.name] : []),
        ...methods.filter((m) => m.kind === 'email').map((m) => m.value),
      ],
    });
    if (!checked.ok) return checked;
    const passwordHash = await this.#d.hasher.hash(checked.value);
    const mustChangePassword = input.mustChange ?? false;
    const now = this.#d.clock.now();
    return this.#d.store.transaction(async (tx) => {
      const updated = await tx.directory.updateAccount(a.id, { passwordHash, mustChangePassword }, now);
      if (!updated) return err('account_not_found', `There is no account ${a.login}.`);
      const sessionsRevoked = await tx.directory.revokeSessions(a.id, now);
      // a password change ends every reset in progress: its codes, links and flow cookies
      await tx.flows.endAccountFlows(a.id, null, now);
      await this.#audit(tx, {
        at: now,
        tenantId: a.tenantId,
        accountId: a.id,
        actor: input.actor,
        type: 'account.password_set',
        details: { mustChangePassword, sessionsRevoked },
      });
      return ok({ account: updated, sessionsRevoked });
    });
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

  #audit(
    tx: Repos,
    e: Omit<AuditEventInput, 'outcome' | 'ip' | 'userAgent'> & Partial<Pick<AuditEventInput, 'outcome'>>,
  ): Promise<void> {
    return tx.audit.append({ outcome: 'ok', ip: null, userAgent: null, ...e });
  }

  #helpText(tenant: Tenant | null): string {
    const where = `You can reset your password at ${this.#d.config.public_url}/reset.`;
    const policy = tenant?.policy;
    if (policy?.helpdeskEmail && policy.helpdeskUrl)
      return `${where} Help: ${policy.helpdeskUrl} or ${policy.helpdeskEmail}.`;
    if (policy?.helpdeskUrl) return `${where} Help: ${policy.helpdeskUrl}.`;
    if (policy?.helpdeskEmail) return `${where} Help: ${policy.helpdeskEmail}.`;
    return where;
  }
}

/** Shows control characters visibly in messages instead of echoing them raw; clips long input. */
function printable(s: string): string {
  const clipped = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  return clipped.replace(/\p{C}/gu, '�');
}
