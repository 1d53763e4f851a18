import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageOutcome, MetricsRegistry, OutboxBacklog } from '../ports/metrics.ts';
import type { OutboxChannel } from '../ports/store.ts';

/** Latency buckets of HTTP requests, in seconds (1 ms … 5 s). */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Age of a message when the worker finished with it, in seconds (10 ms … 1 h). */
const AGE_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export interface PromMetricsOptions {
  /** Also export Node's process metrics (CPU, RSS, heap, event-loop lag) as `sspr_process_*`, `sspr_nodejs_*` (default true). */
  readonly processMetrics?: boolean;
}

/**
 * The Metrics port on prom-client, in a registry of its own (several Apps in one process, as in
 * tests, do not collide). Metric names start with `sspr_`; `docs/operations.md` lists them.
 */
export class PromMetrics implements MetricsRegistry {
  readonly #registry = new Registry();
  readonly #flowsStarted: Counter<'outcome'>;
  readonly #flowsCompleted: Counter;
  readonly #flowsFailed: Counter<'reason'>;
  readonly #queued: Counter<'channel' | 'template'>;
  readonly #done: Counter<'channel' | 'outcome'>;
  readonly #age: Histogram<'channel' | 'outcome'>;
  readonly #blocks: Counter<'limit'>;
  readonly #requests: Histogram<'method' | 'route' | 'status_code'>;
  readonly #directoryOps: Counter<'kind' | 'operation' | 'outcome'>;
  readonly #directorySeconds: Histogram<'kind' | 'operation'>;
  #backlog: (() => Promise<OutboxBacklog>) | null = null;
  #limiterDegraded: (() => Promise<boolean>) | null = null;
  #workerBusy: (() => boolean) | null = null;
  #cluster: (() => Promise<string | null>) | null = null;

