/**
 * The numbers of the reset flow (GUIDE §2, from the seed article, Entra, Kratos, NIST, OWASP).
 * Every rule has one name here; services and adapters read them, nobody repeats them.
 */
export interface ResetPolicy {
  /** A code and an email link are valid this long after they were sent (seed: 10 minutes). */
  readonly codeTtlMs: number;
  /** The whole flow must finish this long after the first message was sent (seed: 60 minutes); resends never extend it. */
  readonly flowTtlMs: number;
  /** Wrong entries that kill one code. */
  readonly maxAttemptsPerCode: number;
  /** Codes (first sends + resends, all gates) one flow may send. */
  readonly maxCodesPerFlow: number;
  /** Wait between two sends in one flow. */
  readonly resendCooldownMs: number;
  /** Failed verifications for one account within `failureWindowMs` that block self-service … */
  readonly maxFailuresPerAccount: number;
  readonly failureWindowMs: number;
  /** … for this long. */
  readonly blockMs: number;
  /** Emails one account may be sent within `emailWindowMs`. */
  readonly maxEmailsPerAccount: number;
  readonly emailWindowMs: number;
  /** Text messages one account may be sent per day. */
  readonly maxSmsPerAccountPerDay: number;
  /** Reset starts one IP address may make within `ipWindowMs`. */
  readonly maxStartsPerIp: number;
  readonly ipWindowMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
export const DAY_MS = 24 * HOUR;

export const DEFAULT_RESET_POLICY: ResetPolicy = {
  codeTtlMs: 10 * MINUTE,
  flowTtlMs: 60 * MINUTE,
  maxAttemptsPerCode: 5,
  maxCodesPerFlow: 3,
  resendCooldownMs: MINUTE,
  maxFailuresPerAccount: 5,
  failureWindowMs: DAY_MS,
  blockMs: DAY_MS,
  maxEmailsPerAccount: 10,
  emailWindowMs: 10 * MINUTE,
  maxSmsPerAccountPerDay: 5,
  maxStartsPerIp: 30,
  ipWindowMs: 10 * MINUTE,
};

export const CODE_DIGITS = 6;

/** A 6-digit code from a CSPRNG integer in [0, 10^6); leading zeros kept. */
export function formatCode(randomBelowMillion: number): string {
  if (!Number.isInteger(randomBelowMillion) || randomBelowMillion < 0 || randomBelowMillion >= 10 ** CODE_DIGITS) {
    throw new RangeError('code source out of range');
  }
  return String(randomBelowMillion).padStart(CODE_DIGITS, '0');
}

/** Accepts what people type: spaces and dashes are ignored ("123 456"), anything else makes it not a code. */
export function normalizeCodeInput(input: string): string | null {
  const digits = input.normalize('NFKC').replace(/[\s-]/g, '');
  return /^[0-9]{6}$/.test(digits) ? digits : null;
}

/** A code (or link) sent at `sentAt` is valid strictly before `sentAt + codeTtlMs`. */
export function isCodeFresh(policy: ResetPolicy, sentAt: number, now: number): boolean {
  return now < sentAt + policy.codeTtlMs;
}

/** The flow's deadline: 60 minutes after the first message was sent (or after it began, if none was). */
export function flowDeadline(policy: ResetPolicy, createdAt: number, firstSentAt: number | null): number {
  return (firstSentAt ?? createdAt) + policy.flowTtlMs;
}

export function isFlowAlive(policy: ResetPolicy, createdAt: number, firstSentAt: number | null, now: number): boolean {
  return now < flowDeadline(policy, createdAt, firstSentAt);
}

/** A code's effective expiry: its own 10 minutes, cut short by the flow's deadline. */
export function codeExpiresAt(
  policy: ResetPolicy,
  sentAt: number,
  createdAt: number,
  firstSentAt: number | null,
): number {
  return Math.min(sentAt + policy.codeTtlMs, flowDeadline(policy, createdAt, firstSentAt ?? sentAt));
}

/**
 * Whether a flow's code or link may still be used: within its own 10 minutes and while the flow
 * lives (the lifetime `codeExpiresAt` gave it when it was sent).
 */
export function isFlowCodeFresh(
  policy: ResetPolicy,
  code: { readonly sentAt: number },
  flow: { readonly createdAt: number; readonly firstSentAt: number | null },
  now: number,
): boolean {
  return isCodeFresh(policy, code.sentAt, now) && isFlowAlive(policy, flow.createdAt, flow.firstSentAt, now);
}

export type ResendRefusal = 'resend_too_soon' | 'too_many_codes';

/** Whether another code may be sent now; `waitMs` tells the person how long to wait. */
export function canSendCode(
  policy: ResetPolicy,
  codesSent: number,
  lastSentAt: number | null,
  now: number,
): { ok: true } | { ok: false; reason: ResendRefusal; waitMs: number } {
  if (codesSent >= policy.maxCodesPerFlow) return { ok: false, reason: 'too_many_codes', waitMs: 0 };
  if (lastSentAt !== null && now < lastSentAt + policy.resendCooldownMs) {
    return { ok: false, reason: 'resend_too_soon', waitMs: lastSentAt + policy.resendCooldownMs - now };
  }
  return { ok: true };
}

/** Whether an account is blocked from self-service at `now`, given when its block began (if any). */
export function isBlocked(policy: ResetPolicy, blockedAt: number | null, now: number): boolean {
  return blockedAt !== null && now < blockedAt + policy.blockMs;
}
