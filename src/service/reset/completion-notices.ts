import { isAdminRole } from '../../core/directory-model.ts';
import { helpText, renderEmail } from '../../core/message-templates.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Random } from '../../ports/random.ts';
import type { Repos } from '../../ports/store.ts';
import { enqueueEmail } from '../message-queue.ts';
import type { RequestContext } from '../request-context.ts';
import { auditFlow } from './flow-access.ts';
import type { Ctx } from './types.ts';

/**
 * The notices of a completed reset: to the login and the alternate email, and to every other
 * enabled admin of the tenant when an admin reset.
 */
export async function queueCompletionNotices(
  tx: Repos,
  d: { readonly keyring: Keyring; readonly random: Random; readonly metrics?: Metrics },
  flow: FlowRecord,
  ctx: Ctx,
  rc: RequestContext,
  now: number,
): Promise<void> {
  if (!ctx.account || !ctx.tenant) return;
  const when = new Date(now).toISOString();
  const base = { tenantId: ctx.tenant.id, accountId: ctx.account.id, expiresAt: null, now };
  const notice = renderEmail('reset.completed', {
    displayName: ctx.account.displayName,
    login: ctx.account.login,
    when,
    ip: rc.ip ?? 'unknown',
    helpText: helpText(ctx.tenant.policy),
  });
  const recipients = new Set([ctx.account.login, ...(ctx.email ? [ctx.email] : [])]);
  for (const to of recipients) await enqueueEmail(tx, d, { ...base, template: 'reset.completed', to, content: notice });
  for (const _ of recipients) d.metrics?.messageQueued('email', 'reset.completed');
  if (isAdminRole(ctx.account.role)) {
    const admins = await tx.directory.listAccounts({ tenantId: ctx.tenant.id, limit: 1000 });
    for (const other of admins) {
      if (other.id === ctx.account.id || !isAdminRole(other.role) || !other.enabled) continue;
      const content = renderEmail('reset.admin_notice', {
        displayName: other.displayName,
        adminLogin: ctx.account.login,
        adminName: ctx.account.displayName,
        when,
        ip: rc.ip ?? 'unknown',
      });
      await enqueueEmail(tx, d, {
        ...base,
        accountId: other.id,
        template: 'reset.admin_notice',
        to: other.login,
        content,
      });
      d.metrics?.messageQueued('email', 'reset.admin_notice');
    }
  }
  await auditFlow(tx, flow, rc, now, 'message.queued', 'ok', {
    template: 'reset.completed',
    recipients: recipients.size,
  });
}
