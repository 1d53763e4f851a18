import type { RegistrationGroup } from '../core/gate-policy.ts';
import type { AccountWays } from '../core/security-info-policy.ts';
import type { RegistrationRow, ResetEventRow } from '../core/insights.ts';
import type { AuditEvent } from './store.ts';

/**
 * Read-only queries of the audit log viewer and the usage insights. Every query is bounded to
 * one tenant: the tenant id is not optional.
 */
export interface AuditQuery {
  readonly tenantId: string;
  readonly accountId?: string;
  readonly type?: string;
  readonly outcome?: string;
  /** Inclusive, ms. */
  readonly since?: number;
  /** Exclusive, ms. */
  readonly until?: number;
  /** Only events with a smaller id (the cursor of the next page). */
  readonly beforeId?: number;
  /** 1…1000. */
  readonly limit: number;
}

/** An audit event with the logins of its account and (for `admin:<id>` actors) of the admin, when they are accounts of the same tenant. */
export interface AuditRow extends AuditEvent {
  readonly accountLogin: string | null;
  readonly actorLogin: string | null;
  /** Its place in the tenant's hash chain, the hash before it and its own (null: not chained). */
  readonly seq: number | null;
  readonly prevHash: string | null;
  readonly hash: string | null;
}

export interface InsightsRepo {
  /** Newest first (by id: the log is append-only). */
  listAudit(q: AuditQuery): Promise<AuditRow[]>;
  /** Distinct event types and outcomes of the tenant's events since `since`, sorted. */
  auditVocabulary(tenantId: string, since: number): Promise<{ types: string[]; outcomes: string[] }>;
  /** The tenant's events of the given types in [since, until], projected for the insights; at most `limit` (newest kept). */
  resetEvents(
    tenantId: string,
    types: readonly string[],
    since: number,
    until: number,
    limit: number,
  ): Promise<ResetEventRow[]>;
  /** Enabled accounts of the tenant counted by role and verified methods. */
  registration(tenantId: string): Promise<RegistrationRow[]>;
  /**
   * Enabled accounts of the tenant for the gate policy's coverage (core/gate-policy `coverageOf`):
   * those whose authenticator app and passkeys were all registered at or before `horizon` (core
   * `coolingOffHorizon`: out of any cooling-off) counted by admin or not and by what a reset could
   * use at `now` (a verified email and phone out of their cooling-off, a confirmed app, a passkey),
   * at most 32 rows whatever the tenant's size; the others (one of those registered after
   * `horizon`) each with its ways in, for core `strongMethodsUsableFrom` to judge.
   */
  gateRegistration(tenantId: string, now: number, horizon: number): Promise<GateRegistration>;
  /** The tenant's enabled administrators with their ways in, by login; at most `limit`. */
  adminRegistrations(tenantId: string, limit: number): Promise<AdminWays[]>;
}

export interface GateRegistration {
  readonly groups: readonly RegistrationGroup[];
  readonly recent: readonly RecentAccountWays[];
}

/** An enabled account that registered an authenticator app or a passkey recently, with every way in it has. */
export interface RecentAccountWays extends AccountWays {
  readonly id: string;
  readonly admin: boolean;
}

/** An administrator with every way in it has (the console lists those a gate policy would lock out). */
export interface AdminWays extends AccountWays {
  readonly id: string;
  readonly login: string;
  readonly displayName: string;
}
