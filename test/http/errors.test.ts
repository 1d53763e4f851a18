import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InjectOptions } from 'fastify';
import { classifyError, describeError, HTTP_ERRORS, HttpError, sendError } from '../../src/http/errors.ts';
import { createTestServer } from './server-kit.ts';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('request ids: generated, echoed in X-Request-Id, an incoming one kept only when well-formed', async () => {
  const t = await createTestServer({}, { routes: (s) => s.get('/test/id', async (request) => ({ id: request.id })) });
  try {
    const a = await t.server.inject({ url: '/test/id' });
    const b = await t.server.inject({ url: '/test/id' });
    assert.match(String(a.headers['x-request-id']), UUID);
    assert.equal(a.json<{ id: string }>().id, a.headers['x-request-id']);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);

    const kept = await t.server.inject({ url: '/test/id', headers: { 'x-request-id': 'lb-7Fa9-0001' } });
    assert.equal(kept.headers['x-request-id'], 'lb-7Fa9-0001');
    assert.equal(kept.json<{ id: string }>().id, 'lb-7Fa9-0001');
    const longest = 'a'.repeat(64);
    assert.equal(
      (await t.server.inject({ url: '/test/id', headers: { 'x-request-id': longest } })).headers['x-request-id'],
      longest,
    );

    for (const bad of ['a'.repeat(65), 'abc def', 'x;drop', 'id\u00e9', '../../etc', '<script>', 'a_b']) {
      const res = await t.server.inject({ url: '/test/id', headers: { 'x-request-id': bad } });
      assert.match(String(res.headers['x-request-id']), UUID, `replaced: ${JSON.stringify(bad)}`);
    }
    const onNotFound = await t.server.inject({ url: '/missing', headers: { 'x-request-id': 'trace-42' } });
    assert.equal(onNotFound.headers['x-request-id'], 'trace-42');
    assert.equal(onNotFound.json<{ error: { requestId: string } }>().error.requestId, 'trace-42');
  } finally {
    await t.close();
  }
});

