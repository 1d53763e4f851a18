import { maskEmail } from '../../core/contact.ts';
import { normalizeLogin } from '../../core/login.ts';
import { formatCode, isBlocked, type ResetPolicy } from '../../core/reset-policy.ts';
import { DEFAULT_GATE_POLICY, gateRuleOf, planFor } from '../../core/gate-policy.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { Captcha, CaptchaSolution } from '../../ports/captcha.ts';
import type { Clock } from '../../ports/clock.ts';
import type { FlowRecord } from '../../ports/flow-store.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Limiter } from '../../ports/limiter.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Random } from '../../ports/random.ts';
import type { RequestContext } from '../request-context.ts';
import { sendingRefusal } from '../../core/sending-limits.ts';
import { emailWindowStart } from '../sending-limits.ts';
import type { CodeSender } from './code-sender.ts';
import { auditFlow, type FlowAccess } from './flow-access.ts';
import type { Lockout } from './lockout.ts';
import { NO_ACCOUNT, type StartedFlow } from './types.ts';
import type { FlowViews } from './view.ts';
import { RefusalMemory } from './refusal-memory.ts';

export type StartResult = Result<StartedFlow, 'login_invalid' | 'rate_limited' | 'captcha_failed'> & {
  retryAfterMs?: number;
};

/** The start of a reset (see `ResetService.start`). */
export class StartReset {
  /** The per-IP limit's refusals, until their window ends: a flood from one address stays off the database. */
  readonly #ipRefusals = new RefusalMemory();

  constructor(
    private readonly d: {
      readonly keyring: Keyring;
      readonly random: Random;
      readonly clock: Clock;
      readonly limiter: Limiter;
      readonly policy: ResetPolicy;
      readonly outbox: { wake(): void };
      readonly metrics?: Metrics;
      readonly captcha?: Pick<Captcha, 'spent'>;
    },
    private readonly parts: {
      readonly flows: FlowAccess;
      readonly lockout: Lockout;
      readonly sender: CodeSender;
      readonly views: FlowViews;
    },
  ) {}

