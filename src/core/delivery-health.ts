/**
 * When a delivery channel (email, SMS) counts as failing: the rule behind the "messages are
 * delayed" notice on every reset page. It is about the channel, never about an account, so the
 * notice is the same for every login and reveals nothing.
 */

export type DeliveryChannel = 'email' | 'sms';

export const DELIVERY_CHANNELS: readonly DeliveryChannel[] = ['email', 'sms'];

/** A channel counts as failing once it has failed for longer than this (1 minute). */
export const DELIVERY_DELAYED_AFTER_MS = 60_000;

/** What the outbox says about one channel (shared by every instance: it is read from the database). */
export interface ChannelEvidence {
  /**
   * When the oldest message still waiting after a failed attempt was queued, among the messages
   * queued after the channel's last delivery; null when no such message waits.
   */
  readonly failingSince: number | null;
  /** When the channel last delivered a message; null when never (or no longer recorded). */
  readonly lastDeliveredAt: number | null;
}

/**
 * Failing for more than `afterMs`: a message has been waiting after a failed attempt since
 * `failingSince`, nothing was delivered on the channel since then, and that is more than `afterMs`
 * ago (strictly: at exactly `afterMs` not yet).
 */
export function isChannelDelayed(e: ChannelEvidence, now: number, afterMs = DELIVERY_DELAYED_AFTER_MS): boolean {
  if (e.failingSince === null) return false;
  if (e.lastDeliveredAt !== null && e.lastDeliveredAt >= e.failingSince) return false;
  return now - e.failingSince > afterMs;
}

/** The channels that are delayed now, in a fixed order (email, then SMS). */
export function delayedChannels(
  evidence: Readonly<Record<DeliveryChannel, ChannelEvidence>>,
  now: number,
  afterMs = DELIVERY_DELAYED_AFTER_MS,
): DeliveryChannel[] {
  return DELIVERY_CHANNELS.filter((c) => isChannelDelayed(evidence[c], now, afterMs));
}
