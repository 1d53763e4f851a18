import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { withStatementCache } from './statement-cache.ts';
import { batchingPool } from './pg-write-batching.ts';
import { BACKSTOP_CHECKPOINT_PAGES, SqliteCheckpointer } from './sqlite-checkpointer.ts';
import { SqliteThreadLock } from './sqlite-thread-lock.ts';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  SqliteDriver,
  sql,
  type DatabaseConnection,
  type Driver,
  type LogEvent,
  type SqliteDialectConfig,
} from 'kysely';
import type { Repos, Store, TransactionOptions } from '../../ports/store.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Database } from './database.ts';
import { migrationPlan, migrations, MIGRATION_TABLE, type MigrationPlan, type SqlDialect } from './migrations.ts';
import { SqlAuditChainRepo, SqlAuditRepo } from './sql-audit-repo.ts';
import { SqlDirectoryRepo } from './sql-directory-repo.ts';
import { SqlOutboxRepo } from './sql-outbox-repo.ts';
import { SqlFlowRepo } from './sql-flow-repo.ts';
import { SqlCaptchaRepo, SqlLockoutRepo, SqlPasswordHistoryRepo } from './sql-guard-repos.ts';
import { SqlAuthRepo } from './sql-auth-repo.ts';
import { SqlSecurityInfoRepo } from './sql-security-info-repo.ts';
import { OPERATOR_APPS, SqlAuthenticatorRepo } from './sql-authenticator-repo.ts';
import { SqlConsoleFactorRepo } from './sql-console-factor-repo.ts';
import { OPERATOR_PASSKEYS, SqlPasskeyRepo } from './sql-passkey-repo.ts';
import { SqlCallerCheckRepo } from './sql-caller-check-repo.ts';
import { SqlAdminRepo } from './sql-admin-repo.ts';
import { SqlApiKeyRepo } from './sql-api-key-repo.ts';
import { SqlHelpRepo } from './sql-help-repo.ts';
import { SqlOperatorRepo } from './sql-operator-repo.ts';
import { SqlInsightsRepo } from './sql-insights-repo.ts';
import { SqlPurgeRepo } from './sql-purge-repo.ts';
import { SqlLimitRepo } from './sql-limit-repo.ts';
import { SqlDeliveryHealthRepo } from './sql-delivery-health-repo.ts';
import { LookCache, SqlTenantLookRepo } from './sql-tenant-look-repo.ts';

/** The `Store` port plus the schema migrations. */
export interface SqlStore extends Store {
  /**
   * Applies pending migrations; returns the names it applied (none the second time). A database
   * already migrated by a newer release (it holds migrations this release does not know, and every
   * one this release knows) is left as it is, with a warning on `log`: migrations are additive
   * between adjacent releases, so this release runs on it (rolling upgrades; docs/operations.md).
   */
  migrate(options?: MigrateOptions): Promise<string[]>;
  /** Batch deletes of expired rows (see sql-purge-repo.ts). */
  readonly purge: SqlPurgeRepo;
  /**
   * SQLite file: the memory of the turns this process's threads take at the write lock
   * (sqlite-thread-lock.ts), for a second connection opened on another thread (`secondary`). Null otherwise.
   */
  readonly threadLock: SharedArrayBuffer | null;
}

/**
 * Opens the SQL store. `databaseUrl` is one of
 * - `sqlite:<path>` (e.g. `sqlite:./data/sspr.db`, `sqlite:/var/lib/sspr/sspr.db`; `sqlite:///abs/path` also
 *   works): the parent folder is created; WAL, foreign keys on, busy timeout 5 s. `sqlite::memory:` opens
 *   a private in-memory database (tests).
 * - `postgres://…` or `postgresql://…`: a pg Pool (10 connections). int8 values are parsed as numbers
 *   (`pg.types.setTypeParser(20, Number)`, process-wide): every bigint here is a millisecond time or a
 *   count, far below 2^53.
 * Nothing is created until `migrate()` runs.
 */
