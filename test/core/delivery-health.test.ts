import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  delayedChannels,
  DELIVERY_DELAYED_AFTER_MS,
  isChannelDelayed,
  type ChannelEvidence,
} from '../../src/core/delivery-health.ts';
import { MESSAGES_DELAYED, messagesDelayedText } from '../../src/core/ui-text.ts';

const T = 1_800_000_000_000;
const failing = (since: number, delivered: number | null = null): ChannelEvidence => ({
  failingSince: since,
  lastDeliveredAt: delivered,
});
const healthy: ChannelEvidence = { failingSince: null, lastDeliveredAt: T - 5_000 };

test('a channel is delayed only after failing for MORE than a minute (edges at 60 s − 1 ms, 60 s, 60 s + 1 ms)', () => {
  assert.equal(DELIVERY_DELAYED_AFTER_MS, 60_000);
  const cases: [number, boolean][] = [
    [0, false],
    [59_000, false],
    [59_999, false],
    [60_000, false],
    [60_001, true],
    [61_000, true],
    [3_600_000, true],
  ];
  for (const [elapsed, want] of cases) assert.equal(isChannelDelayed(failing(T), T + elapsed), want, `${elapsed} ms`);
});

test('a delivery since the failure began clears it; one before it does not', () => {
  assert.equal(isChannelDelayed(failing(T, T + 1), T + 120_000), false, 'delivered after the failure began');
  assert.equal(isChannelDelayed(failing(T, T), T + 120_000), false, 'delivered at the same millisecond');
  assert.equal(isChannelDelayed(failing(T, T - 1), T + 120_000), true, 'delivered before the failure began');
  assert.equal(isChannelDelayed(healthy, T + 120_000), false, 'nothing waiting after a failure');
});

test('delayedChannels lists email then SMS; the notice text names what is delayed and what to do meanwhile', () => {
  assert.deepEqual(delayedChannels({ email: healthy, sms: healthy }, T), []);
  assert.deepEqual(delayedChannels({ email: failing(T), sms: healthy }, T + 61_000), ['email']);
  assert.deepEqual(delayedChannels({ email: healthy, sms: failing(T) }, T + 61_000), ['sms']);
  assert.deepEqual(delayedChannels({ email: failing(T), sms: failing(T) }, T + 61_000), ['email', 'sms']);

  assert.equal(messagesDelayedText([]), null);
  assert.equal(messagesDelayedText(['email']), MESSAGES_DELAYED.email);
  assert.equal(messagesDelayedText(['sms']), MESSAGES_DELAYED.sms);
  assert.equal(messagesDelayedText(['email', 'sms']), MESSAGES_DELAYED.both);
  assert.match(MESSAGES_DELAYED.email.message, /text message/, 'email down: offers a text message');
  assert.match(MESSAGES_DELAYED.sms.message, /email/, 'SMS down: offers email');
  for (const text of Object.values(MESSAGES_DELAYED)) {
    assert.match(text.message, /wait a few minutes/i);
    assert.match(text.message, /contact your administrator/);
  }
});
