import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import type pg from 'pg';
import type { SqlDialect } from './migrations.ts';

/**
 * Fewer round trips on PostgreSQL: a write whose caller needs nothing back (no rows, no count) is
 * marked "later" (`executeLater`), and inside a transaction the connection holds it back and sends
 * it as a data-modifying `WITH` in front of the next statement — one round trip for both:
 *
 *     with sspr_later_1 as (update "flows" …), sspr_later_2 as (insert into "flows" …) select … from "tenant_looks" …
 *
 * node-postgres cannot pipeline, so merging statements is the way to save the trips; each one
 * costs the server a read and a write system call and the client a turn of the event loop.
 *
 * The statements of one `WITH` see one snapshot and none of each other's changes, so merging is
 * held to what gives the same result as running them one after the other:
 * - a held write joins the batch only if it reads no table the batch writes — except a plain insert
 *   (no `from`) into a table the batch only updates or deletes from: neither sees the other's rows
 *   in either order;
 * - the next statement takes the batch only if it reads no table the batch writes, is a
 *   `select`/`insert`/`update`/`delete` or a `with` (not `with recursive`: its clauses then follow
 *   the batch's in the one `WITH` list), and — while the batch holds an update or a delete, which
 *   wait for row locks — takes no locks itself (`for update`, advisory locks, `on conflict`,
 *   updates, deletes; a `with` counts as taking locks): the main statement runs before its `WITH`
 *   writes, and lock order must not change. Otherwise the batch goes first as a statement of its own;
 * - `commit` sends what is held first; `rollback` (or to a savepoint) drops it: it never ran. A
 *   savepoint or any other statement sends it first.
 * Outside a transaction a "later" write runs at once. Tables are recognised by name in the SQL
 * text (quoted or not): a column that shares a table's name only costs a merge, never correctness.
 * An error of a held write surfaces at the statement that carried it; the step's transaction then
 * rolls back as for any failed statement (held writes are ones that only fail on bugs or outages).
 */
export const LATER = '/* sspr:later */ ';

/** Runs `query`, marked so that on PostgreSQL it may travel with the next statement (see above). */
export async function executeLater(db: Kysely<never>, dialect: SqlDialect, query: Compilable): Promise<void> {
  const compiled = query.compile();
  await db.executeQuery(
    dialect === 'postgres' ? CompiledQuery.raw(LATER + compiled.sql, [...compiled.parameters]) : compiled,
  );
}

/** Tables that triggers change when a row of the key's table is inserted (audit-chain-migrations.ts). */
const TRIGGER_WRITES: Readonly<Record<string, readonly string[]>> = { audit_events: ['audit_chain_heads'] };

type QueryResult = { command: string; rowCount: number | null; rows: unknown[] };

interface HeldWrite {
  readonly sql: string;
  readonly values: readonly unknown[];
  readonly kind: 'insert' | 'update' | 'delete';
  readonly table: string;
  /** The tables it changes: its own, and those its table's triggers change. */
  readonly writes: readonly string[];
  /** Every name in the text (tables it reads, columns…). */
  readonly names: ReadonlySet<string>;
  readonly plainInsert: boolean;
}

/** A pg Pool for Kysely whose clients batch "later" writes (and report each round trip to `onQuery`). */
export function batchingPool(pool: pg.Pool, onQuery?: (sql: string) => void): pg.Pool {
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (!w) {
        w = new BatchingClient(client, onQuery) as unknown as pg.PoolClient;
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  } as unknown as pg.Pool;
}

class BatchingClient {
  #inTransaction = false;
  #held: HeldWrite[] = [];

  constructor(
    private readonly client: pg.PoolClient,
    private readonly onQuery: ((sql: string) => void) | undefined,
  ) {}

  release(error?: Error | boolean): void {
    this.#held = [];
    this.#inTransaction = false;
    this.client.release(error);
  }