export interface OpenOptions {
  /** Called with the SQL text of every statement the store runs (tests; never the parameters). */
  readonly onQuery?: (sql: string) => void;
  /**
   * A second connection to a database another store of this process already opened (the outbox
   * thread's): SQLite starts no checkpointer of its own (the first store's keeps the log short);
   * PostgreSQL's pool holds at most `poolMax` connections (default 10).
   */
  readonly secondary?: {
    readonly poolMax: number;
    /** SQLite: the first store's `threadLock`, so the two connections take turns at the write lock. */
    readonly threadLock?: SharedArrayBuffer | null;
  };
}

export interface MigrateOptions {
  /** Where the "database is newer than this release" warning goes. */
  readonly log?: Pick<Logger, 'warn'>;
}

export async function openSqlStore(databaseUrl: string, options: OpenOptions = {}): Promise<SqlStore> {
  const log = options.onQuery
    ? (event: LogEvent) => {
        options.onQuery?.(event.query.sql);
      }
    : undefined;
  if (databaseUrl.startsWith('sqlite:')) {
    let file = databaseUrl.slice('sqlite:'.length);
    if (file.startsWith('//')) file = file.slice(2);
    if (file === '') throw new Error('sqlite database url needs a path, e.g. sqlite:./data/sspr.db');
    const memory = file === ':memory:';
    if (!memory) mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // each driver is loaded by the branch that uses it: a PostgreSQL deployment never holds SQLite's
    const { default: SqliteDatabase } = await import('better-sqlite3');
    const database = new SqliteDatabase(memory ? ':memory:' : file);
    database.pragma('busy_timeout = 5000');
    database.pragma('journal_mode = WAL');
    // every commit is fsynced unless its transaction asks for `relaxed` durability (see Store)
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    // checkpoints run in a worker thread (see sqlite-checkpointer.ts); this one is the backstop
    const checkpointer = memory || options.secondary ? null : new SqliteCheckpointer(path.resolve(file));
    // a secondary connection leaves checkpoints to the first store's checkpointer too
    if (checkpointer || options.secondary) database.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    // an in-memory database has one connection only: no other thread to take turns with
    const given = options.secondary?.threadLock;
    const lock = memory
      ? null
      : options.secondary
        ? given
          ? new SqliteThreadLock(given)
          : null
        : new SqliteThreadLock();
    const db = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect({ database: withStatementCache(database) }, lock),
      ...(log ? { log } : {}),
    });
    return new KyselySqlStore(db, 'sqlite', checkpointer, lock?.buffer ?? null);
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    const { default: pg } = await import('pg');
    pg.types.setTypeParser(20, Number);
    // a server that stops answering fails requests after 5 s (503) instead of holding them
    const pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.secondary?.poolMax ?? 10,
      connectionTimeoutMillis: 5_000,
    });
    // An idle client that loses its connection (server restart, admin kill) emits 'error' on the
    // pool; without a listener that would crash the process. The pool already discards the client
    // and the next query opens a new connection (or throws to its caller), so nothing is lost here.
    pool.on('error', () => {});
    // A connection that dies while checked out (a transaction between statements, a query in flight)
    // also emits 'error' on its client, where pg-pool listens only while the client is idle: without
    // this listener the process would crash. The query in flight already rejects (→ 503), and the
    // pool discards the broken client when it is released.
    pool.on('connect', (client) => client.on('error', () => {}));
    // "later" writes travel with the next statement of their transaction (pg-write-batching.ts);
    // `onQuery` sees each statement as sent: one per round trip
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: batchingPool(pool, options.onQuery) }) });
    return new KyselySqlStore(db, 'postgres');
  }
  throw new Error('database url must start with sqlite:, postgres:// or postgresql://');
}

