import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import {
  api,
  apiStart,
  codeIn,
  errorCode,
  newest,
  PageClient,
  startAttackServer,
  type AttackServer,
} from '../attack/attack-kit.ts';
import { sleep, startPrivateRedis } from './scale-kit.ts';

/**
 * Redis goes away and comes back (a private redis-server on its own port, killed with SIGKILL;
 * the shared one on 6379 is never touched). Checking a code fails closed — 503 with a clear page
 * or JSON, nothing counted, nothing changed — while starting a reset keeps working under tighter
 * in-process limits; both recover on their own once Redis is back.
 */

const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

async function waitForRecovery(
  kit: AttackServer,
  flow: { flowId: string; secret: string },
  wrong: string,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const answer = await api(kit.server, 'POST', 'flow/code', { flow, body: { code: wrong } });
    if (answer.status !== 503) return Date.now() - t0;
    if (Date.now() - t0 > 10_000) throw new Error('the limiter did not recover within 10 s of Redis coming back');
    await sleep(50);
  }
}

test('Redis down: verification answers 503 (API and page) and counts nothing; start uses fallback limits; both recover', async () => {
  const redis = await startPrivateRedis();
  let kit: AttackServer | undefined;
  try {
    // 4 starts per IP with Redis; the in-process fallback allows half of that
    kit = await startAttackServer({ SSPR_REDIS_URL: redis.url, SSPR_START_LIMIT_PER_IP: '4' });
    const { handle } = await apiStart(kit, USER);
    await kit.deliver();
    const right = codeIn(newest(kit, USER_EMAIL).text);
    const wrong = right === '000001' ? '000002' : '000001';

    const before = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: wrong } });
    assert.equal(errorCode(before), 'invalid_code', 'with Redis up a wrong code is simply wrong');

    // a browser on the pages, mid-flow, when Redis dies
    const browser = new PageClient(kit.server);
    await browser.start(kit, 'admin2@contoso.example');
    await kit.deliver();

    await redis.kill();

    const down = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: right } });
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(errorCode(down), 'service_unavailable');
    assert.equal(
      (down.body.error as { message: string }).message,
      "We can't check codes right now. Nothing was changed. Try again in a few minutes.",
    );
    for (let i = 0; i < 10; i++) {
      const guess = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: wrong } });
      assert.equal(guess.status, 503, 'no guess is checked while Redis is down');
    }
    const code = await kit.app.store.flows.liveCode(handle.flowId, 'email');
    assert.equal(code?.attempts, 1, 'nothing was counted or changed while Redis was down');
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'email_code');

    const page = await browser.step('/reset/flow/code', { code: '123456' });
    assert.equal(page.statusCode, 503);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    assert.ok(page.body.includes(STEP_PROBLEMS.service_unavailable.title), 'the page says what happened');
    assert.match(page.body, /check codes right now/);

    // starting still works, under the tighter in-process limit (2 of 4)
    const starts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await api(kit.server, 'POST', 'start', {
        body: { login: `nobody${i}@contoso.example`, altcha: await kit.captcha() },
      });
      starts.push(answer.status);
    }
    assert.deepEqual(starts, [202, 202, 429, 429], 'fallback: two starts, then 429');

    await redis.restart();
    const recoveredMs = await waitForRecovery(kit, handle, wrong);
    console.log(`[redis-outage] code checks answered again ${recoveredMs} ms after Redis came back`);
    // the probe above was a wrong code: counted (attempt 2); the right code now works
    const ok = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: right } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    // the restarted Redis is empty: the shared limit (4) applies again
    const again = await api(kit.server, 'POST', 'start', {
      body: { login: 'someone@contoso.example', altcha: await kit.captcha() },
    });
    assert.equal(again.status, 202, 'starting uses the shared limit again');
  } finally {
    await kit?.close();
    await redis.close();
  }
});
