import { actorName, actorTenant, type Actor, type Denial } from '../core/admin-rules.ts';
import {
  AUDIT_EXPORT_MAX_ROWS,
  AUDIT_PAGE_SIZE,
  type AuditCriteria,
  type AuditExportRecord,
} from '../core/audit-view.ts';
import {
  aggregateResets,
  coverageOf,
  INSIGHT_EVENT_TYPES,
  periodWindow,
  type Coverage,
  type InsightPeriod,
  type ResetInsights,
} from '../core/insights.ts';
import { normalizeLogin } from '../core/login.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { AuditQuery, AuditRow } from '../ports/insights-store.ts';
import type { Store } from '../ports/store.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

export interface InsightsDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** A reset not finished within this long counts as abandoned. */
  readonly flowTtlMs: number;
  /** Most audit events one insights report reads (newest kept); default 200 000. */
  readonly maxEvents?: number;
}

export interface AuditPage {
  /** Newest first. */
  readonly rows: readonly AuditRow[];
  /** The `before` cursor of the next (older) page, or null on the last page. */
  readonly nextCursor: number | null;
  /** The account filter named no account of this tenant (nothing is shown, whoever it may be elsewhere). */
  readonly accountUnknown: boolean;
}

export interface InsightsReport {
  readonly period: InsightPeriod;
  readonly generatedAt: number;
  /** First and last day of the period (`YYYY-MM-DD`, UTC). */
  readonly firstDay: string;
  readonly lastDay: string;
  readonly resets: ResetInsights;
  readonly coverage: Coverage;
  /** More events than `maxEvents` in the period: the oldest were left out. */
  readonly truncated: boolean;
}

export type ExportFormat = 'csv' | 'json';

/** An export's rows, newest first, with the tenant's chain head when it began (its final hash). */
export interface AuditExportStream extends AsyncIterable<AuditExportRecord> {
  /** The tenant id the chain is keyed by (the hash covers it). */
  readonly tenantId: string;
  /** The newest event's place and hash when the export began (its own audit event included); null before any event. */
  readonly chainHead: { readonly seq: number; readonly hash: string } | null;
}

/** How many events the vocabulary (the filter's choices) looks back over. */
const VOCABULARY_LOOKBACK_MS = 366 * 86_400_000;
const EXPORT_BATCH = 1000;

/**
 * The audit log viewer and usage insights. Reads only; the one write is the audit event recording
 * an export. Every method first finds the tenant the actor may read: an admin's own tenant, or an
 * API key's tenant when it has the `audit:read` scope; operators read no tenant's log here.
 */
export class InsightsService {
  constructor(private readonly d: InsightsDeps) {}

  /** The tenant whose audit log and insights the actor may read. */
  tenantOf(actor: Actor): Result<string, Denial> {
    if (actor.kind === 'operator') return err('not_allowed');
    if (actor.kind === 'api_key' && !actor.scopes.includes('audit:read')) return err('scope_missing');
    const tenant = actorTenant(actor);
    return tenant ? ok(tenant) : err('not_allowed');
  }

  /** One page of the tenant's events matching the criteria, newest first, older than `beforeId` when given. */
  async auditPage(
    actor: Actor,
    criteria: AuditCriteria,
    beforeId: number | null,
    pageSize = AUDIT_PAGE_SIZE,
  ): Promise<Result<AuditPage, Denial>> {
    const tenant = this.tenantOf(actor);
    if (!tenant.ok) return tenant;
    const query = await this.query(tenant.value, criteria);
    if (query === null) return ok({ rows: [], nextCursor: null, accountUnknown: true });
    const rows = await this.d.store.insights.listAudit({
      ...query,
      ...(beforeId !== null ? { beforeId } : {}),
      limit: pageSize + 1,
    });
    const more = rows.length > pageSize;
    const page = more ? rows.slice(0, pageSize) : rows;
    return ok({ rows: page, nextCursor: more ? page[page.length - 1]!.id : null, accountUnknown: false });
  }

  /** Event types and outcomes seen in the tenant's log over the last year (the filter's choices). */
  async auditVocabulary(actor: Actor): Promise<Result<{ types: string[]; outcomes: string[] }, Denial>> {
    const tenant = this.tenantOf(actor);
    if (!tenant.ok) return tenant;
    return ok(await this.d.store.insights.auditVocabulary(tenant.value, this.d.clock.now() - VOCABULARY_LOOKBACK_MS));
  }

