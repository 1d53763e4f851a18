import { CachedDirectoryProvider } from './adapters/directory/directory-provider.ts';
import { fallBackToEnglish } from './core/i18n.ts';
import type { Config } from './config/schema.ts';
import type { App } from './service/app.ts';
import type { Logger } from './ports/logger.ts';
import type { Keyring } from './ports/keyring.ts';
import type { PasswordHasher } from './ports/password-hasher.ts';
import type { Store } from './ports/store.ts';
import type { Mailer, SmsSender } from './ports/messaging.ts';
import type { Clock } from './ports/clock.ts';
import type { Random } from './ports/random.ts';
import { systemClock } from './adapters/system-clock.ts';
import { cryptoRandom } from './adapters/crypto/crypto-random.ts';
import { argon2Hasher } from './adapters/crypto/argon2-hasher.ts';
import { openSqlStore } from './adapters/sql/sql-store.ts';
import { DevOutbox } from './adapters/mail/dev-outbox.ts';
import { smsSenderFrom, smtpMailerFrom } from './adapters/messaging-from-config.ts';
import { OutboxWorker, type OutboxDelivery } from './service/outbox-worker.ts';
import { OutboxThread } from './adapters/outbox-thread.ts';
import { DeliveryHealthService } from './service/delivery-health-service.ts';
import { DirectoryService } from './service/directory-service.ts';
import { ResetService } from './service/reset-service.ts';
import { SessionService } from './service/session-service.ts';
import { AdminService } from './service/admin-service.ts';
import { HelpRequestService } from './service/help-request-service.ts';
import { SupportService } from './service/support-service.ts';
import { CallerVerificationService } from './service/caller-verification-service.ts';
import { ConsoleFactorService } from './service/console-factor-service.ts';
import { OperatorService } from './service/operator-service.ts';
import { SecurityInfoService } from './service/security-info-service.ts';
import { ApiKeyService } from './service/api-key-service.ts';
import { InsightsService } from './service/insights-service.ts';
import { AccountLookup } from './service/account-lookup.ts';
import { DirectoryHealth } from './service/directory-health.ts';
import { DirectorySettingsService } from './service/directory-settings-service.ts';
import { DoctorService } from './service/doctor-service.ts';
import { DEFAULT_SIGNIN_POLICY } from './core/signin-policy.ts';
import { SharpLogoImages } from './adapters/image/sharp-logo-images.ts';
import { TenantLookService } from './service/tenant-look-service.ts';
import { SqlLimiter } from './adapters/sql-limiter.ts';
import { RedisLimiter } from './adapters/redis-limiter.ts';
import { clusterMetricsInWorker } from './adapters/cluster-metrics.ts';
import { PgOutboxListener } from './adapters/sql/pg-outbox-listener.ts';
import { PurgeService } from './service/purge-service.ts';
import { AuditChainService } from './service/audit-chain-service.ts';
import { DirectorySync } from './service/directory-sync.ts';
import { AltchaCaptcha } from './adapters/altcha-captcha.ts';
import { sizeOldGeneration, workerExecArgv } from './adapters/v8-heap.ts';
import { PromMetrics } from './adapters/prom-metrics.ts';
import { DEFAULT_RESET_POLICY, type ResetPolicy } from './core/reset-policy.ts';
import { createLogger, keyringFrom, outboxSettings } from './compose-parts.ts';

export { createLogger, keyringFrom, outboxPolicy, resolveMasterKey } from './compose-parts.ts';

/**
 * The outbox thread's module, beside this one: src/outbox-thread-main.ts under tsx,
 * dist/outbox-thread-main.mjs beside dist/sspr.mjs in the build (scripts/build.mjs).
 */
const OUTBOX_THREAD_ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './outbox-thread-main.ts' : './outbox-thread-main.mjs',
  import.meta.url,
);

export interface ComposeOptions {
  readonly logger?: Logger;
  /**
   * Run the background jobs: the outbox worker, delivery health, and on slot 1 the purge and the
   * directory sync (serve does; one-shot CLI commands do not). They start at the end of
   * `migrate()`, once the schema is in place.
   */
  readonly startWorker?: boolean;
  /** The time source of every service, worker and limiter (default the system clock); tests pass a manual clock. */
  readonly clock?: Clock;
  /** The randomness of every service (default crypto's); tests pass one that draws codes in sequence. */
  readonly random?: Random;
  /**
   * Tests only: false leaves the help desk's sensitive actions without the caller verification
   * gate (tests written before it, which exercise the actions themselves). Default true.
   */
  readonly callerVerification?: boolean;
  /**
   * One worker of `sspr serve --workers N` (slot 1 … count): its logs carry `worker`, `/metrics`
   * merges every worker's (through the primary), the Redis fallback keeps 1/count of its share, and
   * only slot 1 runs the purge and the directory sync (the outbox worker runs in every slot).
   */
  readonly worker?: { readonly slot: number; readonly count: number };
  /** Tests only: sees each statement the store sends, as sent (one per round trip on PostgreSQL). */
  readonly onQuery?: (sql: string) => void;
}