test('a 500 shows the generic message and the request id, never the error or a stack', async () => {
  const t = await createTestServer(
    {},
    {
      routes(server) {
        server.get('/test/boom', async () => {
          throw new Error('connect ECONNREFUSED db.internal:5432 password=swordfish');
        });
        server.get('/api/test/boom', async () => {
          throw Object.assign(new TypeError('Cannot read properties of undefined'), { statusCode: 502 });
        });
      },
    },
  );
  try {
    const json = await t.server.inject({ url: '/test/boom' });
    assert.equal(json.statusCode, 500);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    const body = json.json<{ error: { code: string; message: string; requestId: string } }>();
    assert.deepEqual(body, {
      error: {
        code: 'internal_error',
        message: HTTP_ERRORS.internal_error.message,
        requestId: String(json.headers['x-request-id']),
      },
    });

    const html = await t.server.inject({ url: '/test/boom', headers: HTML });
    assert.equal(html.statusCode, 500);
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.match(html.body, /^<!doctype html>/);
    assert.ok(html.body.includes(HTTP_ERRORS.internal_error.title));
    assert.match(
      html.body,
      /<code id="support-reference">SUP-[A-Z0-9]{4}-[A-Z0-9]{4}<\/code>/,
      'the page shows a support reference',
    );
    assert.ok(!html.body.includes(String(html.headers['x-request-id'])), 'the request id stays in the logs');

    const api = await t.server.inject({ url: '/api/test/boom', headers: HTML });
    assert.equal(api.statusCode, 500, 'a 5xx status from an error becomes a plain 500');
    assert.match(String(api.headers['content-type']), /^application\/json/, '/api/ always answers JSON');

    for (const res of [json, html, api]) {
      assert.doesNotMatch(
        res.body,
        /ECONNREFUSED|swordfish|db\.internal|Cannot read|stack|\.ts:\d+|at [A-Za-z.<>]+ \(/,
      );
    }
  } finally {
    await t.close();
  }
});

test('not found: an HTML page for browsers, JSON otherwise, without echoing the URL', async () => {
  const t = await createTestServer();
  try {
    const html = await t.server.inject({ url: '/nowhere/<b>here</b>?token=abc', headers: HTML });
    assert.equal(html.statusCode, 404);
    assert.match(html.body, /^<!doctype html><html lang="en" dir="ltr">/);
    assert.ok(html.body.includes(HTTP_ERRORS.not_found.title));
    assert.match(html.body, /<main id="main"/);
    assert.match(html.body, /href="\/reset"/, 'offers a way to start over');
    assert.doesNotMatch(html.body, /<b>here|token=abc|<script/);

    const json = await t.server.inject({ url: '/nowhere?token=abc' });
    assert.equal(json.statusCode, 404);
    assert.deepEqual(json.json(), {
      error: {
        code: 'not_found',
        message: HTTP_ERRORS.not_found.message,
        requestId: String(json.headers['x-request-id']),
      },
    });
  } finally {
    await t.close();
  }
});

test('client errors map to stable codes: bad JSON, too large, unsupported type, HttpError, sendError', async () => {
  const t = await createTestServer(
    {},
    {
      routes(server) {
        server.post('/test/echo', async (request) => ({ got: request.body }));
        server.get('/test/limited', async () => {
          throw new HttpError('rate_limited');
        });
        server.get('/test/value', async (request, reply) => sendError(request, reply, 'csrf_invalid'));
        server.get('/test/unknown-code', async (request, reply) => sendError(request, reply, 'something_new'));
      },
    },
  );
  try {
    const code = async (opts: InjectOptions) => {
      const res = await t.server.inject(opts);
      return [res.statusCode, res.json<{ error: { code: string } }>().error.code];
    };
    const json = { 'content-type': 'application/json' };
    assert.deepEqual(await code({ method: 'POST', url: '/test/echo', headers: json, payload: '{"a":' }), [
      400,
      'bad_request',
    ]);
    assert.deepEqual(
      await code({
        method: 'POST',
        url: '/test/echo',
        headers: json,
        payload: JSON.stringify({ a: 'x'.repeat(70_000) }),
      }),
      [413, 'payload_too_large'],
    );
    assert.deepEqual(
      await code({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'text/xml' }, payload: '<a/>' }),
      [415, 'unsupported_media_type'],
    );
    assert.deepEqual(await code({ url: '/test/limited' }), [429, 'rate_limited']);
    assert.deepEqual(await code({ url: '/test/value' }), [403, 'csrf_invalid']);
    assert.deepEqual(await code({ url: '/test/unknown-code' }), [500, 'internal_error']);
    assert.deepEqual(await code({ url: '/%E0%A4%A' }), [400, 'bad_request']);
    // Under the limit is fine: 60 KiB of JSON.
    const fine = await t.server.inject({
      method: 'POST',
      url: '/test/echo',
      headers: json,
      payload: JSON.stringify({ a: 'x'.repeat(60_000) }),
    });
    assert.equal(fine.statusCode, 200);
  } finally {
    await t.close();
  }
});

test('classifyError keeps 4xx meanings and turns everything else into internal_error', () => {
  assert.equal(classifyError(new Error('x')).code, 'internal_error');
  assert.equal(classifyError('a string').code, 'internal_error');
  assert.equal(classifyError(null).status, 500);
  assert.deepEqual(
    [
      classifyError(Object.assign(new Error(), { statusCode: 404 })).code,
      classifyError(Object.assign(new Error(), { statusCode: 418 })).status,
    ],
    ['not_found', 418],
  );
  assert.equal(classifyError(Object.assign(new Error(), { statusCode: 400, validation: [] })).code, 'invalid_request');
  assert.equal(
    classifyError(Object.assign(new Error(), { statusCode: 403, code: 'FST_CSRF_INVALID_TOKEN' })).code,
    'csrf_invalid',
  );
  assert.equal(classifyError(Object.assign(new Error(), { statusCode: 503 })).code, 'service_unavailable');
  assert.equal(classifyError(new HttpError('forbidden')).status, 403);
  assert.equal(describeError('nope').code, 'internal_error');
  for (const [code, spec] of Object.entries(HTTP_ERRORS)) {
    const { status } = describeError(code);
    assert.ok(status >= 400 && status < 600, code);
    assert.ok(spec.message.length > 10 && spec.title.length > 3, code);
  }
});
