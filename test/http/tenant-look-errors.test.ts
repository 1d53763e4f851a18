import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EMPTY_LOOK } from '../../src/core/tenant-look.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createTestServer, type TestServer } from './server-kit.ts';

/**
 * Error pages carry the tenant's look where the address names the tenant (issue 12, item 6): a
 * 404, a 500 thrown by a handler, a 500 from a hook that runs before the pages' hooks, a body
 * that does not parse and a malformed URL (both refused before any page hook) all show the
 * tenant's stylesheet, logo and display name at its address, and sspr's own look at the shared
 * address (never the tenant of a typed login: these pages have none).
 */
const HOST = 'reset.contoso.example';
let t: TestServer;
let tenantId = '';

before(async () => {
  t = await createTestServer(
    {},
    {
      routes(server) {
        server.get('/test/boom', async () => {
          throw new Error('boom');
        });
        server.get(
          '/test/early',
          {
            onRequest: async () => {
              throw new Error('failed before the pages’ hooks');
            },
          },
          async () => 'never',
        );
      },
    },
  );
  await setupDemo(t.app.directory, t.app.random, 'test');
  const tenant = await t.app.store.directory.findTenantByName('Contoso Demo');
  assert.ok(tenant);
  tenantId = tenant.id;
  const saved = await t.app.store.looks.saveLook(
    tenantId,
    { ...EMPTY_LOOK, displayName: 'Contoso IT', primaryColour: '#0b57d0', host: HOST },
    t.app.clock.now(),
  );
  assert.ok(saved.ok);
  const png = await sharp({ create: { width: 120, height: 40, channels: 3, background: '#0b57d0' } })
    .png()
    .toBuffer();
  const hash = createHash('sha256').update(png).digest('hex');
  await t.app.store.looks.setLogo(tenantId, { png, width: 120, height: 40, hash }, t.app.clock.now());
});
after(async () => {
  await t.close();
});

const CASES: readonly { name: string; method: 'GET' | 'POST'; url: string; status: number; json?: string }[] = [
  { name: 'a page that does not exist', method: 'GET', url: '/no-such-page', status: 404 },
  { name: 'an error thrown by a handler', method: 'GET', url: '/test/boom', status: 500 },
  { name: 'an error in a hook before the pages’ hooks', method: 'GET', url: '/test/early', status: 500 },
  { name: 'a body that does not parse', method: 'POST', url: '/reset', status: 400, json: '{"login":' },
  { name: 'a malformed URL', method: 'GET', url: '/reset/%zz', status: 400 },
];

function get(c: (typeof CASES)[number], host: string) {
  return t.server.inject({
    method: c.method,
    url: c.url,
    headers: {
      accept: 'text/html',
      host,
      ...(c.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.json !== undefined ? { payload: c.json } : {}),
  });
}

describe('error pages and the tenant look', () => {
  for (const c of CASES) {
    test(`${c.name} (${c.status}): the tenant's look at its address, sspr's own at the shared address`, async () => {
      const known = await get(c, HOST);
      assert.equal(known.statusCode, c.status, known.body.slice(0, 300));
      assert.match(String(known.headers['content-type']), /^text\/html/);
      const brand = `/brand/${tenantId}/`;
      assert.ok(
        known.body.includes(`<link rel="stylesheet" href="${brand}look-`),
        `the tenant stylesheet is linked: ${known.body.slice(0, 800)}`,
      );
      assert.match(
        known.body,
        /<a class="brand" href="\/"><img class="tenant-logo" src="\/brand\/[^"]+\/logo-[0-9a-f]{64}\.png" width="120" height="40" alt(?:="")?\/>Contoso IT<\/a>/,
      );
      assert.match(known.body, /<title>[^<]* · Contoso IT<\/title>/);
      // the stylesheet it links is the tenant's colour
      const sheet = /href="(\/brand\/[^"]+\/look-[0-9a-f]{16}\.css)"/.exec(known.body)![1]!;
      const css = await t.server.inject({ url: sheet });
      assert.equal(css.statusCode, 200);
      assert.match(css.body, /--brand:#0b57d0/);

      for (const host of ['localhost', 'other.example']) {
        const shared = await get(c, host);
        assert.equal(shared.statusCode, c.status);
        assert.doesNotMatch(shared.body, /Contoso IT|tenant-logo|\/brand\//, `host ${host}`);
      }
    });
  }

  test('an API client still gets JSON, without any look', async () => {
    const r = await t.server.inject({ method: 'GET', url: '/test/boom', headers: { host: HOST } });
    assert.equal(r.statusCode, 500);
    assert.equal(r.json().error.code, 'internal_error');
  });
});
