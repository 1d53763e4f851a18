import {
  actorName,
  actorTenant,
  canAddAccount,
  canChangeRole,
  canEditPolicy,
  canManageAccount,
  canManageCredentials,
  canView,
  type Actor,
  type Denial,
} from '../core/admin-rules.ts';
import { maskMethod, normalizeEmail, normalizeMethod, type ContactError, type MethodKind } from '../core/contact.ts';
import {
  isAdminRole,
  ROLES,
  type Account,
  type Role,
  type Tenant,
  type TenantPolicy,
} from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { renderEmail } from '../core/message-templates.ts';
import { checkPassword, PASSWORD_MIN_LENGTH_CEILING, PASSWORD_MIN_LENGTH_FLOOR } from '../core/password-policy.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';
import { err, ok, type Err, type Ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { AuditEvent, Repos, Store } from '../ports/store.ts';
import { AssistedResetService, ASSISTED_LINK_TTL_MS, helpTextOf } from './assisted-reset-service.ts';
import { enqueueEmail } from './message-queue.ts';
import { normalizeDisplayName } from './directory-service.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import { auditUserAgent } from './audit-context.ts';

/**
 * The admin console's use cases, shared by the console pages, the support console and the admin
 * API. Every method asks `src/core/admin-rules.ts` first; a refused mutation is audited
 * (`admin.denied`) and changes nothing. Every change is written with its audit event (actor
 * `admin:<id>`, `operator:<id>` or `api_key:<id>`) and its notices in one transaction.
 */
export interface AdminDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: { wake(): void };
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** The self-service block's length (an account is "blocked" while it runs). */
  readonly resetPolicy: Pick<ResetPolicy, 'blockMs'>;
}

export type Registration = 'complete' | 'incomplete' | 'none';
export const REGISTRATIONS: readonly Registration[] = ['complete', 'incomplete', 'none'];

export interface UserFilter {
  readonly search?: string;
  readonly role?: Role;
  readonly registration?: Registration;
  readonly blocked?: boolean;
  readonly limit?: number;
}

export interface UserSummary {
  readonly id: string;
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly mustChangePassword: boolean;
  /** Verified alternate email and mobile phone: both, one, or none. */
  readonly registration: Registration;
  /** Masked (`a••••@example.com`, `••• ••• ••23`); null when not registered. */
  readonly maskedEmail: string | null;
  readonly maskedPhone: string | null;
  /** Whether self-service reset is blocked now (too many failed verifications). */
  readonly blocked: boolean;
}

/** How far back the console looks for failed messages. */
export const FAILED_MESSAGES_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** Failed messages of a tenant, for the console: no recipient, no content. */
export interface FailedMessages {
  /** Counted up to 1000. */
  readonly count: number;
  readonly latest: readonly {
    readonly at: number;
    readonly channel: 'email' | 'sms';
    readonly template: string;
    readonly reason: string;
  }[];
}

export interface UserCounts {
  readonly total: number;
  readonly complete: number;
  readonly incomplete: number;
  readonly none: number;
  readonly blocked: number;
  readonly admins: number;
}

export interface MethodSummary {
  readonly kind: MethodKind;
  readonly masked: string;
  readonly verifiedAt: number | null;
  readonly updatedAt: number;
}

export interface UserDetail extends UserSummary {
  readonly tenantId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly methods: readonly MethodSummary[];
  /** When the self-service block ends; null when not blocked. */
  readonly blockedUntil: number | null;
  /** When the temporary password set by an admin stops working; null when none is pending. */
  readonly tempPasswordExpiresAt: number | null;
  /** Newest first, at most 20. Never a secret. */
  readonly recentEvents: readonly AuditEvent[];
  /** What the asking actor may do to this account (null: allowed). */
  readonly permissions: {
    readonly credentials: Denial | null;
    readonly account: Denial | null;
    readonly role: Denial | null;
  };
}

export type AssistedResetMode = 'link' | 'temp_password';
export type AssistedResetOutcome =
  | { readonly mode: 'link'; readonly expiresAt: number }
  | { readonly mode: 'temp_password'; readonly tempPassword: string; readonly expiresAt: number };
export type AssistedResetError = Denial | 'account_not_found' | 'no_methods' | 'mode_not_allowed';