/**
 * The App with what the composition root wired into its services: the whole configuration, the
 * store, the keyring and the hasher. HTTP and CLI receive `App`, which has none of them; tests that set up or inspect data
 * directly use this wider view.
 */
export interface ComposedApp extends App {
  readonly config: Config;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly hasher: PasswordHasher;
}

export { onStopRequest, superviseWorkers, WorkersFailedToStart } from './adapters/worker-cluster.ts';

/**
 * The old generation's growth of a serving process (`heap_growth_percent`, src/adapters/v8-heap.ts),
 * set once it listens: during start-up (the whole module graph loaded at once) a tight factor
 * only adds full collections, which kept a new worker of `--workers` busy when its first requests came.
 */
export function sizeHeapForServing(config: Config): void {
  sizeOldGeneration(config.heap_growth_percent, { execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });
}

/** The node flags the workers of `serve --workers` start with: the young generation's size (v8-heap.ts). */
export function workerNodeFlags(): string[] {
  return workerExecArgv({ execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS });
}

/** The one place that wires adapters into services. */
export async function createApp(config: Config, options: ComposeOptions = {}): Promise<ComposedApp> {
  const rootLog = options.logger ?? createLogger(config);
  const log = options.worker ? rootLog.child({ worker: options.worker.slot }) : rootLog;
  // a message missing from a catalogue: English in production, an error in development and tests
  fallBackToEnglish(config.production);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? cryptoRandom;
  const keyring = keyringFrom(config);
  const store = await openSqlStore(config.database_url, options.onQuery ? { onQuery: options.onQuery } : {});

  const devOutbox =
    !config.production && (!config.smtp_url || config.sms_provider === 'dev')
      ? new DevOutbox(log, { now: () => clock.now() })
      : null;
  const smtp = smtpMailerFrom(config);
  let mailer: Mailer;
  if (smtp) mailer = smtp;
  else if (devOutbox) mailer = devOutbox.mailer();
  else throw new Error('SSPR_SMTP_URL is required in production');
  const sms: SmsSender | null =
    config.sms_provider === 'dev' ? (devOutbox ? devOutbox.sms() : null) : smsSenderFrom(config);

  const metrics = new PromMetrics();
  if (options.worker) metrics.renderThrough(clusterMetricsInWorker(() => metrics.snapshot()));
  const workerId = `${process.pid}-${cryptoRandom.uuid().slice(0, 8)}`;
  // serve with SMTP: delivery on a thread of its own, so a flood of requests never holds codes
  // back. In process: the dev outbox (it keeps messages in this thread's memory), an in-memory
  // database (a second connection would see another one), or a test's own clock or randomness.
  const threaded =
    options.startWorker === true &&
    config.outbox_thread &&
    smtp !== null &&
    config.sms_provider !== 'dev' &&
    !/^sqlite:(\/\/)?:memory:$/.test(config.database_url) &&
    options.clock === undefined &&
    options.random === undefined;
  const outbox: OutboxDelivery = threaded
    ? new OutboxThread({
        config,
        workerId,
        slot: options.worker?.slot ?? null,
        entry: OUTBOX_THREAD_ENTRY,
        store,
        threadLock: store.threadLock,
        log: log.child({ component: 'outbox' }),
        metrics,
      })
    : new OutboxWorker({
        store,
        keyring,
        mailer,
        sms,
        clock,
        random,
        log: log.child({ component: 'outbox' }),
        ...outboxSettings(config),
        workerId,
        metrics,
      });
  metrics.setWorkerProbe(() => outbox.busy);
  metrics.setBacklogProbe(async () => {
    // counted without loading a message: a scrape during a long backlog costs no memory
    const { pending, oldestCreatedAt } = await store.outbox.backlog();
    const failedRecently = await store.outbox.countFailed({ since: clock.now() - 7 * 86_400_000 });
    const oldestAgeMs = oldestCreatedAt !== null ? clock.now() - oldestCreatedAt : 0;
    return { pending, oldestAgeMs, failedRecently };
  });
  // "messages are delayed" on every reset page: read from the shared outbox every 5 s, never per request
  const deliveryHealth = new DeliveryHealthService({
    repo: store.deliveryHealth,
    clock,
    log: log.child({ component: 'delivery-health' }),
  });
  // each tenant's OpenLDAP / Active Directory, opened on first use and kept open (pool)
  const directories = new CachedDirectoryProvider({
    directory: store.directory,
    log: log.child({ component: 'directory' }),
  });
  // /readyz: each tenant's directory, probed with a short timeout, the report reused for 5 s
  const directoryHealth = new DirectoryHealth({
    directories,
    directory: store.directory,
    clock,
    metrics,
    log: log.child({ component: 'directory' }),
  });
  const directory = new DirectoryService({
    directories,
    store,
    keyring,
    random,
    clock,
    hasher: argon2Hasher,
    outbox,
    config,
  });

  const directorySettings = new DirectorySettingsService({
    store,
    directories,
    clock,
    keyring,
    random: cryptoRandom,
    outbox,
  });

  const looks = new TenantLookService({ store, clock, images: new SharpLogoImages() });

  const resetPolicy: ResetPolicy = {
    ...DEFAULT_RESET_POLICY,
    codeTtlMs: config.code_ttl_ms,
    flowTtlMs: config.flow_ttl_ms,
    resendCooldownMs: config.resend_cooldown_ms,
    maxStartsPerIp: config.start_limit_per_ip,
  };
  // Scale-out: limits shared through Redis. Otherwise in the SQL store (the `rate_limits` table,
  // through the store's own connection): they survive restarts and every process on the database
  // shares them.
  const redisLimiter = config.redis_url
    ? await RedisLimiter.open({
        url: config.redis_url,
        keyPrefix: config.redis_key_prefix,
        // while Redis is down every process counts alone: N workers share the one fallback allowance
        fallbackShare: 0.5 / (options.worker?.count ?? 1),
        log: log.child({ component: 'limiter' }),
      })
    : null;
  const limiter = redisLimiter ?? new SqlLimiter(store, clock);
  // 1 while Redis does not answer (limits on the in-process fallback, code checks refused)
  if (redisLimiter) metrics.setLimiterProbe(async () => (await redisLimiter.health()) === 'degraded');
  // challenges are signed with the current key and accepted under the previous ones too, so a
  // proof made on any instance of a rolling key rotation passes on every other
  const keySignatureSecrets = keyring.hmacAll('altcha', 'key-signature');
  const captcha = new AltchaCaptcha({
    signatureSecret: keyring.hmac('altcha', 'signature'),
    keySignatureSecret: keyring.hmac('altcha', 'key-signature'),
    previousSecrets: keyring
      .hmacAll('altcha', 'signature')
      .slice(1)
      .map((signatureSecret, i) => ({ signatureSecret, keySignatureSecret: keySignatureSecrets[i + 1]! })),
    maxNumber: config.captcha_max_number,
    ttlMs: 10 * 60_000,
    clock,
    // relaxed: a power loss that undoes the record lets one solution be used once more
    markUsed: (signature, expiresAt) =>
      store.transaction((tx) => tx.captchas.markUsed(signature, expiresAt), { durability: 'relaxed' }),
  });

  const reset = new ResetService({
    directories,
    store,
    keyring,
    random,
    clock,
    hasher: argon2Hasher,
    limiter,
    outbox,
    log: log.child({ component: 'reset' }),
    policy: resetPolicy,
    publicUrl: config.public_url,
    metrics,
    verifyLimitPerIp: config.verify_limit_per_ip,
    captcha,
  });

  const sessions = new SessionService({
    directories,
    store,
    keyring,
    random,
    clock,
    hasher: argon2Hasher,
    outbox,
    policy: { ...DEFAULT_SIGNIN_POLICY, idleMs: config.session_idle_ms, absoluteMs: config.session_absolute_ms },
  });
  const securityInfo = new SecurityInfoService({
    store,
    keyring,
    random,
    clock,
    outbox,
    policy: resetPolicy,
    metrics,
    smsEnabled: sms !== null,
    publicUrl: config.public_url,
  });
  const callers = new CallerVerificationService({
    store,
    keyring,
    random,
    clock,
    outbox,
    sendingPolicy: resetPolicy,
    publicUrl: config.public_url,
    limiter,
    enforced: options.callerVerification !== false,
  });
  const admin = new AdminService({
    directories,
    store,
    keyring,
    random,
    clock,
    hasher: argon2Hasher,
    outbox,
    publicUrl: config.public_url,
    resetPolicy,
    ...(options.callerVerification === false ? {} : { callers }),
  });
  const helpDeps = { store, keyring, random, clock, outbox, admin: () => admin };
  const help = new HelpRequestService({ ...helpDeps, publicUrl: config.public_url });
  const support = new SupportService(helpDeps);
  const operators = new OperatorService({
    directories,
    store,
    keyring,
    random,
    clock,
    hasher: argon2Hasher,
    policy: { ...DEFAULT_SIGNIN_POLICY, idleMs: config.session_idle_ms, absoluteMs: config.session_absolute_ms },
  });
  const consoleFactors = new ConsoleFactorService({
    store,
    keyring,
    random,
    clock,
    outbox,
    publicUrl: config.public_url,
    policy: { ...DEFAULT_SIGNIN_POLICY, idleMs: config.session_idle_ms, absoluteMs: config.session_absolute_ms },
  });

  const auditChain = new AuditChainService({ store, keyring, clock });
  const purge = new PurgeService({
    audit: { retentionMs: config.audit_retention_ms, purgeBefore: (b, n, m) => auditChain.purgeBefore(b, n, m) },
    repo: store.purge,
    clock,
    flagDue: () => callers.flagUnconfirmed(),
    log: log.child({ component: 'purge' }),
    policy: {
      retentionMs: config.retention_ms,
      flowTtlMs: resetPolicy.flowTtlMs,
      failureWindowMs: resetPolicy.failureWindowMs,
      blockMs: resetPolicy.blockMs,
    },
  });
  // accounts from each tenant's directory; with serve, every syncIntervalMinutes, one instance per interval (the limiter is the lease)
  const directorySync = new DirectorySync({
    directories,
    store,
    keyring,
    random,
    clock,
    outbox,
    limiter,
    log: log.child({ component: 'directory-sync' }),
    publicUrl: config.public_url,
  });
  // PostgreSQL: every instance listens for the outbox's NOTIFY, so another instance's message goes out at once
  const outboxListener =
    options.startWorker && !threaded && store.dialect === 'postgres'
      ? new PgOutboxListener({
          databaseUrl: config.database_url,
          onNotify: () => outbox.wake(),
          log: log.child({ component: 'outbox-listener' }),
        })
      : null;

  // The background jobs read and write the schema, so they start once migrate() has put it in
  // place (a first start of several workers on an empty database: one migrates while the others
  // wait for its lock; a job started before would fail its first round on a missing table).
  let jobsStarted = false;
  const startJobs = (): void => {
    if (!options.startWorker || jobsStarted) return;
    jobsStarted = true;
    outbox.start();
    outboxListener?.start();
    deliveryHealth.start();
    // one process per host is enough for these (they also take a lease across hosts)
    if ((options.worker?.slot ?? 1) === 1) {
      purge.start(config.purge_interval_ms);
      directorySync.start();
    }
  };

  return {
    config,
    clock,
    random,
    keyring,
    log,
    store,
    hasher: argon2Hasher,
    mailer,
    sms,
    devOutbox,
    outbox,
    deliveryHealth,
    directory,
    directorySync,
    reset,
    resetPolicy,
    captcha,
    metrics,
    sessions,
    admin,
    securityInfo,
    apiKeys: new ApiKeyService({ store, keyring, random, clock }),
    insights: new InsightsService({ store, clock, flowTtlMs: resetPolicy.flowTtlMs }),
    purge,
    auditChain,
    help,
    support,
    callers,
    operators,
    consoleFactors,
    accounts: new AccountLookup({ directory: store.directory }),
    looks,
    directoryHealth,
    directorySettings,
    doctor: new DoctorService({
      directory: store.directory,
      config: { publicUrl: config.public_url, production: config.production, trustProxy: config.trust_proxy },
      directorySettings,
    }),
    limiterHealth: redisLimiter ? () => redisLimiter.health() : null,
    ping: () => store.ping(),
    async migrate() {
      const applied = await store.migrate({ log: log.child({ component: 'migrations' }) });
      if (options.startWorker) await deliveryHealth.refresh();
      startJobs();
      return applied;
    },
    async close() {
      await purge.stop();
      await directorySync.stop();
      await directories.close();
      await outboxListener?.stop();
      await outbox.stop();
      await deliveryHealth.stop();
      await redisLimiter?.close();
      await mailer.close?.();
      await store.close();
    },
  };
}
