import { maskEmail, maskPhone, normalizePhone } from '../core/contact.ts';
import { isAdminRole, type Account, type Method, type Tenant } from '../core/directory-model.ts';
import { isUsableForReset } from '../core/security-info-policy.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { checkPassword, normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
import {
  canSendCode,
  codeExpiresAt,
  DAY_MS,
  flowDeadline,
  formatCode,
  isBlocked,
  normalizeCodeInput,
  type ResetPolicy,
} from '../core/reset-policy.ts';
import {
  planGates,
  smsAllowed,
  stepOf,
  transition,
  type FlowEvent,
  type FlowState,
  type Gate,
} from '../core/reset-flow.ts';
import { renderEmail, renderSms } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { CaptchaSolution } from '../ports/captcha.ts';
import type { Clock } from '../ports/clock.ts';
import type { FlowPatch, FlowRecord } from '../ports/flow-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Limiter } from '../ports/limiter.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail, enqueueSms } from './message-queue.ts';
import { auditUserAgent } from './audit-context.ts';

/**
 * The self-service reset use cases, shared by the pages and the JSON API. Every start creates a
 * flow, whether or not the account exists; only a real, enabled account with an alternate email
 * is ever sent anything, and every other path does the same work and returns the same thing.
 * Each step's changes (flow, code, outbox message, audit event) commit in one transaction.
 */
export interface ResetDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly limiter: Limiter;
  readonly outbox: { wake(): void };
  readonly log: Logger;
  readonly policy: ResetPolicy;
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** Counters for /metrics (optional: nothing is counted without it). */
  readonly metrics?: Metrics;
  /**
   * Codes one IP may submit per `policy.ipWindowMs`, across instances. The check fails closed:
   * when the limiter's store is unreachable, `submitCode` answers `service_unavailable`. Unset: no check.
   */
  readonly verifyLimitPerIp?: number;
}

/** What a browser (cookie) or an API client (header) presents at each step. */
export interface FlowHandle {
  readonly flowId: string;
  readonly secret: string;
}

export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export type AccessError = 'flow_not_found' | 'flow_expired' | 'flow_completed';
export type StepError =
  | AccessError
  | 'wrong_step'
  | 'invalid_code'
  | 'code_malformed'
  | 'resend_too_soon'
  | 'too_many_codes'
  | 'phone_invalid'
  | 'wrong_browser'
  | 'password_mismatch'
  | 'password_reused'
  | 'rate_limited'
  | 'service_unavailable'
  | PasswordProblem;

export interface FlowView {
  readonly flowId: string;
  readonly state: FlowState;
  readonly step: number;
  /** Null until the first gate passed (the total would reveal the account's role). */
  readonly stepsTotal: number | null;
  readonly expiresAt: number;
  readonly maskedEmail: string;
  /** Shown only once the email gate passed. */
  readonly maskedPhone: string | null;
  readonly canUsePhone: boolean;
  readonly canGoBackToEmail: boolean;
  readonly resendAvailableAt: number | null;
  readonly codesLeft: number;
  readonly passwordMinLength: number;
  readonly helpdesk: { readonly url: string | null; readonly email: string | null };
}

/** A new flow: its handle and what to show first. */
export interface StartedFlow extends FlowHandle {
  readonly view: FlowView;
}

export interface StepOk {
  /** The rotated binding secret: the caller must store it (cookie or API client). */
  readonly secret: string;
  readonly view: FlowView;
}

const BINDING_GRACE_MS = 30_000;
const PASSWORD_HISTORY = 5;
const DECOY_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.com', 'proton.me', 'gmx.net'];

type Ctx = {
  readonly tenant: Tenant | null;
  readonly account: Account | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** Every method on file, usable or not (empty without an account). */
  readonly allMethods: readonly Method[];
};

export class ResetService {
  private readonly decoyCache = new Map<string, { domains: readonly string[]; until: number }>();

  constructor(private readonly d: ResetDeps) {}

  // ---- start ---------------------------------------------------------------------------

