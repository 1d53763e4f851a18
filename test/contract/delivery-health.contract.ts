import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { T0, sharedStore, uid, type OpenStore } from './contract-kit.ts';

/** The DeliveryHealthRepo contract: what the outbox says about each channel. One store per case: evidence reads the whole outbox. */
export function deliveryHealthRepoContract(name: string, open: OpenStore): void {
  describe(`DeliveryHealthRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    const queue = async (channel: 'email' | 'sms', now: number) => {
      const id = uid('msg');
      await store().outbox.enqueue({
        id,
        tenantId: null,
        accountId: null,
        channel,
        template: 't',
        recipientSealed: 'r',
        payloadSealed: 'p',
        expiresAt: null,
        now,
      });
      return id;
    };
    const claim = async (now: number) => store().outbox.claimDue('w', now, now + 30_000, 100);

    test('nothing failing: both channels null; a message waiting after a failed try: failing since it was queued; a later delivery: fine again', async () => {
      const empty = { failingSince: null, lastDeliveredAt: null };
      assert.deepEqual(await store().deliveryHealth.evidence(), { email: empty, sms: empty });

      const delivered = await queue('email', T0);
      await claim(T0);
      await store().outbox.markSent(delivered, 'w', T0 + 1);
      assert.deepEqual((await store().deliveryHealth.evidence()).email, empty, 'a delivery alone is no failure');

      const first = await queue('email', T0 + 10);
      const second = await queue('email', T0 + 20);
      await claim(T0 + 20);
      await store().outbox.markRetry(first, 'w', 1, T0 + 60_000, 'SMTP 421');
      await store().outbox.markRetry(second, 'w', 1, T0 + 60_000, 'SMTP 421');
      const failing = await store().deliveryHealth.evidence();
      assert.deepEqual(failing.email, { failingSince: T0 + 10, lastDeliveredAt: T0 + 1 }, 'the oldest waiting one');
      assert.deepEqual(failing.sms, empty, 'per channel');

      const later = await queue('email', T0 + 30);
      await claim(T0 + 60_000);
      await store().outbox.markSent(later, 'w', T0 + 60_001);
      assert.deepEqual(
        (await store().deliveryHealth.evidence()).email,
        empty,
        'messages queued before the last delivery do not count',
      );
    });
  });
}
