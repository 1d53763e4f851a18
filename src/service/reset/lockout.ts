import type { AuditEventType } from '../../core/audit-events.ts';
import type { Gate } from '../../core/reset-flow.ts';
import { helpText, renderEmail } from '../../core/message-templates.ts';
import { isBlocked } from '../../core/reset-policy.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { Repos } from '../../ports/store.ts';
import { enqueueEmail } from '../message-queue.ts';
import type { RequestContext } from '../request-context.ts';
import { auditFlow, type FlowAccess } from './flow-access.ts';
import type { MessagingDeps } from './types.ts';
import { messageLanguage } from '../message-language.ts';

/**
 * The attempt guard of self-service: failed verifications counted per account (or per unknown
 * login, alike), the block at the limit, the one notice of a block, and the checks that read it.
 */
export class Lockout {
  constructor(
    private readonly d: MessagingDeps,
    private readonly flows: FlowAccess,
  ) {}

  /**
   * Who the attempt guard counts for: the account, or, for a login that matched no account, a
   * keyed hash of the login. Unknown logins are then blocked, and their flows ended, exactly like
   * real accounts: a block shows nothing an attacker could tell apart.
   */
  subject(flow: Pick<FlowRecord, 'accountId' | 'tenantId' | 'login'>): string {
    return flow.accountId ?? `login:${this.d.keyring.hmac('guard', `${flow.tenantId ?? ''}:${flow.login}`)}`;
  }

  /** Takes the subject's guard for the rest of the transaction and reads its block. */
  async guard(
    tx: Pick<Repos, 'lockouts'>,
    flow: FlowRecord,
    now: number,
  ): Promise<{ subject: string; blockedAt: number | null; blocked: boolean }> {
    const subject = this.subject(flow);
    await tx.lockouts.lockGuard(subject);
    const blockedAt = await tx.lockouts.blockedAt(subject);
    return { subject, blockedAt, blocked: isBlocked(this.d.policy, blockedAt, now) };
  }

  /** Re-checks, at send time, what `start` checked: the account is still enabled and not blocked. */
  async stillDeliverable(tx: Pick<Repos, 'lockouts' | 'directory'>, flow: FlowRecord, now: number): Promise<boolean> {
    if (!flow.accountId) return false;
    const account = await tx.directory.getAccount(flow.accountId);
    if (!account?.enabled) return false;
    return !isBlocked(this.d.policy, await tx.lockouts.blockedAt(flow.accountId), now);
  }

  /**
   * A failed verification: audited and counted against the account (or the unknown login). At the
   * limit the block starts: every flow of the account in progress ends (its codes and links with
   * it) and the owner gets one notice. The caller holds the subject's guard (`guard`). Returns
   * whether a message was queued (wake the outbox after the commit).
   */
  async noteFailure(
    tx: Repos,
    flow: FlowRecord,
    rc: RequestContext | null,
    now: number,
    type: AuditEventType,
    outcome: string,
    channel: Gate,
    extra: Record<string, number> = {},
  ): Promise<boolean> {
    await auditFlow(tx, flow, rc, now, type, outcome, { channel, ...extra });
    this.d.metrics?.flowFailed(`${type.split('.')[0]}_${outcome}`);
    const subject = this.subject(flow);
    await tx.lockouts.recordFailure(subject, now);
    const failures = await tx.lockouts.countFailures(subject, now - this.d.policy.failureWindowMs);
    if (
      failures < this.d.policy.maxFailuresPerAccount ||
      isBlocked(this.d.policy, await tx.lockouts.blockedAt(subject), now)
    )
      return false;
    await tx.lockouts.block(subject, now);
    if (flow.accountId) await tx.flows.endAccountFlows(flow.accountId, null, now);
    else await tx.flows.endLoginFlows(flow.login, now);
    this.d.metrics?.limiterBlocked('account_lockout');
    await auditFlow(tx, flow, rc, now, 'account.self_service_blocked', 'blocked', { failures });
    return this.sendBlockNotice(tx, flow, rc, now);
  }

  /**
   * The one notice of a block, to the login and the alternate email: what happened, until when,
   * that it may not have been them, and how to reset anyway (the link) or get help.
   */
  private async sendBlockNotice(tx: Repos, flow: FlowRecord, rc: RequestContext | null, now: number): Promise<boolean> {
    const ctx = await this.flows.loadFlowContext(tx, flow);
    if (!ctx.account || !ctx.tenant || !ctx.account.enabled) return false;
    const { locale: lang, timeZone } = await messageLanguage(tx, ctx.tenant.id, {
      saved: ctx.account.locale ?? null,
      page: rc?.locale ?? null,
    });
    const content = renderEmail(
      'reset.blocked',
      {
        displayName: ctx.account.displayName,
        login: ctx.account.login,
        when: new Date(now).toISOString(),
        until: new Date(now + this.d.policy.blockMs).toISOString(),
        resetUrl: `${this.d.publicUrl}/reset`,
        helpText: helpText(ctx.tenant.policy, lang),
      },
      lang,
      timeZone,
    );
    const recipients = new Set([ctx.account.login, ...(ctx.email ? [ctx.email] : [])]);
    for (const to of recipients) {
      await enqueueEmail(tx, this.d, {
        tenantId: ctx.tenant.id,
        accountId: ctx.account.id,
        template: 'reset.blocked',
        to,
        content,
        expiresAt: null,
        now,
      });
      this.d.metrics?.messageQueued('email', 'reset.blocked');
    }
    await auditFlow(tx, flow, rc, now, 'message.queued', 'ok', {
      template: 'reset.blocked',
      recipients: recipients.size,
    });
    return true;
  }
}
