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
 * - a plain `select` that takes no locks and reads no table the batch writes runs before a batch it
 *   cannot join (one that ends in a `with`, the audit append), which stays held for the commit;
 * - a held write joins the batch only if it reads no table the batch writes — except a plain insert
 *   (no `from`) into a table the batch only updates or deletes from: neither sees the other's rows
 *   in either order;
 * - the next statement takes the batch only if it reads no table the batch writes, is a
 *   `select`/`insert`/`update`/`delete` or a `with` (not `with recursive`: its clauses then follow
 *   the batch's in the one `WITH` list), and — while the batch holds an update or a delete, which
 *   wait for row locks — takes no locks itself (`for update`, advisory locks, `on conflict`,
 *   updates, deletes; a `with` counts as taking locks): the main statement runs before its `WITH`
 *   writes, and lock order must not change. Otherwise the batch goes first as a statement of its own;
 * - `commit` takes what is held along: one simple-protocol message `<held 1>; <held 2>; …; commit`
 *   with the values written as literals (`escapeLiteral`: an untyped literal is typed from its place
 *   exactly as an untyped parameter is), so a lock the held writes take (the audit chain's head) is
 *   released without a trip back to the client. Each held write is a statement of its own there,
 *   run in the order it was made, not one `WITH`: PostgreSQL runs a `WITH` write that the main
 *   statement does not read only after the main statement, so in one `WITH` the audit append (the
 *   main statement, last) took the chain's head first and held it while the flow, code and outbox
 *   writes ran, and every reset start of a tenant queued behind them. Values that are not strings, finite numbers, booleans or
 *   null (none are held today) make it two round trips, held writes first. If a held write fails,
 *   the server skips the `commit` and the caller's rollback follows as for any failed statement.
 *   `rollback` (or to a savepoint) drops what is held: it never ran. A savepoint or any other
 *   statement sends it first.
 * A held write is an `insert`, `update` or `delete` without `returning`, or a `with` whose clauses
 * and main statement are such writes (an upsert counts as an update: it waits for row locks); a
 * held `with` is always the batch's last write, as its main statement (PostgreSQL takes
 * data-modifying `WITH` clauses at the top level only).
 * `begin` (with any `set local` setting that follows it) is not sent alone either: it opens the
 * transaction's first round trip, `begin; <statement>` in one simple-protocol message with the
 * statement's values written as literals as for `commit` (a statement whose values cannot be, or
 * whose text holds dollar quotes or comments, goes after a `begin` of its own). A transaction that
 * sent nothing commits or rolls back without a round trip.
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

export const PREPARED = '/* sspr:prepared */ ';

/**
 * Runs `query` and returns its rows; on PostgreSQL as a named (prepared) statement when it is sent
 * on its own — nothing held travels with it and it is not its transaction's first (which carries
 * the `begin`): PostgreSQL then parses and plans it once per connection, not at every run (the
 * reset start's lookup cost the server 0.5 ms a run unprepared, 0.14 ms prepared). For a few hot
 * statements whose result columns never change (a prepared `select *` would fail once a migration
 * adds a column).
 */
export async function executePrepared<R>(
  db: Kysely<never>,
  dialect: SqlDialect,
  query: { compile(db: Kysely<never>): CompiledQuery<R> },
): Promise<R[]> {
  const compiled = query.compile(db);
  if (dialect !== 'postgres') return (await db.executeQuery(compiled)).rows;
  return (await db.executeQuery<R>(CompiledQuery.raw(PREPARED + compiled.sql, [...compiled.parameters]))).rows;
}