export interface PolicyFieldError {
  readonly field: string;
  readonly message: string;
}
/** A refused policy update: `policy_invalid` with every field's problem at once. */
export type PolicyInvalid = Err<'policy_invalid'> & { readonly fields: readonly PolicyFieldError[] };
export type UpdatePolicyResult = Ok<TenantPolicy> | Err<Denial> | PolicyInvalid;

/** Safe bounds of every tenant policy field (the form shows them; the parser enforces them). */
export const POLICY_BOUNDS = {
  userGates: [1, 2],
  passwordMinLength: [PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MIN_LENGTH_CEILING],
  smsDailyBudget: [0, 100_000],
  coolingOffHours: [0, 168],
  reconfirmDays: [30, 730],
} as const;

/** The console's "Add an account" form, as typed. */
export interface NewAccountInput {
  readonly login: string;
  readonly name: string;
  readonly role: string;
  readonly email: string;
  readonly phone: string;
}
/** A refused new account: `account_invalid` with every field's problem at once (shown next to the fields). */
export type AccountInvalid = Err<'account_invalid'> & { readonly fields: readonly PolicyFieldError[] };
export type AddAccountResult = Ok<{ readonly id: string }> | Err<Denial> | AccountInvalid;

export const TEMP_PASSWORD_TTL_MS = 24 * 60 * 60_000;
const RECENT_EVENTS = 20;
const MAX_SMS_COUNTRIES = 50;

export class AdminService {
  /** Redemption of assisted reset links by the person who received one (the `/reset/assisted` pages). */
  readonly assisted: AssistedResetService;

  constructor(private readonly d: AdminDeps) {
    this.assisted = new AssistedResetService(d);
  }

  // ---- reading -------------------------------------------------------------------------

