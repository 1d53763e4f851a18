import { flowDeadline, isFlowCodeFresh, normalizeCodeInput, type ResetPolicy } from '../../core/reset-policy.ts';
import { judgeTotp } from '../../core/authenticator.ts';
import { totpAllowed, type Gate } from '../../core/reset-flow.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { Clock } from '../../ports/clock.ts';
import type { CodeRecord, FlowRecord } from '../../ports/flow-store.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Limiter } from '../../ports/limiter.ts';
import type { Repos } from '../../ports/store.ts';
import { checkOneTimeCode, type CodeComparison } from '../one-time-code.ts';
import type { RequestContext } from '../request-context.ts';
import { auditFlow, positionOf, type FlowAccess } from './flow-access.ts';
import type { Lockout } from './lockout.ts';
import { NO_ACCOUNT, type FlowHandle, type StepError, type StepOk } from './types.ts';
import { strongMethodsUsable } from './strong-method-cooling.ts';
import { DEFAULT_TENANT_POLICY } from '../../core/directory-model.ts';
import { isUsableForReset } from '../../core/security-info-policy.ts';
import type { FlowViews } from './view.ts';

/**
 * Checking what proves a gate: a typed code (the shared one-time-code check) — the email's or the
 * SMS's, or one from the authenticator app — or the email's link.
 */
export class CodeCheck {
  constructor(
    private readonly d: {
      readonly keyring: Keyring;
      readonly clock: Clock;
      readonly limiter: Limiter;
      readonly policy: ResetPolicy;
      readonly outbox: { wake(): void };
      readonly verifyLimitPerIp?: number;
    },
    private readonly parts: { readonly flows: FlowAccess; readonly lockout: Lockout; readonly views: FlowViews },
  ) {}

  /**
   * A gate policy whose second gate is the authenticator app leads from the email straight to it:
   * its attempt counter (a code record without a code, as `use_authenticator` makes) opens here.
   */
  private async openAppGate(tx: Repos, flow: FlowRecord, now: number): Promise<void> {
    if (flow.state !== 'totp_code' || (await tx.flows.liveCode(flow.id, 'totp'))) return;
    await tx.flows.issueCode(
      {
        id: `${flow.id}.totp`,
        flowId: flow.id,
        channel: 'totp',
        codeHash: this.d.keyring.hmac('code', `${flow.id}:totp-gate`),
        linkHash: null,
        sentAt: now,
        expiresAt: flowDeadline(this.d.policy, flow.createdAt, flow.firstSentAt),
      },
      { supersede: false },
    );
  }

