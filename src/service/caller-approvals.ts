import { actorName, type Actor } from '../core/admin-rules.ts';
import { APPROVAL_VALID_MS, canApprove, needsSecondOperator } from '../core/caller-verification.ts';
import { err, ok, type Result } from '../core/result.ts';
import { auditCaller } from './admin-common.ts';
import type { ApprovalView, CallerVerificationDeps } from './caller-verification-service.ts';
import type { RequestContext } from './request-context.ts';

/**
 * Technical Support's second operator (issue 13 item 5; core/caller-verification.ts): operator A
 * asks, operator B (never A) approves within APPROVAL_VALID_MS; every step audited in the
 * account's tenant. CallerVerificationService is its façade.
 */
export class CallerApprovals {
  constructor(private readonly d: Pick<CallerVerificationDeps, 'store' | 'random' | 'clock'>) {}

  /** Technical Support: operator A asks a second operator to approve acting on an administrator. */
  async requestApproval(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<{ id: string }, 'account_not_found' | 'not_needed'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    if (!needsSecondOperator(actor, target)) return err('not_needed');
    const now = this.d.clock.now();
    const id = this.d.random.uuid();
    await this.d.store.transaction(async (tx) => {
      await tx.callerChecks.createApproval({
        id,
        tenantId: target.tenantId,
        accountId: target.id,
        requestedBy: actorName(actor),
        createdAt: now,
      });
      await auditCaller(tx, actor, target, rc, now, 'caller.approval_requested', 'ok', { approvalId: id });
    });
    return ok({ id });
  }

  /** Requests waiting for a second operator (the last `APPROVAL_VALID_MS`), with whom they concern. */
  async openApprovals(): Promise<ApprovalView[]> {
    const now = this.d.clock.now();
    const open = await this.d.store.callerChecks.openApprovals(now - APPROVAL_VALID_MS, 100);
    const views: ApprovalView[] = [];
    for (const a of open) {
      const account = await this.d.store.directory.getAccount(a.accountId);
      const operator = await this.d.store.operators.get(a.requestedBy.replace(/^operator:/, ''));
      if (account) {
        views.push({
          ...a,
          login: account.login,
          displayName: account.displayName,
          requestedByName: operator?.login ?? a.requestedBy,
        });
      }
    }
    return views;
  }

  /** Operator B approves operator A's request; never one's own. Audited either way. */
  async approve(
    actor: Actor,
    approvalId: string,
    rc: RequestContext,
  ): Promise<Result<true, 'approval_not_found' | 'own_request' | 'not_allowed'>> {
    if (actor.kind !== 'operator') return err('not_allowed');
    const a = await this.d.store.callerChecks.getApproval(approvalId);
    const now = this.d.clock.now();
    if (!a || a.approvedAt !== null || now >= a.createdAt + APPROVAL_VALID_MS) return err('approval_not_found');
    const target = await this.d.store.directory.getAccount(a.accountId);
    if (!target) return err('approval_not_found');
    const name = actorName(actor);
    return this.d.store.transaction(async (tx) => {
      if (!canApprove(a.requestedBy, name) || !(await tx.callerChecks.approve(a.id, name, now))) {
        const reason = canApprove(a.requestedBy, name) ? 'approval_not_found' : 'own_request';
        await auditCaller(tx, actor, target, rc, now, 'caller.approval_refused', reason, { approvalId: a.id });
        return err(reason);
      }
      await auditCaller(tx, actor, target, rc, now, 'caller.approved', 'ok', {
        approvalId: a.id,
        requestedBy: a.requestedBy,
      });
      return ok(true as const);
    });
  }
}