  constructor(options: PromMetricsOptions = {}) {
    const registers = [this.#registry];
    this.#flowsStarted = new Counter({
      name: 'sspr_reset_flows_started_total',
      help: 'Password resets started, by internal outcome (found, not_found, disabled, no_methods, blocked).',
      labelNames: ['outcome'],
      registers,
    });
    this.#flowsCompleted = new Counter({
      name: 'sspr_reset_flows_completed_total',
      help: 'Password resets that ended with a new password.',
      registers,
    });
    this.#flowsFailed = new Counter({
      name: 'sspr_reset_flows_failed_total',
      help: 'Failed reset steps, by reason (code_mismatch, code_expired, code_attempts_exhausted, code_no_code, phone_mismatch, link_expired, flow_expired).',
      labelNames: ['reason'],
      registers,
    });
    this.#queued = new Counter({
      name: 'sspr_messages_queued_total',
      help: 'Messages put in the outbox, by channel and template.',
      labelNames: ['channel', 'template'],
      registers,
    });
    this.#done = new Counter({
      name: 'sspr_messages_total',
      help: 'Delivery attempts finished by the outbox worker, by channel and outcome (sent, retry, failed, expired, superseded, deferred).',
      labelNames: ['channel', 'outcome'],
      registers,
    });
    this.#age = new Histogram({
      name: 'sspr_message_age_seconds',
      help: 'Time from queueing to the end of a delivery attempt, by channel and outcome.',
      labelNames: ['channel', 'outcome'],
      buckets: AGE_BUCKETS,
      registers,
    });
    this.#blocks = new Counter({
      name: 'sspr_limiter_blocks_total',
      help: 'Requests or messages refused by a limit (reset_start_ip, account_email_limit, account_sms_limit, tenant_sms_budget, sms_country_not_allowed, account_lockout).',
      labelNames: ['limit'],
      registers,
    });
    this.#requests = new Histogram({
      name: 'sspr_http_request_duration_seconds',
      help: 'HTTP request latency, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#directoryOps = new Counter({
      name: 'sspr_directory_operations_total',
      help: 'Calls to tenant directories, by kind (ldap, ad), operation (find, rules, set_password, health) and outcome (ok, or the refusal: unreachable, not_allowed, too_short, in_history…).',
      labelNames: ['kind', 'operation', 'outcome'],
      registers,
    });
    this.#directorySeconds = new Histogram({
      name: 'sspr_directory_operation_duration_seconds',
      help: 'Time of calls to tenant directories, by kind and operation.',
      labelNames: ['kind', 'operation'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    const backlog = async (): Promise<OutboxBacklog | null> => (this.#backlog ? this.#backlog() : null);
    // one probe per scrape feeds both gauges
    let pendingRead: Promise<OutboxBacklog | null> | null = null;
    const read = (): Promise<OutboxBacklog | null> => {
      pendingRead ??= backlog().finally(() => {
        pendingRead = null;
      });
      return pendingRead;
    };
    new Gauge({
      name: 'sspr_messages_pending',
      aggregator: 'max', // --workers: one state, not one per worker (cluster-metrics.ts)
      help: 'Messages waiting in the outbox (counted up to 1000).',
      registers,
      async collect() {
        const b = await read();
        this.set(b?.pending ?? 0);
      },
    });
    new Gauge({
      name: 'sspr_message_oldest_pending_age_seconds',
      aggregator: 'max', // --workers: one state, not one per worker (cluster-metrics.ts)
      help: 'Age of the oldest message waiting in the outbox (0 when none).',
      registers,
      async collect() {
        const b = await read();
        this.set((b?.oldestAgeMs ?? 0) / 1000);
      },
    });
    new Gauge({
      name: 'sspr_messages_failed_recent',
      aggregator: 'max', // --workers: one state, not one per worker (cluster-metrics.ts)
      help: 'Messages marked failed (retrying could no longer help) in the last 7 days, all tenants (counted up to 1000).',
      registers,
      async collect() {
        const b = await read();
        this.set(b?.failedRecently ?? 0);
      },
    });
    const workerBusy = (): boolean => this.#workerBusy?.() ?? false;
    new Gauge({
      name: 'sspr_outbox_worker_busy',
      aggregator: 'max', // --workers: one state, not one per worker (cluster-metrics.ts)
      help: "1 while this instance's outbox worker has anything in hand (a round claiming or sending messages), 0 when idle: with no message pending and 0 on every instance, nothing more goes out.",
      registers,
      collect() {
        this.set(workerBusy() ? 1 : 0);
      },
    });
    const limiterDegraded = (): Promise<boolean> => this.#limiterDegraded?.() ?? Promise.resolve(false);
    new Gauge({
      name: 'sspr_limiter_degraded',
      aggregator: 'max', // --workers: one state, not one per worker (cluster-metrics.ts)
      help: '1 while the shared store of the rate limits (Redis) does not answer: limits run on the tighter in-process fallback and code checks answer 503; 0 otherwise (and without Redis).',
      registers,
      async collect() {
        this.set((await limiterDegraded()) ? 1 : 0);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.#registry, prefix: 'sspr_' });
  }

  get contentType(): string {
    return this.#registry.contentType;
  }

  async render(): Promise<string> {
    // under `serve --workers N`: every worker's metrics merged by the primary (cluster-metrics.ts)
    const merged = this.#cluster ? await this.#cluster() : null;
    return merged ?? this.#registry.metrics();
  }

  /** This process's metrics as prom-client JSON (what the primary merges under `--workers`). */
  snapshot(): ReturnType<Registry['getMetricsAsJSON']> {
    return this.#registry.getMetricsAsJSON();
  }

  /** Renders through `merged` (the whole host's metrics) instead; its null falls back to this process's. */
  renderThrough(merged: () => Promise<string | null>): void {
    this.#cluster = merged;
  }

  setBacklogProbe(probe: () => Promise<OutboxBacklog>): void {
    this.#backlog = probe;
  }

  /** Reads, at each scrape, whether this instance's outbox worker is busy (`sspr_outbox_worker_busy`). */
  setWorkerProbe(probe: () => boolean): void {
    this.#workerBusy = probe;
  }

  /** Reads, at each scrape, whether the limiter's shared store is unreachable (`sspr_limiter_degraded`). */
  setLimiterProbe(probe: () => Promise<boolean>): void {
    this.#limiterDegraded = probe;
  }

  flowStarted(outcome: string): void {
    this.#flowsStarted.inc({ outcome });
  }

  flowCompleted(): void {
    this.#flowsCompleted.inc();
  }

  flowFailed(reason: string): void {
    this.#flowsFailed.inc({ reason });
  }

  messageQueued(channel: OutboxChannel, template: string): void {
    this.#queued.inc({ channel, template });
  }

  messageDone(channel: OutboxChannel, outcome: MessageOutcome, ageMs: number): void {
    this.#done.inc({ channel, outcome });
    this.#age.observe({ channel, outcome }, Math.max(0, ageMs) / 1000);
  }

  limiterBlocked(limit: string): void {
    this.#blocks.inc({ limit });
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.#requests.observe({ method, route, status_code: String(status) }, seconds);
  }

  directoryOperation(kind: string, operation: string, outcome: string, seconds: number): void {
    this.#directoryOps.inc({ kind, operation, outcome });
    this.#directorySeconds.observe({ kind, operation }, seconds);
  }
}