  async listUsers(actor: Actor, filter: UserFilter): Promise<Result<UserSummary[], Denial>> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial = canView(actor, { tenantId });
    if (denial) return err(denial);
    const search = filter.search?.normalize('NFKC').trim().slice(0, 200);
    const accounts = await this.d.store.directory.listAccounts({
      tenantId,
      ...(filter.role ? { role: filter.role } : {}),
      ...(search ? { search } : {}),
      limit: 1000,
    });
    const summaries = await this.summaries(tenantId, accounts);
    const limit = Math.min(1000, Math.max(1, Math.floor(filter.limit ?? 200)));
    return ok(
      summaries
        .filter((s) => filter.registration === undefined || s.registration === filter.registration)
        .filter((s) => filter.blocked === undefined || s.blocked === filter.blocked)
        .slice(0, limit),
    );
  }

  /** Totals for the users page (registration coverage, blocked accounts, admins). */
  async userCounts(actor: Actor): Promise<Result<UserCounts, Denial>> {
    const listed = await this.listUsers(actor, { limit: 1000 });
    if (!listed.ok) return listed;
    const all = listed.value;
    return ok({
      total: all.length,
      complete: all.filter((u) => u.registration === 'complete').length,
      incomplete: all.filter((u) => u.registration === 'incomplete').length,
      none: all.filter((u) => u.registration === 'none').length,
      blocked: all.filter((u) => u.blocked).length,
      admins: all.filter((u) => isAdminRole(u.role) && u.enabled).length,
    });
  }

  /**
   * Messages of the tenant the outbox marked failed in the last `FAILED_MESSAGES_WINDOW_MS` (a
   * permanent refusal, or still failing at the end of its retry horizon): how many (up to 1000)
   * and the newest few, for the console home. Never the recipient or the content.
   */
  async failedMessages(actor: Actor): Promise<Result<FailedMessages, Denial>> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial = canView(actor, { tenantId });
    if (denial) return err(denial);
    const since = this.d.clock.now() - FAILED_MESSAGES_WINDOW_MS;
    const [count, latest] = await Promise.all([
      this.d.store.outbox.countFailed({ tenantId, since }),
      this.d.store.outbox.listFailed({ tenantId, since, limit: 5 }),
    ]);
    return ok({
      count,
      latest: latest.map((m) => ({
        at: m.finishedAt ?? m.createdAt,
        channel: m.channel,
        template: m.template,
        reason: m.lastError ?? '',
      })),
    });
  }

  async getUser(actor: Actor, accountId: string): Promise<Result<UserDetail, Denial | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canView(actor, target);
    if (denial) return err(denial);
    const now = this.d.clock.now();
    const [summary] = await this.summaries(target.tenantId, [target]);
    const methods = await this.d.store.directory.listMethods(target.id);
    const blockedAt = await this.d.store.flows.blockedAt(target.id);
    const temp = await this.d.store.admin.getTempPassword(target.id);
    const tempLive = temp !== null && target.mustChangePassword && temp.passwordHash === target.passwordHash;
    const events = await this.d.store.audit.list({
      tenantId: target.tenantId,
      accountId: target.id,
      limit: RECENT_EVENTS,
    });
    return ok({
      ...summary!,
      tenantId: target.tenantId,
      createdAt: target.createdAt,
      updatedAt: target.updatedAt,
      methods: methods.map((m) => ({
        kind: m.kind,
        masked: maskMethod(m.kind, m.value),
        verifiedAt: m.verifiedAt,
        updatedAt: m.updatedAt,
      })),
      blockedUntil:
        blockedAt !== null && this.isBlocked(blockedAt, now) ? blockedAt + this.d.resetPolicy.blockMs : null,
      tempPasswordExpiresAt: tempLive ? temp.expiresAt : null,
      recentEvents: events,
      permissions: {
        credentials: canManageCredentials(actor, target),
        account: canManageAccount(actor, target),
        role: canChangeRole(actor, target, 'admin'),
      },
    });
  }

  async activeAdminCount(tenantId: string): Promise<number> {
    return this.d.store.directory.countActiveAdmins(tenantId);
  }

  // ---- admin-assisted reset ------------------------------------------------------------

  /**
   * Resets another person's password: a one-time link (24 h) sent to their registered alternate
   * email and their login address, or a temporary password (24 h, must be changed at the next
   * sign-in) returned once to the caller and stored only as a hash. The person and every other
   * admin of the tenant are notified; nobody resets themselves; only a global admin resets an
   * admin; operators send links only.
   */
  async assistedReset(
    actor: Actor,
    accountId: string,
    mode: AssistedResetMode,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageCredentials(actor, target);
    if (denial) return this.deny(actor, target, `assisted_reset.${mode}`, denial, rc);
    if (mode === 'temp_password' && actor.kind === 'operator') {
      return this.deny(actor, target, `assisted_reset.${mode}`, 'mode_not_allowed', rc);
    }
    return mode === 'link' ? this.sendLink(actor, target, rc) : this.setTempPassword(actor, target, rc);
  }

  private async sendLink(
    actor: Actor,
    target: Account,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const methods = await this.d.store.directory.listMethods(target.id);
    const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
    if (!email) return err('no_methods', 'The account has no registered alternate email to send a link to.');
    const token = Buffer.from(this.d.random.bytes(32)).toString('base64url');
    const now = this.d.clock.now();
    const expiresAt = now + ASSISTED_LINK_TTL_MS;
    const result = await this.d.store.transaction(
      async (tx): Promise<Result<AssistedResetOutcome, AssistedResetError>> => {
        const current = await tx.directory.getAccount(target.id);
        if (!current) return err('account_not_found');
        const tenant = await tx.directory.getTenant(current.tenantId);
        // an assisted reset ends every self-service reset in progress (codes, links, flow cookies)
        await tx.flows.endAccountFlows(current.id, null, now);
        await tx.admin.issueLink(
          {
            id: this.d.random.uuid(),
            tenantId: current.tenantId,
            accountId: current.id,
            tokenHash: this.d.keyring.hmac('assisted-link', token),
            actor: actorName(actor),
            passwordHashAtIssue: current.passwordHash,
            createdAt: now,
            expiresAt,
          },
          now,
        );
        const content = renderEmail('admin.reset_link', {
          displayName: current.displayName,
          login: current.login,
          link: `${this.d.publicUrl}/reset/assisted?t=${token}`,
          hours: Math.round(ASSISTED_LINK_TTL_MS / 3_600_000),
          when: new Date(now).toISOString(),
          issuedBy: actor.kind === 'operator' ? 'Technical Support' : 'an administrator of your organisation',
          helpText: tenant ? helpTextOf(tenant) : 'Contact your administrator.',
        });
        const recipients = [...new Set([email, current.login])];
        for (const to of recipients) {
          await enqueueEmail(tx, this.d, {
            tenantId: current.tenantId,
            accountId: current.id,
            template: 'admin.reset_link',
            to,
            content,
            expiresAt,
            now,
          });
        }
        await this.audit(tx, actor, current, rc, now, 'admin.reset_link_sent', 'ok', {
          mode: 'link',
          recipients: recipients.length,
          expiresAt,
        });
        await this.notifyAdmins(tx, actor, current, 'a one-time reset link was sent to them', now);
        return ok({ mode: 'link', expiresAt });
      },
    );
    if (result.ok) this.d.outbox.wake();
    return result;
  }

  private async setTempPassword(
    actor: Actor,
    target: Account,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const tenant = await this.d.store.directory.getTenant(target.tenantId);
    const methods = await this.d.store.directory.listMethods(target.id);
    const minLength = tenant?.policy.passwordMinLength ?? PASSWORD_MIN_LENGTH_FLOOR;
    const tempPassword = generateTempPassword(this.d.random, minLength, [
      target.login,
      target.displayName,
      ...(tenant ? [tenant.name] : []),
      ...methods.filter((m) => m.kind === 'email').map((m) => m.value),
    ]);
    const hash = await this.d.hasher.hash(tempPassword);
    const now = this.d.clock.now();
    const expiresAt = now + TEMP_PASSWORD_TTL_MS;
    const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
    const result = await this.d.store.transaction(
      async (tx): Promise<Result<AssistedResetOutcome, AssistedResetError>> => {
        const current = await tx.directory.getAccount(target.id);
        if (!current) return err('account_not_found');
        if (current.passwordHash) await tx.flows.addPasswordHistory(current.id, current.passwordHash, now);
        await tx.directory.updateAccount(current.id, { passwordHash: hash, mustChangePassword: true }, now);
        await tx.admin.setTempPassword({ accountId: current.id, passwordHash: hash, createdAt: now, expiresAt });
        const revoked = await tx.directory.revokeSessions(current.id, now);
        await tx.flows.endAccountFlows(current.id, null, now);
        await tx.admin.endLinks(current.id, now);
        await tx.flows.clearGuard(current.id);
        await tx.auth.clearSigninGuard(current.id);
        await this.audit(tx, actor, current, rc, now, 'admin.temp_password_set', 'ok', {
          mode: 'temp_password',
          expiresAt,
          mustChangePassword: true,
        });
        await this.audit(tx, actor, current, rc, now, 'sessions.revoked', 'ok', { count: revoked });
        const content = renderEmail('admin.temp_password', {
          displayName: current.displayName,
          login: current.login,
          when: new Date(now).toISOString(),
          hours: Math.round(TEMP_PASSWORD_TTL_MS / 3_600_000),
          helpText: tenant ? helpTextOf(tenant) : 'Contact your administrator.',
        });
        for (const to of new Set([current.login, ...(email ? [email] : [])])) {
          await enqueueEmail(tx, this.d, {
            tenantId: current.tenantId,
            accountId: current.id,
            template: 'admin.temp_password',
            to,
            content,
            expiresAt: null,
            now,
          });
        }
        await this.notifyAdmins(tx, actor, current, 'a temporary password was set', now);
        return ok({ mode: 'temp_password', tempPassword, expiresAt });
      },
    );
    if (result.ok) this.d.outbox.wake();
    return result;
  }

  // ---- account management --------------------------------------------------------------

  /** Lifts the account's self-service block (and its failure count). */
  async unblock(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageAccount(actor, target);
    if (denial) return this.deny(actor, target, 'unblock', denial, rc);
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      const blockedAt = await tx.flows.blockedAt(target.id);
      await tx.flows.clearGuard(target.id);
      await this.audit(tx, actor, target, rc, now, 'admin.self_service_unblocked', 'ok', {
        wasBlocked: blockedAt !== null && this.isBlocked(blockedAt, now),
      });
    });
    return ok(undefined);
  }

  /**
   * Pre-fills the account's alternate email or mobile phone (trusted, recorded as verified now).
   * The person is told at their alternate email — the new one, and the old one when it changed.
   */
  async prefillMethod(
    actor: Actor,
    accountId: string,
    kind: MethodKind,
    value: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | 'account_not_found' | ContactError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageAccount(actor, target);
    if (denial) return this.deny(actor, target, `prefill.${kind}`, denial, rc);
    const normalized = normalizeMethod(kind, value);
    if (!normalized.ok) return normalized;
    const now = this.d.clock.now();
    const queued = await this.d.store.transaction(async (tx) => {
      const tenant = await tx.directory.getTenant(target.tenantId);
      const before = await tx.directory.listMethods(target.id);
      const previous = before.find((m) => m.kind === kind) ?? null;
      const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
      const changed = !previous || previous.value !== normalized.value || previous.verifiedAt === null;
      await tx.directory.setMethod(target.id, kind, normalized.value, now, now);
      await this.audit(tx, actor, target, rc, now, 'admin.method_prefilled', 'ok', {
        kind,
        value: maskMethod(kind, normalized.value),
        previous: previous ? maskMethod(kind, previous.value) : null,
        changed,
      });
      if (!changed) return 0;
      const newEmail = kind === 'email' ? normalized.value : previousEmail;
      const recipients = [
        ...new Set([newEmail, kind === 'email' ? previousEmail : null, target.login].filter((x) => x !== null)),
      ];
      const content = renderEmail('security-info.changed', {
        displayName: target.displayName,
        kind,
        maskedValue: maskMethod(kind, normalized.value),
        when: new Date(now).toISOString(),
        changedBy: 'an administrator',
        helpText: tenant ? helpTextOf(tenant) : 'Contact your administrator.',
      });
      for (const to of recipients) {
        await enqueueEmail(tx, this.d, {
          tenantId: target.tenantId,
          accountId: target.id,
          template: 'security-info.changed',
          to,
          content,
          expiresAt: null,
          now,
        });
      }
      return recipients.length;
    });
    if (queued > 0) this.d.outbox.wake();
    return ok(undefined);
  }

  async setRole(
    actor: Actor,
    accountId: string,
    role: Role,
    rc: RequestContext,
  ): Promise<Result<void, Denial | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canChangeRole(actor, target, role);
    if (denial) return this.deny(actor, target, `role.${role}`, denial, rc);
    if (target.role === role) return ok(undefined);
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.directory.updateAccount(target.id, { role }, now);
      await this.audit(tx, actor, target, rc, now, 'account.role_changed', 'ok', { from: target.role, to: role });
    });
    return ok(undefined);
  }

  /**
   * Adds an account to the actor's tenant (the console's "Add an account"): the login's domain
   * must be one of the tenant's; contact methods, when given, are recorded as verified (an
   * administrator's pre-fill). No password: the person resets theirs, or an admin sends a link.
   * One transaction with its audit event; a refusal by the rules is audited as `admin.denied`.
   */
  async addAccount(actor: Actor, input: NewAccountInput, rc: RequestContext): Promise<AddAccountResult> {
    const tenantId = actorTenant(actor);
    const tenant = tenantId ? await this.d.store.directory.getTenant(tenantId) : null;
    const roleText = input.role.trim().toLowerCase();
    const role: Role = (ROLES as readonly string[]).includes(roleText) ? (roleText as Role) : 'user';
    const denial = tenant ? canAddAccount(actor, tenant.id, role) : 'not_allowed';
    if (denial || !tenant) {
      const d: Denial = denial ?? 'not_allowed';
      if (tenantId) {
        await this.d.store.audit.append(this.deniedEvent(actor, tenantId, null, `account.add.${role}`, d, rc));
      }
      return err(d);
    }
    const fields: PolicyFieldError[] = [];
    const login = normalizeLogin(input.login);
    if (!login.ok) fields.push({ field: 'login', message: `Enter a user ID like name@${tenant.domains[0]}.` });
    else if (!tenant.domains.includes(domainOf(login.value))) {
      fields.push({
        field: 'login',
        message: `The user ID must end in ${tenant.domains.map((d) => `@${d}`).join(' or ')}: the domains of your organisation.`,
      });
    }
    const name = normalizeDisplayName(input.name);
    if (!name.ok) fields.push({ field: 'name', message: 'Enter the person’s name (1 to 100 characters).' });
    if (!(ROLES as readonly string[]).includes(roleText))
      fields.push({ field: 'role', message: 'Pick one of the roles listed.' });
    const methods: [MethodKind, string][] = [];
    for (const kind of ['email', 'phone'] as const) {
      const raw = input[kind].trim();
      if (raw === '') continue;
      const value = normalizeMethod(kind, raw);
      if (!value.ok) {
        fields.push({
          field: kind,
          message:
            kind === 'email'
              ? 'Enter an email address like name@example.com, or leave it empty.'
              : 'Enter a mobile number in international form, like +447700900123, or leave it empty.',
        });
      } else methods.push([kind, value.value]);
    }
    if (fields.length > 0 || !login.ok || !name.ok) return accountInvalid(fields);
    const now = this.d.clock.now();
    const id = this.d.random.uuid();
    return this.d.store.transaction(async (tx): Promise<AddAccountResult> => {
      const created = await tx.directory.createAccount({
        id,
        tenantId: tenant.id,
        login: login.value,
        displayName: name.value,
        role,
        enabled: true,
        passwordHash: null,
        mustChangePassword: false,
        now,
      });
      if (!created.ok) {
        return accountInvalid([{ field: 'login', message: `There already is an account ${login.value}.` }]);
      }
      for (const [kind, value] of methods) await tx.directory.setMethod(id, kind, value, now, now);
      await this.audit(tx, actor, created.value, rc, now, 'admin.account_created', 'ok', {
        login: login.value,
        role,
        ...Object.fromEntries(methods.map(([kind, value]) => [kind, maskMethod(kind, value)])),
        passwordSet: false,
      });
      return ok({ id });
    });
  }

  // ---- tenant policy -------------------------------------------------------------------

  async getPolicy(actor: Actor): Promise<Result<TenantPolicy, Denial>> {
    const tenant = await this.actorTenantRecord(actor);
    if (!tenant.ok) return tenant;
    return ok(tenant.value.policy);
  }

  /**
   * Changes the fields present in `input` (form field names = TenantPolicy keys). Every value is
   * checked against `POLICY_BOUNDS`; one bad field refuses the whole update, listing every problem.
   */
  async updatePolicy(
    actor: Actor,
    input: Readonly<Record<string, string>>,
    rc: RequestContext,
  ): Promise<UpdatePolicyResult> {
    const tenant = await this.actorTenantRecord(actor);
    if (!tenant.ok) {
      const t = actorTenant(actor);
      if (t) {
        await this.d.store.audit.append(this.deniedEvent(actor, t, null, 'policy.update', tenant.error, rc));
      }
      return tenant;
    }
    const parsed = parsePolicyInput(tenant.value.policy, input);
    if (!parsed.ok) return parsed;
    const next = parsed.value;
    const before = tenant.value.policy as unknown as Record<string, unknown>;
    const after = next as unknown as Record<string, unknown>;
    const changes: Record<string, string> = {};
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
        changes[key] = `${policyValueText(before[key])} → ${policyValueText(after[key])}`;
      }
    }
    if (Object.keys(changes).length === 0) return ok(tenant.value.policy);
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.directory.updateTenantPolicy(tenant.value.id, next, now);
      await appendAudit(tx, {
        at: now,
        tenantId: tenant.value.id,
        accountId: null,
        actor: actorName(actor),
        type: 'admin.policy_updated',
        outcome: 'ok',
        rc: rc,
        details: changes,
      });
    });
    return ok(next);
  }

  // ---- internals -----------------------------------------------------------------------

  private isBlocked(blockedAt: number | null, now: number): boolean {
    return blockedAt !== null && now < blockedAt + this.d.resetPolicy.blockMs;
  }

  private async actorTenantRecord(actor: Actor): Promise<Result<Tenant, Denial>> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial = canEditPolicy(actor, tenantId);
    if (denial) return err(denial);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('not_allowed');
    return ok(tenant);
  }

  private async summaries(tenantId: string, accounts: readonly Account[]): Promise<UserSummary[]> {
    const now = this.d.clock.now();
    const statuses = new Map((await this.d.store.admin.accountStatuses(tenantId)).map((s) => [s.accountId, s]));
    const needMasks = accounts.length <= 1000;
    const result: UserSummary[] = [];
    for (const a of accounts) {
      const s = statuses.get(a.id);
      const count = (s?.emailVerified ? 1 : 0) + (s?.phoneVerified ? 1 : 0);
      let maskedEmail: string | null = null;
      let maskedPhone: string | null = null;
      if (needMasks && count > 0) {
        const methods = await this.d.store.directory.listMethods(a.id);
        const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null);
        const phone = methods.find((m) => m.kind === 'phone' && m.verifiedAt !== null);
        maskedEmail = email ? maskMethod('email', email.value) : null;
        maskedPhone = phone ? maskMethod('phone', phone.value) : null;
      }
      result.push({
        id: a.id,
        login: a.login,
        displayName: a.displayName,
        role: a.role,
        enabled: a.enabled,
        mustChangePassword: a.mustChangePassword,
        registration: count === 2 ? 'complete' : count === 1 ? 'incomplete' : 'none',
        maskedEmail,
        maskedPhone,
        blocked: this.isBlocked(s?.blockedAt ?? null, now),
      });
    }
    return result;
  }

  /** Every other enabled admin of the tenant hears about an admin-assisted reset. */
  private async notifyAdmins(tx: Repos, actor: Actor, target: Account, what: string, now: number): Promise<void> {
    const accounts = await tx.directory.listAccounts({ tenantId: target.tenantId, limit: 1000 });
    const by =
      actor.kind === 'admin'
        ? `${actor.account.displayName} (${actor.account.login})`
        : actor.kind === 'operator'
          ? 'Technical Support'
          : `the admin API (key ${actor.keyId})`;
    for (const other of accounts) {
      if (!isAdminRole(other.role) || !other.enabled || other.id === target.id) continue;
      if (actor.kind === 'admin' && other.id === actor.account.id) continue;
      const content = renderEmail('admin.reset_notice', {
        displayName: other.displayName,
        targetLogin: target.login,
        targetName: target.displayName,
        what,
        by,
        when: new Date(now).toISOString(),
      });
      await enqueueEmail(tx, this.d, {
        tenantId: target.tenantId,
        accountId: other.id,
        template: 'admin.reset_notice',
        to: other.login,
        content,
        expiresAt: null,
        now,
      });
    }
  }

  private async audit(
    tx: Repos,
    actor: Actor,
    target: Account,
    rc: RequestContext,
    at: number,
    type: string,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await appendAudit(tx, {
      at,
      tenantId: target.tenantId,
      accountId: target.id,
      actor: actorName(actor),
      type,
      outcome,
      rc: rc,
      details,
    });
  }

  /**
   * A refused action, audited in the ACTOR's tenant: an admin of tenant A poking at tenant B's
   * account leaves a trace in A's log (without the account), nothing in B's.
   */
  private async deny<E extends string>(
    actor: Actor,
    target: Account,
    action: string,
    denial: E,
    rc: RequestContext,
  ): Promise<Err<E>> {
    const own = actorTenant(actor);
    const sameTenant = own === null || own === target.tenantId;
    await this.d.store.audit.append(
      this.deniedEvent(actor, own ?? target.tenantId, sameTenant ? target.id : null, action, denial, rc),
    );
    return err(denial);
  }

  private deniedEvent(
    actor: Actor,
    tenantId: string,
    accountId: string | null,
    action: string,
    denial: string,
    rc: RequestContext,
  ) {
    return {
      at: this.d.clock.now(),
      tenantId,
      accountId,
      actor: actorName(actor),
      type: 'admin.denied',
      outcome: denial,
      ip: rc.ip,
      userAgent: auditUserAgent(rc?.userAgent),
      details: { action },
    };
  }
}

