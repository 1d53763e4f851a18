import { actorName, canView, type Actor, type Denial } from '../core/admin-rules.ts';
import { CALL_CHECK_DIGITS, CALL_CHECK_TTL_MS, groupedPhrase, normalizePhrase } from '../core/caller-verification.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { CallerVerificationDeps } from './caller-verification-service.ts';
import { auditCaller, deny } from './admin-common.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/** Phrases one client address may try on /verify-call per 10 minutes. */
export const VERIFY_CALL_LIMIT = { max: 10, windowMs: 10 * 60_000 } as const;

export interface CallCheckStarted {
  /** `4821 0937`: shown once to the agent, stored only as an HMAC. */
  readonly phrase: string;
  readonly expiresAt: number;
}

/**
 * The reverse check (issue 13 item 6): the agent gets a phrase (`start`); the person called types
 * it on the public /verify-call page (`confirm`) and sees who is calling; phrases nobody confirmed
 * in time are audited as `caller.call_unconfirmed` (`flagUnconfirmed`).
 */
export class CallCheck {
  constructor(private readonly d: CallerVerificationDeps) {}

  /** A phrase the person called types on /verify-call to see that this call comes from their help desk. */
  async start(
    actor: Actor,
    accountId: string,
    agentName: string,
    rc: RequestContext,
  ): Promise<Result<CallCheckStarted, Denial | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canView(actor, target, 'users:read');
    if (denial) return deny(this.d, actor, target, 'call_check', denial, rc);
    const tenant = await this.d.store.directory.getTenant(target.tenantId);
    const look = await this.d.store.looks.getLook(target.tenantId);
    const organisation = look.displayName ?? tenant?.name ?? target.tenantId;
    const now = this.d.clock.now();
    const expiresAt = now + CALL_CHECK_TTL_MS;
    for (;;) {
      let digits = '';
      for (let i = 0; i < CALL_CHECK_DIGITS; i++) digits += String(this.d.random.intBelow(10));
      const phraseHash = this.d.keyring.hmac('call-check', digits);
      // a phrase in use (a 1 in 10^8 draw) is drawn again: the public page finds one check per phrase
      if (await this.d.store.callerChecks.findCallCheck(phraseHash)) continue;
      await this.d.store.transaction(async (tx) => {
        await tx.callerChecks.createCallCheck({
          id: this.d.random.uuid(),
          tenantId: target.tenantId,
          accountId: target.id,
          actor: actorName(actor),
          agentName,
          organisation,
          phraseHash,
          createdAt: now,
          expiresAt,
        });
        await auditCaller(tx, actor, target, rc, now, 'caller.call_check_started', 'ok', { expiresAt });
      });
      return ok({ phrase: groupedPhrase(digits), expiresAt });
    }
  }

  /**
   * The public page: the phrase the caller gave. Found and open: confirmed (once), and the page
   * names the agent and their organisation. Otherwise nothing about any account: `not_found`.
   */
  async confirm(
    input: string,
    rc: RequestContext,
  ): Promise<Result<{ agentName: string; organisation: string }, 'not_found' | 'rate_limited'>> {
    if (this.d.limiter) {
      const ip = rc.ip ?? 'unknown';
      const limit = await this.d.limiter.consume(
        `verify-call:ip:${ip}`,
        VERIFY_CALL_LIMIT.max,
        VERIFY_CALL_LIMIT.windowMs,
        {
          failClosed: true,
        },
      );
      if (!limit.allowed) return err('rate_limited');
    }
    const digits = normalizePhrase(input);
    const now = this.d.clock.now();
    const c = digits ? await this.d.store.callerChecks.findCallCheck(this.d.keyring.hmac('call-check', digits)) : null;
    if (!c || now >= c.expiresAt) return err('not_found');
    return this.d.store.transaction(async (tx) => {
      const first = await tx.callerChecks.confirmCallCheck(c.id, now);
      if (first) {
        await appendAudit(tx, {
          at: now,
          tenantId: c.tenantId,
          accountId: c.accountId,
          actor: 'self',
          type: 'caller.call_confirmed',
          outcome: 'ok',
          rc,
          details: { agent: c.actor },
        });
      }
      return ok({ agentName: c.agentName, organisation: c.organisation });
    });
  }

  /** Audits, once each, the reverse checks whose lifetime ended unconfirmed (`caller.call_unconfirmed`, flagged). */
  async flagUnconfirmed(limit = 200): Promise<number> {
    const now = this.d.clock.now();
    const due = await this.d.store.callerChecks.unconfirmedCallChecks(now, limit);
    let flagged = 0;
    for (const c of due) {
      await this.d.store.transaction(async (tx) => {
        if (!(await tx.callerChecks.flagCallCheck(c.id, now))) return;
        flagged++;
        await appendAudit(tx, {
          at: now,
          tenantId: c.tenantId,
          accountId: c.accountId,
          actor: 'system',
          type: 'caller.call_unconfirmed',
          outcome: 'flagged',
          rc: null,
          details: { agent: c.actor, expiresAt: c.expiresAt },
        });
      });
    }
    return flagged;
  }
}
