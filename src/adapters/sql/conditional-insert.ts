import { sql, type Kysely } from 'kysely';

/**
 * `insert into <table> (<columns>) select <values> where <write> = 1`: one statement whose text,
 * parameters and round trip are the same whether it writes the row or not. A reset start uses it
 * for its code row and its outbox message so that every class of login (existing, unknown,
 * disabled, blocked, without a method, over a sending limit) runs the same statements, while
 * nothing is stored — and so nothing is ever sent — for the ones that get nothing (issue 9, item 6).
 * Both SQLite and PostgreSQL type the parameters from the target columns.
 */
export async function insertIf<DB>(
  db: Kysely<DB>,
  table: string,
  row: Readonly<Record<string, string | number | null>>,
  write: boolean,
): Promise<void> {
  const columns = Object.keys(row);
  await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select ${sql.join(
    columns.map((c) => sql`${row[c]}`),
  )} where ${write ? 1 : 0} = 1`.execute(db);
}
