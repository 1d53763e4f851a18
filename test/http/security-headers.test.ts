import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { HttpError } from '../../src/http/errors.ts';
import { createTestServer, EXPECTED_SECURITY_HEADERS } from './server-kit.ts';

function assertSecurityHeaders(res: LightMyRequestResponse, what: string): void {
  for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS)) {
    assert.equal(res.headers[name], value, `${what}: header ${name}`);
  }
}

const HTML = { accept: 'text/html,application/xhtml+xml' };

test('every kind of response carries the security headers and Cache-Control: no-store', async () => {
  const t = await createTestServer(
    {},
    {
      routes(server) {
        server.get('/test/boom', async () => {
          throw new Error('kaboom');
        });
        server.get('/test/forbidden', async () => {
          throw new HttpError('forbidden');
        });
        server.post('/test/echo', async (request) => ({ got: request.body }));
      },
    },
  );
  try {
    const cases: [
      string,
      { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; payload?: string },
      number,
    ][] = [
      ['HTML page', { url: '/dev/outbox', headers: HTML }, 200],
      ['JSON health check', { url: '/healthz' }, 200],
      ['readiness check', { url: '/readyz' }, 200],
      ['HTML 404', { url: '/no/such/page', headers: HTML }, 404],
      ['JSON 404', { url: '/api/no/such/thing' }, 404],
      [
        '404 for a POST',
        {
          url: '/nothing',
          method: 'POST',
          payload: 'a=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        404,
      ],
      ['500', { url: '/test/boom', headers: HTML }, 500],
      ['403 thrown as HttpError', { url: '/test/forbidden' }, 403],
      [
        '400 bad JSON',
        { url: '/test/echo', method: 'POST', payload: '{nope', headers: { 'content-type': 'application/json' } },
        400,
      ],
      [
        '413 body too large',
        {
          url: '/test/echo',
          method: 'POST',
          payload: JSON.stringify({ a: 'x'.repeat(70_000) }),
          headers: { 'content-type': 'application/json' },
        },
        413,
      ],
      [
        '415 unknown body type',
        { url: '/test/echo', method: 'POST', payload: 'x', headers: { 'content-type': 'application/x-unknown' } },
        415,
      ],
      ['malformed URL (answered before routing)', { url: '/%zz', headers: HTML }, 400],
    ];
    for (const [what, request, status] of cases) {
      const res = await t.server.inject({
        method: request.method ?? 'GET',
        url: request.url,
        headers: request.headers,
        payload: request.payload,
      });
      assert.equal(res.statusCode, status, `${what}: status`);
      assertSecurityHeaders(res, what);
      assert.equal(res.headers['cache-control'], 'no-store', `${what}: cache-control`);
      assert.equal(res.headers['strict-transport-security'], undefined, `${what}: no HSTS on an http public URL`);
      assert.match(String(res.headers['x-request-id']), /^[0-9a-f-]{36}$/, `${what}: request id`);
    }
  } finally {
    await t.close();
  }
});

test('the stylesheet is served as CSS with the security headers and may be cached', async () => {
  const t = await createTestServer();
  try {
    const res = await t.server.inject({ url: '/static/sspr.css' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/css/);
    assertSecurityHeaders(res, 'stylesheet');
    assert.notEqual(res.headers['cache-control'], 'no-store');
    assert.ok(res.headers.etag, 'an ETag lets browsers revalidate cheaply');
    assert.match(res.body, /:focus-visible/);
    assert.doesNotMatch(res.body, /@import|url\(\s*['"]?https?:/, 'no external fonts or resources');

    const missing = await t.server.inject({ url: '/static/nope.css' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers['cache-control'], 'no-store');
    const dotfile = await t.server.inject({ url: '/static/.secret' });
    assert.equal(dotfile.statusCode, 404);
  } finally {
    await t.close();
  }
});

test('HSTS is sent only when the public URL is https', async () => {
  const https = await createTestServer({ SSPR_PUBLIC_URL: 'https://reset.example.com' });
  try {
    for (const url of ['/healthz', '/nope', '/static/sspr.css', '/%zz']) {
      const res = await https.server.inject({ url, headers: HTML });
      assert.equal(res.headers['strict-transport-security'], 'max-age=63072000; includeSubDomains', url);
      assertSecurityHeaders(res, url);
    }
  } finally {
    await https.close();
  }
  const http = await createTestServer({ SSPR_PUBLIC_URL: 'http://reset.example.com' });
  try {
    for (const url of ['/healthz', '/nope']) {
      const res = await http.server.inject({ url });
      assert.equal(res.headers['strict-transport-security'], undefined, url);
    }
  } finally {
    await http.close();
  }
});
