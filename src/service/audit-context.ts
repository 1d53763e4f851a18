import type { Account } from '../core/directory-model.ts';
import type { Repos } from '../ports/store.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';

export { AUDIT_USER_AGENT_MAX, auditUserAgent } from './request-context.ts';

/** An audit event of something a person did to their own account (actor `self`). */
export async function appendSelfEvent(
  tx: Repos,
  account: Account,
  rc: RequestContext,
  at: number,
  type: string,
  outcome: string,
  details: AuditDetails,
): Promise<void> {
  await appendAudit(tx, {
    at,
    tenantId: account.tenantId,
    accountId: account.id,
    actor: 'self',
    type,
    outcome,
    rc,
    details,
  });
}
