/**
 * Passkeys (WebAuthn) as the rules say, with no I/O: where the relying party is, how long a
 * challenge lives, and the signature counter. The ceremony itself (CBOR, COSE keys, signatures)
 * is `@simplewebauthn/server`'s, called by the service.
 */
import type { GatePolicy } from './gate-policy.ts';

/** How long a registration or sign-in challenge may be answered; single use within it. */
export const PASSKEY_CHALLENGE_MS = 5 * 60_000;
/** Bytes of a challenge (drawn from the Random port). */
export const PASSKEY_CHALLENGE_BYTES = 32;
/** Passkeys one account may register. */
export const MAX_PASSKEYS_PER_ACCOUNT = 10;
/** Longest stored credential id (base64url), public key and name. */
export const PASSKEY_NAME_MAX = 60;

/** The relying party of every ceremony: the public URL's host is the RP ID, its origin the only origin accepted. */
export function relyingParty(publicUrl: string): { readonly rpId: string; readonly origin: string } {
  const url = new URL(publicUrl);
  return { rpId: url.hostname, origin: url.origin };
}

export type CounterVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'counter_not_increasing' };

/**
 * The signature counter rule (WebAuthn §6.1.1): an authenticator that reports no counter sends 0
 * every time and stays accepted (as long as it never reported one); one that reports counters must
 * send a number above the stored one. Anything else is a replayed assertion or a cloned
 * authenticator: refused (and audited by the caller).
 */
export function judgeCounter(stored: number, received: number): CounterVerdict {
  if (stored === 0 && received === 0) return { ok: true };
  return received > stored ? { ok: true } : { ok: false, reason: 'counter_not_increasing' };
}

/** Whether the tenant's admins must pass a passkey as their second gate (see core/gate-policy `planFor`). */
export function adminsNeedPasskey(policy: { readonly gates?: GatePolicy } | null | undefined): boolean {
  return policy?.gates?.admins.passkeyRequired === true;
}

/** A passkey's name as the person typed it: NFKC, spaces folded, no control characters; a default when empty. */
export function passkeyName(input: string, fallback: string): string {
  const name = input
    .normalize('NFKC')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, PASSKEY_NAME_MAX);
  return name === '' ? fallback : name;
}
