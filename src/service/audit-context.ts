import type { AuditEventType } from '../core/audit-events.ts';
import type { Account } from '../core/directory-model.ts';
import type { Repos } from '../ports/store.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';

export { AUDIT_USER_AGENT_MAX, auditUserAgent } from './request-context.ts';

/** Whose event it is: an account, or a reset flow (whose account may be none: an unknown login). */
export type SelfSubject =
  | Pick<Account, 'tenantId' | 'id'>
  | { readonly tenantId: string | null; readonly accountId: string | null };

/** An audit event of something a person did to their own account, or in their own reset flow (actor `self`). */
export async function appendSelfEvent(
  tx: Pick<Repos, 'audit'>,
  who: SelfSubject,
  rc: RequestContext | null,
  at: number,
  type: AuditEventType,
  outcome: string,
  details: AuditDetails,
): Promise<void> {
  const accountId = 'accountId' in who ? who.accountId : who.id;
  await appendAudit(tx, { at, tenantId: who.tenantId, accountId, actor: 'self', type, outcome, rc, details });
}
