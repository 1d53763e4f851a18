import { maskEmail, maskPhone, normalizePhone } from '../core/contact.ts';
import { isAdminRole, type Account, type Method, type Tenant } from '../core/directory-model.ts';
import { isUsableForReset } from '../core/security-info-policy.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
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
import type { CodeRecord, FlowPatch, FlowRecord } from '../ports/flow-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Limiter } from '../ports/limiter.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail, enqueueSms } from './message-queue.ts';
import { CredentialChange } from './credential-change.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

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

export type AccessError = 'flow_not_found' | 'flow_expired' | 'flow_completed';
export type StepError =
  | AccessError
  | 'wrong_step'
  | 'invalid_code'
  /** A code a newer one replaced: not counted as a guess; `detail` is when the newest code was sent (ms). */
  | 'code_superseded'
  /** The email gate passed, but the account's SMS codes are paused by a block; `detail` is when it ends (ms). */
  | 'sms_paused'
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
const DECOY_DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.com', 'proton.me', 'gmx.net'];
/** Decoys are drawn from the tenant's most common alternate-email domains, at most this many. */
const DECOY_POOL = 16;
/**
 * The account id a start for a login without an account reads and counts under (methods, emails
 * sent, earlier flows): no account has it, so those statements run and match nothing.
 */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';

interface DecoyDomain {
  readonly domain: string;
  /** How many of the tenant's accounts registered an address there. */
  readonly weight: number;
}

type Ctx = {
  readonly tenant: Tenant | null;
  readonly account: Account | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** Every method on file, usable or not (empty without an account). */
  readonly allMethods: readonly Method[];
};

export class ResetService {
  private readonly decoyCache = new Map<string, { domains: readonly DecoyDomain[]; until: number }>();

  constructor(private readonly d: ResetDeps) {}

  // ---- start ---------------------------------------------------------------------------

