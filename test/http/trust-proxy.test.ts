import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { parseTrustProxy } from '../../src/http/server.ts';
import { createTestServer } from './server-kit.ts';

test('parseTrustProxy: a comma list becomes an array; empty or unset means no proxy is trusted', () => {
  assert.equal(parseTrustProxy(undefined), false);
  assert.equal(parseTrustProxy(''), false);
  assert.equal(parseTrustProxy(' , '), false);
  assert.deepEqual(parseTrustProxy('127.0.0.1, 10.0.0.0/8,,::1'), ['127.0.0.1', '10.0.0.0/8', '::1']);
});

test('X-Forwarded-For is believed only from a configured proxy', async () => {
  const route = {
    routes: (s: FastifyInstance) => s.get('/test/ip', async (request) => ({ ip: request.ip })),
  };
  const headers = { 'x-forwarded-for': '203.0.113.9' };
  const untrusted = await createTestServer({}, route);
  try {
    const res = await untrusted.server.inject({ url: '/test/ip', headers, remoteAddress: '127.0.0.1' });
    assert.equal(res.json<{ ip: string }>().ip, '127.0.0.1');
  } finally {
    await untrusted.close();
  }
  const trusted = await createTestServer({ SSPR_TRUST_PROXY: '127.0.0.1,10.0.0.0/8' }, route);
  try {
    const viaProxy = await trusted.server.inject({ url: '/test/ip', headers, remoteAddress: '10.1.2.3' });
    assert.equal(viaProxy.json<{ ip: string }>().ip, '203.0.113.9');
    const direct = await trusted.server.inject({ url: '/test/ip', headers, remoteAddress: '198.51.100.7' });
    assert.equal(
      direct.json<{ ip: string }>().ip,
      '198.51.100.7',
      'a client that is not a proxy cannot spoof its address',
    );
  } finally {
    await trusted.close();
  }
});
