import {
  actorTenant,
  canChangeRole,
  canManageAccount,
  canManageCredentials,
  canView,
  type Actor,
  type Denial,
} from '../core/admin-rules.ts';
import { maskMethod, type MethodKind } from '../core/contact.ts';
import { isAdminRole, type Account, type Role } from '../core/directory-model.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { AdminRepo } from '../ports/admin-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { LockoutRepo } from '../ports/guard-store.ts';
import type { AuditEvent, AuditRepo, DirectoryRepo, OutboxRepo } from '../ports/store.ts';
import { isBlocked } from './admin-common.ts';

/**
 * The admin console's reads: the users of a tenant (with registration coverage and blocks), one
 * user in detail (with what the asking actor may do), the totals, the failed messages. Every read
 * asks the admin rules first; nothing here writes.
 */
export interface AdminUserQueriesDeps {
  readonly directory: Pick<DirectoryRepo, 'listAccounts' | 'getAccount' | 'listMethods' | 'countActiveAdmins'>;
  readonly lockouts: Pick<LockoutRepo, 'blockedAt'>;
  readonly admin: Pick<AdminRepo, 'getTempPassword' | 'accountStatuses'>;
  readonly audit: Pick<AuditRepo, 'list'>;
  readonly outbox: Pick<OutboxRepo, 'countFailed' | 'listFailed'>;
  readonly clock: Clock;
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

const RECENT_EVENTS = 20;

export class AdminUserQueries {
  constructor(private readonly d: AdminUserQueriesDeps) {}

  async listUsers(actor: Actor, filter: UserFilter): Promise<Result<UserSummary[], Denial>> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial = canView(actor, { tenantId });
    if (denial) return err(denial);
    const search = filter.search?.normalize('NFKC').trim().slice(0, 200);
    const accounts = await this.d.directory.listAccounts({
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
      this.d.outbox.countFailed({ tenantId, since }),
      this.d.outbox.listFailed({ tenantId, since, limit: 5 }),
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
    const target = await this.d.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canView(actor, target);
    if (denial) return err(denial);
    const now = this.d.clock.now();
    const [summary] = await this.summaries(target.tenantId, [target]);
    const methods = await this.d.directory.listMethods(target.id);
    const blockedAt = await this.d.lockouts.blockedAt(target.id);
    const temp = await this.d.admin.getTempPassword(target.id);
    const tempLive = temp !== null && target.mustChangePassword && temp.passwordHash === target.passwordHash;
    const events = await this.d.audit.list({
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
    return this.d.directory.countActiveAdmins(tenantId);
  }

  private isBlocked(blockedAt: number | null, now: number): boolean {
    return isBlocked(blockedAt, now, this.d.resetPolicy.blockMs);
  }

  private async summaries(tenantId: string, accounts: readonly Account[]): Promise<UserSummary[]> {
    const now = this.d.clock.now();
    const statuses = new Map((await this.d.admin.accountStatuses(tenantId)).map((s) => [s.accountId, s]));
    const needMasks = accounts.length <= 1000;
    const result: UserSummary[] = [];
    for (const a of accounts) {
      const s = statuses.get(a.id);
      const count = (s?.emailVerified ? 1 : 0) + (s?.phoneVerified ? 1 : 0);
      let maskedEmail: string | null = null;
      let maskedPhone: string | null = null;
      if (needMasks && count > 0) {
        const methods = await this.d.directory.listMethods(a.id);
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
}