  /**
   * Starts a reset for whatever was typed. The answer (page and API) and the work behind it are the
   * same for every state of the login — an existing account, an unknown login, a disabled or
   * blocked account, one without an alternate email, one over its sending limit: the same
   * statements run in the same order (issue 9, items 5 and 6), and the audit log alone records
   * which it was. A start ends every earlier flow of the login: their codes, links and flow
   * cookies authorise nothing afterwards (item 3).
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
    const p = this.d.policy;
    const flowId = this.token(16);
    const secret = this.token(32);
    // the same secrets are drawn whether or not anything will be sent
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const linkToken = this.token(32);
    const codeId = this.d.random.uuid();

    const outcome = await this.step(async (tx) => {
      // the count, the CAPTCHA's single use and the flow commit together (one commit per start)
      if (rc.ip !== null) {
        const ipLimit = await this.d.limiter.consume(`reset-start:ip:${rc.ip}`, p.maxStartsPerIp, p.ipWindowMs, {
          within: tx,
        });
        if (!ipLimit.allowed) return { refused: 'rate_limited', retryAfterMs: ipLimit.retryAfterMs } as const;
      }
      if (captcha && !(await tx.flows.markCaptchaUsed(captcha.id, captcha.expiresAt))) {
        return { refused: 'captcha_failed' } as const;
      }
      // ---- from here on, every statement runs for every login, in the same order ----
      const ctx = await this.loadByLogin(tx, login);
      // a login without an account reads and counts under stand-ins that match nothing: NO_ACCOUNT,
      // and for the block the keyed hash of the login the code checks count failures under
      const flowAccountId = ctx.tenant && ctx.account ? ctx.account.id : null;
      const accountId = flowAccountId ?? NO_ACCOUNT;
      const subject = this.guardSubject({ accountId: flowAccountId, tenantId: ctx.tenant?.id ?? null, login });
      // the guard first, as code checks and password changes take it: ending the earlier flows
      // below then never waits on a code check that waits on this start (PostgreSQL; SQLite has
      // one writer at a time and runs nothing here)
      await tx.flows.lockGuard(subject);
      const blockedAt = await tx.flows.blockedAt(subject);
      const blocked = isBlocked(p, blockedAt, now);
      // the sending limit counts per typed login for every login (unknown ones hit it at the same
      // count), and per account (resends and other emails count there too)
      const loginLimit = await this.d.limiter.consume(
        `reset-start:login:${this.d.keyring.hmac('reset-start-login', `${ctx.tenant?.id ?? ''}:${login}`)}`,
        p.maxEmailsPerAccount,
        p.emailWindowMs,
        { within: tx },
      );
      const recent = await tx.flows.countMessages({ accountId, channel: 'email', since: now - p.emailWindowMs });
      const limited = !loginLimit.allowed || recent >= p.maxEmailsPerAccount;
      // the decoy is drawn for every login, and shown to those without an email on file
      const ownDomains = ctx.allMethods
        .filter((m) => m.kind === 'email')
        .map((m) => m.value.slice(m.value.lastIndexOf('@') + 1).toLowerCase());
      const decoy = this.decoyMask(ctx.tenant, login, await this.decoyDomains(tx, ctx.tenant, now), ownDomains);
      let internal: string;
      if (!ctx.tenant || !ctx.account) internal = 'not_found';
      else if (!ctx.account.enabled) internal = 'disabled';
      else if (!ctx.email) internal = 'no_methods';
      else if (blocked) internal = 'blocked';
      else internal = 'found';
      // what goes out: a code and a link; while blocked the link alone (codes are not evaluated
      // during a block, and a 256-bit link cannot be guessed: issue 9, item 2); else nothing
      const send = limited ? 'none' : internal === 'found' ? 'code' : internal === 'blocked' ? 'link_only' : 'none';

      const gates = planGates(ctx.account?.role ?? null, ctx.tenant?.policy.userGates ?? 1);
      const deliverable = internal === 'found';
      // the account's usable address for every state of an existing account (disabling, blocking
      // or limiting it changes nothing shown); the stable decoy where no usable address is on file:
      // an address still in its cooling-off after a change is never shown (it may be an intruder's)
      const onFile = ctx.email;
      const flow: FlowRecord = {
        id: flowId,
        tenantId: ctx.tenant?.id ?? null,
        accountId: flowAccountId,
        deliverable,
        login,
        gates,
        passed: 0,
        state: 'email_code',
        bindingHash: this.bindingHash(flowId, secret),
        prevBindingHash: null,
        prevBindingUntil: null,
        maskedEmail: ctx.tenant && onFile ? maskEmail(onFile) : decoy,
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
      await tx.flows.endEarlierFlows(login, accountId, now);
      await tx.flows.create(flow);
      const sent = await this.queueResetEmail(tx, flow, ctx, send, { code, linkToken, codeId, blockedAt, now });
      if (limited && (internal === 'found' || internal === 'blocked'))
        this.d.metrics?.limiterBlocked('account_email_limit');
      // one audit row on every path (a suppressed email is a detail of it, not a row of its own)
      await this.audit(tx, flow, rc, now, 'reset.requested', internal, {
        gates: gates.length,
        messageQueued: sent,
        ...(sent ? { template: send === 'link_only' ? 'reset.blocked_link' : 'reset.code' } : {}),
        ...(limited ? { suppressed: 'account_email_limit' } : {}),
      });
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

  /**
   * A reset email, at a start or a resend: a code and a link (`code`), the link alone while the
   * account is blocked (`link_only`), or nothing (`none`). The same statements run in every case —
   * the code row and the outbox message are inserted with `discard` when nothing goes out, so
   * nothing is stored or sent for them (no code anyone could check, no message anyone could see) —
   * and content of the same kind is rendered and sealed. `supersede`: the flow's earlier codes stop
   * working (a resend; a flow created in this transaction has none). Returns whether it was queued.
   */
  private async queueResetEmail(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    send: 'code' | 'link_only' | 'none',
    s: {
      code: string;
      linkToken: string;
      codeId: string;
      blockedAt: number | null;
      now: number;
      supersede?: boolean;
    },
  ): Promise<boolean> {
    const { now } = s;
    const discard = send === 'none' || !ctx.account || !ctx.email || !ctx.tenant;
    const expiresAt = codeExpiresAt(this.d.policy, now, flow.createdAt, flow.firstSentAt);
    const link = `${this.d.publicUrl}/reset/link?t=${s.linkToken}`;
    const minutes = Math.max(1, Math.round((expiresAt - now) / 60_000));
    const when = new Date(now).toISOString();
    await tx.flows.issueCode(
      {
        id: s.codeId,
        flowId: flow.id,
        channel: 'email',
        // link only: the stored hash is of a value no six digits can match (no code was sent)
        codeHash: this.d.keyring.hmac(
          'code',
          send === 'link_only' ? `${flow.id}:link-only:${s.linkToken}` : `${flow.id}:${s.code}`,
        ),
        linkHash: this.d.keyring.hmac('link', s.linkToken),
        sentAt: now,
        expiresAt,
      },
      { supersede: s.supersede ?? false, discard },
    );
    const displayName = ctx.account?.displayName ?? flow.login;
    const linkOnly = send === 'link_only' && ctx.tenant !== null;
    const template = linkOnly ? 'reset.blocked_link' : 'reset.code';
    const content = linkOnly
      ? renderEmail('reset.blocked_link', {
          displayName,
          link,
          minutes,
          when,
          until: new Date((s.blockedAt ?? now) + this.d.policy.blockMs).toISOString(),
          helpText: helpText(ctx.tenant!),
        })
      : renderEmail('reset.code', { displayName, code: s.code, link, minutes, when });
    await enqueueEmail(tx, this.d, {
      tenantId: flow.tenantId,
      accountId: ctx.account?.id ?? null,
      template,
      // a stand-in address for a discarded message: sealed like any, never stored
      to: ctx.email ?? flow.login,
      content,
      expiresAt,
      codeId: s.codeId,
      discard,
      now,
    });
    if (!discard) this.d.metrics?.messageQueued('email', template);
    return !discard;
  }

