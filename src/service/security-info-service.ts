import { maskMethod, normalizeMethod, type ContactError, type MethodKind } from '../core/contact.ts';
import type { Method, Tenant } from '../core/directory-model.ts';
import { renderEmail, renderSms } from '../core/message-templates.ts';
import {
  canSendCode,
  DAY_MS,
  formatCode,
  normalizeCodeInput,
  type ResendRefusal,
  type ResetPolicy,
} from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isReconfirmDue, kindsDueForReconfirm, usableFromAfterChange } from '../core/security-info-policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Random } from '../ports/random.ts';
import type { PendingMethodRecord, PendingPurpose } from '../ports/security-info-store.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail, enqueueSms } from './message-queue.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import type { Authenticated } from './session-service.ts';

/**
 * "My security info": a signed-in person registers, changes or re-confirms their alternate email
 * and mobile phone. Each new value is proven with a 6-digit code sent TO it (stored only as an
 * HMAC, 10 minutes, 5 attempts counted before the compare, single use, 60 s between sends); the
 * pending registration is bound to the session that started it. A change notifies the old
 * addresses, and a method that replaced another cannot be used for a reset for the tenant's
 * cooling-off time. Every step is audited (`security_info.*`, actor `self`); everything one step
 * changes commits in one transaction.
 */
export interface SecurityInfoDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
  /** Code lifetime, attempts, resend cooldown, codes per registration and per-account sending limits. */
  readonly policy: ResetPolicy;
  readonly metrics?: Metrics;
  /** False when no SMS provider is configured: a phone cannot be confirmed then. Default true. */
  readonly smsEnabled?: boolean;
}

export type SecurityInfoError =
  | ContactError
  /** The value is already the registered, verified one (re-confirm it instead). */
  | 'method_unchanged'
  /** The alternate email must be another address than the sign-in address. */
  | 'email_is_login'
  /** The tenant does not send text messages to this country. */
  | 'phone_country_not_allowed'
  /** No SMS provider is configured, so a phone cannot be confirmed. */
  | 'sms_unavailable'
  | ResendRefusal
  /** The account's (or tenant's) sending limits are reached for now. */
  | 'sending_limit'
  /** Nothing is waiting for a code in this session, or there is no method to re-confirm. */
  | 'nothing_pending'
  | 'invalid_code'
  | 'code_malformed';

export interface MethodStatus {
  readonly kind: MethodKind;
  readonly maskedValue: string;
  readonly verifiedAt: number | null;
  /** Set while a changed method is in cooling-off (not usable for a reset before this time). */
  readonly usableFrom: number | null;
  readonly reconfirmDue: boolean;
}

export interface SecurityInfoOverview {
  readonly email: MethodStatus | null;
  readonly phone: MethodStatus | null;
  /** Verified methods due for re-confirmation. */
  readonly reconfirm: readonly MethodKind[];
  readonly coolingOffHours: number;
}

export interface PendingView {
  readonly kind: MethodKind;
  readonly purpose: PendingPurpose;
  readonly maskedValue: string;
  readonly expiresAt: number;
  /** Null when a new code may be asked for now (or never again: see `codesLeft`). */
  readonly resendAvailableAt: number | null;
  readonly codesLeft: number;
}

export interface ConfirmOutcome {
  readonly kind: MethodKind;
  readonly purpose: PendingPurpose;
  /** Whether the stored value changed (false for a re-confirmation). */
  readonly changed: boolean;
  readonly maskedValue: string;
  /** When the method becomes usable for a reset, if it is in cooling-off. */
  readonly usableFrom: number | null;
  readonly noticesQueued: number;
}

type StartResult = Result<PendingView, SecurityInfoError> & { waitMs?: number };

export class SecurityInfoService {
  constructor(private readonly d: SecurityInfoDeps) {}

