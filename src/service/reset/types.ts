import type { Captcha } from '../../ports/captcha.ts';
import type { DirectoryProvider } from '../../ports/directory-provider.ts';
import type { DirectoryWriteError } from '../../core/directory-refusals.ts';
import type { Account, Method, Tenant } from '../../core/directory-model.ts';
import type { PasswordProblem } from '../../core/password-policy.ts';
import type { ResetPolicy } from '../../core/reset-policy.ts';
import type { FlowState } from '../../core/reset-flow.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Limiter } from '../../ports/limiter.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { PasswordHasher } from '../../ports/password-hasher.ts';
import type { Random } from '../../ports/random.ts';
import type { Store } from '../../ports/store.ts';
import type { DirectoryPasswordRules } from '../../ports/external-directory.ts';

/**
 * What the self-service reset needs, as `compose.ts` and the tests build it. The façade
 * (`ResetService`) hands each part only what it uses.
 */
export interface ResetDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly limiter: Limiter;
  readonly outbox: { wake(): void };
  readonly log: Logger;
  readonly policy: ResetPolicy;
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** Counters for /metrics (optional: nothing is counted without it). */
  readonly metrics?: Metrics;
  /**
   * Codes one IP may submit per `policy.ipWindowMs`, across instances. The check fails closed:
   * when the limiter's store is unreachable, `submitCode` answers `service_unavailable`. Unset: no check.
   */
  readonly verifyLimitPerIp?: number;
  /** Told of each CAPTCHA solution a start recorded as used (or found used), so replays cost nothing. */
  readonly captcha?: Pick<Captcha, 'spent'>;
}

/** What the parts that queue reset messages need (code sending, the block notice). */
export type MessagingDeps = Pick<ResetDeps, 'keyring' | 'random' | 'policy' | 'publicUrl' | 'metrics'>;

/** What a browser (cookie) or an API client (header) presents at each step. */
export interface FlowHandle {
  readonly flowId: string;
  readonly secret: string;
}

export type AccessError = 'flow_not_found' | 'flow_expired' | 'flow_completed';
export type StepError =
  | AccessError
  | 'wrong_step'
  | 'invalid_code'
  /** A code a newer one replaced: not counted as a guess; `detail` is when the newest code was sent (ms). */
  | 'code_superseded'
  /** The email gate passed, but the account's SMS codes are paused by a block; `detail` is when it ends (ms). */
  | 'sms_paused'
  | 'code_malformed'
  /** A passkey's assertion did not pass (wrong or used challenge, unknown credential, bad signature, counter). */
  | 'passkey_refused'
  /** The right authenticator code or passkey, but the method is in its cooling-off; `detail` is when it ends (ms). */
  | 'method_cooling_off'
  | 'resend_too_soon'
  | 'too_many_codes'
  | 'phone_invalid'
  | 'wrong_browser'
  | 'password_mismatch'
  | 'password_reused'
  | 'rate_limited'
  | 'service_unavailable'
  | PasswordProblem
  /** The directory refused the new password (one code per refusal); `directory_unreachable`'s `detail` is when the flow expires (ms). */
  | DirectoryWriteError;

export interface FlowView {
  readonly flowId: string;
  readonly state: FlowState;
  readonly step: number;
  /** Null until the first gate passed (the total would reveal the account's role). */
  readonly stepsTotal: number | null;
  readonly expiresAt: number;
  readonly maskedEmail: string;
  /** Shown only once the email gate passed. */
  readonly maskedPhone: string | null;
  readonly canUsePhone: boolean;
  /** The person may type a code from an authenticator app instead (see `FlowViews.viewOf`). */
  readonly canUseAuthenticator: boolean;
  /** The person may use a passkey instead (see `FlowViews.viewOf`). */
  readonly canUsePasskey: boolean;
  readonly canGoBackToEmail: boolean;
  readonly resendAvailableAt: number | null;
  readonly codesLeft: number;
  readonly passwordMinLength: number;
  /** The new-password step may instead unlock the account and keep its password (a directory account). */
  readonly canUnlock: boolean;
  readonly helpdesk: { readonly url: string | null; readonly email: string | null };
  /**
   * On the new-password step of a directory account (read by `view`, outside any transaction): the
   * rules the organisation's directory applies, so the page can show them before the form is sent.
   * Absent otherwise, or null when the directory could not say.
   */
  readonly directoryRules?: DirectoryPasswordRules | null | undefined;
}

/** A new flow: its handle and what to show first. */
export interface StartedFlow extends FlowHandle {
  readonly view: FlowView;
}

export interface StepOk {
  /** The rotated binding secret: the caller must store it (cookie or API client). */
  readonly secret: string;
  readonly view: FlowView;
}

/** The flow's tenant, account and usable methods, read inside a step. */
export type Ctx = {
  readonly tenant: Tenant | null;
  readonly account: Account | null;
  readonly email: string | null;
  readonly phone: string | null;
  /** Every method on file, usable or not (empty without an account). */
  readonly allMethods: readonly Method[];
};

/**
 * The account id a start for a login without an account reads and counts under (methods, emails
 * sent, earlier flows): no account has it, so those statements run and match nothing.
 */
export const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';
