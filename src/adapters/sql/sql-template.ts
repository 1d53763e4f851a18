import type { CompiledQuery, DialectAdapter, Kysely, QueryResult, RootOperationNode } from 'kysely';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { executeLater, executePrepared } from './pg-write-batching.ts';

/** A query builder, or an `sql` template (RawBuilder: compiled with the store it runs on). */
export type Buildable<R> = { compile(db: Kysely<Database>): CompiledQuery<R> };

/** The values a template's statement takes: scalars only (Kysely builds the same text for any of them but null; see below). */
export type TemplateArgs = Readonly<Record<string, string | number | null>>;

/**
 * A statement built with Kysely once per dialect and run with new values: building the query tree
 * and compiling it at every call cost the reset model test a sixth of its time and the request
 * thread of a reset start on PostgreSQL a tenth (issue 10, issue 14). The statement stays written
 * with the query builder, its one source of truth: `build` is called once per dialect (per class
 * of the store's dialect adapter: Kysely's SQLite and PostgreSQL compilers write the same text for
 * every store of their dialect) with placeholders in place of the values, the compiled text is
 * kept, and each call only puts its values where the placeholders were. Values the builder puts
 * in itself (constants) stay.
 *
 * `build` must use each value of `p` as a value of the statement only — compared, inserted, set —
 * never to choose the statement's shape (`$if`, a column list, `sql.raw`), never computed on
 * (`p.version + 1`): the first build checks this (a placeholder found in the text, one that is
 * not a parameter, or a parameter computed from one throws), and that the text is the same when
 * every value is null (Kysely writes `is null` for a null compared with `is`). A statement whose
 * shape depends on its values takes a template per shape (`TemplateFamily`).
 *
 * A store whose Kysely has plugins builds the statement at every call, as before (a plugin may
 * change the tree per call).
 */
export class SqlTemplate<P extends TemplateArgs, R = unknown> {
  readonly #build: (db: Kysely<Database>, p: P) => Buildable<R>;
  /** By the class of the store's dialect adapter: SQLite's or PostgreSQL's text, the same for every store of the dialect. */
  readonly #byDialect = new WeakMap<DialectAdapterClass, Compiled>();

  constructor(build: (db: Kysely<Database>, p: P) => Buildable<R>) {
    this.#build = build;
  }

  /** The statement with `args` as its values, as `build(db, args).compile()` would give it. */
  compile(db: Kysely<Database>, args: P): CompiledQuery<R> {
    const executor = db.getExecutor();
    if (executor.plugins.length > 0) return this.#build(db, args).compile(db);
    const dialect = executor.adapter.constructor as DialectAdapterClass;
    let compiled = this.#byDialect.get(dialect);
    if (compiled === undefined) {
      compiled = compileTemplate(db, this.#build as (db: Kysely<Database>, p: TemplateArgs) => Buildable<unknown>);
      this.#byDialect.set(dialect, compiled);
    }
    const { slots } = compiled;
    const parameters: unknown[] = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      parameters[i] = typeof slot === 'string' ? args[slot] : slot.value;
    }
    return { query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters } as CompiledQuery<R>;
  }

  /** Its rows (`execute()` of a select or of a write with `returning`). */
  async rows(db: Kysely<Database>, args: P): Promise<R[]> {
    return (await db.executeQuery(this.compile(db, args))).rows;
  }

  /** Its first row (`executeTakeFirst()` of a select or of a write with `returning`). */
  async first(db: Kysely<Database>, args: P): Promise<R | undefined> {
    return (await db.executeQuery(this.compile(db, args))).rows[0];
  }

  /** How many rows a write without `returning` changed (`numUpdatedRows`, `numDeletedRows`, …). */
  async affected(db: Kysely<Database>, args: P): Promise<bigint> {
    const result: QueryResult<R> = await db.executeQuery(this.compile(db, args));
    return result.numAffectedRows ?? 0n;
  }

  /** Runs it; nothing read back. */
  async run(db: Kysely<Database>, args: P): Promise<void> {
    await db.executeQuery(this.compile(db, args));
  }