  /** Both methods (masked), their cooling-off and re-confirmation state. */
  async overview(auth: Authenticated): Promise<SecurityInfoOverview> {
    const now = this.d.clock.now();
    const methods = await this.d.store.directory.listMethods(auth.account.id);
    const usableFrom = await this.d.store.securityInfo.usableFrom(auth.account.id);
    const policy = auth.tenant.policy;
    const status = (kind: MethodKind): MethodStatus | null => {
      const m = methods.find((x) => x.kind === kind);
      if (!m) return null;
      const until = usableFrom[kind];
      return {
        kind,
        maskedValue: maskMethod(kind, m.value),
        verifiedAt: m.verifiedAt,
        usableFrom: until !== undefined && until > now ? until : null,
        reconfirmDue: isReconfirmDue(policy, m.verifiedAt, now),
      };
    };
    return {
      email: status('email'),
      phone: status('phone'),
      reconfirm: kindsDueForReconfirm(policy, methods, now),
      coolingOffHours: policy.coolingOffHours,
    };
  }

  /** The registration waiting for a code in THIS session, if any. */
  async pending(auth: Authenticated, kind: MethodKind): Promise<PendingView | null> {
    const p = await this.d.store.securityInfo.livePending(auth.account.id, kind);
    if (!p || !this.ownedBy(p, auth)) return null;
    return this.viewOf(p, this.d.clock.now());
  }

  /** Starts registering (or changing) a method: a code goes to the NEW value. */
  async startChange(auth: Authenticated, kind: MethodKind, input: string, rc: RequestContext): Promise<StartResult> {
    const normalized = normalizeMethod(kind, input);
    if (!normalized.ok) return normalized;
    const value = normalized.value;
    if (kind === 'email' && value.toLowerCase() === auth.account.login.toLowerCase()) return err('email_is_login');
    return this.start(auth, kind, value, 'change', rc);
  }

  /** "Still correct? Confirm": a code goes to the method on file; confirming it renews `verifiedAt`. */
  async startReconfirm(auth: Authenticated, kind: MethodKind, rc: RequestContext): Promise<StartResult> {
    const methods = await this.d.store.directory.listMethods(auth.account.id);
    const current = methods.find((m) => m.kind === kind && m.verifiedAt !== null);
    if (!current) return err('nothing_pending');
    return this.start(auth, kind, current.value, 'reconfirm', rc);
  }

  /** A new code for the registration of this session (the previous code stops working). */
  async resend(auth: Authenticated, kind: MethodKind, rc: RequestContext): Promise<StartResult> {
    const now = this.d.clock.now();
    let sent = false;
    const result = await this.d.store.transaction(async (tx): Promise<StartResult> => {
      const p = await tx.securityInfo.livePending(auth.account.id, kind);
      if (!p || !this.ownedBy(p, auth)) return err('nothing_pending');
      const may = canSendCode(this.d.policy, p.codesSent, p.sentAt, now);
      if (!may.ok) return { ...err(may.reason), waitMs: may.waitMs };
      const refusal = await this.sendingRefusal(tx, auth, kind, p.value, now);
      if (refusal) {
        await this.audit(tx, auth, rc, now, 'security_info.code_sent', refusal, { kind, resend: true });
        return err(refusal === 'sms_country_not_allowed' ? 'phone_country_not_allowed' : 'sending_limit');
      }
      const code = formatCode(this.d.random.intBelow(1_000_000));
      const expiresAt = now + this.d.policy.codeTtlMs;
      if (!(await tx.securityInfo.reissueCode(p.id, p.codesSent, this.codeHash(p.id, code), now, expiresAt))) {
        return { ...err('resend_too_soon'), waitMs: this.d.policy.resendCooldownMs };
      }
      await this.queueCode(tx, auth, kind, p.value, code, expiresAt, now, p.id);
      await this.audit(tx, auth, rc, now, 'security_info.code_sent', 'queued', {
        kind,
        purpose: p.purpose,
        value: maskMethod(kind, p.value),
        resend: true,
      });
      sent = true;
      return ok(this.viewOf({ ...p, sentAt: now, expiresAt, attempts: 0, codesSent: p.codesSent + 1 }, now));
    });
    if (sent) this.d.outbox.wake();
    return result;
  }

