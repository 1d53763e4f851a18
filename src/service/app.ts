import type { Config } from '../config/schema.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Logger } from '../ports/logger.ts';
import type { DevOutboxReader, Mailer, SmsSender } from '../ports/messaging.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import type { Captcha } from '../ports/captcha.ts';
import type { MetricsRegistry } from '../ports/metrics.ts';
import type { DirectoryService } from './directory-service.ts';
import type { OutboxWorker } from './outbox-worker.ts';
import type { ResetService } from './reset-service.ts';
import type { SessionService } from './session-service.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';

/**
 * Everything the HTTP and CLI layers may use, wired once by `src/compose.ts`. Only ports and
 * services appear here: the outer layers never touch an adapter directly.
 */
export interface App {
  readonly config: Config;
  readonly clock: Clock;
  readonly random: Random;
  readonly keyring: Keyring;
  readonly log: Logger;
  readonly store: Store;
  readonly hasher: PasswordHasher;
  readonly mailer: Mailer;
  readonly sms: SmsSender | null;
  /** Present only in development (no SMTP/SMS configured and NODE_ENV≠production). */
  readonly devOutbox: DevOutboxReader | null;
  readonly outbox: OutboxWorker;
  readonly directory: DirectoryService;
  readonly reset: ResetService;
  readonly resetPolicy: ResetPolicy;
  readonly captcha: Captcha;
  /** Counters the services report to; rendered at /metrics (see src/http/metrics-plugin.ts). */
  readonly metrics: MetricsRegistry;
  readonly sessions: SessionService;
  /** Applies pending migrations; safe to run twice. Returns the names it applied. */
  migrate(): Promise<string[]>;
  /** Stops the outbox worker (finishing sends in flight) and closes the database. */
  close(): Promise<void>;
}