  /**
   * Starts a reset for whatever was typed. Returns the same shape, after the same work, for
   * known, unknown, disabled, blocked and unregistered accounts; the audit log alone records
   * which it was.
   */
  async start(
    loginInput: string,
    rc: RequestContext,
    captcha?: CaptchaSolution,
  ): Promise<Result<StartedFlow, 'login_invalid' | 'rate_limited' | 'captcha_failed'> & { retryAfterMs?: number }> {
    const normalized = normalizeLogin(loginInput);
    if (!normalized.ok) return err('login_invalid');
    const login = normalized.value;
    const now = this.d.clock.now();
    const flowId = this.token(16);
    const secret = this.token(32);
    // the same secrets are drawn whether or not anything will be sent
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const linkToken = this.token(32);

    const outcome = await this.step(async (tx) => {
      // the count, the CAPTCHA's single use and the flow commit together (one commit per start)
      if (rc.ip !== null) {
        const ipLimit = await this.d.limiter.consume(
          `reset-start:ip:${rc.ip}`,
          this.d.policy.maxStartsPerIp,
          this.d.policy.ipWindowMs,
          { within: tx },
        );
        if (!ipLimit.allowed) return { refused: 'rate_limited', retryAfterMs: ipLimit.retryAfterMs } as const;
      }
      if (captcha && !(await tx.flows.markCaptchaUsed(captcha.id, captcha.expiresAt))) {
        return { refused: 'captcha_failed' } as const;
      }
      const ctx = await this.loadByLogin(tx, login);
      const blockedAt = ctx.account ? await tx.flows.blockedAt(ctx.account.id) : null;
      const blocked = isBlocked(this.d.policy, blockedAt, now);
      let internal: string;
      // equal work on every path: the decoy domains are looked up whether or not they are needed
      const decoyDomains = await this.decoyDomains(tx, ctx.tenant, now);
      // an existing account that gets nothing (disabled, blocked, cooling-off…) must not be shown a
      // decoy that happens to look like its own address: leave its own domains out of the draw
      const ownDomains = ctx.allMethods
        .filter((m) => m.kind === 'email')
        .map((m) => m.value.slice(m.value.lastIndexOf('@') + 1).toLowerCase());
      const othersDomains = decoyDomains.filter((d) => !ownDomains.includes(d));
      const decoyPool = othersDomains.length > 0 ? othersDomains : DECOY_DOMAINS;
      if (!ctx.tenant || !ctx.account) internal = 'not_found';
      else if (!ctx.account.enabled) internal = 'disabled';
      else if (!ctx.email) internal = 'no_methods';
      else if (blocked) internal = 'blocked';
      else internal = 'found';

      const gates = planGates(ctx.account?.role ?? null, ctx.tenant?.policy.userGates ?? 1);
      const deliverable = internal === 'found';
      const flow: FlowRecord = {
        id: flowId,
        tenantId: ctx.tenant?.id ?? null,
        accountId: ctx.tenant && ctx.account ? ctx.account.id : null,
        deliverable,
        login,
        gates,
        passed: 0,
        state: 'email_code',
        bindingHash: this.bindingHash(flowId, secret),
        prevBindingHash: null,
        prevBindingUntil: null,
        maskedEmail: deliverable && ctx.email ? maskEmail(ctx.email) : this.decoyMask(login, decoyPool),
        createdAt: now,
        // every flow counts as having sent its first message: the clock and the resend rules
        // then behave the same whether or not anything went out
        firstSentAt: now,
        lastSentAt: now,
        codesSent: 1,
        completedAt: null,
        ip: rc.ip,
        userAgent: rc.userAgent,
        version: 0,
      };
      await tx.flows.create(flow);
      let sent = false;
      if (deliverable && ctx.account && ctx.email) {
        sent = await this.sendEmailCode(tx, flow, ctx, code, linkToken, now);
      }
      await this.audit(tx, flow, rc, now, 'reset.requested', internal, { gates: gates.length, messageQueued: sent });
      this.d.metrics?.flowStarted(internal);
      return { refused: null, sent, view: await this.viewOf(tx, flow, ctx.tenant) };
    });
    if (outcome.refused === 'rate_limited') {
      this.d.metrics?.limiterBlocked('reset_start_ip');
      return { ...err('rate_limited'), retryAfterMs: outcome.retryAfterMs };
    }
    if (outcome.refused === 'captcha_failed') return err('captcha_failed');
    if (outcome.sent) this.d.outbox.wake();
    return ok({ flowId, secret, view: outcome.view });
  }

  // ---- reading -------------------------------------------------------------------------

  async view(handle: FlowHandle): Promise<Result<FlowView, AccessError>> {
    const access = await this.access(this.d.store, handle);
    if (!access.ok) return access;
    return ok(await this.viewOf(this.d.store, access.value));
  }

  /** Where the flow of this handle is, for error pages that want to know (no binding check). */
  async peekState(flowId: string): Promise<FlowState | null> {
    return (await this.d.store.flows.get(flowId))?.state ?? null;
  }

  // ---- codes ---------------------------------------------------------------------------

