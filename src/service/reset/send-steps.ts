import { normalizePhone } from '../../core/contact.ts';
import { canSendCode, formatCode, isBlocked, type ResetPolicy } from '../../core/reset-policy.ts';
import { smsAllowed } from '../../core/reset-flow.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Random } from '../../ports/random.ts';
import type { RequestContext } from '../request-context.ts';
import type { CodeSender } from './code-sender.ts';
import { auditFlow, positionOf, type FlowAccess } from './flow-access.ts';
import type { Lockout } from './lockout.ts';
import type { FlowHandle, FlowView, StepError, StepOk } from './types.ts';
import type { FlowViews } from './view.ts';

/** The steps that ask for a code: a resend, and the typed phone number that sends the SMS. */
export class SendSteps {
  constructor(
    private readonly d: {
      readonly keyring: Keyring;
      readonly random: Random;
      readonly clock: Clock;
      readonly policy: ResetPolicy;
      readonly outbox: { wake(): void };
    },
    private readonly parts: {
      readonly flows: FlowAccess;
      readonly lockout: Lockout;
      readonly sender: CodeSender;
      readonly views: FlowViews;
    },
  ) {}

  /** Sends a new code on the current channel (the previous one stops working). */
  async resend(handle: FlowHandle, rc: RequestContext): Promise<Result<FlowView, StepError> & { waitMs?: number }> {
    const { flows, lockout, sender, views } = this.parts;
    const now = this.d.clock.now();
    let woke = false;
    const result = await flows.step(async (tx): Promise<Result<FlowView, StepError> & { waitMs?: number }> => {
      const access = await flows.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'email_code' && flow.state !== 'sms_code') return err('wrong_step');
      const may = canSendCode(this.d.policy, flow.codesSent, flow.lastSentAt, now);
      if (!may.ok) return { ...err(may.reason), waitMs: may.waitMs };
      const updated = await flows.countSend(tx, flow, now);
      if (!updated) return err('flow_not_found');
      const ctx = await flows.loadFlowContext(tx, flow);
      let sent = false;
      if (
        flow.state === 'email_code' &&
        flow.deliverable &&
        ctx.email &&
        (await lockout.stillDeliverable(tx, flow, now))
      ) {
        const code = formatCode(this.d.random.intBelow(1_000_000));
        sent = await sender.sendEmailCode(tx, updated, ctx, code, flows.token(32), now, rc.locale, rc.host);
      } else if (flow.state === 'sms_code' && (await tx.flows.liveCode(flow.id, 'sms')) && ctx.phone) {
        // an SMS is resent only where one was sent before: the number matched and the gate is open
        sent = await sender.sendSmsCode(tx, updated, ctx, now, rc.locale);
      } else if (flow.state === 'email_code' && ctx.email && ctx.account?.enabled) {
        // a flow started during a block: a fresh link alone (the previous one stops working), while
        // the block lasts; the link emails count towards the account's email limit like any
        const blockedAt = await tx.lockouts.blockedAt(lockout.subject(flow));
        const linkToken = flows.token(32);
        if (blockedAt !== null && isBlocked(this.d.policy, blockedAt, now))
          sent = await sender.sendBlockedLinkEmail(tx, updated, ctx, linkToken, blockedAt, now, rc.locale, rc.host);
      } else {
        flows.token(32);
      }
      await auditFlow(tx, updated, rc, now, 'code.resent', sent ? 'queued' : 'suppressed', {
        channel: flow.state === 'email_code' ? 'email' : 'sms',
      });
      woke = sent;
      return ok(await views.viewOf(tx, updated));
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /**
   * The person types the full mobile number on file. The SMS goes out only if it matches, the
   * SMS gate is open (email gate passed, or SMS is the flow's only gate) and the limits allow;
   * the answer is the same either way.
   */
  async submitPhone(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const { flows, lockout, sender, views } = this.parts;
    const phone = normalizePhone(input);
    if (!phone.ok) return err('phone_invalid');
    const now = this.d.clock.now();
    let woke = false;
    const result = await flows.step(async (tx): Promise<Result<StepOk, StepError>> => {
      const access = await flows.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'phone_number') return err('wrong_step');
      // while the account is blocked no number is compared (and no SMS sent). The owner who passed
      // the email gate (the link works during a block) is told text message codes are paused;
      // before that gate the answer is the usual one, so the block reveals nothing
      const guard = await lockout.guard(tx, flow, now);
      if (guard.blocked && flow.passed > 0) {
        await auditFlow(tx, flow, rc, now, 'phone.submitted', 'blocked', {});
        return err('sms_paused', String((guard.blockedAt ?? now) + this.d.policy.blockMs));
      }
      const firstSms = !(await tx.flows.liveCode(flow.id, 'sms'));
      const ctx = await flows.loadFlowContext(tx, flow);
      const typedHash = this.d.keyring.hmac('phone', phone.value);
      const matches = ctx.phone !== null && this.d.keyring.equal(typedHash, this.d.keyring.hmac('phone', ctx.phone));
      const gateOpen = smsAllowed({ ...positionOf(flow), state: 'sms_code' });
      // every SMS counts towards the codes of the flow; the first one after the email gate
      // passed is not a resend, so the email's cooldown does not hold it back
      const afterGate = firstSms && flow.passed > 0;
      const may = canSendCode(this.d.policy, flow.codesSent, afterGate ? null : flow.lastSentAt, now);
      if (!may.ok) return err(may.reason);
      const next = await flows.advance(tx, flow, 'phone_submitted', now, {
        codesSent: flow.codesSent + 1,
        lastSentAt: now,
      });
      if (!next.ok) return next;
      let outcome: string;
      if (guard.blocked) outcome = 'blocked';
      else if (!matches) outcome = 'mismatch';
      else if (!gateOpen) outcome = 'gate_closed';
      else if (!flow.deliverable || !(await lockout.stillDeliverable(tx, flow, now))) outcome = 'not_deliverable';
      else outcome = (await sender.sendSmsCode(tx, next.value.flow, ctx, now, rc.locale)) ? 'queued' : 'limited';
      // a wrong number counts like a wrong code, for unknown logins too (their block looks the same)
      if (outcome === 'mismatch') {
        if (await lockout.noteFailure(tx, flow, rc, now, 'phone.rejected', 'mismatch', 'sms')) woke = true;
      } else await auditFlow(tx, next.value.flow, rc, now, 'phone.submitted', outcome, {});
      if (outcome === 'queued') woke = true;
      return ok({ secret: next.value.secret, view: await views.viewOf(tx, next.value.flow) });
    });
    if (woke) this.d.outbox.wake();
    return result;
  }
}
