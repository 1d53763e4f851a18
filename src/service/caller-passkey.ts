import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import {
  CALLER_CODE_MAX_ATTEMPTS,
  CALLER_TICKET_DIGITS,
  groupedPhrase,
  normalizePhrase,
} from '../core/caller-verification.ts';
import { DEFAULT_TENANT_POLICY } from '../core/directory-model.ts';
import { judgeCounter, PASSKEY_CHALLENGE_MS } from '../core/passkey.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isUsableForReset } from '../core/security-info-policy.ts';
import type { CallerVerificationRecord } from '../ports/caller-check-store.ts';
import type { Repos } from '../ports/store.ts';
import type { CallerVerificationDeps } from './caller-verification-service.ts';
import { PasskeyCeremony, readCredentialJson } from './passkey-ceremony.ts';
import { strongMethodsUsable } from './reset/strong-method-cooling.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/** The public page where the caller types the ticket and uses their passkey. */
export const CALLER_PASSKEY_PATH = '/caller-passkey';

/** Tickets one client address may try on /caller-passkey per 10 minutes (the reverse check's limit). */
export const CALLER_PASSKEY_LIMIT = { max: 10, windowMs: 10 * 60_000 } as const;

export interface CallerTicket {
  /** `4821 0937 1254`: the agent reads it to the caller. */
  readonly ticket: string;
  readonly hash: string;
  readonly sealed: string;
}

/** What the public page says of an open ticket: whose help desk asks. */
export interface CallerPasskeyAsk {
  readonly organisation: string;
}

export type CallerPasskeyError = 'not_found' | 'rate_limited' | 'passkey_refused';

/**
 * Caller verification by passkey (issue 13 item 5): the agent's "Ask for their passkey" makes a
 * verification with a ticket (`newTicket`); the caller types the ticket on the public page
 * /caller-passkey (`options`: a WebAuthn challenge bound to that verification, user verification
 * required) and signs with a passkey of that account (`answer`). The ticket is found only by its
 * HMAC; a wrong, used, expired or exhausted ticket all answer `not_found` (nothing about any
 * account). Each answer counts an attempt on the verification first (5, as a code's); the
 * challenge is taken once and only for this verification; the credential must be the account's;
 * `@simplewebauthn/server` checks origin, RP ID, user verification and signature; core
 * `judgeCounter` the counter, advanced compare-and-set; a passkey still in its cooling-off (core
 * `coolingOffUntil`) does not pass. The verification then holds for the agent who started it,
 * exactly as a confirmed code. Every answer is audited in the account's tenant.
 */
export class CallerPasskey {
  readonly #ceremony: PasskeyCeremony;

  constructor(private readonly d: CallerVerificationDeps) {
    this.#ceremony = new PasskeyCeremony(d, d.publicUrl);
  }

  /** A fresh ticket, not in use (a 1 in 10^12 draw is drawn again). */
  async newTicket(): Promise<CallerTicket> {
    for (;;) {
      let digits = '';
      for (let i = 0; i < CALLER_TICKET_DIGITS; i++) digits += String(this.d.random.intBelow(10));
      const hash = this.d.keyring.hmac('caller-ticket', digits);
      if (await this.d.store.callerChecks.findByTicket(hash)) continue;
      return { ticket: groupedPhrase(digits), hash, sealed: this.d.keyring.seal(digits) };
    }
  }

  /** The ticket of an open passkey verification as the console shows it again. */
  shown(v: Pick<CallerVerificationRecord, 'way' | 'ticketSealed'>): string | null {
    return v.way === 'passkey' && v.ticketSealed !== null ? groupedPhrase(this.d.keyring.open(v.ticketSealed)) : null;
  }

