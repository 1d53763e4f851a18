import { maskMethod, normalizeMethod, type MethodKind } from '../core/contact.ts';
import { canSendCode, formatCode, isCodeFresh, normalizeCodeInput } from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isReconfirmDue, kindsDueForReconfirm, usableFromAfterChange } from '../core/security-info-policy.ts';
import type { SendingRefusal } from '../core/sending-limits.ts';
import type { PendingMethodRecord, PendingPurpose } from '../ports/security-info-store.ts';
import type { Repos } from '../ports/store.ts';
import { checkOneTimeCode } from './one-time-code.ts';
import { appendSelfEvent } from './audit-context.ts';
import type { RequestContext } from './request-context.ts';
import { AuthenticatorRegistration } from './security-info/authenticator.ts';
import { PasskeyRegistration } from './security-info/passkey.ts';
import { queueChangeNotices, queueCode } from './security-info/messages.ts';
import type {
  ConfirmOutcome,
  MethodStatus,
  PendingView,
  SecurityInfoDeps,
  SecurityInfoError,
  SecurityInfoOverview,
} from './security-info/types.ts';
import { sendingLimitRefusal } from './sending-limits.ts';
import type { Authenticated } from './session-service.ts';

export type * from './security-info/types.ts';
export type * from './security-info/authenticator.ts';
export type * from './security-info/passkey.ts';

/**
 * "My security info": a signed-in person registers, changes or re-confirms their alternate email
 * and mobile phone (the authenticator app: ./security-info/authenticator). Each new value is proven with a 6-digit code sent TO it (stored only as an
 * HMAC, 10 minutes, 5 attempts counted before the compare, single use, 60 s between sends: the
 * shared one-time-code check); the pending registration is bound to the session that started it.
 * A change notifies the old addresses, and a method that replaced another cannot be used for a
 * reset for the tenant's cooling-off time. Every step is audited (`security_info.*`, actor
 * `self`); everything one step changes commits in one transaction. Types in ./security-info/types,
 * the messages it sends in ./security-info/messages.
 */
type StartResult = Result<PendingView, SecurityInfoError> & { waitMs?: number };

export class SecurityInfoService {
  /** The authenticator app (TOTP): register with a QR code, confirm with a first code, remove. */
  readonly authenticator: AuthenticatorRegistration;
  /** Passkeys (WebAuthn): register through the browser, list, remove. */
  readonly passkeys: PasskeyRegistration;

  constructor(private readonly d: SecurityInfoDeps) {
    this.authenticator = new AuthenticatorRegistration(d);
    this.passkeys = new PasskeyRegistration(d);
  }

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
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.code_sent', refusal, { kind, resend: true });
        return err(refusal === 'sms_country_not_allowed' ? 'phone_country_not_allowed' : 'sending_limit');
      }
      const code = formatCode(this.d.random.intBelow(1_000_000));
      const expiresAt = now + this.d.policy.codeTtlMs;
      if (!(await tx.securityInfo.reissueCode(p.id, p.codesSent, this.codeHash(p.id, code), now, expiresAt))) {
        return { ...err('resend_too_soon'), waitMs: this.d.policy.resendCooldownMs };
      }
      await queueCode(tx, this.d, auth, kind, p.value, code, expiresAt, now, p.id, rc?.locale ?? null);
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.code_sent', 'queued', {
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
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.rejected', 'no_pending', { kind });
        return err('invalid_code');
      }
      // count first, compare after, consume once: the one one-time-code check
      const checked = await checkOneTimeCode({
        keyring: this.d.keyring,
        purpose: 'security-info-code',
        binding: p.id,
        typed,
        codeHash: p.codeHash,
        maxAttempts: this.d.policy.maxAttemptsPerCode,
        fresh: isCodeFresh(this.d.policy, p.sentAt, now),
        countAttempt: () => tx.securityInfo.countAttempt(p.id, this.d.policy.maxAttemptsPerCode),
        consume: () => tx.securityInfo.consume(p.id, now),
      });
      if (!checked.ok) {
        const counted = checked.reason === 'expired' || checked.reason === 'mismatch';
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.rejected', checked.reason, {
          kind,
          ...(counted ? { attempts: checked.attempts } : {}),
        });
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
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.confirmed', 'ok', {
        kind,
        purpose: p.purpose,
        value: masked,
      });
      let noticesQueued = 0;
      if (changed) {
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.changed', 'ok', {
          kind,
          value: masked,
          previous: previous ? maskMethod(kind, previous.value) : null,
          firstRegistration: previous === null || previous.verifiedAt === null,
          coolingOffUntil: usableFrom,
        });
        noticesQueued = await queueChangeNotices(
          tx,
          this.d,
          auth,
          kind,
          masked,
          previous,
          before,
          p.value,
          now,
          rc?.locale ?? null,
        );
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
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.reconfirm_prompted', 'ok', {
        kinds: due.join(','),
      });
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
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.code_sent', refusal, { kind, purpose });
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
      await queueCode(tx, this.d, auth, kind, value, code, expiresAt, now, id, rc?.locale ?? null);
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.code_sent', 'queued', {
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

  /** The one sending-limits rule (core/sending-limits), as the reset flow applies it. */
  private sendingRefusal(
    tx: Repos,
    auth: Authenticated,
    kind: MethodKind,
    value: string,
    now: number,
  ): Promise<SendingRefusal | null> {
    const account = { accountId: auth.account.id };
    return sendingLimitRefusal(
      tx,
      this.d.policy,
      kind === 'email'
        ? { channel: 'email', ...account }
        : { channel: 'sms', ...account, tenantId: auth.tenant.id, tenant: auth.tenant.policy, to: value },
      now,
    );
  }
}
