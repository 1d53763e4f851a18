import { sql, type Kysely } from 'kysely';
import type { ChannelEvidence, DeliveryChannel } from '../../core/delivery-health.ts';
import type { DeliveryHealthRepo } from '../../ports/delivery-health.ts';
import type { Database } from './database.ts';

/**
 * Channel health from the outbox table, which every instance shares: per channel, the oldest
 * message still waiting (pending, or being retried) after at least one failed attempt and queued
 * after the channel's last delivery, and that last delivery (only a channel with such a message
 * gets a row: without one, the channel is not failing whatever it delivered). One statement; the
 * last delivery is an index lookup (`outbox_channel_sent_at`, migration 0014), and the waiting
 * messages are found through `outbox_status_next_attempt_at`.
 * The rule that turns this into "delayed" is `core/delivery-health.ts`.
 */
export class SqlDeliveryHealthRepo implements DeliveryHealthRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async evidence(): Promise<Record<DeliveryChannel, ChannelEvidence>> {
    const rows = await sql<{ channel: string; failing_since: number | string; last_sent: number | string | null }>`
      select o.channel as channel, min(o.created_at) as failing_since,
        (select max(s.sent_at) from outbox s where s.channel = o.channel) as last_sent
      from outbox o
      where o.status in ('pending', 'sending')
        and o.attempts > 0
        and o.created_at > coalesce((select max(s.sent_at) from outbox s where s.channel = o.channel), -1)
      group by o.channel`.execute(this.db);
    const of = (channel: DeliveryChannel): ChannelEvidence => {
      const row = rows.rows.find((r) => r.channel === channel);
      if (!row) return { failingSince: null, lastDeliveredAt: null };
      return {
        failingSince: Number(row.failing_since),
        lastDeliveredAt: row.last_sent == null ? null : Number(row.last_sent),
      };
    };
    return { email: of('email'), sms: of('sms') };
  }
}
