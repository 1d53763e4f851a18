import type { Kysely, Selectable } from 'kysely';
import type {
  ChallengePurpose,
  NewPasskey,
  NewPasskeyChallenge,
  PasskeyChallengeRecord,
  PasskeyRecord,
  PasskeyRepo,
} from '../../ports/passkey-store.ts';
import type { Database, PasskeyChallengesTable, PasskeysTable } from './database.ts';
import { TemplateFamily } from './sql-template.ts';

const DAY_MS = 24 * 60 * 60_000;

/** Whose passkeys a repo holds: accounts' (`passkeys`) or operators' (`operator_passkeys`, same columns but the owner's). */
export type PasskeyTable =
  | { readonly table: 'passkeys'; readonly owner: 'account_id' }
  | { readonly table: 'operator_passkeys'; readonly owner: 'operator_id' };

export const ACCOUNT_PASSKEYS: PasskeyTable = { table: 'passkeys', owner: 'account_id' };
export const OPERATOR_PASSKEYS: PasskeyTable = { table: 'operator_passkeys', owner: 'operator_id' };

/**
 * Passkeys and their challenges over Kysely; works on the root instance or a transaction.
 * `takeChallenge` and `advanceCounter` are one conditional UPDATE each: on PostgreSQL a parallel
 * request waits for the row and re-reads it, so a challenge or a counter value passes once.
 */
export class SqlPasskeyRepo implements PasskeyRepo {
  // the two tables have the same columns but the owner's: typed as accounts' passkeys, the owner
  // column (of the passkeys and of their challenges) named at run time
  private readonly db: Kysely<Pick<Database, 'passkeys' | 'passkey_challenges'>>;
  private readonly table: 'passkeys';
  private readonly owner: 'account_id';

  constructor(db: Kysely<Database>, of: PasskeyTable = ACCOUNT_PASSKEYS) {
    this.db = db as unknown as Kysely<Pick<Database, 'passkeys' | 'passkey_challenges'>>;
    this.table = of.table as 'passkeys';
    this.owner = of.owner as 'account_id';
  }

  async add(p: NewPasskey): Promise<void> {
    await this.db
      .insertInto(this.table)
      .values({
        id: p.id,
        [this.owner]: p.accountId,
        credential_id: p.credentialId,
        public_key: p.publicKey,
        counter: p.counter,
        transports: p.transports.join(','),
        name: p.name,
        created_at: p.createdAt,
        last_used_at: null,
      })
      .execute();
  }

  async list(accountId: string): Promise<readonly PasskeyRecord[]> {
    const rows = await LIST.of({ table: this.table, owner: this.owner }).rows(this.db as unknown as Kysely<Database>, {
      owner: accountId,
    });
    return rows.map((r) => toPasskey(r, this.owner));
  }

  async byCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    const row = await this.db
      .selectFrom(this.table)
      .selectAll()
      .where('credential_id', '=', credentialId)
      .executeTakeFirst();
    return row ? toPasskey(row, this.owner) : null;
  }

  async advanceCounter(id: string, from: number, to: number, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable(this.table)
      .set({ counter: to, last_used_at: now })
      .where('id', '=', id)
      .where('counter', '=', from)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async remove(accountId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom(this.table)
      .where(this.owner, '=', accountId)
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async createChallenge(c: NewPasskeyChallenge): Promise<void> {
    await this.db
      .deleteFrom('passkey_challenges')
      .where((eb) =>
        eb.or([
          eb.and([eb('purpose', '=', c.purpose), eb('binding', '=', c.binding)]),
          eb('expires_at', '<', c.createdAt - DAY_MS),
        ]),
      )
      .execute();
    await this.db
      .insertInto('passkey_challenges')
      .values({
        id: c.id,
        challenge_hash: c.challengeHash,
        purpose: c.purpose,
        binding: c.binding,
        [this.owner]: c.accountId,
        created_at: c.createdAt,
        expires_at: c.expiresAt,
        used_at: null,
      })
      .execute();
  }

  async takeChallenge(
    challengeHash: string,
    purpose: ChallengePurpose,
    binding: string,
    now: number,
  ): Promise<PasskeyChallengeRecord | null> {
    const row = await this.db
      .updateTable('passkey_challenges')
      .set({ used_at: now })
      .where('challenge_hash', '=', challengeHash)
      .where('purpose', '=', purpose)
      .where('binding', '=', binding)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      // an operator's challenge is taken only through operators' passkeys, any other only through accounts'
      .where('operator_id', this.owner === 'account_id' ? 'is' : 'is not', null)
      .returningAll()
      .executeTakeFirst();
    return row ? toChallenge(row, this.owner) : null;
  }
}

function toPasskey(r: Selectable<PasskeysTable>, owner: 'account_id'): PasskeyRecord {
  return {
    id: r.id,
    accountId: r[owner],
    credentialId: r.credential_id,
    publicKey: r.public_key,
    counter: Number(r.counter),
    transports: r.transports === '' ? [] : r.transports.split(','),
    name: r.name,
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

function toChallenge(r: Selectable<PasskeyChallengesTable>, owner: 'account_id'): PasskeyChallengeRecord {
  return {
    id: r.id,
    challengeHash: r.challenge_hash,
    purpose: r.purpose as ChallengePurpose,
    binding: r.binding,
    accountId: r[owner],
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    usedAt: r.used_at === null ? null : Number(r.used_at),
  };
}

/** An owner's passkeys, oldest first (a template per table, sql-template.ts). */
const LIST = new TemplateFamily(
  (of: { table: string }) => of.table,
  ({ table, owner }: { table: 'passkeys'; owner: 'account_id' }) =>
    (db, p: { owner: string }) =>
      (db as unknown as Kysely<Pick<Database, 'passkeys'>>)
        .selectFrom(table)
        .selectAll()
        .where(owner, '=', p.owner)
        .orderBy('created_at')
        .orderBy('id'),
);