  /**
   * Checks the code of this session's registration. A wrong, expired, used or exhausted code (or
   * none at all) is `invalid_code`; attempts are counted before the compare.
   */
  async confirm(
    auth: Authenticated,
    kind: MethodKind,
    input: string,
    rc: RequestContext,
  ): Promise<Result<ConfirmOutcome, SecurityInfoError>> {
    const typed = normalizeCodeInput(input);
    if (typed === null) return err('code_malformed');
    const now = this.d.clock.now();
    let woke = false;
    const result = await this.d.store.transaction(async (tx): Promise<Result<ConfirmOutcome, SecurityInfoError>> => {
      const p = await tx.securityInfo.livePending(auth.account.id, kind);
      if (!p || !this.ownedBy(p, auth)) {
        await this.audit(tx, auth, rc, now, 'security_info.rejected', 'no_pending', { kind });
        return err('invalid_code');
      }
      // count first, compare after: parallel guesses cannot overrun the limit
      const attempts = await tx.securityInfo.countAttempt(p.id, this.d.policy.maxAttemptsPerCode);
      if (attempts === null) {
        await this.audit(tx, auth, rc, now, 'security_info.rejected', 'attempts_exhausted', { kind });
        return err('invalid_code');
      }
      const matches = this.d.keyring.matches('security-info-code', `${p.id}:${typed}`, p.codeHash);
      if (now >= p.expiresAt) {
        await this.audit(tx, auth, rc, now, 'security_info.rejected', 'expired', { kind, attempts });
        return err('invalid_code');
      }
      if (!matches) {
        await this.audit(tx, auth, rc, now, 'security_info.rejected', 'mismatch', { kind, attempts });
        return err('invalid_code');
      }
      if (!(await tx.securityInfo.consume(p.id, now))) {
        await this.audit(tx, auth, rc, now, 'security_info.rejected', 'already_used', { kind });
        return err('invalid_code');
      }
      const before = await tx.directory.listMethods(auth.account.id);
      const previous = before.find((m) => m.kind === kind) ?? null;
      const changed = previous === null || previous.value !== p.value || previous.verifiedAt === null;
      const valueChanged = previous?.value !== p.value;
      await tx.directory.setMethod(auth.account.id, kind, p.value, now, now);
      let usableFrom: number | null = null;
      if (valueChanged) {
        usableFrom = usableFromAfterChange(auth.tenant.policy, previous, p.value, now);
        await tx.securityInfo.setUsableFrom(auth.account.id, kind, usableFrom);
      } else {
        // a re-confirmation never ends a cooling-off that is running
        const until = (await tx.securityInfo.usableFrom(auth.account.id))[kind];
        usableFrom = until !== undefined && until > now ? until : null;
      }
      await tx.securityInfo.endPending(auth.account.id, now, kind);
      const masked = maskMethod(kind, p.value);
      await this.audit(tx, auth, rc, now, 'security_info.confirmed', 'ok', { kind, purpose: p.purpose, value: masked });
      let noticesQueued = 0;
      if (changed) {
        await this.audit(tx, auth, rc, now, 'security_info.changed', 'ok', {
          kind,
          value: masked,
          previous: previous ? maskMethod(kind, previous.value) : null,
          firstRegistration: previous === null || previous.verifiedAt === null,
          coolingOffUntil: usableFrom,
        });
        noticesQueued = await this.queueNotices(tx, auth, kind, masked, previous, before, p.value, now);
        woke = noticesQueued > 0;
      }
      return ok({ kind, purpose: p.purpose, changed, maskedValue: masked, usableFrom, noticesQueued });
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /**
   * Whether to prompt this session to re-confirm its methods: true once per session, when a
   * verified method is older than the tenant's `reconfirmDays`.
   */
  async promptReconfirm(auth: Authenticated, rc: RequestContext): Promise<boolean> {
    const now = this.d.clock.now();
    const methods = await this.d.store.directory.listMethods(auth.account.id);
    const due = kindsDueForReconfirm(auth.tenant.policy, methods, now);
    if (due.length === 0) return false;
    if (await this.d.store.securityInfo.wasPrompted(auth.session.idHash)) return false;
    return this.d.store.transaction(async (tx) => {
      if (!(await tx.securityInfo.markPrompted(auth.session.idHash, auth.account.id, now))) return false;
      await this.audit(tx, auth, rc, now, 'security_info.reconfirm_prompted', 'ok', { kinds: due.join(',') });
      return true;
    });
  }

  // ---- internals ------------------------------------------------------------------------

  private async start(
    auth: Authenticated,
    kind: MethodKind,
    value: string,
    purpose: PendingPurpose,
    rc: RequestContext,
  ): Promise<StartResult> {
    if (kind === 'phone' && this.d.smsEnabled === false) return err('sms_unavailable');
    const now = this.d.clock.now();
    let sent = false;
    const result = await this.d.store.transaction(async (tx): Promise<StartResult> => {
      const methods = await tx.directory.listMethods(auth.account.id);
      const current = methods.find((m) => m.kind === kind && m.verifiedAt !== null);
      if (purpose === 'change' && current?.value === value) return err('method_unchanged');
      // the cooldown holds per account and kind, whatever value or session asked before
      const earlier = await tx.securityInfo.livePending(auth.account.id, kind);
      if (earlier && now < earlier.sentAt + this.d.policy.resendCooldownMs) {
        return { ...err('resend_too_soon'), waitMs: earlier.sentAt + this.d.policy.resendCooldownMs - now };
      }
      const refusal = await this.sendingRefusal(tx, auth, kind, value, now);
      if (refusal) {
        await this.audit(tx, auth, rc, now, 'security_info.code_sent', refusal, { kind, purpose });
        return err(refusal === 'sms_country_not_allowed' ? 'phone_country_not_allowed' : 'sending_limit');
      }
      const id = this.d.random.uuid();
      const code = formatCode(this.d.random.intBelow(1_000_000));
      const expiresAt = now + this.d.policy.codeTtlMs;
      const record = {
        id,
        accountId: auth.account.id,
        sessionHash: auth.session.idHash,
        kind,
        value,
        purpose,
        codeHash: this.codeHash(id, code),
        sentAt: now,
        expiresAt,
        createdAt: now,
      };
      await tx.securityInfo.createPending(record);
      await this.queueCode(tx, auth, kind, value, code, expiresAt, now, id);
      await this.audit(tx, auth, rc, now, 'security_info.code_sent', 'queued', {
        kind,
        purpose,
        value: maskMethod(kind, value),
      });
      sent = true;
      return ok(this.viewOf({ ...record, attempts: 0, codesSent: 1, usedAt: null, supersededAt: null }, now));
    });
    if (sent) this.d.outbox.wake();
    return result;
  }

  private ownedBy(p: PendingMethodRecord, auth: Authenticated): boolean {
    return this.d.keyring.equal(p.sessionHash, auth.session.idHash);
  }

  private codeHash(pendingId: string, code: string): string {
    return this.d.keyring.hmac('security-info-code', `${pendingId}:${code}`);
  }

  private viewOf(p: PendingMethodRecord, now: number): PendingView {
    const may = canSendCode(this.d.policy, p.codesSent, p.sentAt, now);
    return {
      kind: p.kind,
      purpose: p.purpose,
      maskedValue: maskMethod(p.kind, p.value),
      expiresAt: p.expiresAt,
      resendAvailableAt: may.ok || may.reason === 'too_many_codes' ? null : p.sentAt + this.d.policy.resendCooldownMs,
      codesLeft: Math.max(0, this.d.policy.maxCodesPerFlow - p.codesSent),
    };
  }

  /** The same sending limits as the reset flow: emails per account, SMS per account and tenant, SMS countries. */
  private async sendingRefusal(
    tx: Repos,
    auth: Authenticated,
    kind: MethodKind,
    value: string,
    now: number,
  ): Promise<string | null> {
    const p = this.d.policy;
    if (kind === 'email') {
      const recent = await tx.flows.countMessages({
        accountId: auth.account.id,
        channel: 'email',
        since: now - p.emailWindowMs,
      });
      return recent >= p.maxEmailsPerAccount ? 'account_email_limit' : null;
    }
    const tp = auth.tenant.policy;
    if (tp.smsCountries && !tp.smsCountries.some((prefix) => value.startsWith(prefix)))
      return 'sms_country_not_allowed';
    const perAccount = await tx.flows.countMessages({
      accountId: auth.account.id,
      channel: 'sms',
      since: now - DAY_MS,
    });
    if (perAccount >= p.maxSmsPerAccountPerDay) return 'account_sms_limit';
    const perTenant = await tx.flows.countMessages({ tenantId: auth.tenant.id, channel: 'sms', since: now - DAY_MS });
    return perTenant >= tp.smsDailyBudget ? 'tenant_sms_budget' : null;
  }

  private async queueCode(
    tx: Repos,
    auth: Authenticated,
    kind: MethodKind,
    to: string,
    code: string,
    expiresAt: number,
    now: number,
    /** The pending registration: its message is dropped at send time once the code is replaced or used. */
    codeId: string,
  ): Promise<void> {
    const minutes = Math.max(1, Math.round((expiresAt - now) / 60_000));
    const base = { tenantId: auth.tenant.id, accountId: auth.account.id, expiresAt, codeId, now, to };
    if (kind === 'email') {
      const content = renderEmail('security-info.code', { displayName: auth.account.displayName, code, minutes });
      await enqueueEmail(tx, this.d, { ...base, template: 'security-info.code', content });
      this.d.metrics?.messageQueued('email', 'security-info.code');
    } else {
      const content = renderSms('security-info.sms', { displayName: auth.account.displayName, code, minutes });
      await enqueueSms(tx, this.d, { ...base, template: 'security-info.sms', content });
      this.d.metrics?.messageQueued('sms', 'security-info.sms');
    }
  }

  /**
   * "Your security info changed" to the OLD addresses: the sign-in address and the alternate email
   * on file before the change (never the new value, which just proved itself). Returns how many.
   */
  private async queueNotices(
    tx: Repos,
    auth: Authenticated,
    kind: MethodKind,
    maskedValue: string,
    previous: Method | null,
    before: readonly Method[],
    newValue: string,
    now: number,
  ): Promise<number> {
    const oldEmail =
      kind === 'email' ? (previous?.value ?? null) : (before.find((m) => m.kind === 'email')?.value ?? null);
    const recipients = [auth.account.login, oldEmail].filter(
      (to, i, all): to is string => to !== null && to.toLowerCase() !== newValue.toLowerCase() && all.indexOf(to) === i,
    );
    const content = renderEmail('security-info.changed', {
      displayName: auth.account.displayName,
      kind,
      maskedValue,
      when: new Date(now).toISOString(),
      changedBy: 'you',
      helpText: helpText(auth.tenant),
    });
    for (const to of recipients) {
      await enqueueEmail(tx, this.d, {
        tenantId: auth.tenant.id,
        accountId: auth.account.id,
        template: 'security-info.changed',
        expiresAt: null,
        now,
        to,
        content,
      });
      this.d.metrics?.messageQueued('email', 'security-info.changed');
    }
    return recipients.length;
  }

  private async audit(
    tx: Repos,
    auth: Authenticated,
    rc: RequestContext,
    at: number,
    type: string,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await appendAudit(tx, {
      at,
      tenantId: auth.tenant.id,
      accountId: auth.account.id,
      actor: 'self',
      type,
      outcome,
      rc: rc,
      details,
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
