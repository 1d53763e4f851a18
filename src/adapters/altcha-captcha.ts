import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { Captcha } from '../ports/captcha.ts';
import type { Clock } from '../ports/clock.ts';

export interface AltchaOptions {
  /** Secrets for signing challenges and derived keys (derived from the master key). */
  readonly signatureSecret: string;
  readonly keySignatureSecret: string;
  /** The solver searches counters up to this value (half to all of it): the difficulty. */
  readonly maxNumber: number;
  /** How long a challenge may be solved and submitted. */
  readonly ttlMs: number;
  readonly clock: Clock;
  /** Records a used solution; false when it was used before (single use across instances). */
  readonly markUsed: (signature: string, expiresAt: number) => Promise<boolean>;
}

/**
 * ALTCHA proof of work (altcha-lib, protocol v2) in deterministic mode: the server picks the
 * counter, signs the challenge and the derived key, so verification is one HMAC, not a search.
 * Nothing leaves the machine: no third-party service.
 */
export class AltchaCaptcha implements Captcha {
  constructor(private readonly o: AltchaOptions) {}

  async challenge(): Promise<Challenge> {
    const max = Math.max(2, this.o.maxNumber);
    return createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter: randomInt(Math.floor(max / 2), max),
      deriveKey,
      expiresAt: Math.floor((this.o.clock.now() + this.o.ttlMs) / 1000),
      hmacSignatureSecret: this.o.signatureSecret,
      hmacKeySignatureSecret: this.o.keySignatureSecret,
    });
  }

  async verify(payload: string): Promise<boolean> {
    if (typeof payload !== 'string' || payload.length === 0 || payload.length > 8_192) return false;
    let parsed: { challenge?: Challenge; solution?: Solution };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof parsed;
    } catch {
      return false;
    }
    const { challenge, solution } = parsed;
    if (
      !challenge?.parameters ||
      typeof challenge.signature !== 'string' ||
      !solution ||
      typeof solution.counter !== 'number'
    )
      return false;
    // altcha-lib checks expiry against the system clock; check it against ours too
    const expiresAt = (challenge.parameters.expiresAt ?? 0) * 1000;
    if (!(expiresAt > this.o.clock.now())) return false;
    let verified = false;
    try {
      verified = (
        await verifySolution({
          challenge,
          solution,
          deriveKey,
          hmacSignatureSecret: this.o.signatureSecret,
          hmacKeySignatureSecret: this.o.keySignatureSecret,
        })
      ).verified;
    } catch {
      return false;
    }
    if (!verified) return false;
    return this.o.markUsed(challenge.signature, expiresAt);
  }
}