/** The name of each prepared statement's text, the same on every connection (at most a few hot statements). */
const preparedNames = new Map<string, string>();

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
  /** The `begin` (and `set local` settings) of a transaction none of whose statements was sent yet. */
  #opening: string[] | null = null;

  constructor(
    private readonly client: pg.PoolClient,
    private readonly onQuery: ((sql: string) => void) | undefined,
  ) {}

  release(error?: Error | boolean): void {
    this.#held = [];
    this.#opening = null;
    this.#inTransaction = false;
    this.client.release(error);
  }

  async query(text: string, values: unknown[] = []): Promise<QueryResult> {
    if (text.startsWith(LATER)) return this.#later(text.slice(LATER.length), values);
    if (text.startsWith(PREPARED)) {
      const statement = text.slice(PREPARED.length);
      if (this.#opening !== null || this.#held.length > 0) return this.query(statement, values);
      let name = preparedNames.get(statement);
      if (name === undefined) {
        name = `sspr_prepared_${preparedNames.size + 1}`;
        preparedNames.set(statement, name);
      }
      this.onQuery?.(statement);
      return this.client.query({ name, text: statement, values }) as unknown as Promise<QueryResult>;
    }
    const head = text.trimStart().slice(0, 24).toLowerCase();
    if (head.startsWith('begin') || head.startsWith('start transaction')) {
      this.#held = [];
      this.#inTransaction = true;
      // sent with the transaction's first statement
      this.#opening = [text];
      return { command: 'BEGIN', rowCount: null, rows: [] };
    }
    if (this.#opening !== null && values.length === 0 && /^set\s+local\s/.test(head)) {
      // a setting of the transaction (no values): it opens the transaction with its `begin`
      this.#opening.push(text);
      return { command: 'SET', rowCount: null, rows: [] };
    }
    if (head.startsWith('rollback')) {
      this.#held = [];
      if (!head.startsWith('rollback to')) this.#inTransaction = false;
      // nothing of the transaction reached the server: nothing to roll back
      if (this.#opening !== null && !head.startsWith('rollback to')) {
        this.#opening = null;
        return { command: 'ROLLBACK', rowCount: null, rows: [] };
      }
      return this.#send(text, values);
    }
    if (head.startsWith('commit')) {
      this.#inTransaction = false;
      if (this.#held.length > 0 && values.length === 0) {
        const held = this.#take();
        // each held write a statement of its own, in the order they were made (see the top)
        const inlined = held.map((h) => inline(h.sql, h.values, (v) => this.client.escapeLiteral(v)));
        if (inlined.every((s) => s !== null)) return this.#send(`${inlined.join('; ')}; ${text}`, []);
        const combined = this.#combine(held);
        await this.#send(combined.text, combined.values);
      }
      // a transaction that sent nothing: neither its `begin` nor its `commit` needs the server
      if (this.#opening !== null) {
        this.#opening = null;
        return { command: 'COMMIT', rowCount: null, rows: [] };
      }
      return this.#send(text, values);
    }
    if (this.#held.length > 0) {
      if (this.#mergeable(text)) return this.#sendWith(text, values, this.#take());
      // a read the held writes cannot join (they end in a `with`): it goes ahead, they stay held
      if (this.#passes(text)) return this.#send(text, values);
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
    const shape = memo(nextShapes, text, nextShapeOf);
    if (shape === null) return false;
    if (this.#held.some((h) => h.topLevel || h.writes.some((t) => shape.names.has(t)))) return false;
    const heldWaits = this.#held.some((h) => h.kind !== 'insert');
    return !(heldWaits && shape.locks);
  }

  /**
   * Whether `text` may run before the held writes, which then stay held (for the commit): a plain
   * `select` that takes no locks and reads no table they write sees the same rows either way, and
   * no lock is taken in another order. Used when the held writes end in a `with` (the audit
   * append), which no statement can join: sent first, it would lock the audit chain's head for the
   * rest of the transaction's round trips.
   */
  #passes(text: string): boolean {
    if (!/^select\s/i.test(text.trimStart())) return false;
    const shape = memo(nextShapes, text, nextShapeOf);
    return shape !== null && !shape.locks && !this.#held.some((h) => h.writes.some((t) => shape.names.has(t)));
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

  /**
   * One round trip. The first of a transaction carries its `begin` (and `set local` settings):
   * one simple-protocol message `begin; <statement>` with the statement's values written as
   * literals, whose last result is the statement's; a statement whose values cannot be written so
   * goes after a `begin` of its own.
   */
  async #send(text: string, values: unknown[]): Promise<QueryResult> {
    if (this.#opening !== null) {
      const opening = this.#opening.join('; ');
      this.#opening = null;
      const inlined = inline(text, values, (v) => this.client.escapeLiteral(v));
      if (inlined !== null) return lastOf(await this.#sendOne(`${opening}; ${inlined}`, []));
      await this.#sendOne(opening, []);
    }
    return lastOf(await this.#sendOne(text, values));
  }

  #sendOne(text: string, values: unknown[]): Promise<QueryResult | QueryResult[]> {
    this.onQuery?.(text);
    return this.client.query(text, values) as unknown as Promise<QueryResult | QueryResult[]>;
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

/** What a statement that may take the held writes along is (`#mergeable`): null if it can take none. */
interface NextShape {
  readonly names: ReadonlySet<string>;
  /** Whether it takes locks (waits for rows or advisory locks). */
  readonly locks: boolean;
}

function nextShapeOf(text: string): NextShape | null {
  const trimmed = text.trimStart();
  const kind = /^(select|insert|update|delete|with)\b/i.exec(trimmed)?.[1]?.toLowerCase();
  if (!kind || /^with\s+recursive\b/i.test(trimmed)) return null;
  const locks =
    kind === 'with' ||
    kind === 'update' ||
    kind === 'delete' ||
    /\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b|\bpg_advisory|\bon\s+conflict\b/i.test(trimmed);
  return { names: namesIn(trimmed), locks };
}

/**
 * The shapes of the statements seen lately, by SQL text (the values travel apart, so the texts of
 * a few hundred queries repeat): parsing them with regular expressions at every statement showed
 * in the profile. Bounded: emptied when full.
 */
const MEMO_ENTRIES = 1_000;
const nextShapes = new Map<string, NextShape | null>();
const writeShapes = new Map<string, Omit<HeldWrite, 'values'> | null>();

function memo<T>(map: Map<string, T>, text: string, of: (text: string) => T): T {
  if (map.has(text)) return map.get(text) as T;
  const value = of(text);
  if (map.size >= MEMO_ENTRIES) map.clear();
  map.set(text, value);
  return value;
}

function describe(text: string, values: readonly unknown[]): HeldWrite | null {
  const shape = memo(writeShapes, text, (t) => describeText(t, []));
  return shape ? { ...shape, values } : null;
}

function describeText(text: string, values: readonly unknown[]): HeldWrite | null {
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
  if (values.length === 0) return text;
  const template = memo(inlineTemplates, text, templateOf);
  if (template === null) return null;
  const literals: string[] = [];
  for (const v of values) {
    if (v === null || v === undefined) literals.push('NULL');
    else if (typeof v === 'string') literals.push(escape(v));
    else if (typeof v === 'number' && Number.isFinite(v)) literals.push(escape(String(v)));
    else if (typeof v === 'boolean') literals.push(escape(String(v)));
    else return null;
  }
  const { pieces, params } = template;
  let out = pieces[0]!;
  for (let i = 0; i < params.length; i++) out += `${literals[params[i]!]}${pieces[i + 1]!}`;
  return out;
}

/**
 * A statement's text cut at its parameters, once per text (`inline` runs for every transaction's
 * first statement and its commit: the same few texts each time): `pieces[0] $params[0]
 * pieces[1] …`, each param the 0-based index of its value. Null when dollar-quoted text or a
 * comment could hold a `$n` that is not a parameter: such a text is not rewritten.
 */
interface InlineTemplate {
  readonly pieces: readonly string[];
  readonly params: readonly number[];
}
const inlineTemplates = new Map<string, InlineTemplate | null>();

function templateOf(text: string): InlineTemplate | null {
  if (/\$[A-Za-z_]*\$|--|\/\*/.test(stripQuoted(text))) return null;
  const pieces: string[] = [];
  const params: number[] = [];
  let from = 0;
  for (const m of text.matchAll(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g)) {
    if (m[1] === undefined) continue;
    pieces.push(text.slice(from, m.index));
    params.push(Number(m[1]) - 1);
    from = m.index + m[0].length;
  }
  pieces.push(text.slice(from));
  return { pieces, params };
}

/** The result of the last statement of a simple-protocol message of several. */
function lastOf(results: QueryResult | QueryResult[]): QueryResult {
  return Array.isArray(results) ? results[results.length - 1]! : results;
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

/** `$n` → `$(n + offset)`, outside string literals and quoted names (once per text and offset). */
function renumber(text: string, offset: number): string {
  if (offset === 0) return text;
  return memo(renumbered, `${offset}:${text}`, () =>
    text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (whole, n: string | undefined) =>
      n === undefined ? whole : `$${Number(n) + offset}`,
    ),
  );
}
const renumbered = new Map<string, string>();