  /** Checks a typed code. Mismatch, expiry, a killed code and "no code was ever sent" all answer `invalid_code`. */
  async submitCode(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const { flows, lockout, views } = this.parts;
    const typed = normalizeCodeInput(input);
    if (typed === null) return err('code_malformed');
    const now = this.d.clock.now();
    let woke = false;
    const result = await flows.step(async (tx): Promise<Result<StepOk, StepError>> => {
      if (this.d.verifyLimitPerIp !== undefined && rc.ip !== null) {
        // fail closed: without the shared counter nothing is checked (and nothing is changed)
        const limit = await this.d.limiter.consume(
          `reset-verify:ip:${rc.ip}`,
          this.d.verifyLimitPerIp,
          this.d.policy.ipWindowMs,
          { failClosed: true, within: tx },
        );
        if (limit.unavailable) return err('service_unavailable');
        if (!limit.allowed) return err('rate_limited');
      }
      const access = await flows.access(tx, handle);
      if (!access.ok) {
        // a flow the block ended (its binding was checked) answers like any code typed during the
        // block: the seed's message, nothing compared
        const ended = access.error === 'flow_expired' ? await tx.flows.get(handle.flowId) : null;
        if (ended && (await lockout.guard(tx, ended, now)).blocked) {
          await auditFlow(tx, ended, rc, now, 'code.rejected', 'blocked', {});
          return err('invalid_code');
        }
        return access;
      }
      const flow = access.value;
      const channel: Gate | null =
        flow.state === 'email_code'
          ? 'email'
          : flow.state === 'sms_code'
            ? 'sms'
            : flow.state === 'totp_code'
              ? 'totp'
              : null;
      if (channel === null) return err('wrong_step');
      // the block is checked before anything is counted or compared: while it lasts, no short code
      // of the account (in any of its flows) is evaluated
      if ((await lockout.guard(tx, flow, now)).blocked) {
        await auditFlow(tx, flow, rc, now, 'code.rejected', 'blocked', { channel });
        return err('invalid_code');
      }
      const typedHash = this.d.keyring.hmac('code', `${flow.id}:${typed}`);
      const { live: code, superseded: older } = await tx.flows.codesToCheck(flow.id, channel);
      const superseded = channel === 'totp' ? null : this.supersededMatch(flow, typed, code, older);
      if (superseded !== null) {
        // an older code of this very flow: say a newer one was sent; not a guess, nothing counted
        await auditFlow(tx, flow, rc, now, 'code.rejected', 'superseded', { channel });
        return err('code_superseded', String(superseded));
      }
      const fail = async (outcome: string, extra: Record<string, number> = {}) => {
        if (await lockout.noteFailure(tx, flow, rc, now, 'code.rejected', outcome, channel, extra)) woke = true;
        return err('invalid_code');
      };
      const alreadyUsed = async () => {
        await auditFlow(tx, flow, rc, now, 'code.rejected', 'already_used', { channel });
        return err('invalid_code');
      };
      if (!code) {
        // a duplicate of a correct submission that waited for the winner's commit (PostgreSQL)
        // finds the code used and the flow moved on: not a failed verification
        const latest = await tx.flows.get(flow.id);
        if (latest && latest.version !== flow.version) return alreadyUsed();
        // nothing was sent (unknown account, or a phone number that did not match): same answer
        this.d.keyring.equal(typedHash, typedHash);
        return fail('no_code');
      }
      // a sent code: its stored HMAC; the authenticator app: the core TOTP rule, each step once
      const totp = channel === 'totp' ? await this.totpComparison(tx, flow, now) : null;
      if (totp?.gateClosed) return fail('gate_closed');
      const comparison: CodeComparison = totp ?? {
        keyring: this.d.keyring,
        purpose: 'code',
        binding: flow.id,
        codeHash: code.codeHash,
      };
      const checked = await checkOneTimeCode({
        ...comparison,
        typed,
        maxAttempts: this.d.policy.maxAttemptsPerCode,
        // the app's gate lives as long as the flow (a code of its own window is judged by compare)
        fresh: totp ? true : isFlowCodeFresh(this.d.policy, code, flow, now),
        countAttempt: () => tx.flows.countAttempt(code.id, this.d.policy.maxAttemptsPerCode),
        consume: async () => (totp === null || (await totp.acceptStep())) && (await tx.flows.consumeCode(code.id, now)),
      });
      if (!checked.ok) {
        switch (checked.reason) {
          case 'attempts_exhausted': {
            // another request may have used or replaced the code while this one waited for its lock
            // (PostgreSQL): a duplicate of a correct submission is not a failed verification
            const now2 = await tx.flows.getCode(code.id);
            if (now2 && (now2.usedAt !== null || now2.supersededAt !== null)) return alreadyUsed();
            return fail('attempts_exhausted');
          }
          case 'expired':
            return fail('expired');
          case 'mismatch': {
            // the right code of an authenticator app still in its cooling-off: not a guess, and
            // not a pass either; the page says why and until when (core coolingOffUntil)
            const cooling = totp?.coolingMatch() ?? null;
            if (cooling !== null) {
              await auditFlow(tx, flow, rc, now, 'code.rejected', 'cooling_off', { channel, until: cooling });
              return err('method_cooling_off', String(cooling));
            }
            return fail('mismatch', { attempts: checked.attempts ?? 0 });
          }
          case 'already_used':
            return alreadyUsed();
        }
      }
      const event = channel === 'email' ? 'email_verified' : channel === 'sms' ? 'sms_verified' : 'totp_verified';
      const passed = await flows.advance(tx, flow, event, now);
      if (!passed.ok) return passed;
      await this.openAppGate(tx, passed.value.flow, now);
      await auditFlow(tx, passed.value.flow, rc, now, 'code.accepted', 'ok', { channel });
      return ok({ secret: passed.value.secret, view: await views.viewOf(tx, passed.value.flow) });
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /**
   * How a code typed at the authenticator gate is compared: the account's confirmed app (its secret
   * opened from the seal) through core `judgeTotp`, within ±1 step and after its last accepted step;
   * `acceptStep` records the matched step once (a parallel or later request with a code of that step
   * or an earlier one is refused). Without an app (or an account) the same comparison runs on a
   * throwaway secret and never matches. `gateClosed`: a two-gate flow before its email gate passed.
   */
  private async totpComparison(
    tx: Repos,
    flow: FlowRecord,
    now: number,
  ): Promise<{
    gateClosed: boolean;
    compare: (typed: string) => boolean;
    acceptStep: () => Promise<boolean>;
    /** When the typed code was the right one of an app in its cooling-off: until when (else null). */
    coolingMatch: () => number | null;
  }> {
    // read for every flow (a login without an account reads NO_ACCOUNT's: none), the same statements
    const app = await tx.authenticators.confirmed(flow.accountId ?? NO_ACCOUNT);
    const tenant = flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
    const usable = await strongMethodsUsable(tx, flow.accountId ?? NO_ACCOUNT, tenant?.policy ?? DEFAULT_TENANT_POLICY);
    const cooling = isUsableForReset(usable.authenticator, now) ? null : usable.authenticator;
    const secret = app ? this.d.keyring.open(app.secretSealed) : NO_SECRET;
    let step: number | null = null;
    let coolingMatched = false;
    return {
      gateClosed: !totpAllowed(positionOf(flow)),
      coolingMatch: () => (coolingMatched ? cooling : null),
      compare: (typed) => {
        const verdict = judgeTotp(secret, typed, now, app?.lastStep ?? null);
        if (app === null) return false;
        if (cooling !== null) {
          // a method in its cooling-off passes no gate: its right code is told apart, never accepted
          coolingMatched = verdict.ok;
          return false;
        }
        if (verdict.ok) step = verdict.step;
        // a code of a step already used matches, and then fails to be consumed: `already_used`
        else if (verdict.reason === 'step_used') step = verdict.step;
        return step !== null;
      },
      acceptStep: async () => app !== null && step !== null && tx.authenticators.acceptStep(app.id, step),
    };
  }

  /**
   * Consumes the email link's token — only from the browser that started the flow. From another
   * browser (or none) it answers `wrong_browser` and the token stays valid, so the person can go
   * back to the first browser, or type the code there.
   */
  async consumeLink(token: string, handle: FlowHandle | null, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const { flows, views } = this.parts;
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return err('invalid_code');
    const now = this.d.clock.now();
    return flows.step(async (tx): Promise<Result<StepOk, StepError>> => {
      let code = null;
      for (const linkHash of this.d.keyring.hmacAll('link', token)) {
        code ??= await tx.flows.findByLinkHash(linkHash);
      }
      if (!code || code.channel !== 'email' || code.usedAt !== null) return err('invalid_code');
      if (code.supersededAt !== null) return this.supersededLink(tx, code, handle, rc, now);
      const flow = await tx.flows.get(code.flowId);
      if (!flow) return err('invalid_code');
      if (!handle || handle.flowId !== flow.id || flows.bindingOf(flow, handle.secret, now) === null) {
        await auditFlow(tx, flow, rc, now, 'link.rejected', 'wrong_browser', {});
        return err('wrong_browser');
      }
      // a rotated binding value passes no link (access answers wrong_step)
      const access = await flows.access(tx, handle);
      if (!access.ok) return access;
      if (access.value.state !== 'email_code') return err('invalid_code');
      if (!isFlowCodeFresh(this.d.policy, code, access.value, now)) {
        // a 256-bit link cannot be guessed: an expired one is not a failed verification (and a
        // self-service block, which is against guessing codes, does not stop a fresh link)
        await auditFlow(tx, flow, rc, now, 'link.rejected', 'expired', { channel: 'email' });
        return err('invalid_code');
      }
      if (!(await tx.flows.consumeCode(code.id, now))) return err('invalid_code');
      const passed = await flows.advance(tx, access.value, 'email_verified', now);
      if (!passed.ok) return passed;
      await this.openAppGate(tx, passed.value.flow, now);
      await auditFlow(tx, passed.value.flow, rc, now, 'link.accepted', 'ok', {});
      return ok({ secret: passed.value.secret, view: await views.viewOf(tx, passed.value.flow) });
    });
  }

  /**
   * The link of an older email of a flow that is still going, followed from its own browser: say
   * a newer email was sent (and when). Anything else about a replaced link: the seed's message.
   */
  private async supersededLink(
    tx: Repos,
    code: CodeRecord,
    handle: FlowHandle | null,
    rc: RequestContext,
    now: number,
  ): Promise<Result<StepOk, StepError>> {
    if (!handle || handle.flowId !== code.flowId) return err('invalid_code');
    const access = await this.parts.flows.access(tx, handle);
    if (!access.ok || access.value.state !== 'email_code') return err('invalid_code');
    const live = await tx.flows.liveCode(code.flowId, 'email');
    await auditFlow(tx, access.value, rc, now, 'link.rejected', 'superseded', {});
    return err('code_superseded', String(live?.sentAt ?? access.value.lastSentAt ?? code.sentAt));
  }

  /**
   * When the typed code is one a newer code of this flow replaced (`older`, and not the live one),
   * when the newest code was sent; else null. Compared with every superseded code (constant time each).
   */
  private supersededMatch(
    flow: FlowRecord,
    typed: string,
    live: CodeRecord | null,
    older: readonly CodeRecord[],
  ): number | null {
    let hit = false;
    for (const c of older) if (this.d.keyring.matches('code', `${flow.id}:${typed}`, c.codeHash)) hit = true;
    if (!hit) return null;
    // the same six digits as the live code (one in a million): that is the live code, checked as such
    if (live && this.d.keyring.matches('code', `${flow.id}:${typed}`, live.codeHash)) return null;
    return live?.sentAt ?? flow.lastSentAt ?? older[0]!.sentAt;
  }
}

/** The secret compared when the flow's login has no authenticator app: the same work, never a match. */
const NO_SECRET = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
