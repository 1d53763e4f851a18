import type pg from 'pg';
import type { Logger } from '../../ports/logger.ts';
import { OUTBOX_CHANNEL } from './sql-outbox-repo.ts';

export interface PgOutboxListenerOptions {
  readonly databaseUrl: string;
  /** Called for every notification, and after each (re)connection (messages may have come meanwhile). */
  readonly onNotify: () => void;
  readonly log?: Logger;
  /** First reconnection delay (default 100 ms), doubled up to `maxBackoffMs` (default 5 s). */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/**
 * One `LISTEN sspr_outbox` connection per instance: when any instance commits a transaction that
 * enqueued a message (an insert trigger on `outbox` sends `pg_notify`), every instance's worker is woken
 * and the message goes out in milliseconds instead of at the next poll. The poll stays as the
 * fallback. When the connection drops (server restart, network, terminated backend) it reconnects
 * with backoff and wakes the worker once connected again.
 */
export class PgOutboxListener {
  readonly #o: PgOutboxListenerOptions;
  #client: pg.Client | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #failures = 0;
  #connected = false;
  /** Resolves when the current connection attempt settles (tests wait on it). */
  #attempt: Promise<void> = Promise.resolve();

  constructor(options: PgOutboxListenerOptions) {
    this.#o = options;
  }

  /** True while the LISTEN connection is up. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Connects (in the background: a database that is down now is retried). */
  start(): void {
    if (this.#stopped || this.#client || this.#timer) return;
    this.#attempt = this.#connect();
  }

  /** Resolves once listening (or rejects after `timeoutMs`). */
  async ready(timeoutMs = 5_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!this.#connected) {
      if (this.#stopped || Date.now() > until) throw new Error('outbox listener is not connected');
      await this.#attempt;
      if (!this.#connected) await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#attempt;
    const client = this.#client;
    this.#client = null;
    this.#connected = false;
    if (client) await client.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const { Client } = (await import('pg')).default;
    const client = new Client({ connectionString: this.#o.databaseUrl, connectionTimeoutMillis: 5_000 });
    let lost = false;
    const onLost = (e?: unknown): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) {
        this.#client = null;
        this.#connected = false;
      }
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      if (this.#stopped) return;
      this.#o.log?.warn({ err: errorName(e) }, 'outbox listener lost its connection; reconnecting');
      this.#scheduleReconnect();
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (n) => {
      if (n.channel === OUTBOX_CHANNEL) this.#o.onNotify();
    });
    this.#client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (e) {
      onLost(e);
      return;
    }
    if (lost || this.#stopped) return;
    this.#connected = true;
    if (this.#failures > 0) this.#o.log?.info('outbox listener connected again');
    this.#failures = 0;
    this.#o.onNotify();
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#timer) return;
    const min = this.#o.minBackoffMs ?? 100;
    const max = this.#o.maxBackoffMs ?? 5_000;
    const delay = Math.min(max, min * 2 ** Math.min(this.#failures, 16));
    this.#failures++;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) this.#attempt = this.#connect();
    }, delay);
    this.#timer.unref();
  }
}

function errorName(e: unknown): string | null {
  if (e === undefined) return null;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e;
}
