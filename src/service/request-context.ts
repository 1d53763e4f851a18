import type { AuditEventType } from '../core/audit-events.ts';
import type { UiLocale } from '../core/i18n.ts';
import type { Repos } from '../ports/store.ts';

/** Who is asking, as the HTTP or CLI layer saw it: kept in audit events, never used to decide access. */
export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /**
   * The language of the page (or API request) that asked: the messages it causes go out in it
   * unless the account has a saved language. Absent: the tenant's default, else English.
   */
  readonly locale?: UiLocale | null;
  /**
   * The host the page was opened at (`Host`): a reset's email link goes back to it when it is the
   * flow's tenant's own address (look `host`), since the flow's cookie is bound to one host.
   * Absent, or any other host: SSPR_PUBLIC_URL. Never trusted beyond that comparison.
   */
  readonly host?: string | null;
}

/** A request context for work that no request caused (CLI, background jobs). */
export const NO_REQUEST: RequestContext = { ip: null, userAgent: null };

/** Longest user agent kept in an audit event: enough to recognise a browser, bounded for storage. */
export const AUDIT_USER_AGENT_MAX = 300;

/** The user agent as the audit log stores it. */
export function auditUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? userAgent.slice(0, AUDIT_USER_AGENT_MAX) : null;
}

export type AuditDetails = Record<string, string | number | boolean | null>;

/** One audit event: the one way a service writes to the audit log. */
export interface AuditEvent {
  readonly at: number;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  /** `self`, `system`, `admin:<id>`, `operator:<id>`, `cli`, … as the caller names it. */
  readonly actor: string;
  readonly type: AuditEventType;
  readonly outcome: string;
  /** The request that caused it, when there was one. */
  readonly rc: RequestContext | null;
  readonly details: AuditDetails;
}

/** Appends an audit event inside the step's transaction (IP and a bounded user agent from the request). */
export async function appendAudit(tx: Pick<Repos, 'audit'>, e: AuditEvent): Promise<void> {
  await tx.audit.append({
    at: e.at,
    tenantId: e.tenantId,
    accountId: e.accountId,
    actor: e.actor,
    type: e.type,
    outcome: e.outcome,
    ip: e.rc?.ip ?? null,
    userAgent: auditUserAgent(e.rc?.userAgent),
    details: e.details,
  });
}
