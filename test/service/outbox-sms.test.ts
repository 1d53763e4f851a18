import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { DevOutbox } from '../../src/adapters/mail/dev-outbox.ts';
import { TwilioSmsSender } from '../../src/adapters/sms/twilio-sms.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { renderSms } from '../../src/core/message-templates.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Random } from '../../src/ports/random.ts';
import { enqueueSms } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

const silent: Logger = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, child: () => silent };
const random: Random = { ...cryptoRandom, unit: () => 0 };
const SID = 'AC0123456789abcdef0123456789abcdef';

describe('OutboxWorker sending SMS through a Twilio-shaped server', () => {
  it('retries a 503 until delivered; a 400 (21211) fails after one try', async () => {
    const requests: { to: string | null; body: string | null }[] = [];
    // per recipient: what the fake Twilio answers, in order
    const script = new Map<string, number[]>([
      ['+447700900001', [503, 429, 201]],
      ['+447700900002', [400]],
    ]);
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const to = form.get('To');
        requests.push({ to, body: form.get('Body') });
        const status = script.get(to ?? '')?.shift() ?? 500;
        res.writeHead(status, { 'content-type': 'application/json' });
        if (status === 201) res.end(JSON.stringify({ sid: `SM${requests.length}`, status: 'queued' }));
        else if (status === 400)
          res.end(
            JSON.stringify({
              code: 21211,
              message: `The 'To' number ${to} is not a valid phone number.`,
              more_info: 'https://www.twilio.com/docs/errors/21211',
              status,
            }),
          );
        else res.end(JSON.stringify({ code: 20500, message: 'Service unavailable', status }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const db = tempSqliteUrl();
    const store = await openSqlStore(db.url);
    const keyring = new HkdfKeyring(randomBytes(32));
    const clock = { t: Date.parse('2025-01-01T09:00:00Z'), now: () => clock.t };
    const sms = new TwilioSmsSender({
      accountSid: SID,
      authToken: 'token',
      from: '+15005550006',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeoutMs: 2_000,
    });
    const worker = new OutboxWorker({
      store,
      keyring,
      mailer: new DevOutbox(silent).mailer(),
      sms,
      clock,
      random,
      log: silent,
      policy: { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * 3_600_000, maxAttempts: 5 },
      pollMs: 60_000,
      claimMs: 30_000,
      workerId: 'sms-worker',
    });
    try {
      await store.migrate();
      const enqueue = (to: string): Promise<string> =>
        store.transaction((tx) =>
          enqueueSms(
            tx,
            { keyring, random },
            {
              tenantId: 't1',
              accountId: null,
              template: 'test.message',
              to,
              content: renderSms('test.message', { when: '2025-01-01T09:00:00Z' }),
              expiresAt: clock.t + 600_000,
              now: clock.t,
            },
          ),
        );
      const retried = await enqueue('+447700900001');
      const invalid = await enqueue('+447700900002');

      assert.equal(await worker.runOnce(), 2);
      let r = await store.outbox.get(retried);
      assert.equal(r?.status, 'pending');
      assert.equal(r?.attempts, 1);
      assert.equal(r?.nextAttemptAt, clock.t + 500);
      assert.match(r?.lastError ?? '', /Twilio HTTP 503/);
      const bad = await store.outbox.get(invalid);
      assert.equal(bad?.status, 'failed');
      assert.equal(bad?.attempts, 1);
      assert.match(bad?.lastError ?? '', /Twilio HTTP 400 error 21211/);
      assert.ok(!(bad?.lastError ?? '').includes('900002'), bad?.lastError ?? '');
      assert.equal(bad?.payloadSealed, null);

      clock.t += 500;
      assert.equal(await worker.runOnce(), 1);
      r = await store.outbox.get(retried);
      assert.equal(r?.status, 'pending');
      assert.equal(r?.attempts, 2);
      assert.match(r?.lastError ?? '', /Twilio HTTP 429/);
      assert.equal(r?.nextAttemptAt, clock.t + 1_000);

      clock.t += 1_000;
      assert.equal(await worker.runOnce(), 1);
      r = await store.outbox.get(retried);
      assert.equal(r?.status, 'sent');
      assert.equal(r?.payloadSealed, null);
      assert.equal(r?.recipientSealed, null);

      clock.t += 3_600_000;
      assert.equal(await worker.runOnce(), 0);
      assert.equal(requests.length, 4, 'no request after the outcome was final');
      assert.equal(requests.filter((q) => q.to === '+447700900002').length, 1, 'the 400 was tried once');
      assert.equal(
        requests.filter((q) => q.to === '+447700900001').length,
        3,
        'the retryable one: 503, 429, then delivered',
      );
      assert.match(requests[0]?.body ?? '', /^sspr test message/);
      const sent = await store.audit.list({ type: 'message.sent' });
      assert.equal(sent.length, 1);
      assert.equal(sent[0]?.details.providerId, 'SM4');
      assert.equal(sent[0]?.details.channel, 'sms');
      assert.equal((await store.audit.list({ type: 'message.failed' })).length, 1);
      assert.equal((await store.audit.list({ type: 'message.retry' })).length, 2);
    } finally {
      await worker.stop();
      await store.close();
      db.cleanup();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