  // ---- reading -------------------------------------------------------------------------

  /** Shows the flow. The binding value a step just rotated away still shows it (for a short grace), but moves nothing. */
  async view(handle: FlowHandle): Promise<Result<FlowView, AccessError>> {
    const found = await this.find(this.d.store, handle);
    if (!found.ok) return found;
    return ok(await this.viewOf(this.d.store, found.value.flow));
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
    let woke = false;
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
      if (!access.ok) {
        // a flow the block ended (its binding was checked) answers like any code typed during the
        // block: the seed's message, nothing compared
        const ended = access.error === 'flow_expired' ? await tx.flows.get(handle.flowId) : null;
        if (ended && (await this.guard(tx, ended, now)).blocked) {
          await this.audit(tx, ended, rc, now, 'code.rejected', 'blocked', {});
          return err('invalid_code');
        }
        return access;
      }
      const flow = access.value;
      const channel: Gate | null = flow.state === 'email_code' ? 'email' : flow.state === 'sms_code' ? 'sms' : null;
      if (channel === null) return err('wrong_step');
      // the block is checked before anything is counted or compared: while it lasts, no short code
      // of the account (in any of its flows) is evaluated
      if ((await this.guard(tx, flow, now)).blocked) {
        await this.audit(tx, flow, rc, now, 'code.rejected', 'blocked', { channel });
        return err('invalid_code');
      }
      const typedHash = this.d.keyring.hmac('code', `${flow.id}:${typed}`);
      const code = await tx.flows.liveCode(flow.id, channel);
      const superseded = await this.supersededMatch(tx, flow, channel, typed, code);
      if (superseded !== null) {
        // an older code of this very flow: say a newer one was sent; not a guess, nothing counted
        await this.audit(tx, flow, rc, now, 'code.rejected', 'superseded', { channel });
        return err('code_superseded', String(superseded));
      }
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
        if (await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'no_code', channel)) woke = true;
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
        if (await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'attempts_exhausted', channel)) woke = true;
        return err('invalid_code');
      }
      const matches = this.d.keyring.matches('code', `${flow.id}:${typed}`, code.codeHash);
      if (now >= code.expiresAt) {
        if (await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'expired', channel)) woke = true;
        return err('invalid_code');
      }
      if (!matches) {
        if (await this.noteFailure(tx, flow, rc, now, 'code.rejected', 'mismatch', channel, { attempts })) woke = true;
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
    if (woke) this.d.outbox.wake();
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
      } else if (flow.state === 'email_code' && ctx.email && ctx.account?.enabled) {
        // a flow started during a block: a fresh link alone (the previous one stops working), while
        // the block lasts; the link emails count towards the account's email limit like any
        const blockedAt = await tx.flows.blockedAt(this.guardSubject(flow));
        const linkToken = this.token(32);
        if (blockedAt !== null && isBlocked(this.d.policy, blockedAt, now))
          sent = await this.sendBlockedLinkEmail(tx, updated, ctx, linkToken, blockedAt, now);
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
      // while the account is blocked no number is compared (and no SMS sent). The owner who passed
      // the email gate (the link works during a block) is told text message codes are paused;
      // before that gate the answer is the usual one, so the block reveals nothing
      const guard = await this.guard(tx, flow, now);
      if (guard.blocked && flow.passed > 0) {
        await this.audit(tx, flow, rc, now, 'phone.submitted', 'blocked', {});
        return err('sms_paused', String((guard.blockedAt ?? now) + this.d.policy.blockMs));
      }
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
      if (guard.blocked) outcome = 'blocked';
      else if (!matches) outcome = 'mismatch';
      else if (!gateOpen) outcome = 'gate_closed';
      else if (!flow.deliverable || !(await this.stillDeliverable(tx, flow, now))) outcome = 'not_deliverable';
      else outcome = (await this.sendSmsCode(tx, next.value.flow, ctx, now)) ? 'queued' : 'limited';
      // a wrong number counts like a wrong code, for unknown logins too (their block looks the same)
      if (outcome === 'mismatch') {
        if (await this.noteFailure(tx, flow, rc, now, 'phone.rejected', 'mismatch', 'sms')) woke = true;
      } else await this.audit(tx, next.value.flow, rc, now, 'phone.submitted', outcome, {});
      if (outcome === 'queued') woke = true;
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
      if (!code || code.channel !== 'email' || code.usedAt !== null) return err('invalid_code');
      if (code.supersededAt !== null) return this.supersededLink(tx, code, handle, rc, now);
      const flow = await tx.flows.get(code.flowId);
      if (!flow) return err('invalid_code');
      if (!handle || handle.flowId !== flow.id || this.bindingOf(flow, handle.secret, now) === null) {
        await this.audit(tx, flow, rc, now, 'link.rejected', 'wrong_browser', {});
        return err('wrong_browser');
      }
      // a rotated binding value passes no link (access answers wrong_step)
      const access = await this.access(tx, handle);
      if (!access.ok) return access;
      if (access.value.state !== 'email_code') return err('invalid_code');
      if (now >= code.expiresAt) {
        // a 256-bit link cannot be guessed: an expired one is not a failed verification (and a
        // self-service block, which is against guessing codes, does not stop a fresh link)
        await this.audit(tx, flow, rc, now, 'link.rejected', 'expired', { channel: 'email' });
        return err('invalid_code');
      }
      if (!(await tx.flows.consumeCode(code.id, now))) return err('invalid_code');
      const passed = await this.advance(tx, access.value, 'email_verified', now);
      if (!passed.ok) return passed;
      await this.audit(tx, passed.value.flow, rc, now, 'link.accepted', 'ok', {});
      return ok({ secret: passed.value.secret, view: await this.viewOf(tx, passed.value.flow) });
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
    const access = await this.access(tx, handle);
    if (!access.ok || access.value.state !== 'email_code') return err('invalid_code');
    const live = await tx.flows.liveCode(code.flowId, 'email');
    await this.audit(tx, access.value, rc, now, 'link.rejected', 'superseded', {});
    return err('code_superseded', String(live?.sentAt ?? access.value.lastSentAt ?? code.sentAt));
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
    const account = ctx.account;
    // the one credential change: vet, hash, and in one transaction this flow completed, the
    // password written, every other flow/code/link and session ended, blocks cleared, audited,
    // notices queued (every other admin told when an admin reset)
    const result = await new CredentialChange(this.d).change(
      {
        path: 'self-service',
        account,
        tenant: ctx.tenant,
        password,
        actor: 'self',
        rc,
        auditDetails: { flow: first.value.id.slice(0, 8), by: 'self-service' },
        exceptFlowId: first.value.id,
      },
      {
        before: async (tx, now): Promise<Result<FlowRecord, StepError>> => {
          // the account's guard first, as a code check takes it (a block starting meanwhile ends this flow)
          await tx.flows.lockGuard(account.id);
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
          return done ? ok(done) : err('flow_not_found');
        },
        after: async (tx, done, effects) => {
          await this.audit(tx, done, rc, effects.now, 'message.queued', 'ok', {
            template: 'reset.completed',
            recipients: effects.recipients,
          });
          return this.viewOf(tx, done);
        },
      },
    );
    if (!result.ok) return result.error === 'account_not_found' ? err('wrong_step') : err(result.error);
    this.d.metrics?.flowCompleted();
    return ok(result.value.after);
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

  /**
   * Which binding value `secret` is: the current one, the one the last step rotated away (within
   * its grace), or neither. Both are compared in constant time, always.
   */
  private bindingOf(flow: FlowRecord, secret: string, now: number): 'current' | 'previous' | null {
    const presented = `${flow.id}.${secret}`;
    const current = this.d.keyring.matches('flow-binding', presented, flow.bindingHash);
    const previous =
      flow.prevBindingHash !== null &&
      flow.prevBindingUntil !== null &&
      now < flow.prevBindingUntil &&
      this.d.keyring.matches('flow-binding', presented, flow.prevBindingHash);
    return current ? 'current' : previous ? 'previous' : null;
  }

  /** Loads the flow of a handle, checks the browser binding (current or previous value) and the 60-minute deadline. */
  private async find(
    tx: Repos,
    handle: FlowHandle,
  ): Promise<Result<{ flow: FlowRecord; binding: 'current' | 'previous' }, AccessError>> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(handle.flowId)) return err('flow_not_found');
    const flow = await tx.flows.get(handle.flowId);
    const now = this.d.clock.now();
    const binding = flow ? this.bindingOf(flow, handle.secret, now) : null;
    if (!flow || binding === null) return err('flow_not_found');
    if (flow.state === 'completed') return err('flow_completed');
    if (flow.state === 'expired') return err('flow_expired');
    if (now >= flowDeadline(this.d.policy, flow.createdAt, flow.firstSentAt)) {
      await tx.flows.update(flow.id, flow.version, { state: 'expired' });
      this.d.metrics?.flowFailed('flow_expired');
      return err('flow_expired');
    }
    return ok({ flow, binding });
  }

  /**
   * The flow of a handle, for a step that may move it: only the CURRENT binding value. The value a
   * step rotated away answers `wrong_step` (its browser is shown the current page by `view`): it
   * never submits a code, passes a link, sends a message or sets the password.
   */
  private async access(tx: Repos, handle: FlowHandle): Promise<Result<FlowRecord, AccessError | 'wrong_step'>> {
    const found = await this.find(tx, handle);
    if (!found.ok) return found;
    if (found.value.binding !== 'current') return err('wrong_step');
    return ok(found.value.flow);
  }

  /**
   * Who the attempt guard counts for: the account, or, for a login that matched no account, a
   * keyed hash of the login. Unknown logins are then blocked, and their flows ended, exactly like
   * real accounts: a block shows nothing an attacker could tell apart.
   */
  private guardSubject(flow: Pick<FlowRecord, 'accountId' | 'tenantId' | 'login'>): string {
    return flow.accountId ?? `login:${this.d.keyring.hmac('guard', `${flow.tenantId ?? ''}:${flow.login}`)}`;
  }

  /** Takes the subject's guard for the rest of the transaction and reads its block. */
  private async guard(
    tx: Repos,
    flow: FlowRecord,
    now: number,
  ): Promise<{ subject: string; blockedAt: number | null; blocked: boolean }> {
    const subject = this.guardSubject(flow);
    await tx.flows.lockGuard(subject);
    const blockedAt = await tx.flows.blockedAt(subject);
    return { subject, blockedAt, blocked: isBlocked(this.d.policy, blockedAt, now) };
  }

  /**
   * When the typed code is one a newer code of this flow replaced (and not the live one), when the
   * newest code was sent; else null. Compared with every superseded code (constant time each).
   */
  private async supersededMatch(
    tx: Repos,
    flow: FlowRecord,
    channel: Gate,
    typed: string,
    live: CodeRecord | null,
  ): Promise<number | null> {
    const older = await tx.flows.supersededCodes(flow.id, channel);
    let hit = false;
    for (const c of older) if (this.d.keyring.matches('code', `${flow.id}:${typed}`, c.codeHash)) hit = true;
    if (!hit) return null;
    // the same six digits as the live code (one in a million): that is the live code, checked as such
    if (live && this.d.keyring.matches('code', `${flow.id}:${typed}`, live.codeHash)) return null;
    return live?.sentAt ?? flow.lastSentAt ?? older[0]!.sentAt;
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
    // the tenant of the login's domain, for every login (the same statements whether or not the
    // account exists); an account whose tenant is not its login domain's reads its own too
    const byDomain = await tx.directory.findTenantByDomain(domainOf(login));
    const tenant =
      !account || byDomain?.id === account.tenantId ? byDomain : await tx.directory.getTenant(account.tenantId);
    // the methods are read for every login: one without an account reads those of NO_ACCOUNT (none)
    const allMethods = await tx.directory.listMethods(account?.id ?? NO_ACCOUNT);
    if (!account) return { tenant, account, email: null, phone: null, allMethods: [] };
    const methods = this.usable(allMethods);
    return {
      tenant,
      account,
      email: methods.find((m) => m.kind === 'email')?.value ?? null,
      phone: methods.find((m) => m.kind === 'phone')?.value ?? null,
      allMethods,
    };
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
    if (await this.emailLimitReached(tx, flow, ctx.account.id, now)) return false;
    const codeId = this.d.random.uuid();
    return this.queueResetEmail(tx, flow, ctx, 'code', {
      code,
      linkToken,
      codeId,
      blockedAt: null,
      now,
      supersede: true,
    });
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
    const codeId = this.d.random.uuid();
    await tx.flows.issueCode({
      id: codeId,
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
      codeId,
      now,
    });
    this.d.metrics?.messageQueued('sms', 'reset.sms');
    return true;
  }

  /**
   * A failed verification: audited and counted against the account (or the unknown login). At the
   * limit the block starts: every flow of the account in progress ends (its codes and links with
   * it) and the owner gets one notice. The caller holds the subject's guard (`guard`). Returns
   * whether a message was queued (wake the outbox after the commit).
   */
  private async noteFailure(
    tx: Repos,
    flow: FlowRecord,
    rc: RequestContext | null,
    now: number,
    type: string,
    outcome: string,
    channel: Gate,
    extra: Record<string, number> = {},
  ): Promise<boolean> {
    await this.audit(tx, flow, rc, now, type, outcome, { channel, ...extra });
    this.d.metrics?.flowFailed(`${type.split('.')[0]}_${outcome}`);
    const subject = this.guardSubject(flow);
    await tx.flows.recordFailure(subject, now);
    const failures = await tx.flows.countFailures(subject, now - this.d.policy.failureWindowMs);
    if (
      failures < this.d.policy.maxFailuresPerAccount ||
      isBlocked(this.d.policy, await tx.flows.blockedAt(subject), now)
    )
      return false;
    await tx.flows.block(subject, now);
    if (flow.accountId) await tx.flows.endAccountFlows(flow.accountId, null, now);
    else await tx.flows.endLoginFlows(flow.login, now);
    this.d.metrics?.limiterBlocked('account_lockout');
    await this.audit(tx, flow, rc, now, 'account.self_service_blocked', 'blocked', { failures });
    return this.sendBlockNotice(tx, flow, rc, now);
  }

  /**
   * The one notice of a block, to the login and the alternate email: what happened, until when,
   * that it may not have been them, and how to reset anyway (the link) or get help.
   */
  private async sendBlockNotice(tx: Repos, flow: FlowRecord, rc: RequestContext | null, now: number): Promise<boolean> {
    const ctx = await this.loadFlowContext(tx, flow);
    if (!ctx.account || !ctx.tenant || !ctx.account.enabled) return false;
    const content = renderEmail('reset.blocked', {
      displayName: ctx.account.displayName,
      login: ctx.account.login,
      when: new Date(now).toISOString(),
      until: new Date(now + this.d.policy.blockMs).toISOString(),
      resetUrl: `${this.d.publicUrl}/reset`,
      helpText: helpText(ctx.tenant),
    });
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
    await this.audit(tx, flow, rc, now, 'message.queued', 'ok', {
      template: 'reset.blocked',
      recipients: recipients.size,
    });
    return true;
  }

  /**
   * While the account is blocked, a start sends the LINK only (codes are not evaluated until the
   * block ends; a 256-bit link cannot be guessed), with words saying why and what to do. The
   * account's email limit applies as to any email. Returns whether it was queued.
   */
  private async sendBlockedLinkEmail(
    tx: Repos,
    flow: FlowRecord,
    ctx: Ctx,
    linkToken: string,
    blockedAt: number,
    now: number,
  ): Promise<boolean> {
    if (!ctx.account || !ctx.email || !ctx.tenant || !ctx.account.enabled) return false;
    if (await this.emailLimitReached(tx, flow, ctx.account.id, now)) return false;
    const codeId = this.d.random.uuid();
    return this.queueResetEmail(tx, flow, ctx, 'link_only', {
      code: '',
      linkToken,
      codeId,
      blockedAt,
      now,
      supersede: true,
    });
  }

  /** Whether the account's emails in the window reached the limit (then audited as suppressed). */
  private async emailLimitReached(tx: Repos, flow: FlowRecord, accountId: string, now: number): Promise<boolean> {
    const p = this.d.policy;
    const recent = await tx.flows.countMessages({ accountId, channel: 'email', since: now - p.emailWindowMs });
    if (recent < p.maxEmailsPerAccount) return false;
    this.d.metrics?.limiterBlocked('account_email_limit');
    await this.audit(tx, flow, null, now, 'message.suppressed', 'account_email_limit', { channel: 'email' });
    return true;
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
   * A plausible email mask for a login with no email on file: its first letter and a domain drawn
   * from the tenant's people's real domains (weighted by how many registered each), so real and
   * decoy masks follow the same distribution. STABLE per tenant and login: the draw is a weighted
   * rendezvous hash keyed by an HMAC of both, so repeating a start shows the same mask, every
   * instance draws the same, and when the tenant's domains change (they are cached for five
   * minutes, and people come and go) a login's decoy moves only if the change concerns the domain
   * it had or a new one that now wins — an attacker comparing starts over time sees what a real
   * account shows. Computed for every start (the same work whether or not it is shown).
   */
  private decoyMask(
    tenant: Tenant | null,
    login: string,
    pool: readonly DecoyDomain[],
    ownDomains: readonly string[],
  ): string {
    // never one of the account's own domains (an address in cooling-off must not show through the
    // decoy); removing candidates from a rendezvous draw leaves the others' order as it was
    const others = pool.filter((d) => !ownDomains.includes(d.domain));
    const candidates =
      others.length > 0
        ? others
        : DECOY_DOMAINS.filter((d) => !ownDomains.includes(d)).map((domain) => ({ domain, weight: 1 }));
    let best = candidates[0]!.domain;
    let bestScore = Infinity;
    for (const { domain, weight } of candidates) {
      const h = this.d.keyring.hmac('decoy', `${tenant?.id ?? ''}:${login}:${domain}`);
      // u in (0, 1] from 48 bits; -ln(u)/weight is the weighted rendezvous score (lowest wins)
      const u = (parseInt(h.slice(0, 12), 16) + 1) / 2 ** 48;
      const score = -Math.log(u) / weight;
      if (score < bestScore) {
        bestScore = score;
        best = domain;
      }
    }
    return maskEmail(`${login.slice(0, 1)}@${best}`);
  }

  /**
   * The tenant's most common alternate-email domains with their counts (cached for five minutes),
   * or common providers when there are none (or no tenant). The query runs once per tenant and
   * window, whichever login comes first: it does not depend on the login's state.
   */
  private async decoyDomains(tx: Repos, tenant: Tenant | null, now: number): Promise<readonly DecoyDomain[]> {
    const providers = DECOY_DOMAINS.map((domain) => ({ domain, weight: 1 }));
    if (!tenant) return providers;
    const cached = this.decoyCache.get(tenant.id);
    if (cached && now < cached.until) return cached.domains;
    const counts = new Map<string, number>();
    for (const d of await tx.flows.alternateEmailDomains(tenant.id, 2_000)) counts.set(d, (counts.get(d) ?? 0) + 1);
    const common = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, DECOY_POOL)
      .map(([domain, weight]) => ({ domain, weight }));
    const value = common.length > 0 ? common : providers;
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
    await appendAudit(tx, {
      at,
      tenantId: flow.tenantId,
      accountId: flow.accountId,
      actor: 'self',
      type,
      outcome,
      rc,
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