  /** Runs it as a "later" write (pg-write-batching.ts `executeLater`). */
  later(db: Kysely<Database>, dialect: SqlDialect, args: P): Promise<void> {
    const compiled = this.compile(db, args);
    return executeLater(db as unknown as Kysely<never>, dialect, { compile: () => compiled });
  }

  /** Runs it as a prepared statement on PostgreSQL (pg-write-batching.ts `executePrepared`). */
  prepared(db: Kysely<Database>, dialect: SqlDialect, args: P): Promise<R[]> {
    const compiled = this.compile(db, args);
    return executePrepared<R>(db as unknown as Kysely<never>, dialect, { compile: () => compiled });
  }
}

/** Templates of a statement whose shape depends on a few choices (which columns an update sets, which filters a list has), by `key`. */
export class TemplateFamily<K, P extends TemplateArgs, R = unknown> {
  readonly #members = new Map<string, SqlTemplate<P, R>>();
  constructor(
    private readonly keyOf: (shape: K) => string,
    private readonly build: (shape: K) => (db: Kysely<Database>, p: P) => Buildable<R>,
  ) {}

  /** The template of `shape` (made at the first use of its key; a family has a few dozen at most). */
  of(shape: K): SqlTemplate<P, R> {
    const key = this.keyOf(shape);
    let member = this.#members.get(key);
    if (member === undefined) {
      if (this.#members.size >= FAMILY_MAX) this.#members.clear();
      member = new SqlTemplate(this.build(shape));
      this.#members.set(key, member);
    }
    return member;
  }
}

/**
 * `{ column: p.column, … }` for every key of `keys`, which must name every key of `p`'s type: an
 * insert of a whole row from a template's values (they cannot be spread).
 */
export function columns<T extends TemplateArgs>(p: T, keys: { readonly [K in keyof T]-?: true }): T {
  const row: Record<string, unknown> = {};
  for (const key of Object.keys(keys)) row[key] = p[key];
  return row as T;
}

/** Bounds a family whose keys could vary more than expected. */
const FAMILY_MAX = 256;

type DialectAdapterClass = abstract new (...args: never[]) => DialectAdapter;

interface Compiled {
  readonly sql: string;
  readonly query: RootOperationNode;
  readonly queryId: CompiledQuery['queryId'];
  /** Per parameter: the name of the value that goes there, or a constant of the statement. */
  readonly slots: readonly (string | { readonly value: unknown })[];
}

const MARK = '\u0000sspr-template:';

function compileTemplate(
  db: Kysely<Database>,
  build: (db: Kysely<Database>, p: TemplateArgs) => Buildable<unknown>,
): Compiled {
  const used = new Set<string>();
  const placeholders = new Proxy({} as TemplateArgs, {
    get(_target, name) {
      if (typeof name !== 'string') return undefined;
      used.add(name);
      return `${MARK}${name}\u0000`;
    },
    // the values' names are known only as they are read: list them (`columns`), never spread them
    ownKeys: () => fail('the values are iterated or spread; name each one (see `columns`)'),
  });
  let text = '';
  const fail = (why: string): never => {
    throw new Error(`sql template: ${why}${text ? ` (${text})` : ''}`);
  };
  const compiled = build(db, placeholders).compile(db);
  text = compiled.sql;
  if (compiled.sql.includes(MARK)) fail('a value is part of the text, not a parameter');
  const seen = new Set<string>();
  const slots = compiled.parameters.map((value) => {
    if (typeof value === 'string' && value.includes(MARK)) {
      const name = value.startsWith(MARK) && value.endsWith('\u0000') ? value.slice(MARK.length, -1) : null;
      if (name === null || name.includes('\u0000')) return fail(`a parameter is computed from a value: ${value}`);
      seen.add(name);
      return name;
    }
    return { value };
  });
  for (const name of used) if (!seen.has(name)) fail(`the value ${name} is not a parameter`);
  // Kysely writes some values into the text itself (`is null`): a null must give the same text
  const nulls = new Proxy({} as TemplateArgs, { get: () => null });
  if (build(db, nulls).compile(db).sql !== compiled.sql) fail('the text changes when a value is null');
  return { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, slots };
}
