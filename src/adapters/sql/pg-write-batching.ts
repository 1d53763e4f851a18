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
 * - `commit` takes what is held along: one simple-protocol message `<held>; commit` with the
 *   values written as literals (`escapeLiteral`: an untyped literal is typed from its place exactly
 *   as an untyped parameter is), so a lock the held writes take (the audit chain's head) is released
 *   without a trip back to the client. Values that are not strings, finite numbers, booleans or
 *   null (none are held today) make it two round trips, held writes first. If a held write fails,
 *   the server skips the `commit` and the caller's rollback follows as for any failed statement.
 *   `rollback` (or to a savepoint) drops what is held: it never ran. A savepoint or any other
 *   statement sends it first.
 * A held write is an `insert`, `update` or `delete` without `returning`, or a `with` whose clauses
 * and main statement are such writes (an upsert counts as an update: it waits for row locks); a
 * held `with` is always the batch's last write, as its main statement (PostgreSQL takes
 * data-modifying `WITH` clauses at the top level only).
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
  /** A `with`: it can only be the main statement of a combination (a data-modifying `WITH` must be at the top level). */
  readonly topLevel: boolean;
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
      this.#inTransaction = false;
      if (this.#held.length > 0 && values.length === 0) {
        const held = this.#combine(this.#take());
        const inlined = inline(held.text, held.values, (v) => this.client.escapeLiteral(v));
        if (inlined !== null) {
          const results = (await this.#send(`${inlined}; ${text}`, [])) as unknown as QueryResult | QueryResult[];
          return Array.isArray(results) ? results[results.length - 1]! : results;
        }
        await this.#send(held.text, held.values);
      }
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
    // a held `with` stays last: whatever comes next is sent after it
    if (this.#held.some((h) => h.topLevel)) return false;
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
    if (this.#held.some((h) => h.topLevel || h.writes.some((t) => names.has(t)))) return false;
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
    const { text, values } = this.#combine(this.#take());
    await this.#send(text, values);
  }

  /** Held writes as one statement: the last one's, with the others in front of it as `WITH` clauses. */
  #combine(held: HeldWrite[]): { text: string; values: unknown[] } {
    const last = held.pop()!;
    return held.length === 0
      ? { text: last.sql, values: [...last.values] }
      : withHeld(last.sql, [...last.values], held);
  }

  #sendWith(main: string, mainValues: unknown[], held: readonly HeldWrite[]): Promise<QueryResult> {
    const { text, values } = withHeld(main, mainValues, held);
    return this.#send(text, values);
  }

  #send(text: string, values: unknown[]): Promise<QueryResult> {
    this.onQuery?.(text);
    return this.client.query(text, values) as unknown as Promise<QueryResult>;
  }
}

/** `main` with the held writes in front of it as `WITH` clauses (joining a `WITH` of its own), parameters renumbered. */
function withHeld(
  main: string,
  mainValues: unknown[],
  held: readonly HeldWrite[],
): { text: string; values: unknown[] } {
  const values = [...mainValues];
  const parts = held.map((h, i) => {
    const offset = values.length;
    values.push(...h.values);
    return `sspr_later_${i + 1} as (${renumber(h.sql, offset)})`;
  });
  const rest = main.trimStart();
  // a main `with`: its clauses join the list after the held ones
  const own = /^with\s/i.exec(rest);
  return {
    text: own ? `with ${parts.join(', ')}, ${rest.slice(own[0].length)}` : `with ${parts.join(', ')} ${rest}`,
    values,
  };
}

function describe(text: string, values: readonly unknown[]): HeldWrite | null {
  if (/^\s*with\s/i.test(text)) return describeWith(text, values);
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
  return {
    sql: text,
    values,
    kind,
    table,
    writes: [table, ...(TRIGGER_WRITES[table] ?? [])],
    names,
    plainInsert,
    topLevel: false,
  };
}

/**
 * A `with` of writes only (not `recursive`, no `returning` anywhere): it writes every table an
 * `insert into`, `update` or `delete from` in it names (and their triggers' tables), and counts as
 * an update — waiting for row locks — when it updates, deletes or upserts.
 */
function describeWith(text: string, values: readonly unknown[]): HeldWrite | null {
  const keywords = stripQuoted(text);
  if (/^\s*with\s+recursive\b/i.test(keywords)) return null;
  // its main statement a write that reads nothing back (a clause may return rows to it)
  const main = mainOfWith(keywords);
  if (main === null || !/^\s*(insert|update|delete)\b/i.test(main) || /\breturning\b/i.test(main)) return null;
  const targets = [
    ...text.matchAll(/(?<!\bdo\s+)\b(insert\s+into|update|delete\s+from)\s+("([^"]+)"|([a-z_][a-z0-9_]*))/gi),
  ];
  const last = targets.at(-1);
  if (!last) return null;
  const tables = targets.map((t) => (t[3] ?? t[4]!).toLowerCase());
  const waits = targets.some((t) => !/^insert/i.test(t[1]!)) || /\bon\s+conflict\b/i.test(keywords);
  return {
    sql: text,
    values,
    kind: waits ? 'update' : 'insert',
    table: tables.at(-1)!,
    writes: [...new Set(tables.flatMap((t) => [t, ...(TRIGGER_WRITES[t] ?? [])]))],
    names: namesIn(text),
    plainInsert: false,
    topLevel: true,
  };
}

/** The main statement of `with a as (…), b as (…) <main>` (quoted text already blanked); null if it does not parse. */
function mainOfWith(keywords: string): string | null {
  let i = (/^\s*with\s/i.exec(keywords)?.[0].length ?? 0) - 1;
  if (i < 0) return null;
  for (;;) {
    const clause = /^\s*[a-z_][a-z0-9_]*\s+as\s*(?:(?:not\s+)?materialized\s*)?\(/i.exec(keywords.slice(i));
    if (!clause) return null;
    i += clause[0].length;
    for (let depth = 1; depth > 0; i++) {
      if (i >= keywords.length) return null;
      if (keywords[i] === '(') depth++;
      else if (keywords[i] === ')') depth--;
    }
    const comma = /^\s*,/.exec(keywords.slice(i));
    if (!comma) return keywords.slice(i);
    i += comma[0].length;
  }
}

/**
 * `$n` → the n-th value as an SQL literal (string literals and quoted names left alone); null when
 * a value is not a string, a finite number, a boolean or null.
 */
function inline(text: string, values: readonly unknown[], escape: (s: string) => string): string | null {
  const literals: string[] = [];
  for (const v of values) {
    if (v === null || v === undefined) literals.push('NULL');
    else if (typeof v === 'string') literals.push(escape(v));
    else if (typeof v === 'number' && Number.isFinite(v)) literals.push(escape(String(v)));
    else if (typeof v === 'boolean') literals.push(escape(String(v)));
    else return null;
  }
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (whole, n: string | undefined) =>
    n === undefined ? whole : literals[Number(n) - 1]!,
  );
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
