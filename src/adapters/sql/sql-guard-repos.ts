import { sql, type Kysely } from 'kysely';
import type { CaptchaRepo, LockoutRepo, PasswordHistoryRepo } from '../../ports/guard-store.ts';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { SqlFlowRepo } from './sql-flow-repo.ts';
import { SqlTemplate } from './sql-template.ts';

/** The text in front of a subject in the key of its guard's advisory lock (PostgreSQL). */
export const GUARD_KEY_PREFIX = 'sspr-guard:';

/** The attempt guard over Kysely: failures, blocks, and PostgreSQL's advisory lock per subject. */
export class SqlLockoutRepo implements LockoutRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async lockGuard(subject: string): Promise<void> {
    // SQLite runs one write transaction at a time (BEGIN IMMEDIATE): nothing to do. PostgreSQL:
    // a transaction-scoped advisory lock on a 64-bit hash of the subject (a collision only makes
    // two subjects wait for each other)
    if (this.dialect !== 'postgres') return;
    await LOCK_GUARD.run(this.db, { key: GUARD_KEY_PREFIX + subject });
  }

  async recordFailure(subject: string, now: number): Promise<void> {
    await RECORD_FAILURE.run(this.db, { account_id: subject, at: now });
  }

  async countFailures(subject: string, since: number): Promise<number> {
    const row = await COUNT_FAILURES.first(this.db, { account_id: subject, since });
    return Number(row!.n);
  }

  async block(subject: string, now: number): Promise<void> {
    await BLOCK.run(this.db, { account_id: subject, now });
  }

  async blockedAt(subject: string): Promise<number | null> {
    const row = await BLOCKED_AT.first(this.db, { account_id: subject });
    return row ? Number(row.blocked_at) : null;
  }

  async startReads(
    subject: string,
    accountId: string,
    since: number,
  ): Promise<{ blockedAt: number | null; codeEmails: number }> {
    if (this.dialect !== 'postgres') {
      // SQLite: in-process calls, one after the other
      const blockedAt = await this.blockedAt(subject);
      const flows = new SqlFlowRepo(this.db, this.dialect);
      return { blockedAt, codeEmails: await flows.countMessages({ accountId, channel: 'email', kind: 'code', since }) };
    }
    // PostgreSQL: one round trip; the same rows as `blockedAt` and FlowRepo.countMessages
    // ({ channel: 'email', kind: 'code' }): a code or link message has a lifetime
    const rows = await START_READS.prepared(this.db, this.dialect, { subject, since, account_id: accountId });
    const row = rows[0]!;
    return { blockedAt: row.blocked_at === null ? null : Number(row.blocked_at), codeEmails: Number(row.n) };
  }

  async clearGuard(subject: string): Promise<void> {
    // nothing read back: on PostgreSQL they travel with the next statement (pg-write-batching.ts)
    await CLEAR_FAILURES.later(this.db, this.dialect, { account_id: subject });
    await CLEAR_BLOCK.later(this.db, this.dialect, { account_id: subject });
  }
}

export class SqlCaptchaRepo implements CaptchaRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async markUsed(signature: string, expiresAt: number): Promise<boolean> {
    // expired entries are deleted by the purge service (in batches), not on this hot path: a
    // delete here scanned the whole table on every reset start
    const r = await MARK_CAPTCHA_USED.first(this.db, { signature, expires_at: expiresAt });
    return r !== undefined;
  }
}

export class SqlPasswordHistoryRepo implements PasswordHistoryRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async add(accountId: string, hash: string, now: number): Promise<void> {
    // nothing read back: on PostgreSQL it travels with the next statement (pg-write-batching.ts)
    await ADD_PASSWORD.later(this.db, this.dialect, { account_id: accountId, hash, created_at: now });
  }

  async recent(accountId: string, limit: number): Promise<string[]> {
    const rows = await RECENT_PASSWORDS.rows(this.db, { account_id: accountId, limit });
    return rows.map((r) => r.hash);
  }
}

// The statements, each built once per dialect (sql-template.ts).

const LOCK_GUARD = new SqlTemplate(
  (_db, p: { key: string }) => sql`select pg_advisory_xact_lock(hashtextextended(${p.key}, 0))`,
);

const RECORD_FAILURE = new SqlTemplate((db, p: { account_id: string; at: number }) =>
  db.insertInto('verification_failures').values({ account_id: p.account_id, at: p.at }),
);

const COUNT_FAILURES = new SqlTemplate((db, p: { account_id: string; since: number }) =>
  db
    .selectFrom('verification_failures')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', p.account_id)
    .where('at', '>=', p.since),
);

const BLOCK = new SqlTemplate((db, p: { account_id: string; now: number }) =>
  db
    .insertInto('account_blocks')
    .values({ account_id: p.account_id, blocked_at: p.now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ blocked_at: p.now })),
);

const BLOCKED_AT = new SqlTemplate((db, p: { account_id: string }) =>
  db.selectFrom('account_blocks').select('blocked_at').where('account_id', '=', p.account_id),
);

/**
 * PostgreSQL: the same rows as `blockedAt` and FlowRepo.countMessages ({ channel: 'email', kind:
 * 'code' }) in one statement: a code or link message has a lifetime.
 */
const START_READS = new SqlTemplate(
  (_db, p: { subject: string; since: number; account_id: string }) =>
    sql<{ blocked_at: number | null; n: number }>`select
      (select blocked_at from account_blocks where account_id = ${p.subject}) as blocked_at,
      (select count(*) from outbox where channel = 'email' and created_at >= ${p.since}
        and account_id = ${p.account_id} and expires_at is not null) as n`,
);

const CLEAR_FAILURES = new SqlTemplate((db, p: { account_id: string }) =>
  db.deleteFrom('verification_failures').where('account_id', '=', p.account_id),
);

const CLEAR_BLOCK = new SqlTemplate((db, p: { account_id: string }) =>
  db.deleteFrom('account_blocks').where('account_id', '=', p.account_id),
);

const MARK_CAPTCHA_USED = new SqlTemplate((db, p: { signature: string; expires_at: number }) =>
  db
    .insertInto('captcha_used')
    .values({ signature: p.signature, expires_at: p.expires_at })
    .onConflict((oc) => oc.column('signature').doNothing())
    .returning('signature'),
);

const ADD_PASSWORD = new SqlTemplate((db, p: { account_id: string; hash: string; created_at: number }) =>
  db.insertInto('password_history').values({ account_id: p.account_id, hash: p.hash, created_at: p.created_at }),
);

const RECENT_PASSWORDS = new SqlTemplate((db, p: { account_id: string; limit: number }) =>
  db
    .selectFrom('password_history')
    .select('hash')
    .where('account_id', '=', p.account_id)
    .orderBy('created_at', 'desc')
    .limit(p.limit),
);
