import type { ContactError, MethodKind } from '../../core/contact.ts';
import type { ResendRefusal, ResetPolicy } from '../../core/reset-policy.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Random } from '../../ports/random.ts';
import type { PendingPurpose } from '../../ports/security-info-store.ts';
import type { Store } from '../../ports/store.ts';

/** What the security-info service needs, and what it answers (see `SecurityInfoService`). */
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
  /** The public URL: the passkeys' relying party (its host is the RP ID). Unset: no passkeys. */
  readonly publicUrl?: string;
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