function accountInvalid(fields: readonly PolicyFieldError[]): AccountInvalid {
  return { ok: false, error: 'account_invalid', fields };
}

// ---- temporary passwords -----------------------------------------------------------------

// no look-alikes (0/O, 1/l/I) so the password can be read out and typed from a screen
const TEMP_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * Groups of five characters from 56 symbols (about 29 bits each), at least four groups (116 bits)
 * and enough for the tenant's minimum length: `Xk7pQ-mN3ra-…`.
 */
export function generateTempPassword(random: Random, minLength: number, personal: readonly string[]): string {
  const groups = Math.max(4, Math.ceil((minLength + 1) / 6));
  for (;;) {
    const parts: string[] = [];
    for (let g = 0; g < groups; g++) {
      let part = '';
      for (let i = 0; i < 5; i++) part += TEMP_ALPHABET[random.intBelow(TEMP_ALPHABET.length)];
      parts.push(part);
    }
    const password = parts.join('-');
    if (checkPassword(password, { minLength, personal }).ok) return password;
  }
}

// ---- policy form ---------------------------------------------------------------------------

function policyValueText(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(' ');
  return String(v);
}

const INTEGER = /^[0-9]{1,7}$/;
/** Longest tenant sender name (the From display name of its emails). */
export const SENDER_NAME_MAX = 64;
const COUNTRY_PREFIX = /^\+[1-9][0-9]{0,5}$/;

