import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, apiStart, codeIn, newest, startAttackServer, type AttackServer } from '../attack/attack-kit.ts';

const TOKEN = 'metrics-token-for-tests-0123456789';

function scrape(kit: AttackServer, authorization?: string) {
  return kit.server.inject({
    method: 'GET',
    url: '/metrics',
    headers: authorization === undefined ? {} : { authorization },
  });
}

/** The value of one sample line, e.g. `sspr_reset_flows_started_total{outcome="found"}`; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(m[4]);
  }
  return 0;
}

describe('/metrics without SSPR_METRICS_TOKEN', () => {
  let kit: AttackServer;
  before(async () => {
    kit = await startAttackServer({}, { demo: false });
  });
  after(() => kit.close());

  it('is not served at all (404), with or without a bearer token', async () => {
    assert.equal((await scrape(kit)).statusCode, 404);
    assert.equal((await scrape(kit, `Bearer ${TOKEN}`)).statusCode, 404);
  });
});

describe('/metrics with SSPR_METRICS_TOKEN', () => {
  let kit: AttackServer;
  before(async () => {
    kit = await startAttackServer({ SSPR_METRICS_TOKEN: TOKEN, SSPR_START_LIMIT_PER_IP: '3' });
  });
  after(() => kit.close());

  it('answers 401 without the token, with a wrong one, or with another scheme', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-0123456789', `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer']) {
      const res = await scrape(kit, auth);
      assert.equal(res.statusCode, 401, `authorization: ${auth}`);
      assert.match(String(res.headers['www-authenticate']), /^Bearer/);
      assert.doesNotMatch(res.body, /sspr_/);
    }
  });

  it('serves the Prometheus text format with the right token, and is not in the OpenAPI document', async () => {
    const res = await scrape(kit, `Bearer ${TOKEN}`);
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    for (const name of [
      'sspr_reset_flows_started_total',
      'sspr_reset_flows_completed_total',
      'sspr_reset_flows_failed_total',
      'sspr_messages_queued_total',
      'sspr_messages_total',
      'sspr_message_age_seconds',
      'sspr_messages_pending',
      'sspr_message_oldest_pending_age_seconds',
      'sspr_limiter_blocks_total',
      'sspr_http_request_duration_seconds',
      'sspr_process_resident_memory_bytes',
    ])
      assert.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    const openapi = await kit.server.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.doesNotMatch(openapi.body, /\/metrics/);
  });

  it('counts a whole reset: started by outcome, queued, pending, sent with age, failed by reason, completed, request latency', async () => {
    const user = kit.account('user@contoso.example');
    // the demo set-up already sent its own messages
    const sentBefore = sample((await scrape(kit, `Bearer ${TOKEN}`)).body, 'sspr_messages_total', {
      channel: 'email',
      outcome: 'sent',
    });
    assert.ok(sentBefore > 0, 'the demo set-up messages were counted too');
    const { handle } = await apiStart(kit, user.login);
    await apiStart(kit, 'nobody@contoso.example');

    let text = (await scrape(kit, `Bearer ${TOKEN}`)).body;
    assert.equal(sample(text, 'sspr_reset_flows_started_total', { outcome: 'found' }), 1);
    assert.equal(sample(text, 'sspr_reset_flows_started_total', { outcome: 'not_found' }), 1);
    assert.equal(sample(text, 'sspr_messages_queued_total', { channel: 'email', template: 'reset.code' }), 1);
    assert.equal(sample(text, 'sspr_messages_pending'), 1, 'the code waits in the outbox until the worker runs');
    assert.ok(sample(text, 'sspr_message_oldest_pending_age_seconds') >= 0);
    assert.equal(
      sample(text, 'sspr_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/api/v1/reset/start',
        status_code: '202',
      }),
      2,
    );

    await kit.deliver();
    const code = codeIn(newest(kit, user.email).text);
    const wrong = code === '000000' ? '111111' : '000000';
    const rejected = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: wrong } });
    assert.equal(rejected.status, 400);
    const accepted = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code } });
    assert.equal(accepted.status, 200);
    const next = { flowId: handle.flowId, secret: String(accepted.body.flowSecret) };
    const done = await api(kit.server, 'POST', 'flow/password', {
      flow: next,
      body: { password: 'violet tractor harbour pencil', confirm: 'violet tractor harbour pencil' },
    });
    assert.equal(done.status, 200, done.res.body);
    await kit.deliver();

    text = (await scrape(kit, `Bearer ${TOKEN}`)).body;
    const sent = sample(text, 'sspr_messages_total', { channel: 'email', outcome: 'sent' });
    assert.equal(sent - sentBefore, 3, 'code + 2 notices');
    assert.equal(sample(text, 'sspr_message_age_seconds_count', { channel: 'email', outcome: 'sent' }), sent);
    assert.equal(sample(text, 'sspr_messages_pending'), 0);
    assert.equal(sample(text, 'sspr_message_oldest_pending_age_seconds'), 0);
    assert.equal(sample(text, 'sspr_reset_flows_failed_total', { reason: 'code_mismatch' }), 1);
    assert.equal(sample(text, 'sspr_reset_flows_completed_total'), 1);
    assert.equal(sample(text, 'sspr_messages_queued_total', { channel: 'email', template: 'reset.completed' }), 2);
    // the route pattern, never the raw URL
    assert.doesNotMatch(text, new RegExp(handle.flowId));
    assert.doesNotMatch(text, /contoso|personal\.example/);
  });

  it('counts limiter blocks', async () => {
    // the per-IP start limit is 3 in this server; the test above used 2
    await apiStart(kit, 'someone@contoso.example');
    const refused = await api(kit.server, 'POST', 'start', {
      body: { login: 'another@contoso.example', altcha: await kit.captcha() },
    });
    assert.equal(refused.status, 429);
    const text = (await scrape(kit, `Bearer ${TOKEN}`)).body;
    assert.equal(sample(text, 'sspr_limiter_blocks_total', { limit: 'reset_start_ip' }), 1);
  });
});
