import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { WebhookSmsSender } from '../../src/adapters/sms/webhook-sms.ts';

const TO = '+447700900123';
const BODY = 'Your sspr code is 493021';

describe('WebhookSmsSender against a real HTTP server', () => {
  let server: Server;
  let url: string;
  const seen: { method: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const answers: ({ status: number; body?: string } | 'hang')[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const a = answers.shift() ?? { status: 202, body: '{"id":"gw-1"}' };
        if (a === 'hang') return;
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`;
  });
  beforeEach(() => {
    seen.length = 0;
    answers.length = 0;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('POSTs {to, body} as JSON with the bearer token; 2xx is delivered', async () => {
    const sender = new WebhookSmsSender({ url, token: 's3cret-token', timeoutMs: 2_000 });
    const result = await sender.send({ to: TO, body: BODY });
    assert.deepEqual(result, { ok: true, providerId: 'gw-1' });
    const req = seen[0];
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers.authorization, 'Bearer s3cret-token');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(req.body), { to: TO, body: BODY });
  });

  it('sends no Authorization header without a token; an empty 204 is fine', async () => {
    answers.push({ status: 204 });
    const sender = new WebhookSmsSender({ url, token: null, timeoutMs: 2_000 });
    const result = await sender.send({ to: TO, body: BODY });
    assert.deepEqual(result, { ok: true, providerId: null });
    assert.equal(seen[0]?.headers.authorization, undefined);
  });

  const cases: [number, boolean][] = [
    [400, false],
    [401, false],
    [404, false],
    [422, false],
    [429, true],
    [500, true],
    [503, true],
  ];
  for (const [status, retryable] of cases) {
    it(`HTTP ${status} → ${retryable ? 'retryable' : 'permanent'}, reason without the message`, async () => {
      answers.push({ status, body: JSON.stringify({ error: `rejected ${BODY} for ${TO}` }) });
      const sender = new WebhookSmsSender({ url, token: 'tok', timeoutMs: 2_000 });
      const result = await sender.send({ to: TO, body: BODY });
      assert.ok(!result.ok);
      assert.equal(result.retryable, retryable);
      assert.equal(result.reason, `SMS webhook HTTP ${status}`);
    });
  }

  it('timeout and connection refused are retryable', async () => {
    answers.push('hang');
    const slow = new WebhookSmsSender({ url, token: null, timeoutMs: 150 });
    const timedOut = await slow.send({ to: TO, body: BODY });
    assert.ok(!timedOut.ok);
    assert.equal(timedOut.retryable, true);
    assert.match(timedOut.reason, /no answer within 150 ms/);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await new WebhookSmsSender({
      url: `http://127.0.0.1:${port}/sms`,
      token: null,
      timeoutMs: 1_000,
    }).send({ to: TO, body: BODY });
    assert.ok(!refused.ok);
    assert.equal(refused.retryable, true);
    assert.match(refused.reason, /ECONNREFUSED/);
  });
});
