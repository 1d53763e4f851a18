import { createHmac, timingSafeEqual } from 'node:crypto';
import { createChallenge, randomInt, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { Captcha, CaptchaSolution } from '../ports/captcha.ts';
import type { Clock } from '../ports/clock.ts';

export interface AltchaOptions {
  /** Secrets for signing challenges and derived keys (derived from the master key). */
  readonly signatureSecret: string;
  readonly keySignatureSecret: string;
  /**
   * The secrets derived from the keys the current one replaced (`SSPR_SECRET_KEY_PREVIOUS`):
   * challenges are only signed with the current secrets, but a solution to a challenge signed with
   * any of these is accepted too, so during a rolling key rotation a challenge made on one
   * instance passes on every other.
   */
  readonly previousSecrets?: readonly { readonly signatureSecret: string; readonly keySignatureSecret: string }[];
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
 * counter, signs the challenge and the derived key, so verification is two HMACs, not a search.
 * Nothing leaves the machine: no third-party service.
 *
 * Challenges come from altcha-lib. Verification follows altcha-lib's `verifySolution` step by
 * step (its path for a signed derived key) with node:crypto's synchronous HMAC: altcha-lib's
 * WebCrypto calls cost ~0.25 ms per check in thread-pool round trips, about a fifth of a whole
 * reset start. `test/adapters/altcha-captcha.test.ts` checks both give the same answers.
 */
export class AltchaCaptcha implements Captcha {
  /** Solutions known used (challenge signature → until when), oldest first; see `spent`. */
  readonly #spent = new Map<string, number>();

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
    const solution = this.check(payload);
    if (solution === null) return false;
    const first = await this.o.markUsed(solution.id, solution.expiresAt);
    this.spent(solution);
    return first;
  }

  /**
   * A replay this instance has seen is refused by `check`, before any database work. At most
   * `SPENT_MAX` are kept: expired ones go first, then the oldest (a replay of one forgotten is
   * refused by the store's record, as on any other instance).
   */
  spent(solution: CaptchaSolution): void {
    if (this.#spent.size >= SPENT_MAX) {
      const now = this.o.clock.now();
      for (const [id, until] of this.#spent) if (until <= now) this.#spent.delete(id);
      for (const id of this.#spent.keys()) {
        if (this.#spent.size < SPENT_MAX * 0.9) break;
        this.#spent.delete(id);
      }
    }
    this.#spent.set(solution.id, solution.expiresAt);
  }

  check(payload: string): CaptchaSolution | null {
    if (typeof payload !== 'string' || payload.length === 0 || payload.length > 8_192) return null;
    let parsed: { challenge?: Challenge; solution?: Solution };
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof parsed;
    } catch {
      return null;
    }
    const { challenge, solution } = parsed;
    if (
      !challenge?.parameters ||
      typeof challenge.signature !== 'string' ||
      !solution ||
      typeof solution.counter !== 'number'
    )
      return null;
    // a replay of a solution this instance saw used: no HMAC, no database
    if (this.#spent.has(challenge.signature)) return null;
    // expiry against the injected clock (altcha-lib would use the system clock)
    const expiresAt = (challenge.parameters.expiresAt ?? 0) * 1000;
    if (!(expiresAt > this.o.clock.now())) return null;
    // every secret is tried, so the time does not tell which key signed the challenge
    let valid = verifySignedSolution(challenge, solution, this.o.signatureSecret, this.o.keySignatureSecret);
    for (const previous of this.o.previousSecrets ?? [])
      if (verifySignedSolution(challenge, solution, previous.signatureSecret, previous.keySignatureSecret))
        valid = true;
    if (!valid) return null;
    return { id: challenge.signature, expiresAt };
  }
}

/** Used solutions an instance remembers (about 150 bytes each): well over a minute of a flood's valid proofs. */
const SPENT_MAX = 20_000;

/** altcha-lib's canonical JSON: keys sorted at every level, undefined members left out. */
function canonicalJSON(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .flatMap((k) => (o[k] === undefined ? [] : [[k, sort(o[k])]])),
    );
  };
  return JSON.stringify(sort(value));
}

function hmacHex(secret: string, data: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

function sameHex(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * altcha-lib 2.x `verifySolution` (HMAC SHA-256), steps 2–4a: the challenge's signature over its
 * canonical parameters, a well-formed solution (lowercase hex key, counter 0…2^32−1), and the
 * server's signature over the derived key. A challenge without a key signature is refused: this
 * server never issues one (altcha-lib would re-derive the key instead).
 */
function verifySignedSolution(challenge: Challenge, solution: Solution, secret: string, keySecret: string): boolean {
  if (!sameHex(challenge.signature, hmacHex(secret, canonicalJSON(challenge.parameters)))) return false;
  const keySignature = challenge.parameters.keySignature;
  if (typeof keySignature !== 'string' || keySignature === '') return false;
  const { derivedKey, counter } = solution as { derivedKey?: unknown; counter?: unknown };
  if (typeof derivedKey !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(derivedKey)) return false;
  if (!Number.isInteger(counter) || (counter as number) < 0 || (counter as number) > 0xffffffff) return false;
  return sameHex(keySignature, hmacHex(keySecret, Buffer.from(derivedKey, 'hex')));
}
