import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { TwilioSmsSender } from '../../src/adapters/sms/twilio-sms.ts';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-auth-token-do-not-leak';
const TO = '+447700900123';
const BODY = 'Your sspr code is 493021';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}
type Answer = { status: number; json?: unknown } | 'hang';

/** Answers like api.twilio.com: 201 with a message resource, or Twilio's JSON error body. */
async function startFakeTwilio(): Promise<{ server: Server; baseUrl: string; seen: Seen[]; answers: Answer[] }> {
  const seen: Seen[] = [];
  const answers: Answer[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, form });
      const answer = answers.shift() ?? { status: 201 };
      if (answer === 'hang') return; // never answers: the client's time limit must end it
      const json = answer.json ?? {
        sid: `SM${String(seen.length).padStart(32, '0')}`,
        status: 'queued',
        to: form.get('To'),
        body: form.get('Body'),
      };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, baseUrl: `http://127.0.0.1:${port}`, seen, answers };
}

function twilioError(status: number, code: number, message: string): Answer {
  return { status, json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

describe('TwilioSmsSender against a Twilio-shaped HTTP server', () => {
  let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
  let sender: TwilioSmsSender;

  before(async () => {
    fake = await startFakeTwilio();
    sender = new TwilioSmsSender({
      accountSid: SID,
      authToken: TOKEN,
      from: '+15005550006',
      baseUrl: fake.baseUrl,
      timeoutMs: 2_000,
    });
  });
  beforeEach(() => {
    fake.seen.length = 0;
    fake.answers.length = 0;
  });
  after(async () => {
    fake.server.closeAllConnections();
    await new Promise<void>((resolve) => fake.server.close(() => resolve()));
  });

  it('posts the real Messages.json request and returns the message SID', async () => {
    const result = await sender.send({ to: TO, body: BODY });
    assert.deepEqual(result, { ok: true, providerId: `SM${'1'.padStart(32, '0')}` });
    assert.equal(fake.seen.length, 1);
    const req = fake.seen[0];
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.equal(req.headers.authorization, `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`);
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.form.get('To'), TO);
    assert.equal(req.form.get('From'), '+15005550006');
    assert.equal(req.form.get('Body'), BODY);
    assert.equal(req.form.get('MessagingServiceSid'), null);
  });

  it('uses MessagingServiceSid when the sender is a Messaging Service', async () => {
    const mg = new TwilioSmsSender({
      accountSid: SID,
      authToken: TOKEN,
      from: 'MG0123456789abcdef0123456789abcdef',
      baseUrl: `${fake.baseUrl}/`,
      timeoutMs: 2_000,
    });
    const result = await mg.send({ to: TO, body: BODY });
    assert.equal(result.ok, true);
    const req = fake.seen[0];
    assert.ok(req);
    assert.equal(req.url, `/2010-04-01/Accounts/${SID}/Messages.json`);
    assert.equal(req.form.get('MessagingServiceSid'), 'MG0123456789abcdef0123456789abcdef');
    assert.equal(req.form.get('From'), null);
  });

  const permanent: [string, Answer, string][] = [
    ['400 21211 invalid To', twilioError(400, 21211, `The 'To' number ${TO} is not a valid phone number.`), '21211'],
    ['400 21610 unsubscribed recipient', twilioError(400, 21610, 'Attempt to send to unsubscribed recipient'), '21610'],
    ['401 20003 authentication', twilioError(401, 20003, 'Authenticate'), '20003'],
  ];
  for (const [name, answer, code] of permanent) {
    it(`${name}: not retryable, reason has Twilio's code and no secret`, async () => {
      fake.answers.push(answer);
      const result = await sender.send({ to: TO, body: BODY });
      assert.ok(!result.ok);
      assert.equal(result.retryable, false);
      assert.match(result.reason, new RegExp(`error ${code}`));
      assert.match(result.reason, /^Twilio HTTP 4\d\d/);
      for (const secret of [TOKEN, BODY, '493021', TO, TO.slice(1)])
        assert.ok(!result.reason.includes(secret), result.reason);
    });
  }

  for (const status of [429, 500, 503]) {
    it(`${status}: retryable`, async () => {
      fake.answers.push(twilioError(status, status === 429 ? 20429 : 20500, 'Too Many Requests or server error'));
      const result = await sender.send({ to: TO, body: BODY });
      assert.ok(!result.ok);
      assert.equal(result.retryable, true);
      assert.match(result.reason, new RegExp(`HTTP ${status}`));
    });
  }

  it('an HTML 502 from a proxy (no JSON) is retryable', async () => {
    fake.answers.push({ status: 502, json: 'Bad Gateway' });
    const result = await sender.send({ to: TO, body: BODY });
    assert.ok(!result.ok);
    assert.equal(result.retryable, true);
  });

  it('no answer within the time limit: retryable', async () => {
    const slow = new TwilioSmsSender({
      accountSid: SID,
      authToken: TOKEN,
      from: '+15005550006',
      baseUrl: fake.baseUrl,
      timeoutMs: 150,
    });
    fake.answers.push('hang');
    const started = Date.now();
    const result = await slow.send({ to: TO, body: BODY });
    assert.ok(!result.ok);
    assert.equal(result.retryable, true);
    assert.match(result.reason, /no answer within 150 ms/);
    assert.ok(Date.now() - started < 2_000);
  });
});

describe('TwilioSmsSender with nothing listening', () => {
  it('connection refused: retryable, no secret in the reason', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const sender = new TwilioSmsSender({
      accountSid: SID,
      authToken: TOKEN,
      from: '+15005550006',
      baseUrl: `http://127.0.0.1:${port}`,
      timeoutMs: 1_000,
    });
    const result = await sender.send({ to: TO, body: BODY });
    assert.ok(!result.ok);
    assert.equal(result.retryable, true);
    assert.match(result.reason, /ECONNREFUSED/);
    assert.ok(!result.reason.includes(TOKEN) && !result.reason.includes(BODY));
  });
});
