import { noticePhrase } from '../../core/message-templates.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { RequestContext } from '../request-context.ts';
import { AccountUnlock } from '../account-unlock.ts';
import type { FlowAccess } from './flow-access.ts';
import type { FlowHandle, FlowView, ResetDeps, StepError } from './types.ts';
import type { FlowViews } from './view.ts';

/** How the person's own unlock is named in the notices. */
const SELF_SERVICE_BY = noticePhrase('email.phrase.selfUnlock');

/**
 * "Unlock my account, keep my password" (issue 11 item 5): the other way to end a reset once every
 * gate passed, for a directory account only (a built-in account has no directory lock; sspr's own
 * sign-in throttling only slows, never locks). The directory clears the lock, then in one
 * transaction the flow ends (`account_unlocked` → `unlocked`), the self-service guard is cleared
 * as after a reset, `account.unlocked` is audited and the notices queued (AccountUnlock). No
 * password changes and no session is revoked. A refusal leaves the flow on the new-password step.
 */
export class SelfUnlock {
  constructor(
    private readonly d: ResetDeps,
    private readonly parts: { readonly flows: FlowAccess; readonly views: FlowViews },
  ) {}

  /** Whether the flow's account may be unlocked here: a directory account, at the new-password step. */
  static offered(flow: Pick<FlowRecord, 'state'>, account: { readonly externalId: string | null } | null): boolean {
    return flow.state === 'new_password' && account !== null && account.externalId !== null;
  }

  async unlock(handle: FlowHandle, rc: RequestContext): Promise<Result<FlowView, StepError>> {
    const { flows, views } = this.parts;
    const first = await flows.access(this.d.store, handle);
    if (!first.ok) return first;
    const ctx = await flows.loadFlowContext(this.d.store, first.value);
    if (!SelfUnlock.offered(first.value, ctx.account) || !ctx.account) return err('wrong_step');
    const account = ctx.account;
    const result = await new AccountUnlock(this.d).unlock({
      account,
      tenant: ctx.tenant,
      actor: 'self',
      by: 'self-service',
      byText: SELF_SERVICE_BY,
      rc,
      auditDetails: { flow: first.value.id.slice(0, 8) },
      before: async (tx, now): Promise<Result<FlowRecord, StepError>> => {
        // the account's guard first, as a code check and the password step take it
        await tx.lockouts.lockGuard(account.id);
        const access = await flows.access(tx, handle);
        if (!access.ok) return access;
        if (access.value.state !== 'new_password') return err('wrong_step');
        const done = await flows.complete(tx, access.value, now, 'account_unlocked');
        if (!done) return err('flow_not_found');
        // as after a reset: the person proved who they are
        await tx.lockouts.clearGuard(account.id);
        return ok(done);
      },
    });
    if (!result.ok) return err(result.error === 'not_directory_account' ? 'wrong_step' : result.error);
    return ok(await views.viewOf(this.d.store, result.value.value));
  }
}