  /** Checks a typed code. Mismatch, expiry, a killed code and "no code was ever sent" all answer `invalid_code`. */
  async submitCode(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const typed = normalizeCodeInput(input);
    if (typed === null) return err('code_malformed');
    const now = this.d.clock.now();
    const result = await this.step(async (tx): Promise<Result<StepOk, StepError>> => {
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
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      const channel: Gate | null = flow.state === 'email_code' ? 'email' : flow.state === 'sms_code' ? 'sms' : null;
      if (channel === null) return err('wrong_step');
      const typedHash = this.d.keyring.hmac('code', `${flow.id}:${typed}`);
      const code = await tx.flows.liveCode(flow.id, channel);
      if (!code) {
        // a duplicate of a correct submission that waited for the winner's commit (PostgreSQL)
        // finds the code used and the flow moved on: not a failed verification
        const latest = await tx.flows.get(flow.id);
        if (latest && latest.version !== flow.version) {
          await this.audit(tx, flow, rc, now, 'code.rejected', 'already_used', { channel });
          return err('invalid_code');
        }
        // nothing was sent (unknown account, or a phone number that did not match): same answer
        this.d.keyring.equal(typedHash, typedHash);
        await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'no_code', channel);
        return err('invalid_code');
      }
      // count first, compare after: parallel guesses cannot overrun the limit
      const attempts = await tx.flows.countAttempt(code.id, this.d.policy.maxAttemptsPerCode);
      if (attempts === null) {
        // another request may have used or replaced the code while this one waited for its lock
        // (PostgreSQL): a duplicate of a correct submission is not a failed verification
        const now2 = await tx.flows.getCode(code.id);
        if (now2 && (now2.usedAt !== null || now2.supersededAt !== null)) {
          await this.audit(tx, flow, rc, now, 'code.rejected', 'already_used', { channel });
          return err('invalid_code');
        }
        await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'attempts_exhausted', channel);
        return err('invalid_code');
      }
      const matches = this.d.keyring.matches('code', `${flow.id}:${typed}`, code.codeHash);
      if (now >= code.expiresAt) {
        await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'expired', channel);
        return err('invalid_code');
      }
      if (!matches) {
        await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'mismatch', channel, { attempts });
        return err('invalid_code');
      }
      if (!(await tx.flows.consumeCode(code.id, now))) {
        await this.audit(tx, flow, rc, now, 'code.rejected', 'already_used', { channel });
        return err('invalid_code');
      }
      const passed = await this.advance(tx, flow, channel === 'email' ? 'email_verified' : 'sms_verified', now);
      if (!passed.ok) return passed;
      await this.audit(tx, passed.value.flow, rc, now, 'code.accepted', 'ok', { channel });
      return ok({ secret: passed.value.secret, view: await this.viewOf(tx, passed.value.flow) });
    });
    return result;
  }

  /** Sends a new code on the current channel (the previous one stops working). */
  async resend(handle: FlowHandle, rc: RequestContext): Promise<Result<FlowView, StepError> & { waitMs?: number }> {
    const now = this.d.clock.now();
    let woke = false;
    const result = await this.step(async (tx): Promise<Result<FlowView, StepError> & { waitMs?: number }> => {
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'email_code' && flow.state !== 'sms_code') return err('wrong_step');
      const may = canSendCode(this.d.policy, flow.codesSent, flow.lastSentAt, now);
      if (!may.ok) return { ...err(may.reason), waitMs: may.waitMs };
      const updated = await tx.flows.update(flow.id, flow.version, {
        codesSent: flow.codesSent + 1,
        lastSentAt: now,
      });
      if (!updated) return err('flow_not_found');
      const ctx = await this.loadFlowContext(tx, flow);
      let sent = false;
      if (
        flow.state === 'email_code' &&
        flow.deliverable &&
        ctx.email &&
        (await this.stillDeliverable(tx, flow, now))
      ) {
        sent = await this.sendEmailCode(
          tx,
          updated,
          ctx,
          formatCode(this.d.random.intBelow(1_000_000)),
          this.token(32),
          now,
        );
      } else if (flow.state === 'sms_code' && (await tx.flows.liveCode(flow.id, 'sms')) && ctx.phone) {
        // an SMS is resent only where one was sent before: the number matched and the gate is open
        sent = await this.sendSmsCode(tx, updated, ctx, now);
      } else {
        this.token(32);
      }
      await this.audit(tx, updated, rc, now, 'code.resent', sent ? 'queued' : 'suppressed', {
        channel: flow.state === 'email_code' ? 'email' : 'sms',
      });
      woke = sent;
      return ok(await this.viewOf(tx, updated));
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /** One-gate flows may use the phone instead of email; two-gate flows reach the same page (see core/reset-flow). */
  async usePhone(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'use_phone');
  }

  async backToEmail(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'back_to_email');
  }

  /** From the SMS code page back to typing the number (a typo, or a new phone). */
  async retypePhone(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'retype_phone');
  }

  /**
   * The person types the full mobile number on file. The SMS goes out only if it matches, the
   * SMS gate is open (email gate passed, or SMS is the flow's only gate) and the limits allow;
   * the answer is the same either way.
   */
  async submitPhone(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const phone = normalizePhone(input);
    if (!phone.ok) return err('phone_invalid');
    const now = this.d.clock.now();
    let woke = false;
    const result = await this.step(async (tx): Promise<Result<StepOk, StepError>> => {
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'phone_number') return err('wrong_step');
      const firstSms = !(await tx.flows.liveCode(flow.id, 'sms'));
      const ctx = await this.loadFlowContext(tx, flow);
      const typedHash = this.d.keyring.hmac('phone', phone.value);
      const matches = ctx.phone !== null && this.d.keyring.equal(typedHash, this.d.keyring.hmac('phone', ctx.phone));
      const gateOpen = smsAllowed({ state: 'sms_code', gates: flow.gates, passed: flow.passed });
      // every SMS counts towards the codes of the flow; the first one after the email gate
      // passed is not a resend, so the email's cooldown does not hold it back
      const afterGate = firstSms && flow.passed > 0;
      const may = canSendCode(this.d.policy, flow.codesSent, afterGate ? null : flow.lastSentAt, now);
      if (!may.ok) return err(may.reason);
      const next = await this.advance(tx, flow, 'phone_submitted', now, {
        codesSent: flow.codesSent + 1,
        lastSentAt: now,
      });
      if (!next.ok) return next;
      let outcome: string;
      if (!matches) outcome = 'mismatch';
      else if (!gateOpen) outcome = 'gate_closed';
      else if (!flow.deliverable || !(await this.stillDeliverable(tx, flow, now))) outcome = 'not_deliverable';
      else outcome = (await this.sendSmsCode(tx, next.value.flow, ctx, now)) ? 'queued' : 'limited';
      if (outcome === 'mismatch' && flow.accountId)
        await this.noteFailure(tx, flow, rc, now, 'phone.rejected', 'mismatch', 'sms');
      else await this.audit(tx, next.value.flow, rc, now, 'phone.submitted', outcome, {});
      woke = outcome === 'queued';
      return ok({ secret: next.value.secret, view: await this.viewOf(tx, next.value.flow) });
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  // ---- email link ----------------------------------------------------------------------

  /**
   * Consumes the email link's token — only from the browser that started the flow. From another
   * browser (or none) it answers `wrong_browser` and the token stays valid, so the person can go
   * back to the first browser, or type the code there.
   */
  async consumeLink(token: string, handle: FlowHandle | null, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return err('invalid_code');
    const now = this.d.clock.now();
    return this.step(async (tx): Promise<Result<StepOk, StepError>> => {
      let code = null;
      for (const linkHash of this.d.keyring.hmacAll('link', token)) {
        code ??= await tx.flows.findByLinkHash(linkHash);
      }
      if (!code || code.channel !== 'email' || code.usedAt !== null || code.supersededAt !== null)
        return err('invalid_code');
      const flow = await tx.flows.get(code.flowId);
      if (!flow) return err('invalid_code');
      if (!handle || handle.flowId !== flow.id || !this.bindingMatches(flow, handle.secret, now)) {
        await this.audit(tx, flow, rc, now, 'link.rejected', 'wrong_browser', {});
        return err('wrong_browser');
      }
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      if (access.value.state !== 'email_code') return err('invalid_code');
      if (now >= code.expiresAt) {
        await this.noteFailure(tx, flow, rc, now, 'link.rejected', 'expired', 'email');
        return err('invalid_code');
      }
      if (!(await tx.flows.consumeCode(code.id, now))) return err('invalid_code');
      const passed = await this.advance(tx, access.value, 'email_verified', now);
      if (!passed.ok) return passed;
      await this.audit(tx, passed.value.flow, rc, now, 'link.accepted', 'ok', {});
      return ok({ secret: passed.value.secret, view: await this.viewOf(tx, passed.value.flow) });
    });
  }

  // ---- new password --------------------------------------------------------------------

  /**
   * Sets the new password. In one transaction: hash stored, must-change cleared, sessions and
   * every outstanding code and link of the account revoked, the self-service block cleared,
   * audit events, and notices queued (to the login and the alternate email; to every other
   * admin when an admin reset). No automatic sign-in.
   */
  async setPassword(
    handle: FlowHandle,
    password: string,
    confirm: string,
    rc: RequestContext,
  ): Promise<Result<FlowView, StepError>> {
    const first = await this.access(this.d.store, handle);
    if (!first.ok) return first;
    if (first.value.state !== 'new_password' || !first.value.accountId) return err('wrong_step');
    if (normalizePassword(password) !== normalizePassword(confirm)) return err('password_mismatch');
    const ctx = await this.loadFlowContext(this.d.store, first.value);
    if (!ctx.account || !ctx.tenant) return err('wrong_step');
    const check = checkPassword(password, {
      minLength: ctx.tenant.policy.passwordMinLength,
      personal: [ctx.account.login, ctx.account.displayName, ctx.tenant.name, ...(ctx.email ? [ctx.email] : [])],
    });
    if (!check.ok) return err(check.error);
    const recent = [
      ...(ctx.account.passwordHash ? [ctx.account.passwordHash] : []),
      ...(await this.d.store.flows.recentPasswordHashes(ctx.account.id, PASSWORD_HISTORY)),
    ];
    for (const h of recent) if (await this.d.hasher.verify(h, check.value)) return err('password_reused');
    const hash = await this.d.hasher.hash(check.value);
    const now = this.d.clock.now();
    const account = ctx.account;
    const result = await this.d.store.transaction(async (tx): Promise<Result<FlowView, StepError>> => {
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'new_password') return err('wrong_step');
      const done = await tx.flows.update(flow.id, flow.version, {
        state: 'completed',
        completedAt: now,
        prevBindingHash: null,
        prevBindingUntil: null,
      });
      if (!done) return err('flow_not_found');
      if (account.passwordHash) await tx.flows.addPasswordHistory(account.id, account.passwordHash, now);
      await tx.directory.updateAccount(account.id, { passwordHash: hash, mustChangePassword: false }, now);
      const revoked = await tx.directory.revokeSessions(account.id, now);
      await tx.flows.endAccountFlows(account.id, flow.id, now);
      await tx.flows.clearGuard(account.id);
      await tx.auth.clearSigninGuard(account.id); // a successful reset also lifts sign-in throttling
      await this.audit(tx, done, rc, now, 'password.changed', 'ok', { by: 'self-service' });
      await this.audit(tx, done, rc, now, 'sessions.revoked', 'ok', { count: revoked });
      await this.queueNotices(tx, done, ctx, rc, now);
      return ok(await this.viewOf(tx, done));
    });
    if (result.ok) this.d.outbox.wake();
    if (result.ok) this.d.metrics?.flowCompleted();
    return result;
  }

  // ---- internals -----------------------------------------------------------------------

  /**
   * The transaction of a step the person can simply repeat (ask for a code, type one, follow the
   * link): relaxed durability (see `Durability`). Setting the password is not one of them.
   */
  private step<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return this.d.store.transaction(fn, { durability: 'relaxed' });
  }

  private token(bytes: number): string {
    return Buffer.from(this.d.random.bytes(bytes)).toString('base64url');
  }

  private bindingHash(flowId: string, secret: string): string {
    return this.d.keyring.hmac('flow-binding', `${flowId}.${secret}`);
  }

  private bindingMatches(flow: FlowRecord, secret: string, now: number): boolean {
    const presented = `${flow.id}.${secret}`;
    const current = this.d.keyring.matches('flow-binding', presented, flow.bindingHash);
    const previous =
      flow.prevBindingHash !== null &&
      flow.prevBindingUntil !== null &&
      now < flow.prevBindingUntil &&
      this.d.keyring.matches('flow-binding', presented, flow.prevBindingHash);
    return current || previous;
  }

  /** Loads the flow of a handle, checks the browser binding and the 60-minute deadline. */
  private async access(tx: Repos, handle: FlowHandle): Promise<Result<FlowRecord, AccessError>> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(handle.flowId)) return err('flow_not_found');
    const flow = await tx.flows.get(handle.flowId);
    const now = this.d.clock.now();
    if (!flow || !this.bindingMatches(flow, handle.secret, now)) return err('flow_not_found');
    if (flow.state === 'completed') return err('flow_completed');
    if (flow.state === 'expired') return err('flow_expired');
    if (now >= flowDeadline(this.d.policy, flow.createdAt, flow.firstSentAt)) {
      await tx.flows.update(flow.id, flow.version, { state: 'expired' });
      this.d.metrics?.flowFailed('flow_expired');
      return err('flow_expired');
    }
    return ok(flow);
  }

  /** Applies a transition with a fresh binding secret; the old one stays valid for a short grace. */
  private async advance(
    tx: Repos,
    flow: FlowRecord,
    event: FlowEvent,
    now: number,
    extra: FlowPatch = {},
  ): Promise<Result<{ flow: FlowRecord; secret: string }, StepError>> {
    const next = transition({ state: flow.state, gates: flow.gates, passed: flow.passed }, event);
    if (!next.ok) return err('wrong_step');
    const secret = this.token(32);
    const updated = await tx.flows.update(flow.id, flow.version, {
      ...extra,
      state: next.value.state,
      passed: next.value.passed,
      bindingHash: this.bindingHash(flow.id, secret),
      prevBindingHash: flow.bindingHash,
      prevBindingUntil: now + BINDING_GRACE_MS,
    });
    if (!updated) return err('flow_not_found');
    return ok({ flow: updated, secret });
  }

  private async simpleStep(
    handle: FlowHandle,
    rc: RequestContext,
    event: FlowEvent,
  ): Promise<Result<StepOk, StepError>> {
    const now = this.d.clock.now();
    return this.step(async (tx): Promise<Result<StepOk, StepError>> => {
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      const next = await this.advance(tx, access.value, event, now);
      if (!next.ok) return next;
      await this.audit(tx, next.value.flow, rc, now, `flow.${event}`, 'ok', {});
      return ok({ secret: next.value.secret, view: await this.viewOf(tx, next.value.flow) });
    });
  }

  /** The tenant comes from the login's domain, so an unknown login of a known tenant gets the tenant's pages too. */
  private async loadByLogin(tx: Repos, login: string): Promise<Ctx> {
    const account = await tx.directory.findAccountByLogin(login);
    const tenant = account
      ? await tx.directory.getTenant(account.tenantId)
      : await tx.directory.findTenantByDomain(domainOf(login));
    return this.withMethods(tx, tenant, account);
  }

  private async loadFlowContext(tx: Repos, flow: FlowRecord): Promise<Ctx> {
    const account = flow.accountId ? await tx.directory.getAccount(flow.accountId) : null;
    const tenant = flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
    return this.withMethods(tx, tenant, account);
  }

  private async withMethods(tx: Repos, tenant: Tenant | null, account: Account | null): Promise<Ctx> {
    if (!account) return { tenant, account, email: null, phone: null, allMethods: [] };
    const allMethods = await tx.directory.listMethods(account.id);
    const methods = this.usable(allMethods);
    return {
      tenant,
      account,
      email: methods.find((m) => m.kind === 'email')?.value ?? null,
      phone: methods.find((m) => m.kind === 'phone')?.value ?? null,
      allMethods,
    };
  }

  /** Verified methods, less any still in cooling-off after a change: those count as not registered. */
  private async usableMethods(tx: Repos, accountId: string): Promise<Method[]> {
    return this.usable(await tx.directory.listMethods(accountId));
  }

  private usable(methods: readonly Method[]): Method[] {
    const now = this.d.clock.now();
    return methods.filter((m) => m.verifiedAt !== null && isUsableForReset(m.usableFrom, now));
  }

  /** Re-checks, at send time, what `start` checked: the account is still enabled and not blocked. */
  private async stillDeliverable(tx: Repos, flow: FlowRecord, now: number): Promise<boolean> {
    if (!flow.accountId) return false;
    const account = await tx.directory.getAccount(flow.accountId);
    if (!account?.enabled) return false;
    return !isBlocked(this.d.policy, await tx.flows.blockedAt(flow.accountId), now);
  }

  /** Queues the email with a code and a link, unless the account's email limit is reached. Returns whether it was queued. */
  private async sendEmailCode(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    code: string,
    linkToken: string,
    now: number,
  ): Promise<boolean> {
    if (!ctx.account || !ctx.email) return false;
    const p = this.d.policy;
    const recent = await tx.flows.countMessages({
      accountId: ctx.account.id,
      channel: 'email',
      since: now - p.emailWindowMs,
    });
    if (recent >= p.maxEmailsPerAccount) {
      this.d.metrics?.limiterBlocked('account_email_limit');
      await this.audit(tx, flow, null, now, 'message.suppressed', 'account_email_limit', { channel: 'email' });
      return false;
    }
    const expiresAt = codeExpiresAt(p, now, flow.createdAt, flow.firstSentAt);
    await tx.flows.issueCode(
      {
        id: this.d.random.uuid(),
        flowId: flow.id,
        channel: 'email',
        codeHash: this.d.keyring.hmac('code', `${flow.id}:${code}`),
        linkHash: this.d.keyring.hmac('link', linkToken),
        sentAt: now,
        expiresAt,
      },
      // a flow created in this transaction has no earlier code to supersede
      { supersede: flow.version > 0 },
    );
    const content = renderEmail('reset.code', {
      displayName: ctx.account.displayName,
      code,
      link: `${this.d.publicUrl}/reset/link?t=${linkToken}`,
      minutes: Math.max(1, Math.round((expiresAt - now) / 60_000)),
      when: new Date(now).toISOString(),
    });
    await enqueueEmail(tx, this.d, {
      tenantId: flow.tenantId,
      accountId: ctx.account.id,
      template: 'reset.code',
      to: ctx.email,
      content,
      expiresAt,
      now,
    });
    this.d.metrics?.messageQueued('email', 'reset.code');
    return true;
  }

  /** Queues the SMS code, within the account's daily SMS limit and the tenant's budget and country list. */
  private async sendSmsCode(tx: Repos, flow: FlowRecord, ctx: Ctx, now: number): Promise<boolean> {
    if (!ctx.account || !ctx.phone || !ctx.tenant) return false;
    const p = this.d.policy;
    const tp = ctx.tenant.policy;
    const perAccount = await tx.flows.countMessages({ accountId: ctx.account.id, channel: 'sms', since: now - DAY_MS });
    const perTenant = await tx.flows.countMessages({ tenantId: ctx.tenant.id, channel: 'sms', since: now - DAY_MS });
    const allowedCountry = !tp.smsCountries || tp.smsCountries.some((prefix) => ctx.phone!.startsWith(prefix));
    const refusal =
      perAccount >= p.maxSmsPerAccountPerDay
        ? 'account_sms_limit'
        : perTenant >= tp.smsDailyBudget
          ? 'tenant_sms_budget'
          : !allowedCountry
            ? 'sms_country_not_allowed'
            : null;
    if (refusal) {
      this.d.metrics?.limiterBlocked(refusal);
      await this.audit(tx, flow, null, now, 'message.suppressed', refusal, { channel: 'sms' });
      return false;
    }
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const expiresAt = codeExpiresAt(p, now, flow.createdAt, flow.firstSentAt);
    await tx.flows.issueCode({
      id: this.d.random.uuid(),
      flowId: flow.id,
      channel: 'sms',
      codeHash: this.d.keyring.hmac('code', `${flow.id}:${code}`),
      linkHash: null,
      sentAt: now,
      expiresAt,
    });
    await enqueueSms(tx, this.d, {
      tenantId: flow.tenantId,
      accountId: ctx.account.id,
      template: 'reset.sms',
      to: ctx.phone,
      content: renderSms('reset.sms', { code, minutes: Math.max(1, Math.round((expiresAt - now) / 60_000)) }),
      expiresAt,
      now,
    });
    this.d.metrics?.messageQueued('sms', 'reset.sms');
    return true;
  }

  /** A failed verification: audited, counted against the account, and the account blocked at the limit. */
  private async noteFailure(
    tx: Repos,
    flow: FlowRecord,
    rc: RequestContext | null,
    now: number,
    type: string,
    outcome: string,
    channel: Gate,
    extra: Record<string, number> = {},
  ): Promise<void> {
    await this.audit(tx, flow, rc, now, type, outcome, { channel, ...extra });
    this.d.metrics?.flowFailed(`${type.split('.')[0]}_${outcome}`);
    if (!flow.accountId) return;
    await tx.flows.recordFailure(flow.accountId, now);
    const failures = await tx.flows.countFailures(flow.accountId, now - this.d.policy.failureWindowMs);
    if (
      failures >= this.d.policy.maxFailuresPerAccount &&
      !isBlocked(this.d.policy, await tx.flows.blockedAt(flow.accountId), now)
    ) {
      await tx.flows.block(flow.accountId, now);
      this.d.metrics?.limiterBlocked('account_lockout');
      await this.audit(tx, flow, rc, now, 'account.self_service_blocked', 'blocked', { failures });
    }
  }

  private async queueNotices(tx: Repos, flow: FlowRecord, ctx: Ctx, rc: RequestContext, now: number): Promise<void> {
    if (!ctx.account || !ctx.tenant) return;
    const when = new Date(now).toISOString();
    const base = { tenantId: ctx.tenant.id, accountId: ctx.account.id, expiresAt: null, now };
    const notice = renderEmail('reset.completed', {
      displayName: ctx.account.displayName,
      login: ctx.account.login,
      when,
      ip: rc.ip ?? 'unknown',
      helpText: helpText(ctx.tenant),
    });
    const recipients = new Set([ctx.account.login, ...(ctx.email ? [ctx.email] : [])]);
    for (const to of recipients)
      await enqueueEmail(tx, this.d, { ...base, template: 'reset.completed', to, content: notice });
    for (const _ of recipients) this.d.metrics?.messageQueued('email', 'reset.completed');
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
        await enqueueEmail(tx, this.d, {
          ...base,
          accountId: other.id,
          template: 'reset.admin_notice',
          to: other.login,
          content,
        });
        this.d.metrics?.messageQueued('email', 'reset.admin_notice');
      }
    }
    await this.audit(tx, flow, rc, now, 'message.queued', 'ok', {
      template: 'reset.completed',
      recipients: recipients.size,
    });
  }

  /** `tenant`: the flow's tenant when the caller has it at hand (saves reading it again). */
  private async viewOf(tx: Repos, flow: FlowRecord, tenant?: Tenant | null): Promise<FlowView> {
    tenant ??= flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
    const pos = { state: flow.state, gates: flow.gates, passed: flow.passed };
    const step = stepOf(pos);
    let maskedPhone: string | null = null;
    if (flow.passed > 0 && flow.accountId && (flow.state === 'phone_number' || flow.state === 'sms_code')) {
      const phone = (await this.usableMethods(tx, flow.accountId)).find((m) => m.kind === 'phone')?.value;
      maskedPhone = phone ? maskPhone(phone) : null;
    }
    const may = canSendCode(this.d.policy, flow.codesSent, flow.lastSentAt, this.d.clock.now());
    return {
      flowId: flow.id,
      state: flow.state,
      step: step.step,
      stepsTotal: step.of,
      expiresAt: flowDeadline(this.d.policy, flow.createdAt, flow.firstSentAt),
      maskedEmail: flow.maskedEmail,
      maskedPhone,
      canUsePhone: flow.state === 'email_code' && flow.passed === 0,
      canGoBackToEmail: (flow.state === 'phone_number' || flow.state === 'sms_code') && flow.passed === 0,
      resendAvailableAt: may.ok
        ? null
        : may.reason === 'too_many_codes'
          ? null
          : (flow.lastSentAt ?? 0) + this.d.policy.resendCooldownMs,
      codesLeft: Math.max(0, this.d.policy.maxCodesPerFlow - flow.codesSent),
      passwordMinLength: tenant?.policy.passwordMinLength ?? 15,
      helpdesk: { url: tenant?.policy.helpdeskUrl ?? null, email: tenant?.policy.helpdeskEmail ?? null },
    };
  }

  /**
   * A stable, plausible email mask for logins that get nothing: the login's first letter and a
   * domain drawn (by an HMAC of the login) from the domains the tenant's people really registered,
   * so real and decoy masks follow the same distribution.
   */
  private decoyMask(login: string, domains: readonly string[]): string {
    const h = Buffer.from(this.d.keyring.hmac('decoy', login), 'hex');
    const domain = domains[h.readUInt32BE(0) % domains.length]!;
    return maskEmail(`${login.slice(0, 1)}@${domain}`);
  }

  /** The tenant's alternate-email domains (cached for five minutes), or common providers when there are none. */
  private async decoyDomains(tx: Repos, tenant: Tenant | null, now: number): Promise<readonly string[]> {
    if (!tenant) return DECOY_DOMAINS;
    const cached = this.decoyCache.get(tenant.id);
    if (cached && now < cached.until) return cached.domains;
    const domains = await tx.flows.alternateEmailDomains(tenant.id, 2_000);
    const value = domains.length > 0 ? domains : DECOY_DOMAINS;
    if (this.decoyCache.size > 10_000) this.decoyCache.clear();
    this.decoyCache.set(tenant.id, { domains: value, until: now + 5 * 60_000 });
    return value;
  }

  private async audit(
    tx: Repos,
    flow: FlowRecord,
    rc: RequestContext | null,
    at: number,
    type: string,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await tx.audit.append({
      at,
      tenantId: flow.tenantId,
      accountId: flow.accountId,
      actor: 'self',
      type,
      outcome,
      ip: rc?.ip ?? null,
      userAgent: auditUserAgent(rc?.userAgent),
      details: { flow: flow.id.slice(0, 8), ...details },
    });
  }
}

function helpText(tenant: Tenant): string {
  const { helpdeskEmail, helpdeskUrl } = tenant.policy;
  if (helpdeskEmail && helpdeskUrl) return `Contact your help desk at ${helpdeskEmail} or ${helpdeskUrl}.`;
  if (helpdeskEmail) return `Contact your help desk at ${helpdeskEmail}.`;
  if (helpdeskUrl) return `Contact your help desk: ${helpdeskUrl}.`;
  return 'Contact your administrator.';
}