  /** The public page: the ticket the caller typed. Open: a challenge for their passkey; else `not_found`. */
  async options(
    input: string,
    rc: RequestContext,
  ): Promise<Result<CallerPasskeyAsk & { options: PublicKeyCredentialRequestOptionsJSON }, CallerPasskeyError>> {
    if (!(await this.#withinLimit(rc))) return err('rate_limited');
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const v = await this.#open(tx, input, now);
      if (!v) return err('not_found');
      const options = await this.#ceremony.authenticationOptions();
      await tx.passkeys.createChallenge({
        id: this.d.random.uuid(),
        challengeHash: this.#ceremony.challengeHash(options.challenge),
        purpose: 'caller',
        binding: v.id,
        accountId: v.accountId,
        createdAt: now,
        expiresAt: Math.min(now + PASSKEY_CHALLENGE_MS, v.expiresAt),
      });
      return ok({ options, organisation: await this.#organisation(tx, v.tenantId) });
    });
  }

  /** The caller's assertion for the ticket: verified once, for the agent who asked, or refused (audited). */
  async answer(
    input: string,
    credentialJson: string,
    rc: RequestContext,
  ): Promise<Result<CallerPasskeyAsk, CallerPasskeyError>> {
    if (!(await this.#withinLimit(rc))) return err('rate_limited');
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx): Promise<Result<CallerPasskeyAsk, CallerPasskeyError>> => {
      const v = await this.#open(tx, input, now);
      if (!v) return err('not_found');
      const audit = (type: 'caller.verified' | 'caller.verification_failed', outcome: string, extra = {}) =>
        appendAudit(tx, {
          at: now,
          tenantId: v.tenantId,
          accountId: v.accountId,
          actor: v.actor,
          type,
          outcome,
          rc,
          details: { via: 'passkey', ...extra },
        });
      // counted before anything is checked, as every one-time proof (core one-time-code)
      const attempts = await tx.callerChecks.countAttempt(v.id, CALLER_CODE_MAX_ATTEMPTS);
      if (attempts === null) return err('not_found');
      const refuse = async (reason: string, extra: Record<string, string | number> = {}) => {
        await audit('caller.verification_failed', reason, { attempts, ...extra });
        return err('passkey_refused' as const);
      };
      const read = readCredentialJson<AuthenticationResponseJSON>(credentialJson, 'reset');
      if (!read) return refuse('malformed');
      const challenge = await tx.passkeys.takeChallenge(
        this.#ceremony.challengeHash(read.challenge),
        'caller',
        v.id,
        now,
      );
      if (!challenge) return refuse('challenge_unknown');
      const passkey = await tx.passkeys.byCredentialId(read.response.id);
      if (!passkey || passkey.accountId !== v.accountId) return refuse('not_registered');
      const checked = await this.#ceremony.verifyAssertion(read.response, read.challenge, passkey);
      if (!checked) return refuse('not_verified');
      const counter = judgeCounter(passkey.counter, checked.newCounter);
      if (!counter.ok) return refuse(counter.reason, { stored: passkey.counter, received: checked.newCounter });
      if (!(await tx.passkeys.advanceCounter(passkey.id, passkey.counter, checked.newCounter, now))) {
        return refuse('counter_not_increasing', { stored: passkey.counter, received: checked.newCounter });
      }
      const tenant = await tx.directory.getTenant(v.tenantId);
      const usable = await strongMethodsUsable(tx, v.accountId, tenant?.policy ?? DEFAULT_TENANT_POLICY);
      const cooling = usable.passkeys.get(passkey.id) ?? null;
      if (!isUsableForReset(cooling, now)) return refuse('cooling_off', { until: cooling! });
      if (!(await tx.callerChecks.markVerified(v.id, now))) return err('not_found');
      await audit('caller.verified', 'ok', { passkey: passkey.id.slice(0, 8) });
      return ok({ organisation: await this.#organisation(tx, v.tenantId) });
    });
  }

  /** The open passkey verification of this ticket: not verified, not expired, tries left; else null. */
  async #open(tx: Pick<Repos, 'callerChecks'>, input: string, now: number): Promise<CallerVerificationRecord | null> {
    const digits = normalizePhrase(input, CALLER_TICKET_DIGITS);
    const v = digits ? await tx.callerChecks.findByTicket(this.d.keyring.hmac('caller-ticket', digits)) : null;
    if (!v || v.way !== 'passkey' || v.verifiedAt !== null || now >= v.expiresAt) return null;
    return v.attempts < CALLER_CODE_MAX_ATTEMPTS ? v : null;
  }

  async #organisation(tx: Pick<Repos, 'directory' | 'looks'>, tenantId: string): Promise<string> {
    const look = await tx.looks.getLook(tenantId);
    return look.displayName ?? (await tx.directory.getTenant(tenantId))?.name ?? tenantId;
  }

  async #withinLimit(rc: RequestContext): Promise<boolean> {
    if (!this.d.limiter) return true;
    const limit = await this.d.limiter.consume(
      `caller-passkey:ip:${rc.ip ?? 'unknown'}`,
      CALLER_PASSKEY_LIMIT.max,
      CALLER_PASSKEY_LIMIT.windowMs,
      { failClosed: true },
    );
    return limit.allowed;
  }
}
