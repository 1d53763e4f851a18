import { sql, type Kysely } from 'kysely';
import type { Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { TemplateFamily } from './sql-template.ts';

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
  /** On PostgreSQL the insert may travel with the next statement of the transaction (pg-write-batching.ts). */
  later?: SqlDialect,
): Promise<void> {
  const columns = Object.keys(row);
  const template = INSERT_IF.of({ table, columns });
  const args = { ...row, [WRITE]: write ? 1 : 0 };
  const store = db as unknown as Kysely<Database>;
  if (later) await template.later(store, later, args);
  else await template.run(store, args);
}

/** The name of the `<write>` value among the row's (no table has such a column). */
const WRITE = '$write';

/** One template per table and list of columns (sql-template.ts). */
const INSERT_IF = new TemplateFamily(
  (shape: { table: string; columns: readonly string[] }) => `${shape.table}(${shape.columns.join()})`,
  ({ table, columns }) =>
    (_db, p: Readonly<Record<string, string | number | null>>) =>
      sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select ${sql.join(
        columns.map((c) => sql`${p[c]}`),
      )} where ${p[WRITE]} = 1`,
);
