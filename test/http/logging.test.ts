import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/compose.ts';
import { LOG_REDACT_PATHS, serializeError } from '../../src/http/log-redaction.ts';
import { buildServer } from '../../src/http/server.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { createTestServer } from './server-kit.ts';

/** A pino destination that keeps every line in memory. */
function memoryStream(): { stream: Writable; lines(): Record<string, unknown>[]; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const text = () => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const SECRETS = {
  password: 'hunter2hunter2',
  code: '123456',
  token: 'tok-abc-7f3e9d',
  bearer: 'Bearer sk-live-bearer-51c0',
  cookie: 'cookie-value-d00d',
  apiKey: 'api-key-b16b00b5',
};

test('request logs carry no password, code, token, Authorization, cookie or API key', async () => {
  const sink = memoryStream();
  const logger = createLogger({ log_level: 'trace' }, sink.stream);
  const t = await createTestServer(
    { SSPR_LOG_LEVEL: 'trace' },
    {
      logger,
      routes(server) {
        // A careless handler that logs everything it got.
        server.post('/test/careless', async (request) => {
          request.log.info({ body: request.body, headers: request.headers, query: request.query }, 'careless handler');
          request.log.info(request.body as object, 'body at the top level');
          return { ok: true };
        });
        server.post('/test/fails', async () => {
          throw new Error('store failed');
        });
      },
    },
  );
  try {
    const headers = {
      authorization: SECRETS.bearer,
      cookie: `__Host-sspr=${SECRETS.cookie}`,
      'x-api-key': SECRETS.apiKey,
      'content-type': 'application/json',
    };
    const body = JSON.stringify({ password: SECRETS.password, code: SECRETS.code, nested: { token: SECRETS.token } });
    const ok = await t.server.inject({
      method: 'POST',
      url: `/test/careless?token=${SECRETS.token}`,
      headers,
      payload: body,
    });
    assert.equal(ok.statusCode, 200);
    const failed = await t.server.inject({
      method: 'POST',
      url: `/test/fails?token=${SECRETS.token}`,
      headers,
      payload: body,
    });
    assert.equal(failed.statusCode, 500);
    const notFound = await t.server.inject({
      method: 'POST',
      url: `/no/such/route?code=${SECRETS.code}&token=${SECRETS.token}`,
      headers,
      payload: body,
    });
    assert.equal(notFound.statusCode, 404);
    // A JSON parser error message quotes the body: it must not reach the log either.
    const broken = await t.server.inject({
      method: 'POST',
      url: `/test/careless?token=${SECRETS.token}`,
      headers,
      payload: `{"password":"${SECRETS.password}","code":"${SECRETS.code}",`,
    });
    assert.equal(broken.statusCode, 400);
    assert.doesNotMatch(broken.body, new RegExp(SECRETS.password));
    // V8 quotes the text near the error: `Unexpected token 'h', ..."password":hunter2hun"...`
    const quoted = await t.server.inject({
      method: 'POST',
      url: '/test/careless',
      headers,
      payload: `{"password":${SECRETS.password}}`,
    });
    assert.equal(quoted.statusCode, 400);
    assert.doesNotMatch(quoted.body, /hunter2/);

    const text = sink.text();
    // The log is really there (otherwise "no secret in it" proves nothing).
    const lines = sink.lines();
    assert.ok(
      lines.some((l) => l.msg === 'incoming request'),
      'request lines are logged',
    );
    assert.ok(
      lines.some((l) => l.msg === 'careless handler'),
      'the handler line is logged',
    );
    assert.ok(
      lines.some((l) => l.msg === 'request failed' && l.reqId === failed.headers['x-request-id']),
      'the 500 is logged with its request id',
    );
    assert.ok(
      lines.some(
        (l) =>
          l.msg === 'request rejected' && (l as { errorCode?: string }).errorCode === 'FST_ERR_CTP_INVALID_JSON_BODY',
      ),
    );
    assert.match(text, /"url":"\/test\/careless"/, 'URLs are logged without their query string');
    assert.match(text, /\[redacted\]/);
    for (const [name, value] of Object.entries(SECRETS)) {
      assert.equal(text.includes(value), false, `the ${name} value appears in the log`);
    }
    assert.doesNotMatch(text, /hunter2|sk-live|d00d|b16b00b5/);
  } finally {
    await t.close();
  }
});

test('redaction covers secret fields at the top level and one or two levels deep, and keeps devText', () => {
  const sink = memoryStream();
  const log = createLogger({ log_level: 'info' }, sink.stream);
  log.info(
    {
      password: 'p0',
      newPassword: 'p1',
      confirmPassword: 'p2',
      code: '000111',
      token: 't0',
      secret: 's0',
      flowSecret: 'fs0',
      sessionId: 'sid0',
      session_id: 'sid1',
      otp: 'otp0',
      form: { password: 'p3', code: '222333', otp: 'otp1' },
      req: {
        body: { anything: 'b0' },
        headers: { cookie: 'c0', authorization: 'a0', 'x-api-key': 'k0', host: 'example.test' },
      },
      res: { headers: { 'set-cookie': 'sc0' } },
      deep: { er: { token: 't1', sessionId: 'sid2' } },
      devText: 'Your code is 424242',
    },
    'everything',
  );
  const line = sink.lines()[0] as Record<string, unknown>;
  const text = sink.text();
  for (const secret of [
    'p0',
    'p1',
    'p2',
    '000111',
    't0',
    's0',
    'fs0',
    'sid0',
    'sid1',
    'otp0',
    'p3',
    '222333',
    'otp1',
    'b0',
    'c0',
    'a0',
    'k0',
    'sc0',
    't1',
    'sid2',
  ]) {
    assert.equal(text.includes(`"${secret}"`), false, `${secret} was logged`);
  }
  assert.equal(line.devText, 'Your code is 424242', 'the dev outbox text is kept on purpose');
  assert.equal((line.req as { headers: { host: string } }).headers.host, 'example.test', 'other fields stay');
  assert.ok(!LOG_REDACT_PATHS.some((p) => p.includes('devText')));
});

test('buildServer with its own pino options still redacts and strips query strings', async () => {
  const sink = memoryStream();
  const { app, cleanup } = await createTestApp();
  const server = await buildServer(app, { logger: { level: 'info', stream: sink.stream } });
  try {
    server.post('/test/careless', async (request) => {
      request.log.info({ body: request.body, headers: request.headers }, 'careless handler');
      return { ok: true };
    });
    const res = await server.inject({
      method: 'POST',
      url: `/test/careless?token=${SECRETS.token}`,
      headers: { authorization: SECRETS.bearer, cookie: `sid=${SECRETS.cookie}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ password: SECRETS.password, code: SECRETS.code }),
    });
    assert.equal(res.statusCode, 200);
    const text = sink.text();
    assert.match(text, /careless handler/);
    assert.match(text, /"url":"\/test\/careless"/);
    for (const [name, value] of Object.entries(SECRETS))
      assert.equal(text.includes(value), false, `the ${name} value appears in the log`);
  } finally {
    await server.close();
    await cleanup();
  }
});

test('serializeError keeps a library error code as errorCode, never an all-digit code', () => {
  const refused = serializeError(Object.assign(new Error('connect failed'), { code: 'ECONNREFUSED' }));
  assert.equal(refused.errorCode, 'ECONNREFUSED');
  assert.equal(serializeError(Object.assign(new Error('x'), { code: '3D000' })).errorCode, '3D000');
  assert.equal(serializeError(Object.assign(new Error('x'), { code: '123456' })).errorCode, undefined);
  assert.equal(serializeError(new Error('plain')).errorCode, undefined);

  const sink = memoryStream();
  createLogger({ log_level: 'info' }, sink.stream)
    .child({})
    .error({ err: serializeError(Object.assign(new Error('boom'), { code: 'ECONNRESET' })) }, 'failed');
  const line = sink.lines()[0] as { err: { code: string; errorCode: string } };
  assert.equal(line.err.code, '[redacted]', 'err.code itself is caught by the *.code rule');
  assert.equal(line.err.errorCode, 'ECONNRESET');
});