/**
 * Pure: the tenant's policy with the fields present in `input` changed, or every problem found.
 * Fields another part of the product adds to TenantPolicy (`coolingOffHours`, `reconfirmDays`)
 * are accepted only when the current policy has them.
 */
export function parsePolicyInput(
  current: TenantPolicy,
  input: Readonly<Record<string, string>>,
): Ok<TenantPolicy> | PolicyInvalid {
  const problems: PolicyFieldError[] = [];
  const next: Record<string, unknown> = { ...current };
  const integer = (field: string, [min, max]: readonly [number, number], unit: string) => {
    const raw = input[field]!.trim();
    const n = INTEGER.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push({ field, message: `Enter a whole number of ${unit} from ${min} to ${max}.` });
    } else next[field] = n;
  };
  for (const [field, rawValue] of Object.entries(input)) {
    if (typeof rawValue !== 'string') continue;
    const value = rawValue.trim();
    switch (field) {
      case 'userGates':
        if (value === '1' || value === '2') next.userGates = Number(value);
        else problems.push({ field, message: 'Choose 1 or 2 verification steps for users.' });
        break;
      case 'passwordMinLength':
        integer(field, POLICY_BOUNDS.passwordMinLength, 'characters');
        break;
      case 'smsDailyBudget':
        integer(field, POLICY_BOUNDS.smsDailyBudget, 'text messages');
        break;
      case 'coolingOffHours':
      case 'reconfirmDays':
        if (!(field in current)) {
          problems.push({ field, message: 'This setting is not available yet.' });
          break;
        }
        integer(field, POLICY_BOUNDS[field], field === 'coolingOffHours' ? 'hours' : 'days');
        break;
      case 'helpdeskUrl': {
        if (value === '') {
          next.helpdeskUrl = null;
          break;
        }
        const url = safeHttpsUrl(value);
        if (url) next.helpdeskUrl = url;
        else
          problems.push({
            field,
            message: 'Enter a web address starting with https://, like https://help.example.com/password.',
          });
        break;
      }
      case 'senderName': {
        const name = value.normalize('NFKC').replace(/\s+/g, ' ');
        if (name === '') next.senderName = null;
        else if (name.length <= SENDER_NAME_MAX && !/[\p{Cc}\p{Cf}<>@"\\]/u.test(name)) next.senderName = name;
        else
          problems.push({
            field,
            message: `Enter a name of at most ${SENDER_NAME_MAX} characters, like Contoso IT, without @ < > " or \\ (it must not look like an email address).`,
          });
        break;
      }
      case 'helpdeskEmail': {
        if (value === '') {
          next.helpdeskEmail = null;
          break;
        }
        const email = normalizeEmail(value);
        if (email.ok) next.helpdeskEmail = email.value;
        else problems.push({ field, message: 'Enter an email address like helpdesk@example.com.' });
        break;
      }
      case 'smsCountries': {
        const items = value.split(/[\s,;]+/).filter((s) => s !== '');
        if (items.length === 0) {
          next.smsCountries = null;
          break;
        }
        const bad = items.filter((s) => !COUNTRY_PREFIX.test(s));
        if (bad.length > 0 || items.length > MAX_SMS_COUNTRIES) {
          problems.push({
            field,
            message: `List calling-code prefixes like +44 +1 +33, separated by spaces or commas (at most ${MAX_SMS_COUNTRIES}), or leave it empty to allow every country.`,
          });
        } else next.smsCountries = [...new Set(items)];
        break;
      }
      default:
        problems.push({ field: field.slice(0, 40), message: 'This is not a policy setting.' });
    }
  }
  if (problems.length > 0) return { ...err('policy_invalid'), fields: problems };
  return ok(next as unknown as TenantPolicy);
}

/** An https URL without credentials or whitespace, at most 500 characters; null otherwise. */
function safeHttpsUrl(value: string): string | null {
  if (value.length > 500 || /[\s<>"'`\p{Cc}]/u.test(value)) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.hostname === '') return null;
  return url.toString();
}