class KyselySqlStore implements SqlStore {
  readonly directory: SqlDirectoryRepo;
  readonly outbox: SqlOutboxRepo;
  readonly audit: SqlAuditRepo;
  readonly auditChain: SqlAuditChainRepo;
  readonly flows: SqlFlowRepo;
  readonly lockouts: SqlLockoutRepo;
  readonly captchas: SqlCaptchaRepo;
  readonly passwordHistory: SqlPasswordHistoryRepo;
  readonly auth: SqlAuthRepo;
  readonly securityInfo: SqlSecurityInfoRepo;
  readonly authenticators: SqlAuthenticatorRepo;
  readonly operatorAuthenticators: SqlAuthenticatorRepo;
  readonly consoleFactors: SqlConsoleFactorRepo;
  readonly passkeys: SqlPasskeyRepo;
  readonly operatorPasskeys: SqlPasskeyRepo;
  readonly callerChecks: SqlCallerCheckRepo;
  readonly admin: SqlAdminRepo;
  readonly apiKeys: SqlApiKeyRepo;
  readonly help: SqlHelpRepo;
  readonly operators: SqlOperatorRepo;
  readonly insights: SqlInsightsRepo;
  readonly purge: SqlPurgeRepo;
  readonly limits: SqlLimitRepo;
  readonly deliveryHealth: SqlDeliveryHealthRepo;
  readonly looks: SqlTenantLookRepo;
  /** Looks read lately (tenant-look-repo `LookCache`), shared by the store's own repos and its transactions'. */
  private readonly lookCache = new LookCache();
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    readonly dialect: SqlDialect,
    private readonly checkpointer: SqliteCheckpointer | null = null,
    readonly threadLock: SharedArrayBuffer | null = null,
  ) {
    this.directory = new SqlDirectoryRepo(db, dialect);
    this.outbox = new SqlOutboxRepo(db, dialect);
    this.audit = new SqlAuditRepo(db, dialect);
    this.auditChain = new SqlAuditChainRepo(db);
    this.flows = new SqlFlowRepo(db, dialect);
    this.lockouts = new SqlLockoutRepo(db, dialect);
    this.captchas = new SqlCaptchaRepo(db);
    this.passwordHistory = new SqlPasswordHistoryRepo(db, dialect);
    this.auth = new SqlAuthRepo(db, dialect);
    this.securityInfo = new SqlSecurityInfoRepo(db);
    this.authenticators = new SqlAuthenticatorRepo(db);
    this.operatorAuthenticators = new SqlAuthenticatorRepo(db, OPERATOR_APPS);
    this.consoleFactors = new SqlConsoleFactorRepo(db);
    this.passkeys = new SqlPasskeyRepo(db);
    this.operatorPasskeys = new SqlPasskeyRepo(db, OPERATOR_PASSKEYS);
    this.callerChecks = new SqlCallerCheckRepo(db);
    this.admin = new SqlAdminRepo(db, dialect);
    this.apiKeys = new SqlApiKeyRepo(db);
    this.help = new SqlHelpRepo(db);
    this.operators = new SqlOperatorRepo(db);
    this.insights = new SqlInsightsRepo(db);
    this.purge = new SqlPurgeRepo(db, dialect);
    this.limits = new SqlLimitRepo(db);
    this.deliveryHealth = new SqlDeliveryHealthRepo(db);
    this.looks = new SqlTenantLookRepo(db, this.lookCache);
  }

  /**
   * On SQLite the store has one connection: inside `fn` use only `tx`, never the store's own repos
   * (they would wait for the transaction to end).
   */
  transaction<T>(fn: (tx: Repos) => Promise<T>, options?: TransactionOptions): Promise<T> {
    if (this.dialect === 'sqlite' && options?.durability === 'relaxed') {
      // `synchronous` cannot change inside a transaction: switch it around this one while holding
      // the store's only connection, so no other transaction commits under the relaxed setting
      return this.db.connection().execute(async (conn) => {
        await conn.executeQuery(SYNCHRONOUS_NORMAL);
        try {
          return await this.run(conn, fn);
        } finally {
          await conn.executeQuery(SYNCHRONOUS_FULL);
        }
      });
    }
    return this.run(this.db, fn, this.dialect === 'postgres' && options?.durability === 'relaxed');
  }

  /**
   * `asynchronousCommit` (PostgreSQL, relaxed durability): the commit returns before its WAL
   * reaches the disk (`synchronous_commit = off` for this transaction; the setting travels with
   * its `begin`, pg-write-batching.ts): a crash of the database server may undo the last such
   * commits (at most three `wal_writer_delay`s), never half of one, and locks taken in the
   * transaction — an audit chain's head — are not held while the disk syncs.
   */
  private run<T>(db: Kysely<Database>, fn: (tx: Repos) => Promise<T>, asynchronousCommit = false): Promise<T> {
    return db.transaction().execute(async (trx) => {
      if (asynchronousCommit) await trx.executeQuery(ASYNCHRONOUS_COMMIT);
      return fn({
        directory: new SqlDirectoryRepo(trx, this.dialect),
        outbox: new SqlOutboxRepo(trx, this.dialect),
        audit: new SqlAuditRepo(trx, this.dialect),
        auditChain: new SqlAuditChainRepo(trx),
        flows: new SqlFlowRepo(trx, this.dialect),
        lockouts: new SqlLockoutRepo(trx, this.dialect),
        captchas: new SqlCaptchaRepo(trx),
        passwordHistory: new SqlPasswordHistoryRepo(trx, this.dialect),
        auth: new SqlAuthRepo(trx, this.dialect),
        securityInfo: new SqlSecurityInfoRepo(trx),
        authenticators: new SqlAuthenticatorRepo(trx),
        operatorAuthenticators: new SqlAuthenticatorRepo(trx, OPERATOR_APPS),
        consoleFactors: new SqlConsoleFactorRepo(trx),
        passkeys: new SqlPasskeyRepo(trx),
        operatorPasskeys: new SqlPasskeyRepo(trx, OPERATOR_PASSKEYS),
        callerChecks: new SqlCallerCheckRepo(trx),
        admin: new SqlAdminRepo(trx, this.dialect),
        apiKeys: new SqlApiKeyRepo(trx),
        help: new SqlHelpRepo(trx),
        operators: new SqlOperatorRepo(trx),
        insights: new SqlInsightsRepo(trx),
        limits: new SqlLimitRepo(trx),
        looks: new SqlTenantLookRepo(trx, this.lookCache),
      });
    });
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /**
   * On PostgreSQL Kysely's Migrator holds an advisory lock and runs the migrations in one
   * transaction, so two processes can migrate at once. On SQLite the Migrator takes no lock; the
   * whole run is wrapped in `BEGIN IMMEDIATE` instead, which excludes other writers (other
   * processes wait up to the busy timeout) and makes the run all or nothing. Run it at start-up,
   * before other queries on this store.
   *
   * Before the Migrator runs, the names it applied earlier are compared with this release's list
   * (`migrationPlan`): the Migrator itself refuses a database that holds a migration it does not
   * know ("previously executed migration … is missing"), which is what an instance of the previous
   * release meets during a rolling upgrade.
   */
  async migrate(options: MigrateOptions = {}): Promise<string[]> {
    const known = migrations(this.dialect);
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => known } });
    const names = Object.keys(known);
    if (this.dialect === 'postgres') {
      if (this.#settled(migrationPlan(names, await this.#executed(this.db)), options)) return [];
      try {
        return applied(await migrator.migrateToLatest());
      } catch (error) {
        // a newer instance migrated between our look and the Migrator's (it waits for the same lock)
        if (this.#settled(migrationPlan(names, await this.#executed(this.db)), options)) return [];
        throw error;
      }
    }
    await sql`begin immediate`.execute(this.db);
    let result: string[];
    try {
      const plan = migrationPlan(names, await this.#executed(this.db));
      result = this.#settled(plan, options) ? [] : applied(await migrator.migrateToLatest());
    } catch (error) {
      await sql`rollback`.execute(this.db);
      throw error;
    }
    await sql`commit`.execute(this.db);
    return result;
  }

  /**
   * True when there is nothing to apply: up to date, or newer than this release (warned). Throws
   * when the database holds migrations this release does not know AND lacks some it needs: that
   * is not the previous release next to the current one, and applying old steps to it is unsafe.
   */
  #settled(plan: MigrationPlan, options: MigrateOptions): boolean {
    switch (plan.kind) {
      case 'up_to_date':
        return true;
      case 'pending':
        return false;
      case 'newer':
        options.log?.warn(
          { unknownMigrations: plan.unknown },
          'the database was migrated by a newer release of sspr: this instance runs on it without migrating ' +
            '(migrations are additive between adjacent releases); upgrade this instance soon',
        );
        return true;
      case 'diverged':
        throw new Error(
          `the database holds migrations this release of sspr does not know (${plan.unknown.join(', ')}) and lacks ` +
            `ones it needs (${plan.pending.join(', ')}): run the release that migrated it, or restore a backup`,
        );
    }
  }

  /** The names the Migrator applied so far, or null before the first migration (no table yet). */
  async #executed(db: Kysely<Database>): Promise<string[] | null> {
    const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
    if (!tables.some((t) => t.name === MIGRATION_TABLE)) return null;
    const rows = await sql<{ name: string }>`select name from ${sql.table(MIGRATION_TABLE)}`.execute(db);
    return rows.rows.map((r) => r.name);
  }

  /** Ends the pool / closes the file; a second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpointer?.close();
    // closing the last connection checkpoints what is left and removes the log
    await this.db.destroy();
  }
}

/** Statements of every relaxed transaction, compiled once (nothing to build: no values, the same text on every store). */
const SYNCHRONOUS_NORMAL = CompiledQuery.raw('pragma synchronous = NORMAL');
const SYNCHRONOUS_FULL = CompiledQuery.raw('pragma synchronous = FULL');
const ASYNCHRONOUS_COMMIT = CompiledQuery.raw('set local synchronous_commit = off');

