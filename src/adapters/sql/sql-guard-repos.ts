import { sql, type Kysely } from 'kysely';
import type { CaptchaRepo, LockoutRepo, PasswordHistoryRepo } from '../../ports/guard-store.ts';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { SqlFlowRepo } from './sql-flow-repo.ts';

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
    await sql`select pg_advisory_xact_lock(hashtextextended(${`sspr-guard:${subject}`}, 0))`.execute(this.db);
  }

  async recordFailure(subject: string, now: number): Promise<void> {
    await this.db.insertInto('verification_failures').values({ account_id: subject, at: now }).execute();
  }

  async countFailures(subject: string, since: number): Promise<number> {
    const row = await this.db
      .selectFrom('verification_failures')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('account_id', '=', subject)
      .where('at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async block(subject: string, now: number): Promise<void> {
    await this.db
      .insertInto('account_blocks')
      .values({ account_id: subject, blocked_at: now })
      .onConflict((oc) => oc.column('account_id').doUpdateSet({ blocked_at: now }))
      .execute();
  }

  async blockedAt(subject: string): Promise<number | null> {
    const row = await this.db
      .selectFrom('account_blocks')
      .select('blocked_at')
      .where('account_id', '=', subject)
      .executeTakeFirst();
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
    const { rows } = await sql<{ blocked_at: number | null; n: number }>`select
      (select blocked_at from account_blocks where account_id = ${subject}) as blocked_at,
      (select count(*) from outbox where channel = 'email' and created_at >= ${since}
        and account_id = ${accountId} and expires_at is not null) as n`.execute(this.db);
    const row = rows[0]!;
    return { blockedAt: row.blocked_at === null ? null : Number(row.blocked_at), codeEmails: Number(row.n) };
  }

  async clearGuard(subject: string): Promise<void> {
    await this.db.deleteFrom('verification_failures').where('account_id', '=', subject).execute();
    await this.db.deleteFrom('account_blocks').where('account_id', '=', subject).execute();
  }
}

export class SqlCaptchaRepo implements CaptchaRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async markUsed(signature: string, expiresAt: number): Promise<boolean> {
    // expired entries are deleted by the purge service (in batches), not on this hot path: a
    // delete here scanned the whole table on every reset start
    const r = await this.db
      .insertInto('captcha_used')
      .values({ signature, expires_at: expiresAt })
      .onConflict((oc) => oc.column('signature').doNothing())
      .returning('signature')
      .executeTakeFirst();
    return r !== undefined;
  }
}

export class SqlPasswordHistoryRepo implements PasswordHistoryRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(accountId: string, hash: string, now: number): Promise<void> {
    await this.db.insertInto('password_history').values({ account_id: accountId, hash, created_at: now }).execute();
  }

  async recent(accountId: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('password_history')
      .select('hash')
      .where('account_id', '=', accountId)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => r.hash);
  }
}
