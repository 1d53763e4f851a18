import { sql, type Kysely, type Selectable } from 'kysely';
import { err, ok, type Result } from '../../core/result.ts';
import type { SigninGuard } from '../../ports/auth-store.ts';
import type { Operator, OperatorRepo, OperatorSession } from '../../ports/operator-store.ts';
import { atomic, isUniqueViolation } from './atomic.ts';
import type { Database, OperatorSessionsTable, OperatorsTable } from './database.ts';

/** Operators, their sessions and sign-in throttling over Kysely. */
export class SqlOperatorRepo implements OperatorRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(o: Operator): Promise<Result<Operator, 'login_taken'>> {
    if (await this.findByLogin(o.login)) return err('login_taken');
    try {
      await atomic(this.db, (db) =>
        db
          .insertInto('operators')
          .values({
            id: o.id,
            login: o.login,
            display_name: o.displayName,
            password_hash: o.passwordHash,
            created_at: o.createdAt,
          })
          .execute(),
      );
    } catch (error) {
      if (isUniqueViolation(error)) return err('login_taken');
      throw error;
    }
    return ok(o);
  }

  async get(id: string): Promise<Operator | null> {
    const row = await this.db.selectFrom('operators').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toOperator(row) : null;
  }

  async findByLogin(login: string): Promise<Operator | null> {
    const row = await this.db.selectFrom('operators').selectAll().where('login', '=', login).executeTakeFirst();
    return row ? toOperator(row) : null;
  }

  async list(): Promise<Operator[]> {
    const rows = await this.db.selectFrom('operators').selectAll().orderBy('login').execute();
    return rows.map(toOperator);
  }

  async createSession(s: Omit<OperatorSession, 'revokedAt'>): Promise<void> {
    await this.db
      .insertInto('operator_sessions')
      .values({
        id_hash: s.idHash,
        operator_id: s.operatorId,
        created_at: s.createdAt,
        last_seen_at: s.lastSeenAt,
        expires_at: s.expiresAt,
        revoked_at: null,
      })
      .execute();
  }

  async getSession(idHash: string): Promise<OperatorSession | null> {
    const row = await this.db
      .selectFrom('operator_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row ? toSession(row) : null;
  }

  async touchSession(idHash: string, now: number): Promise<void> {
    await this.db
      .updateTable('operator_sessions')
      .set({ last_seen_at: now })
      .where('id_hash', '=', idHash)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async revokeSession(idHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('operator_sessions')
      .set({ revoked_at: now })
      .where('id_hash', '=', idHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async getSigninGuard(operatorId: string): Promise<SigninGuard | null> {
    const row = await this.db
      .selectFrom('operator_signin_guard')
      .selectAll()
      .where('operator_id', '=', operatorId)
      .executeTakeFirst();
    return row ? { failures: Number(row.failures), lastFailureAt: Number(row.last_failure_at) } : null;
  }

  async recordSigninFailure(operatorId: string, now: number): Promise<SigninGuard> {
    const row = await this.db
      .insertInto('operator_signin_guard')
      .values({ operator_id: operatorId, failures: 1, last_failure_at: now })
      .onConflict((oc) =>
        oc
          .column('operator_id')
          .doUpdateSet({ failures: sql<number>`operator_signin_guard.failures + 1`, last_failure_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return { failures: Number(row.failures), lastFailureAt: Number(row.last_failure_at) };
  }

  async clearSigninGuard(operatorId: string): Promise<void> {
    await this.db.deleteFrom('operator_signin_guard').where('operator_id', '=', operatorId).execute();
  }
}

function toOperator(row: Selectable<OperatorsTable>): Operator {
  return {
    id: row.id,
    login: row.login,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
  };
}

function toSession(row: Selectable<OperatorSessionsTable>): OperatorSession {
  return {
    idHash: row.id_hash,
    operatorId: row.operator_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
