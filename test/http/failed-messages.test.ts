import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renderEmail } from '../../src/core/message-templates.ts';
import { enqueueEmail } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { DEMO_TENANT } from '../../src/service/demo.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

const ADMIN = 'admin@contoso.example';
const TOKEN = 'metrics-token-for-tests-0123456789';
const noop = (): void => {};
const silent = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child: () => silent };

/** The value of one unlabelled sample line; 0 when absent. */
function sample(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const pw = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password: pw, next: '/account' }),
    login,
  );
  assert.equal(res.statusCode, 303);
  return b;
}

describe('failed messages are visible to admins (console home and a metric)', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit({ SSPR_METRICS_TOKEN: TOKEN });
  });
  after(async () => kit.close());

  it('a notice the mail server refused for good: counted on /admin with its template and reason, linked to the audit log, and in sspr_messages_failed_recent', async () => {
    const scrape = async () =>
      (await kit.server.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).body;
    assert.equal(sample(await scrape(), 'sspr_messages_failed_recent'), 0);
    const admin = await signIn(kit, ADMIN);
    const quiet = await admin.get('/admin');
    assert.equal(h1(quiet.body), 'Users');
    assert.doesNotMatch(quiet.body, /could not be delivered/, 'no banner while nothing failed');

    const tenant = await kit.app.store.directory.findTenantByName(DEMO_TENANT.name);
    const now = kit.app.clock.now();
    await kit.app.store.transaction((tx) =>
      enqueueEmail(tx, kit.app, {
        tenantId: tenant!.id,
        accountId: null,
        template: 'security-info.changed',
        to: 'gone@personal.example',
        content: renderEmail('security-info.changed', {
          displayName: 'Casey User',
          kind: 'email',
          maskedValue: 'g••••@personal.example',
          when: new Date(now).toISOString(),
          changedBy: 'you',
          helpText: 'Contact the help desk.',
        }),
        expiresAt: null,
        now,
      }),
    );
    const worker = new OutboxWorker({
      store: kit.app.store,
      keyring: kit.app.keyring,
      mailer: {
        name: 'refusing',
        send: async () => ({ ok: false, retryable: false, reason: '550 5.1.1 mailbox unknown' }),
      },
      sms: null,
      clock: kit.app.clock,
      random: kit.app.random,
      log: silent,
      policy: { baseMs: 1_000, maxMs: 300_000 },
      pollMs: 60_000,
      claimMs: 30_000,
      workerId: 'refusing-worker',
    });
    // the demo's own queued notices are refused too: count what the tenant has
    while ((await worker.runOnce()) > 0);
    const failed = (await kit.app.store.outbox.list({ status: 'failed', limit: 1000 })).filter(
      (m) => m.tenantId === tenant!.id,
    );
    assert.ok(failed.length >= 1);

    const res = await admin.get('/admin');
    assert.equal(res.statusCode, 200);
    const text = res.body.replace(/<[^>]+>/g, '');
    assert.match(
      text,
      new RegExp(`${failed.length} messages? could not be delivered in the last 7 days`),
      'the console home says how many messages failed',
    );
    assert.match(text, /security-info\.changed \(email\) — 550 5\.1\.1 mailbox unknown/);
    assert.match(res.body, /href="\/admin\/audit\?type=message\.failed"/);
    assert.ok(!res.body.includes('gone@personal.example'), 'never the recipient');
    const audit = await admin.get('/admin/audit?type=message.failed');
    assert.equal(audit.statusCode, 200);
    assert.match(audit.body, /message\.failed/);

    const all = await kit.app.store.outbox.list({ status: 'failed', limit: 1000 });
    assert.equal(sample(await scrape(), 'sspr_messages_failed_recent'), all.length);
  });
});
