import type { OutboxChannel } from './store.ts';

/**
 * Counters and timings the services report. The adapter (Prometheus, `src/adapters/prom-metrics.ts`)
 * exposes them at `/metrics`; services never import a metrics library. Labels are small fixed
 * sets (outcomes, reasons, channels, route patterns): never a login, an address or an id.
 */
export interface Metrics {
  /** A reset was started; `outcome` is the internal one the audit log records (found, not_found, disabled, no_methods, blocked). */
  flowStarted(outcome: string): void;
  /** A reset ended with a new password. */
  flowCompleted(): void;
  /** A step failed: `reason` is a stable code, e.g. `code_mismatch`, `code_expired`, `phone_mismatch`, `flow_expired`. */
  flowFailed(reason: string): void;
  /** A message was put in the outbox. */
  messageQueued(channel: OutboxChannel, template: string): void;
  /**
   * The outbox worker finished one attempt; `ageMs` is the time since the message was queued.
   * `superseded`: a code message dropped because its code was replaced, used or its flow ended;
   * `deferred`: left for an instance holding the key it was sealed under (not an attempt).
   */
  messageDone(channel: OutboxChannel, outcome: MessageOutcome, ageMs: number): void;
  /** A limit refused something: `limit` names it, e.g. `reset_start_ip`, `account_email_limit`, `account_lockout`. */
  limiterBlocked(limit: string): void;
  /** One HTTP request: `route` is the route pattern (`/api/v1/reset/start`), never the raw URL. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /**
   * One call to a tenant's directory: `kind` ldap or ad, `operation` (find, rules, set_password,
   * health…), `outcome` ok or the refusal (unreachable, not_allowed, too_short…). Optional: fakes
   * that do not count it need not implement it.
   */
  directoryOperation?(kind: string, operation: string, outcome: string, seconds: number): void;
}

export type MessageOutcome = 'sent' | 'retry' | 'failed' | 'expired' | 'superseded' | 'deferred';

/** What the outbox holds right now, read when metrics are scraped. */
export interface OutboxBacklog {
  /** Pending messages (counted up to a cap; see the adapter). */
  readonly pending: number;
  /** Age of the oldest pending message, 0 when there is none. */
  readonly oldestAgeMs: number;
  /** Messages marked failed (retrying could no longer help) in the last 7 days, counted up to 1000. */
  readonly failedRecently?: number;
}

/** The metrics as text for a scraper, plus the counters themselves. */
export interface MetricsRegistry extends Metrics {
  /** `Content-Type` of `render()`'s output. */
  readonly contentType: string;
  render(): Promise<string>;
  /** Reads the outbox backlog at each scrape. */
  setBacklogProbe(probe: () => Promise<OutboxBacklog>): void;
  /** Reads, at each scrape, whether this instance's outbox worker has anything in hand (a round, a send). */
  setWorkerProbe(probe: () => boolean): void;
}
