import type { ConsoleFactorService } from './console-factor-service.ts';
import type { AuditChainService } from './audit-chain-service.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { DevOutboxReader, Mailer, SmsSender } from '../ports/messaging.ts';
import type { Random } from '../ports/random.ts';
import type { Captcha } from '../ports/captcha.ts';
import type { MetricsRegistry } from '../ports/metrics.ts';
import type { LimiterStatus } from '../ports/limiter.ts';
import type { DirectoryService } from './directory-service.ts';
import type { OutboxDelivery } from './outbox-worker.ts';
import type { DeliveryHealthService } from './delivery-health-service.ts';
import type { ResetService } from './reset-service.ts';
import type { PurgeService } from './purge-service.ts';
import type { SessionService } from './session-service.ts';
import type { AdminService } from './admin-service.ts';
import type { SecurityInfoService } from './security-info-service.ts';
import type { ApiKeyService } from './api-key-service.ts';
import type { InsightsService } from './insights-service.ts';
import type { HelpRequestService } from './help-request-service.ts';
import type { SupportService } from './support-service.ts';
import type { CallerVerificationService } from './caller-verification-service.ts';
import type { OperatorService } from './operator-service.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';
import type { TenantLookService } from './tenant-look-service.ts';
import type { AccountLookup } from './account-lookup.ts';
import type { DirectoryHealth } from './directory-health.ts';
import type { DirectorySettingsService } from './directory-settings-service.ts';
import type { DoctorService } from './doctor-service.ts';
import type { DirectorySync } from './directory-sync.ts';

/**
 * The settings the outer layers read from the App (the `Config` of src/config has them all; the
 * service layer does not import the configuration: services receive values).
 */
export interface AppSettings {
  readonly host: string;
  readonly port: number;
  readonly public_url: string;
  readonly production: boolean;
  readonly log_level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly shutdown_timeout_ms: number;
  readonly code_ttl_ms: number;
  readonly trust_proxy?: string | undefined;
  readonly metrics_token?: string | undefined;
  /** Offer the pseudo-locale en-XA in the language switcher (testing and translation review). */
  readonly pseudo_locale?: boolean | undefined;
}

/**
 * Everything the HTTP and CLI layers may use, wired once by `src/compose.ts`. Only services and
 * the ports a page needs appear here: the outer layers never touch an adapter, the store, the
 * keyring or the password hasher (those stay inside the services; tests reach them through
 * `ComposedApp` in compose.ts).
 */
export interface App {
  readonly config: AppSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly mailer: Mailer;
  readonly sms: SmsSender | null;
  /** Present only in development (no SMTP/SMS configured and NODE_ENV≠production). */
  readonly devOutbox: DevOutboxReader | null;
  readonly outbox: OutboxDelivery;
  /** Whether email or SMS has been failing for over a minute: the "messages are delayed" notice (no I/O per page). */
  readonly deliveryHealth: DeliveryHealthService;
  readonly directory: DirectoryService;
  /** A tenant's directory settings (builtin, OpenLDAP, Active Directory): show, set, remove, check. */
  readonly directorySettings: DirectorySettingsService;
  /** `sspr doctor`: the configuration's weak spots and every tenant's directory check. */
  readonly doctor: DoctorService;
  /** Accounts from each tenant's OpenLDAP / AD (`sspr directory sync`; `serve` syncs every `syncIntervalMinutes`). */
  readonly directorySync: DirectorySync;
  readonly reset: ResetService;
  readonly resetPolicy: ResetPolicy;
  readonly captcha: Captcha;
  /** Counters the services report to; rendered at /metrics (see src/http/metrics-plugin.ts). */
  readonly metrics: MetricsRegistry;
  readonly sessions: SessionService;
  /** The admin console's use cases (users, admin-assisted resets, policy), also used by support and the admin API. */
  readonly admin: AdminService;
  /** "My security info": register, change and re-confirm the alternate email and mobile phone. */
  readonly securityInfo: SecurityInfoService;
  /** Admin API keys of tenants: create (shown once), list, revoke, authenticate a Bearer header. */
  readonly apiKeys: ApiKeyService;
  /** The audit log viewer and usage insights of a tenant (and the audit export). */
  readonly insights: InsightsService;
  /** The audit log's hash chains: verify, status, retention (audit-chain-service.ts). */
  readonly auditChain: AuditChainService;
  /** Deletes expired data in small batches (`serve` runs it every `purge_interval_ms`; `sspr purge` once). */
  readonly purge: PurgeService;
  /** Help requests ("Contact your administrator"): the form, and the admins' side in the console. */
  readonly help: HelpRequestService;
  /** Technical Support tickets (the operator's queue at /support). */
  readonly support: SupportService;
  /** The help desk's caller verification, second-operator approvals and the reverse check (/verify-call). */
  readonly callers: CallerVerificationService;
  /** Operator accounts (`sspr operator add`) and their sessions. */
  readonly operators: OperatorService;
  /** The consoles' second factor: the step after an admin's or operator's password, its first registration, recovery codes. */
  readonly consoleFactors: ConsoleFactorService;
  /** Each tenant's look and words: display name, logo, colour, host, start notes (set by admins; read by pages and emails). */
  readonly looks: TenantLookService;
  /** Small reads beside the use cases: an actor's name, an account's methods. */
  readonly accounts: AccountLookup;
  /** Whether each tenant's directory answers (for `/readyz`; a short timeout, reused a few seconds). */
  readonly directoryHealth?: DirectoryHealth;
  /**
   * Whether the rate limits' shared store (Redis) answers: `degraded` while limits run on the
   * in-process fallback (code checks refuse meanwhile). Null without Redis: the limits live in
   * the database, which `/readyz` checks anyway.
   */
  readonly limiterHealth: (() => Promise<LimiterStatus>) | null;
  /** Resolves when the database answers (for `/readyz`); rejects otherwise. */
  ping(): Promise<void>;
  /**
   * Applies pending migrations; safe to run twice. Returns the names it applied. Then starts the
   * background jobs when the App was composed to run them (they need the schema).
   */
  migrate(): Promise<string[]>;
  /** Stops the outbox worker (finishing sends in flight) and closes the database. */
  close(): Promise<void>;
}
