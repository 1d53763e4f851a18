import { sql, type Kysely } from 'kysely';
import type { LimitCounter, LimitRepo } from '../../ports/limit-store.ts';
import type { Database } from './database.ts';

/** Rate-limit counters: one upsert per event (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, atomic on both dialects). */
export class SqlLimitRepo implements LimitRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async add(key: string, points: number, windowMs: number, now: number, reset: boolean): Promise<LimitCounter> {
    const expire = windowMs > 0 ? now + windowMs : null;
    const live = sql<boolean>`rate_limits.expire is null or rate_limits.expire > ${now}`;
    const row = await this.db
      .insertInto('rate_limits')
      .values({ key, points, expire })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet(
          reset
            ? { points, expire }
            : {
                points: sql<number>`case when ${live} then rate_limits.points + excluded.points else excluded.points end`,
                expire: sql<number | null>`case when ${live} then rate_limits.expire else excluded.expire end`,
              },
        ),
      )
      .returning(['points', 'expire'])
      .executeTakeFirstOrThrow();
    return { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) };
  }

  async get(key: string, now: number): Promise<LimitCounter | null> {
    const row = await this.db
      .selectFrom('rate_limits')
      .select(['points', 'expire'])
      .where('key', '=', key)
      .where((eb) => eb.or([eb('expire', 'is', null), eb('expire', '>', now)]))
      .executeTakeFirst();
    return row ? { points: Number(row.points), expire: row.expire === null ? null : Number(row.expire) } : null;
  }

  async delete(key: string): Promise<boolean> {
    const r = await this.db.deleteFrom('rate_limits').where('key', '=', key).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
