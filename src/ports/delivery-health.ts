import type { ChannelEvidence, DeliveryChannel } from '../core/delivery-health.ts';

/** Reads what the outbox says about each delivery channel (one small query; see the SQL adapter). */
export interface DeliveryHealthRepo {
  evidence(): Promise<Record<DeliveryChannel, ChannelEvidence>>;
}
