import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConsoleOwnerKind } from '../../core/console-factor.ts';
import type { ConsoleFactorRepo, ConsoleOwner, PendingConsoleSignin } from '../../ports/console-factor-store.ts';
import type { ConsoleSigninsTable, Database } from './database.ts';

/**
 * Pending console sign-ins and recovery codes over Kysely; works on the root instance or a
 * transaction. `countAttempt`, `finish` and `useRecoveryCode` are one conditional statement each,
 * so under parallel requests one attempt counts once and one code or sign-in passes once.
 */
export class SqlConsoleFactorRepo implements ConsoleFactorRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async createPending(p: Omit<PendingConsoleSignin, 'attempts' | 'doneAt'>): Promise<void> {
    // pending sign-ins that ended a day ago go with each new one: the table stays small
    await this.db
      .deleteFrom('console_signins')
      .where('expires_at', '<', p.createdAt - 86_400_000)
      .execute();
    await this.db
      .insertInto('console_signins')
      .values({
        id_hash: p.idHash,
        owner_kind: p.owner.kind,
        owner_id: p.owner.id,
        created_at: p.createdAt,
        expires_at: p.expiresAt,
        attempts: 0,
        done_at: null,
      })
      .execute();
  }

  async getPending(idHash: string): Promise<PendingConsoleSignin | null> {
    const row = await this.db
      .selectFrom('console_signins')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    return row ? toPending(row) : null;
  }

  async countAttempt(idHash: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable('console_signins')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id_hash', '=', idHash)
      .where('attempts', '<', max)
      .where('done_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async finish(idHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('console_signins')
      .set({ done_at: now })
      .where('id_hash', '=', idHash)
      .where('done_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async replaceRecoveryCodes(owner: ConsoleOwner, hashes: readonly string[], now: number): Promise<void> {
    await this.removeRecoveryCodes(owner);
    if (hashes.length === 0) return;
    await this.db
      .insertInto('recovery_codes')
      .values(
        hashes.map((h, i) => ({
          id: `${owner.kind}:${owner.id}:${now}:${i}`,
          owner_kind: owner.kind,
          owner_id: owner.id,
          code_hash: h,
          created_at: now,
          used_at: null,
        })),
      )
      .execute();
  }

  async useRecoveryCode(owner: ConsoleOwner, codeHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('recovery_codes')
      .set({ used_at: now })
      .where('owner_kind', '=', owner.kind)
      .where('owner_id', '=', owner.id)
      .where('code_hash', '=', codeHash)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return r.numUpdatedRows === 1n;
  }

  async recoveryCodesLeft(owner: ConsoleOwner): Promise<number> {
    const row = await this.db
      .selectFrom('recovery_codes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_kind', '=', owner.kind)
      .where('owner_id', '=', owner.id)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async removeRecoveryCodes(owner: ConsoleOwner): Promise<void> {
    await this.db
      .deleteFrom('recovery_codes')
      .where('owner_kind', '=', owner.kind)
      .where('owner_id', '=', owner.id)
      .execute();
  }
}

function toPending(r: Selectable<ConsoleSigninsTable>): PendingConsoleSignin {
  return {
    idHash: r.id_hash,
    owner: { kind: r.owner_kind as ConsoleOwnerKind, id: r.owner_id },
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    doneAt: r.done_at === null ? null : Number(r.done_at),
  };
}
