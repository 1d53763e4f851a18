import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { PurgeRepo, PurgeTarget } from '../ports/purge-store.ts';

export interface PurgePolicy {
  /** Finished flows and messages are kept this long (support questions) before they go. */
  readonly retentionMs: number;
  /** A flow's whole lifetime: a flow is purged `flowTtlMs + retentionMs` after it was created. */
  readonly flowTtlMs: number;
  /** Failed verifications older than this no longer count (and go). */
  readonly failureWindowMs: number;
  /** Self-service blocks older than this are over (and go). */
  readonly blockMs: number;
}

export interface PurgeDeps {
  readonly repo: PurgeRepo;
  readonly clock: Clock;
  readonly log: Logger;
  readonly policy: PurgePolicy;
  /** Rows per statement (default 500). */
  readonly batchSize?: number;
  /** Pause between two batches of one table, so other writers get their turn (default 25 ms). */
  readonly pauseMs?: number;
  /** At most this many batches per table and run (default 200): a huge backlog is worked off over several runs. */
  readonly maxBatches?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Work due at each run before the deletions: the help desk's reverse checks that ended unconfirmed are audited (flagged). */
  readonly flagDue?: () => Promise<number>;
  /**
   * The audit log's retention: events older than `retentionMs` leave the start of each chain,
   * with a signed checkpoint (AuditChainService.purgeBefore). Absent or 0: the audit log is kept.
   */
  readonly audit?: {
    readonly retentionMs: number;
    purgeBefore(before: number, batchSize: number, maxBatches: number): Promise<number>;
  };
}

/** Rows deleted per table; `audit_events` stays 0 unless an audit retention is set. */
export type PurgeCounts = Readonly<Record<PurgeTarget | 'audit_events', number>>;

export type PurgeOutcome =
  | { readonly ran: true; readonly deleted: PurgeCounts; readonly tookMs: number }
  | { readonly ran: false };

const TARGETS: readonly PurgeTarget[] = [
  'flows',
  'outbox',
  'sessions',
  'verification_failures',
  'account_blocks',
  'captcha_used',
  'rate_limits',
  'operator_sessions',
  'security_info_pending',
];

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deletes what has expired: flows (with their codes) once past their deadline plus the retention,
 * sent/failed/expired messages after the retention, expired sessions (people's and Technical
 * Support's), CAPTCHA solutions and rate-limit windows, security-info codes after the retention,
 * failure records outside the failure window and blocks that are over. Small batches with short
 * pauses, one instance at a time. The audit log only with an audit retention set, through its
 * chain's signed checkpoints (never by a plain delete).
 */
export class PurgeService {
  readonly #d: PurgeDeps;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<PurgeOutcome> | null = null;
  #stopping = false;

  constructor(deps: PurgeDeps) {
    this.#d = deps;
  }

  /** What is older than these times goes, per table. */
  cutoffs(now: number): Readonly<Record<PurgeTarget, number>> {
    const p = this.#d.policy;
    return {
      flows: now - p.flowTtlMs - p.retentionMs,
      outbox: now - p.retentionMs,
      sessions: now,
      verification_failures: now - p.failureWindowMs,
      account_blocks: now - p.blockMs,
      captcha_used: now,
      rate_limits: now,
      operator_sessions: now,
      // kept for the retention, so a late click still hears "this code expired" rather than nothing
      security_info_pending: now - p.retentionMs,
    };
  }

  /** One purge run; `{ ran: false }` when another instance is purging right now. */
  runOnce(): Promise<PurgeOutcome> {
    if (this.#running) return this.#running;
    const run = this.#run().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  /** Purges every `intervalMs` (the first run after `firstDelayMs`). 0 does nothing. */
  start(intervalMs: number, firstDelayMs = Math.min(intervalMs, 30_000)): void {
    if (intervalMs <= 0 || this.#timer || this.#stopping) return;
    const tick = (delay: number): void => {
      this.#timer = setTimeout(() => {
        this.runOnce()
          .catch((e: unknown) => this.#d.log.error({ err: errorName(e) }, 'purge failed; will try again later'))
          .finally(() => {
            if (!this.#stopping) tick(intervalMs);
          });
      }, delay);
      this.#timer.unref();
    };
    tick(firstDelayMs);
  }

  /** Stops the schedule and waits for a run in progress (it stops after its current batch). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running?.catch(() => {});
  }

  async #run(): Promise<PurgeOutcome> {
    const { repo, clock, log } = this.#d;
    const batchSize = Math.max(1, Math.floor(this.#d.batchSize ?? 500));
    const pauseMs = Math.max(0, this.#d.pauseMs ?? 25);
    const maxBatches = Math.max(1, Math.floor(this.#d.maxBatches ?? 200));
    const sleep = this.#d.sleep ?? defaultSleep;
    const started = clock.now();
    const cutoffs = this.cutoffs(started);
    const outcome = await repo.exclusive(async (batches) => {
      if (this.#d.flagDue) await this.#d.flagDue();
      const deleted: Record<PurgeTarget | 'audit_events', number> = {
        flows: 0,
        outbox: 0,
        sessions: 0,
        verification_failures: 0,
        account_blocks: 0,
        captcha_used: 0,
        rate_limits: 0,
        operator_sessions: 0,
        security_info_pending: 0,
        audit_events: 0,
      };
      for (const target of TARGETS) {
        for (let i = 0; i < maxBatches && !this.#stopping; i++) {
          const n = await batches.deleteBatch(target, cutoffs[target], batchSize);
          deleted[target] += n;
          if (n < batchSize) break;
          if (pauseMs > 0) await sleep(pauseMs);
        }
      }
      const audit = this.#d.audit;
      if (audit && audit.retentionMs > 0 && !this.#stopping) {
        deleted.audit_events = await audit.purgeBefore(started - audit.retentionMs, batchSize, maxBatches);
      }
      return deleted;
    });
    if (!outcome.ran) {
      log.debug('purge skipped: another instance is purging');
      return { ran: false };
    }
    const tookMs = clock.now() - started;
    const total = Object.values(outcome.value).reduce((a, b) => a + b, 0);
    if (total > 0) log.info({ deleted: outcome.value, tookMs }, 'purged expired data');
    return { ran: true, deleted: outcome.value, tookMs };
  }
}

function errorName(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e;
}
