import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { LimitCounter, LimitRepo } from '../../ports/limit-store.ts';
import type { Database } from './database.ts';
import { SqlTemplate, TemplateFamily } from './sql-template.ts';

/** Rate-limit counters: one upsert per event (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, atomic on both dialects). */
export class SqlLimitRepo implements LimitRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(key: string, points: number, windowMs: number, now: number, reset: boolean): Promise<LimitCounter> {
    const expire = windowMs > 0 ? now + windowMs : null;
    const row = (await ADD.of(reset).first(this.db, { key, points, expire, now }))!;
    return { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) };
  }

  async get(key: string, now: number): Promise<LimitCounter | null> {
    const row = await GET.first(this.db, { key, now });
    return row ? { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) } : null;
  }

  async delete(key: string): Promise<boolean> {
    return Number(await DELETE.affected(this.db, { key })) > 0;
  }
}

// The statements, each built once per dialect (sql-template.ts).

/** The upsert of a counter; `reset`: it starts again whatever it held (a template each). */
const ADD = new TemplateFamily(
  (reset: boolean) => String(reset),
  (reset) => (db, p: { key: string; points: number; expire: number | null; now: number }) => {
    const live = (): RawBuilder<boolean> => sql<boolean>`rate_limits.expire is null or rate_limits.expire > ${p.now}`;
    return db
      .insertInto('rate_limits')
      .values({ key: p.key, points: p.points, expire: p.expire })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet(
          reset
            ? { points: p.points, expire: p.expire }
            : {
                points: sql<number>`case when ${live()} then rate_limits.points + excluded.points else excluded.points end`,
                expire: sql<number | null>`case when ${live()} then rate_limits.expire else excluded.expire end`,
              },
        ),
      )
      .returning(['points', 'expire']);
  },
);

const GET = new SqlTemplate((db, p: { key: string; now: number }) =>
  db
    .selectFrom('rate_limits')
    .select(['points', 'expire'])
    .where('key', '=', p.key)
    .where((eb) => eb.or([eb('expire', 'is', null), eb('expire', '>', p.now)])),
);

const DELETE = new SqlTemplate((db, p: { key: string }) => db.deleteFrom('rate_limits').where('key', '=', p.key));