function applied(resultSet: Awaited<ReturnType<Migrator['migrateToLatest']>>): string[] {
  if (resultSet.error !== undefined) {
    throw resultSet.error instanceof Error ? resultSet.error : new Error(String(resultSet.error));
  }
  return (resultSet.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Kysely's SQLite dialect with `BEGIN IMMEDIATE` transactions: a transaction takes the write lock
 * when it starts, so a second process waits (busy_timeout) instead of failing with SQLITE_BUSY
 * when a deferred read transaction tries to upgrade to a write. Before that, it takes its turn
 * among the connections of this process's threads (sqlite-thread-lock.ts), waiting without
 * stopping its event loop rather than in SQLite's busy handler, which sleeps the thread.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #lock: SqliteThreadLock | null;
  constructor(config: SqliteDialectConfig, lock: SqliteThreadLock | null) {
    super(config);
    this.#config = config;
    this.#lock = lock;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#lock);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #lock: SqliteThreadLock | null;
  /** Whether the transaction in progress holds the threads' turn (see SqliteThreadLock). */
  #turn = false;

  constructor(config: SqliteDialectConfig, lock: SqliteThreadLock | null) {
    super(config);
    this.#lock = lock;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.#turn = (await this.#lock?.acquire()) ?? false;
    try {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    } catch (error) {
      this.#endTurn();
      throw error;
    }
  }

  override async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // a failed commit leaves the transaction open: the rollback that follows ends the turn
    await super.commitTransaction(connection);
    this.#endTurn();
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await super.rollbackTransaction(connection);
    } finally {
      this.#endTurn();
    }
  }

  #endTurn(): void {
    if (this.#turn) this.#lock?.release();
    this.#turn = false;
  }
}