  async query(text: string, values: unknown[] = []): Promise<QueryResult> {
    if (text.startsWith(LATER)) return this.#later(text.slice(LATER.length), values);
    const head = text.trimStart().slice(0, 24).toLowerCase();
    if (head.startsWith('begin') || head.startsWith('start transaction')) {
      this.#held = [];
      this.#inTransaction = true;
      return this.#send(text, values);
    }
    if (head.startsWith('rollback')) {
      this.#held = [];
      if (!head.startsWith('rollback to')) this.#inTransaction = false;
      return this.#send(text, values);
    }
    if (head.startsWith('commit')) {
      await this.#flush();
      this.#inTransaction = false;
      return this.#send(text, values);
    }
    if (this.#held.length > 0) {
      if (this.#mergeable(text)) return this.#sendWith(text, values, this.#take());
      await this.#flush();
    }
    return this.#send(text, values);
  }

  async #later(text: string, values: unknown[]): Promise<QueryResult> {
    const write = this.#inTransaction ? describe(text, values) : null;
    if (!write) return this.#send(text, values);
    if (!this.#joins(write)) await this.#flush();
    this.#held.push(write);
    // the caller of a "later" write reads nothing back
    return { command: write.kind.toUpperCase(), rowCount: 0, rows: [] };
  }

  /** Whether `w` may be held with the writes held already (same result as one after the other). */
  #joins(w: HeldWrite): boolean {
    for (const h of this.#held) {
      if (!h.writes.some((t) => w.names.has(t))) continue;
      // a plain insert into a table the batch only updates or deletes from: the same either way
      if (!(w.plainInsert && h.kind !== 'insert' && h.writes.length === 1 && h.table === w.table)) return false;
    }
    return true;
  }

  #mergeable(text: string): boolean {
    const trimmed = text.trimStart();
    const kind = /^(select|insert|update|delete|with)\b/i.exec(trimmed)?.[1]?.toLowerCase();
    if (!kind || /^with\s+recursive\b/i.test(trimmed)) return false;
    const names = namesIn(trimmed);
    if (this.#held.some((h) => h.writes.some((t) => names.has(t)))) return false;
    const heldWaits = this.#held.some((h) => h.kind !== 'insert');
    const locks =
      kind === 'with' ||
      kind === 'update' ||
      kind === 'delete' ||
      /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bpg_advisory|\bon\s+conflict\b/i.test(trimmed);
    return !(heldWaits && locks);
  }

  #take(): HeldWrite[] {
    const held = this.#held;
    this.#held = [];
    return held;
  }

  async #flush(): Promise<void> {
    if (this.#held.length === 0) return;
    const held = this.#take();
    const last = held.pop()!;
    await (held.length === 0
      ? this.#send(last.sql, [...last.values])
      : this.#sendWith(last.sql, [...last.values], held));
  }

  #sendWith(main: string, mainValues: unknown[], held: readonly HeldWrite[]): Promise<QueryResult> {
    const values = [...mainValues];
    const parts = held.map((h, i) => {
      const offset = values.length;
      values.push(...h.values);
      return `sspr_later_${i + 1} as (${renumber(h.sql, offset)})`;
    });
    const rest = main.trimStart();
    // a main `with`: its clauses join the list after the held ones
    const own = /^with\s/i.exec(rest);
    return this.#send(
      own ? `with ${parts.join(', ')}, ${rest.slice(own[0].length)}` : `with ${parts.join(', ')} ${rest}`,
      values,
    );
  }

  #send(text: string, values: unknown[]): Promise<QueryResult> {
    this.onQuery?.(text);
    return this.client.query(text, values) as unknown as Promise<QueryResult>;
  }
}

function describe(text: string, values: readonly unknown[]): HeldWrite | null {
  const m = /^\s*(insert\s+into|update|delete\s+from)\s+("([^"]+)"|([a-z_][a-z0-9_]*))/i.exec(text);
  if (!m) return null;
  const kind = m[1]!.toLowerCase().startsWith('insert')
    ? 'insert'
    : m[1]!.toLowerCase() === 'update'
      ? 'update'
      : 'delete';
  if (/\breturning\b/i.test(stripQuoted(text))) return null;
  const names = namesIn(text);
  const plainInsert = kind === 'insert' && !/\bfrom\b/i.test(stripQuoted(text));
  const table = (m[3] ?? m[4]!).toLowerCase();
  return { sql: text, values, kind, table, writes: [table, ...(TRIGGER_WRITES[table] ?? [])], names, plainInsert };
}

/** The text with string literals and quoted names blanked (keywords only). */
function stripQuoted(text: string): string {
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, ' ');
}

/** Every identifier in the text, quoted or not, lower-cased (string literals skipped). */
function namesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/'(?:[^']|'')*'|"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const name = m[1] ?? m[2];
    if (name !== undefined) names.add(name.toLowerCase());
  }
  return names;
}

/** `$n` → `$(n + offset)`, outside string literals and quoted names. */
function renumber(text: string, offset: number): string {
  if (offset === 0) return text;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (whole, n: string | undefined) =>
    n === undefined ? whole : `$${Number(n) + offset}`,
  );
}