  /**
   * The tenant's events matching the criteria, newest first, at most `AUDIT_EXPORT_MAX_ROWS`,
   * read in batches as the caller consumes them. The export itself is audited (who, format,
   * filters) before the first row is read.
   */
  async auditExport(
    actor: Actor,
    criteria: AuditCriteria,
    format: ExportFormat,
    rc: RequestContext,
    maxRows = AUDIT_EXPORT_MAX_ROWS,
  ): Promise<Result<AuditExportStream, Denial>> {
    const tenant = this.tenantOf(actor);
    if (!tenant.ok) return tenant;
    const query = await this.query(tenant.value, criteria);
    await appendAudit(this.d.store, {
      at: this.d.clock.now(),
      tenantId: tenant.value,
      accountId: null,
      actor: actorName(actor),
      type: 'audit.exported',
      outcome: 'ok',
      rc: rc,
      details: {
        format,
        since: criteria.since ?? null,
        until: criteria.until ?? null,
        account: criteria.account ?? null,
        type: criteria.type ?? null,
        outcome: criteria.outcome ?? null,
      },
    });
    const store = this.d.store;
    const head = await store.auditChain.head(tenant.value);
    const chainHead = head ? { seq: head.seq, hash: head.hash } : null;
    async function* rows(): AsyncGenerator<AuditExportRecord> {
      if (query === null) return;
      let beforeId: number | undefined;
      let left = Math.max(0, Math.floor(maxRows));
      while (left > 0) {
        const batch = await store.insights.listAudit({
          ...query!,
          ...(beforeId !== undefined ? { beforeId } : {}),
          limit: Math.min(EXPORT_BATCH, left),
        });
        // events appended after the head was read come in the next export, after its final hash
        for (const r of batch)
          if (chainHead === null || r.seq === null || r.seq <= chainHead.seq) yield exportRecord(r);
        left -= batch.length;
        if (batch.length < EXPORT_BATCH) return;
        beforeId = batch[batch.length - 1]!.id;
      }
    }
    return ok(Object.assign(rows(), { tenantId: tenant.value, chainHead }));
  }

  /** Resets per day by outcome, failures by reason, methods used and registration coverage for the last `period` days. */
  async report(actor: Actor, period: InsightPeriod): Promise<Result<InsightsReport, Denial>> {
    const tenant = this.tenantOf(actor);
    if (!tenant.ok) return tenant;
    const now = this.d.clock.now();
    const window = periodWindow(now, period);
    const max = this.d.maxEvents ?? 200_000;
    const [events, registration] = await Promise.all([
      this.d.store.insights.resetEvents(tenant.value, INSIGHT_EVENT_TYPES, window.since, window.until, max + 1),
      this.d.store.insights.registration(tenant.value),
    ]);
    const truncated = events.length > max;
    return ok({
      period,
      generatedAt: now,
      firstDay: window.days[0]!,
      lastDay: window.days[window.days.length - 1]!,
      resets: aggregateResets(truncated ? events.slice(0, max) : events, window, this.d.flowTtlMs),
      coverage: coverageOf(registration),
      truncated,
    });
  }

  /** The store query for the criteria, or null when the account filter names no account of the tenant. */
  private async query(tenantId: string, c: AuditCriteria): Promise<Omit<AuditQuery, 'limit'> | null> {
    let accountId: string | undefined;
    if (c.account !== undefined) {
      const login = normalizeLogin(c.account);
      if (!login.ok) return null;
      const account = await this.d.store.directory.findAccountByLogin(login.value);
      // an account of another tenant is treated exactly like no account at all
      if (!account || account.tenantId !== tenantId) return null;
      accountId = account.id;
    }
    return {
      tenantId,
      ...(accountId !== undefined ? { accountId } : {}),
      ...(c.type !== undefined ? { type: c.type } : {}),
      ...(c.outcome !== undefined ? { outcome: c.outcome } : {}),
      ...(c.since !== undefined ? { since: c.since } : {}),
      ...(c.until !== undefined ? { until: c.until } : {}),
    };
  }
}

function exportRecord(r: AuditRow): AuditExportRecord {
  return {
    id: r.id,
    time_utc: new Date(r.at).toISOString(),
    actor: r.actor,
    actor_login: r.actorLogin,
    event: r.type,
    outcome: r.outcome,
    account: r.accountLogin,
    ip: r.ip,
    user_agent: r.userAgent,
    details: r.details,
    account_id: r.accountId,
    seq: r.seq,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}
