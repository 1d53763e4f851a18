import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import { outboxPolicy } from '../../src/compose.ts';
import { MESSAGES_DELAYED } from '../../src/core/ui-text.ts';
import { DeliveryHealthService } from '../../src/service/delivery-health-service.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import type { DeliveryResult, Mailer } from '../../src/ports/messaging.ts';
import { api, PageClient, startAttackServer } from '../attack/attack-kit.ts';

/**
 * People see when mail is failing (issue 9, item 9). Mail fails from the moment a message is
 * queued; with an injected clock on the channel-health reader and the outbox worker: 59 s later no
 * page says anything, 61 s later every reset page says messages are delayed — the start page, the
 * flow page of a real account and of an unknown login alike, and the JSON API — and one delivery
 * on the channel clears it. The health is read from the shared outbox table by `refresh()` (serve
 * runs it every 5 s); page views themselves cost no query.
 */

const REAL = 'user@contoso.example';
const UNKNOWN = 'nobody-at-all@contoso.example';
const TITLE = MESSAGES_DELAYED.email.title;

const noop = (): void => {};
const silent = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child: () => silent };

/** A mailer that fails (connection refused, retryable) until told to work. */
function switchableMailer(): Mailer & { working: boolean; sent: number } {
  const m = {
    name: 'switchable',
    working: false,
    sent: 0,
    async send(): Promise<DeliveryResult> {
      if (!m.working) return { ok: false, retryable: true, reason: 'connect ECONNREFUSED' };
      m.sent++;
      return { ok: true, providerId: `ok-${m.sent}` };
    },
  };
  return m;
}

async function pageOf(server: FastifyInstance, url: string): Promise<string> {
  const res = await server.inject({ url, headers: { accept: 'text/html' } });
  return res.body;
}

test('mail failing: no notice after 59 s, the "messages delayed" notice on every reset page (unknown and real login) and in the API after 61 s, cleared by a delivery', async () => {
  const kit = await startAttackServer();
  let server: FastifyInstance | undefined;
  try {
    const { app } = kit;
    let now = Date.now();
    const clock = { now: () => now };
    let reads = 0;
    const repo = { evidence: () => (reads++, app.store.deliveryHealth.evidence()) };
    const health = new DeliveryHealthService({ repo, clock });
    server = await buildServer({ ...app, deliveryHealth: health }, { logger: false });
    await server.ready();
    const mailer = switchableMailer();
    const worker = new OutboxWorker({
      store: app.store,
      keyring: app.keyring,
      mailer,
      sms: null,
      clock,
      random: app.random,
      log: silent,
      policy: outboxPolicy(app.config),
      pollMs: 60_000,
      claimMs: 30_000,
      workerId: 'messages-delayed-test',
    });

    // a real account and an unknown login each start a reset in a browser
    const real = new PageClient(server);
    await real.start(kit, REAL);
    const unknown = new PageClient(server);
    await unknown.start(kit, UNKNOWN);
    const apiStart = await api(server, 'POST', 'start', { body: { login: UNKNOWN, altcha: await kit.captcha() } });
    assert.equal(apiStart.status, 202);

    // the real account's code email fails at once
    const [queued] = await app.store.outbox.list({ status: 'pending', limit: 10 });
    assert.ok(queued, 'the code email is queued');
    const t0 = queued.createdAt;
    now = Math.max(now, t0);
    await worker.runOnce();
    const failed = await app.store.outbox.get(queued.id);
    assert.equal(failed?.status, 'pending');
    assert.equal(failed?.attempts, 1, 'one failed attempt, to be retried');

    const pages = async (): Promise<string[]> => [
      await pageOf(server!, '/reset'),
      (await real.get('/reset/flow')).body,
      (await unknown.get('/reset/flow')).body,
    ];

    // 59 s of failures: nothing shown yet
    now = t0 + 59_000;
    await health.refresh();
    assert.deepEqual(health.delayed(), []);
    for (const body of await pages()) assert.ok(!body.includes(TITLE), 'no notice after 59 s');
    const flow59 = await api(server, 'GET', 'flow', { flow: apiStart.body.flowId + '.' + apiStart.body.flowSecret });
    assert.equal(flow59.status, 200);
    assert.equal(flow59.body.notice, undefined);

    // 61 s: every reset page says so, for the real account and the unknown login alike
    now = t0 + 61_000;
    await health.refresh();
    assert.deepEqual(health.delayed(), ['email']);
    const readsBefore = reads;
    const [start, realFlow, unknownFlow] = (await pages()) as [string, string, string];
    assert.equal(reads, readsBefore, 'page views read nothing: the notice comes from the last refresh');
    for (const [name, body] of [
      ['start page', start],
      ['flow page of a real account', realFlow],
      ['flow page of an unknown login', unknownFlow],
    ] as const) {
      assert.ok(body.includes(TITLE), `${name} shows the notice`);
      assert.ok(body.includes('text message to your mobile phone'), `${name} says what to do meanwhile`);
      assert.ok(body.includes('contact your administrator'), `${name} names the administrator`);
    }
    const notice = (body: string): string =>
      body.slice(body.indexOf('messages-delayed'), body.indexOf('</div>', body.indexOf('messages-delayed')));
    assert.equal(notice(realFlow), notice(unknownFlow), 'the same notice whatever the login');
    // a dead end says it too
    const deadEnd = await pageOf(server, '/reset/flow');
    assert.ok(deadEnd.includes(TITLE), 'a problem page (no flow in this browser) shows the notice');
    const flow61 = await api(server, 'GET', 'flow', { flow: apiStart.body.flowId + '.' + apiStart.body.flowSecret });
    assert.deepEqual(flow61.body.notice, {
      code: 'messages_delayed',
      channels: ['email'],
      title: TITLE,
      message: MESSAGES_DELAYED.email.message,
    });
    const apiStart61 = await api(server, 'POST', 'start', { body: { login: REAL, altcha: await kit.captcha() } });
    assert.equal(apiStart61.status, 202);
    assert.equal((apiStart61.body.notice as { code: string }).code, 'messages_delayed');

    // mail works again: the retry is delivered, and the notice goes away
    mailer.working = true;
    now = t0 + 5 * 60_000;
    await worker.runOnce();
    assert.ok(mailer.sent > 0, 'the waiting code email went out');
    await health.refresh();
    assert.deepEqual(health.delayed(), []);
    for (const body of await pages()) assert.ok(!body.includes(TITLE), 'a delivery clears the notice');
  } finally {
    await server?.close();
    await kit.close();
  }
});
