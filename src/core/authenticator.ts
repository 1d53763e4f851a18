import { Secret, TOTP } from 'otpauth';

/**
 * The authenticator app (TOTP, RFC 6238) as a method: the codes it shows, and the rules that
 * decide whether a typed code is accepted. Pure: the time (`now`, ms) and the secret are arguments;
 * the secret's 20 bytes come from the Random port and are sealed at rest by the service.
 *
 * - SHA-1, 6 digits, 30-second steps: what every authenticator app reads from a QR code.
 * - A code of the current step or of one step either side is accepted (clocks drift; a code typed
 *   as it changes), never two steps away.
 * - Each time step is accepted once per account: the step of the last accepted code is stored, and
 *   a code of that step or an earlier one is refused (a code seen over a shoulder, or sent twice).
 */
export const TOTP_PERIOD_S = 30;
export const TOTP_DIGITS = 6;
export const TOTP_ALGORITHM = 'SHA1';
/** Steps accepted either side of the current one. */
export const TOTP_WINDOW = 1;
/** Bytes of a new secret (160 bits, RFC 4226's recommended length). */
export const TOTP_SECRET_BYTES = 20;
/** How long a registration waits for its first code before it must start again. */
export const AUTHENTICATOR_PENDING_MS = 30 * 60_000;

/** The time step (RFC 6238's T) at `now`. */
export function totpStep(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_S);
}

/** The secret as the key an app accepts typed in (RFC 4648 base32, no padding). */
export function secretToBase32(bytes: Uint8Array): string {
  return new Secret({ buffer: Uint8Array.from(bytes).buffer }).base32;
}

function totpOf(base32: string, label = '', issuer = ''): TOTP {
  return new TOTP({
    issuer,
    label,
    issuerInLabel: issuer !== '',
    secret: Secret.fromBase32(base32),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_S,
  });
}

/** The `otpauth://totp/…` URI an app reads from the QR code. */
export function otpauthUri(base32: string, issuer: string, login: string): string {
  return totpOf(base32, login, issuer).toString();
}

/** The code an app shows at `now` (tests and the development tools; never sent anywhere). */
export function totpCodeAt(base32: string, now: number): string {
  return totpOf(base32).generate({ timestamp: now });
}

/** `secret` with spaces every four characters, as the page shows it for typing. */
export function groupedKey(base32: string): string {
  return base32.replace(/(.{4})(?=.)/g, '$1 ');
}

export type TotpVerdict =
  | { readonly ok: true; readonly step: number }
  | { readonly ok: false; readonly reason: 'mismatch' }
  /** The code of a step at or before the last accepted one. */
  | { readonly ok: false; readonly reason: 'step_used'; readonly step: number };

/**
 * Whether `typed` (six digits, normalised) is the code of a step within the window around `now`
 * and later than `lastStep` (the account's last accepted step, or null). otpauth's `validate`
 * compares in constant time and answers the matching step's offset (0 for the current step, so a
 * match is `!== null`).
 */
export function judgeTotp(base32: string, typed: string, now: number, lastStep: number | null): TotpVerdict {
  const delta = totpOf(base32).validate({ token: typed, timestamp: now, window: TOTP_WINDOW });
  if (delta === null) return { ok: false, reason: 'mismatch' };
  const step = totpStep(now) + delta;
  if (lastStep !== null && step <= lastStep) return { ok: false, reason: 'step_used', step };
  return { ok: true, step };
}