  async start(loginInput: string, rc: RequestContext, captcha?: CaptchaSolution): Promise<StartResult> {
    const { flows, lockout, sender, views } = this.parts;
    const normalized = normalizeLogin(loginInput);
    if (!normalized.ok) return err('login_invalid');
    const login = normalized.value;
    const now = this.d.clock.now();
    const p = this.d.policy;
    const ipKey = rc.ip !== null ? `reset-start:ip:${rc.ip}` : null;
    // refused by the shared limit earlier in its window: refused again here, nothing drawn or read
    const refusedFor = ipKey !== null ? this.#ipRefusals.refusedFor(ipKey, now) : 0;
    if (refusedFor > 0) {
      this.d.metrics?.limiterBlocked('reset_start_ip');
      return { ...err('rate_limited'), retryAfterMs: refusedFor };
    }
    const flowId = flows.token(16);
    const secret = flows.token(32);
    // the same secrets are drawn whether or not anything will be sent
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const linkToken = flows.token(32);
    const codeId = this.d.random.uuid();

    const outcome = await flows.step(async (tx) => {
      // the count, the CAPTCHA's single use and the flow commit together (one commit per start)
      if (ipKey !== null) {
        const ipLimit = await this.d.limiter.consume(ipKey, p.maxStartsPerIp, p.ipWindowMs, { within: tx });
        if (!ipLimit.allowed)
          return {
            refused: 'rate_limited',
            retryAfterMs: ipLimit.retryAfterMs,
            shared: ipLimit.local !== true,
          } as const;
      }
      if (captcha && !(await tx.captchas.markUsed(captcha.id, captcha.expiresAt))) {
        return { refused: 'captcha_failed' } as const;
      }
      // ---- from here on, every statement runs for every login, in the same order ----
      // the guard first, as code checks and password changes take it: ending the earlier flows
      // below then never waits on a code check that waits on this start (PostgreSQL; SQLite has
      // one writer at a time and runs nothing here). The lookup takes it in its own statement when
      // the login's domain still belongs to the tenant it did (the guess): its subject is then
      // known there (the account, or the login's keyed hash under that tenant). The guess depends
      // on the domain alone, so whether the guard costs a statement of its own does too
      const tenantGuess = flows.tenantGuess(login);
      const ctx = await flows.loadByLogin(tx, login, {
        tenantId: tenantGuess,
        loginSubject: lockout.subject({ accountId: null, tenantId: tenantGuess, login }),
      });
      // a login without an account reads and counts under stand-ins that match nothing: NO_ACCOUNT,
      // and for the block the keyed hash of the login the code checks count failures under
      const flowAccountId = ctx.tenant && ctx.account ? ctx.account.id : null;
      const accountId = flowAccountId ?? NO_ACCOUNT;
      const subject = lockout.subject({ accountId: flowAccountId, tenantId: ctx.tenant?.id ?? null, login });
      if (ctx.guarded !== subject) await tx.lockouts.lockGuard(subject);
      // under the guard, in one read (one round trip on PostgreSQL): the block, and the code and
      // link emails the account was sent within its window (NO_ACCOUNT's: none)
      const { blockedAt, codeEmails } = await tx.lockouts.startReads(subject, accountId, emailWindowStart(p, now));
      const blocked = isBlocked(p, blockedAt, now);
      // the sending limit counts per typed login for every login (unknown ones hit it at the same
      // count), and per account (resends and other emails count there too)
      const loginLimit = await this.d.limiter.consume(
        `reset-start:login:${this.d.keyring.hmac('reset-start-login', `${ctx.tenant?.id ?? ''}:${login}`)}`,
        p.maxEmailsPerAccount,
        p.emailWindowMs,
        { within: tx },
      );
      const accountLimit = sendingRefusal(p, { channel: 'email', accountEmails: codeEmails });
      const limited = !loginLimit.allowed || accountLimit !== null;
      // the decoy is drawn for every login, and shown to those without an email on file
      const ownDomains = ctx.allMethods
        .filter((m) => m.kind === 'email')
        .map((m) => m.value.slice(m.value.lastIndexOf('@') + 1).toLowerCase());
      const decoy = views.decoyMask(ctx.tenant, login, await views.decoyDomains(tx, ctx.tenant, now), ownDomains);
      let internal: string;
      if (!ctx.tenant || !ctx.account) internal = 'not_found';
      else if (!ctx.account.enabled) internal = 'disabled';
      else if (!ctx.email) internal = 'no_methods';
      else if (blocked) internal = 'blocked';
      else internal = 'found';
      // what goes out: a code and a link; while blocked the link alone (codes are not evaluated
      // during a block, and a 256-bit link cannot be guessed: issue 9, item 2); else nothing
      const send = limited ? 'none' : internal === 'found' ? 'code' : internal === 'blocked' ? 'link_only' : 'none';

      // the tenant's gate policy for the account's role (an unknown login follows the users' rule)
      const { gates, accepts } = planFor(
        gateRuleOf(ctx.tenant?.policy.gates ?? DEFAULT_GATE_POLICY, ctx.account?.role ?? null),
      );
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
        accepts,
        passed: 0,
        state: 'email_code',
        bindingHash: flows.bindingHash(flowId, secret),
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
      const sent = await sender.queueResetEmail(tx, flow, ctx, send, {
        code,
        linkToken,
        codeId,
        blockedAt,
        now,
        locale: rc.locale ?? null,
        host: rc.host ?? null,
      });
      if (limited && (internal === 'found' || internal === 'blocked'))
        this.d.metrics?.limiterBlocked('account_email_limit');
      // one audit row on every path (a suppressed email is a detail of it, not a row of its own)
      await auditFlow(tx, flow, rc, now, 'reset.requested', internal, {
        gates: gates.length,
        messageQueued: sent,
        ...(sent ? { template: send === 'link_only' ? 'reset.blocked_link' : 'reset.code' } : {}),
        ...(limited ? { suppressed: 'account_email_limit' } : {}),
      });
      this.d.metrics?.flowStarted(internal);
      return { refused: null, sent, view: await views.viewOf(tx, flow, ctx.tenant) };
    });
    // committed: the solution is on record (stored here, or there before: a replay)
    if (captcha && outcome.refused !== 'rate_limited') this.d.captcha?.spent(captcha);
    if (outcome.refused === 'rate_limited') {
      // only the shared limiter's refusal is remembered: the fallback's (Redis unreachable) holds
      // for this process's tighter count, which ends when Redis is back
      if (ipKey !== null && outcome.shared) this.#ipRefusals.remember(ipKey, now, outcome.retryAfterMs);
      this.d.metrics?.limiterBlocked('reset_start_ip');
      return { ...err('rate_limited'), retryAfterMs: outcome.retryAfterMs };
    }
    if (outcome.refused === 'captcha_failed') return err('captcha_failed');
    if (outcome.sent) this.d.outbox.wake();
    return ok({ flowId, secret, view: outcome.view });
  }
}
