import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { codeIn, csrfIn, newest, PageClient, startAttackServer, type AttackServer } from '../attack/attack-kit.ts';
import { sleep, startPrivateRedis } from './scale-kit.ts';

/**
 * Redis trouble is visible (issue 9, item 12): while the limiter's Redis is down, `/readyz` says
 * so in its body without failing the instance (200: limits fall back to per-process counts), the
 * gauge `sspr_limiter_degraded` is 1, and the "can't check codes right now" answer to a typed
 * code is the code page again (same flow), so the person types the code again once Redis is back.
 * A private redis-server is killed with SIGKILL and restarted (see redis-outage.test.ts).
 */

const METRICS_TOKEN = 'metrics-token-for-redis-visible-test';
const ADMIN2 = 'admin2@contoso.example';

async function ready(server: FastifyInstance): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await server.inject({ url: '/readyz' });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function limiterGauge(server: FastifyInstance): Promise<number> {
  const res = await server.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.statusCode, 200);
  const line = res.body.split('\n').find((l) => l.startsWith('sspr_limiter_degraded '));
  assert.ok(line, 'the gauge is exported');
  return Number(line.split(' ')[1]);
}

/** Polls /readyz until the limiter reads `want` (Redis is a real process: its restart takes real time). */
async function readyzUntil(server: FastifyInstance, want: string): Promise<void> {
  const t0 = Date.now();
  while ((await ready(server)).body.limiter !== want) {
    if (Date.now() - t0 > 10_000) throw new Error(`/readyz did not report limiter=${want} within 10 s`);
    await sleep(50);
  }
}

test('Redis down: /readyz stays 200 with limiter "degraded", sspr_limiter_degraded is 1, and a typed code gets the code page again; all back to ok after Redis returns', async () => {
  const redis = await startPrivateRedis();
  let kit: AttackServer | undefined;
  try {
    kit = await startAttackServer({ SSPR_REDIS_URL: redis.url, SSPR_METRICS_TOKEN: METRICS_TOKEN });
    assert.deepEqual(await ready(kit.server), {
      status: 200,
      body: { status: 'ready', database: 'ok', limiter: 'ok' },
    });
    assert.equal(await limiterGauge(kit.server), 0);

    const browser = new PageClient(kit.server);
    await browser.start(kit, ADMIN2);
    await kit.deliver();
    const code = codeIn(newest(kit, kit.account(ADMIN2).email!).text);
    const flowBefore = browser.flow();

    await redis.kill();

    const down = await ready(kit.server);
    assert.deepEqual(down, { status: 200, body: { status: 'ready', database: 'ok', limiter: 'degraded' } });
    assert.equal(await limiterGauge(kit.server), 1);

    const page = await browser.step('/reset/flow/code', { code });
    assert.equal(page.statusCode, 503);
    assert.ok(page.body.includes(STEP_PROBLEMS.service_unavailable.title), 'the page says what happened');
    assert.match(page.body, /check codes right now/);
    assert.match(page.body, /<form method="post" action="\/reset\/flow\/code"/, 'a form to type the code again');
    assert.match(page.body, /name="code"/);
    assert.deepEqual(browser.flow(), flowBefore, 'the same flow, same browser binding');

    await redis.restart();
    await readyzUntil(kit.server, 'ok');
    assert.equal(await limiterGauge(kit.server), 0);

    // the form on the 503 page works as it is: the same code, typed again, moves the flow on
    let again = await browser.post('/reset/flow/code', { code, _csrf: csrfIn(page.body) });
    for (let i = 0; again.statusCode === 503 && i < 100; i++) {
      // ioredis may still be reconnecting its limiter commands a moment after PING answers
      await sleep(50);
      again = await browser.post('/reset/flow/code', { code, _csrf: csrfIn(page.body) });
    }
    assert.equal(again.statusCode, 303, again.body.slice(0, 300));
    assert.equal(again.headers.location, '/reset/flow');
  } finally {
    await kit?.close();
    await redis.close();
  }
});
