import type { Account } from '../core/directory-model.ts';
import type { Repos } from '../ports/store.ts';
import type { RequestContext } from './reset-service.ts';

/** Longest user agent kept in an audit event: enough to recognise a browser, bounded for storage. */
export const AUDIT_USER_AGENT_MAX = 300;

/** The user agent as the audit log stores it. */
export function auditUserAgent(userAgent: string | null | undefined): string | null {
  return userAgent ? userAgent.slice(0, AUDIT_USER_AGENT_MAX) : null;
}

/** An audit event of something a person did to their own account (actor `self`). */
export async function appendSelfEvent(
  tx: Repos,
  account: Account,
  rc: RequestContext,
  at: number,
  type: string,
  outcome: string,
  details: Record<string, string | number | boolean | null>,
): Promise<void> {
  await tx.audit.append({
    at,
    tenantId: account.tenantId,
    accountId: account.id,
    actor: 'self',
    type,
    outcome,
    ip: rc.ip,
    userAgent: auditUserAgent(rc.userAgent),
    details,
  });
}
