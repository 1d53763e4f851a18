import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { createPagesKit, newestMatch, TestBrowser } from '../http/reset-pages-kit.ts';
import { passSecondStep, seedConsoleFactor } from '../helpers/console-factor-kit.ts';

/**
 * Attack: removing another administrator's second factor without verifying their caller (issue 13
 * item 4). A console POST without the verification, one forged without the CSRF token, one after
 * verifying ANOTHER account's caller, and the admin API (keys manage no administrator; no route)
 * all leave the authenticator app and recovery codes in place, and nothing is audited as done.
 */
test('attack: second factor reset without a verified caller is refused on every way in', async () => {
  const kit = await createPagesKit({}, { callerVerification: true });
  try {
    const target = (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!;
    const user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
    const owner = { kind: 'account' as const, id: target.id };
    await seedConsoleFactor(kit.app, 'admin2@contoso.example');
    await kit.app.consoleFactors.setup.regenerate(
      owner,
      { account: target, operator: null },
      { ip: null, userAgent: null },
    );
    const intact = async () => {
      assert.ok(await kit.app.store.authenticators.confirmed(target.id), 'the app is still there');
      assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 10);
      assert.equal((await kit.app.store.audit.list({ type: 'admin.second_factor_reset' })).length, 0);
    };

    const b = new TestBrowser(kit.server);
    await b.get('/signin');
    const password = kit.demo.accounts.find((a) => a.login === 'admin@contoso.example')!.password;
    const signed = await passSecondStep(
      kit.app,
      b,
      await b.post('/signin', { login: 'admin@contoso.example', password, next: '/admin' }),
      'admin@contoso.example',
    );
    assert.equal(signed.statusCode, 303);
    await b.get(`/admin/users/${target.id}`);
    const url = `/admin/users/${target.id}/second-factor/reset`;

    const noCsrf = await b.post(url, { _csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    await intact();
    await b.get(`/admin/users/${target.id}`);
    const unverified = await b.post(url, {});
    assert.equal(unverified.statusCode, 403);
    await intact();

    // verifying another account's caller opens nothing for this one
    await b.get(`/admin/users/${user.id}`);
    assert.equal((await b.post(`/admin/users/${user.id}/verify-caller`, {})).statusCode, 303);
    const code = await newestMatch(kit.app, 'user@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);
    await b.get(`/admin/users/${user.id}`);
    assert.equal((await b.post(`/admin/users/${user.id}/verify-caller/confirm`, { code })).statusCode, 303);
    await b.get(`/admin/users/${target.id}`);
    const other = await b.post(url, {});
    assert.equal(other.statusCode, 403);
    await intact();

    // the admin API has no such way, whatever the key's scopes
    const c = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(c.ok);
    const key = await kit.app.apiKeys.create({
      tenantId: c.value.id,
      name: 'all',
      scopes: ['users:write', 'resets:write'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(key.ok);
    for (const path of [`/users/${target.id}/second-factor/reset`, `/users/${target.id}/second-factor`]) {
      const r: LightMyRequestResponse = await kit.server.inject({
        method: 'POST',
        url: `${ADMIN_API_PREFIX}${path}`,
        headers: { authorization: `Bearer ${key.value.token}` },
      });
      assert.equal(r.statusCode, 404, path);
    }
    await intact();
    const denied = (await kit.app.store.audit.list({ type: 'admin.denied', accountId: target.id })).filter(
      (e) => e.details.action === 'second_factor.reset' && e.outcome === 'caller_not_verified',
    );
    assert.equal(denied.length, 2);
  } finally {
    await kit.close();
  }
});
