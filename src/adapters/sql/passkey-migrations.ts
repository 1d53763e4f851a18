import type { Kysely, Migration } from 'kysely';

/**
 * Passkeys (issue 13 item 2; merged into `migrations()`): additive, two new tables an older
 * release ignores. `passkeys` holds each credential's public key and counter per account;
 * `passkey_challenges` the HMAC of each challenge with what it is bound to, taken once.
 */
export const passkeyMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await createPasskeyTable(db, 'passkeys', 'account_id', 'accounts.id');
    await db.schema
      .createTable('passkey_challenges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('challenge_hash', 'text', (c) => c.notNull().unique())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('binding', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('passkey_challenges_binding')
      .on('passkey_challenges')
      .columns(['purpose', 'binding'])
      .execute();
  },
};

/**
 * Operators' passkeys (issue 13 item 4; merged into `migrations()` as 0026): additive. Technical
 * Support operators are no accounts, so their passkeys have a table of their own, with the same
 * columns but the owner's (as `operator_authenticators` beside `authenticators`); a challenge made
 * for an operator names the operator in its own column. An older release ignores both.
 */
export const operatorPasskeyMigration: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
  async up(db: Kysely<any>) {
    await createPasskeyTable(db, 'operator_passkeys', 'operator_id', 'operators.id');
    await db.schema
      .alterTable('passkey_challenges')
      .addColumn('operator_id', 'text', (c) => c.references('operators.id').onDelete('cascade'))
      .execute();
  },
};

/**
 * A passkeys table: each credential's public key and counter per owner, and the owner's index.
 * 0023 and 0026 made theirs with these statements; the names are those of the index 0023 made.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run against an untyped schema
async function createPasskeyTable(db: Kysely<any>, table: string, owner: string, references: string): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn(owner, 'text', (c) => c.notNull().references(references).onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('counter', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex(`${table}_${owner}`).on(table).column(owner).execute();
}
