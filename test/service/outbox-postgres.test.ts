import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { SmtpMailer } from '../../src/adapters/mail/smtp-mailer.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { renderEmail } from '../../src/core/message-templates.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { enqueueEmail } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener } from '../helpers/smtp-listener.ts';

const silent: Logger = { fatal() {}, error() {}, warn() {}, info() {}, debug() {}, child: () => silent };

describe('OutboxWorker on PostgreSQL', () => {
  it('delivers what committed with its cause, nothing of a rollback, and two workers never send one message twice', async () => {
    await withMigratedPostgresDatabase(async (url) => {
      const store = await openSqlStore(url);
      const smtp = await startSmtpListener();
      const mailer = new SmtpMailer({
        url: smtp.url,
        from: 'sspr <no-reply@sspr.example>',
        timeoutMs: 2_000,
        maxConnections: 8,
      });
      const keyring = new HkdfKeyring(randomBytes(32));
      const clock = { t: Date.parse('2025-01-01T09:00:00Z'), now: () => clock.t };
      const make = (workerId: string): OutboxWorker =>
        new OutboxWorker({
          store,
          keyring,
          mailer,
          sms: null,
          clock,
          random: cryptoRandom,
          log: silent,
          policy: { baseMs: 1_000, maxMs: 60_000, noticeHorizonMs: 72 * 3_600_000, maxAttempts: 5 },
          pollMs: 60_000,
          claimMs: 30_000,
          workerId,
          concurrency: 4,
          batchSize: 5,
        });
      const a = make('pg-a');
      const b = make('pg-b');
      try {
        await store.migrate();
        const enqueue = (to: string, fail = false): Promise<string> =>
          store.transaction(async (tx) => {
            await tx.audit.append({
              at: clock.t,
              tenantId: 't1',
              accountId: to,
              actor: 'self',
              type: 'method.changed',
              outcome: 'ok',
              ip: null,
              userAgent: null,
              details: {},
            });
            const id = await enqueueEmail(
              tx,
              { keyring, random: cryptoRandom },
              {
                tenantId: 't1',
                accountId: to,
                template: 'test.message',
                to,
                content: renderEmail('test.message', { when: new Date(clock.t).toISOString() }),
                expiresAt: null,
                now: clock.t,
              },
            );
            if (fail) throw new Error('rolled back');
            return id;
          });

        await assert.rejects(enqueue('rolled-back@example.com', true), /rolled back/);
        const ids: string[] = [];
        for (let i = 0; i < 20; i++) ids.push(await enqueue(`p${i}@example.com`));
        assert.equal(
          (await store.audit.list({ type: 'method.changed' })).length,
          20,
          'the rolled-back cause is gone too',
        );

        // both workers claim at once, round after round, until nothing is due
        let handled = 0;
        for (let round = 0; round < 10; round++) {
          const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
          handled += x + y;
          if (x + y === 0) break;
        }
        assert.equal(handled, 20);
        await smtp.waitFor(20);
        await Promise.all([a.idle(), b.idle()]);
        assert.equal(smtp.messages.length, 20, 'each message delivered exactly once');
        const recipients = smtp.messages.map((m) => m.envelopeTo[0]).sort();
        assert.deepEqual(recipients, ids.map((_, i) => `p${i}@example.com`).sort());
        assert.ok(!recipients.includes('rolled-back@example.com'));
        const first = smtp.messages[0];
        assert.equal(first?.subject, 'sspr test email');
        assert.match(first?.text ?? '', /test email from sspr/);
        assert.match(first?.html ?? '', /<p style="margin:0 0 16px">This is a test email from sspr/);

        const sent = await store.outbox.list({ status: 'sent' });
        assert.equal(sent.length, 20);
        assert.ok(sent.every((m) => m.payloadSealed === null && m.recipientSealed === null));
        const events = await store.audit.list({ type: 'message.sent', limit: 100 });
        assert.equal(events.length, 20);
        assert.equal(new Set(events.map((e) => e.details.messageId)).size, 20);
      } finally {
        await a.stop();
        await b.stop();
        await mailer.close();
        await smtp.close();
        await store.close();
      }
    });
  });
});
