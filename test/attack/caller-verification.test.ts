import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiScope } from '../../src/core/admin-rules.ts';
import type { Account, Tenant } from '../../src/core/directory-model.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createPagesKit, newestMatch, type PagesKit } from '../http/reset-pages-kit.ts';

/**
 * Attack: help-desk actions without a verified caller, through the admin API (issue 13 item 5).
 * The gate is in the services, so the API cannot skip it: reset-link, unblock and unlock answer
 * 403 `caller_not_verified` (audited as `admin.denied`) until THIS key verified THIS account's
 * caller within 10 minutes — another key's or an admin's verification opens nothing, a guessed
 * code is counted (5 tries), a code is used once, and the proof expires.
 */

const clock = new ManualClock();
let kit: PagesKit;
let contoso: Tenant;
let user: Account;

before(async () => {
  kit = await createPagesKit({}, { clock, callerVerification: true });
  const c = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
  user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
});
after(() => kit.close());

async function key(scopes: ApiScope[]) {
  const r = await kit.app.apiKeys.create({
    tenantId: contoso.id,
    name: `k ${scopes.join(' ')}`,
    scopes,
    expiresAt: null,
    by: 'cli',
  });
  assert.ok(r.ok);
  return { token: r.value.token, id: r.value.key.id };
}

function call(token: string, path: string, body?: unknown): Promise<LightMyRequestResponse> {
  return kit.server.inject({
    method: 'POST',
    url: `${ADMIN_API_PREFIX}${path}`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

const code = (r: LightMyRequestResponse) => (r.json() as { error?: { code: string } }).error?.code;

/** The newest caller-verification code sent to the person's alternate email. */
const sentCode = () => newestMatch(kit.app, 'user@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);

describe('attack: console actions without caller verification, through the admin API', () => {
  test('reset-link and unblock are refused without verification, and each refusal is audited', async () => {
    const k = await key(['resets:write', 'users:write']);
    const link = await call(k.token, `/users/${user.id}/reset-link`);
    assert.equal(link.statusCode, 403, link.body);
    assert.equal(code(link), 'caller_not_verified');
    const unblock = await call(k.token, `/users/${user.id}/unblock`);
    assert.equal(unblock.statusCode, 403, unblock.body);
    assert.equal(code(unblock), 'caller_not_verified');
    const denied = await kit.app.store.audit.list({ tenantId: contoso.id, type: 'admin.denied', accountId: user.id });
    const mine = denied.filter((e) => e.actor === `api_key:${k.id}` && e.outcome === 'caller_not_verified');
    assert.deepEqual(mine.map((e) => e.details.action).sort(), ['assisted_reset.link', 'unblock']);
    assert.equal(
      (await kit.app.store.audit.list({ tenantId: contoso.id, type: 'admin.reset_link_sent', accountId: user.id }))
        .length,
      0,
      'no link went out',
    );
  });

  test('another key’s verification, or an admin’s, does not open this key', async () => {
    const mine = await key(['resets:write']);
    const other = await key(['resets:write']);
    assert.equal((await call(other.token, `/users/${user.id}/verify-caller`)).statusCode, 202);
    const ok = await call(other.token, `/users/${user.id}/verify-caller/confirm`, { code: await sentCode() });
    assert.equal(ok.statusCode, 200, ok.body);
    // an administrator of the tenant verified too (the console's path)
    const admin = (await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))!;
    const started = await kit.app.callers.start({ kind: 'admin', account: admin }, user.id, {
      ip: null,
      userAgent: null,
    });
    assert.ok(started.ok);
    assert.ok(
      (
        await kit.app.callers.confirm({ kind: 'admin', account: admin }, user.id, await sentCode(), {
          ip: null,
          userAgent: null,
        })
      ).ok,
    );
    const link = await call(mine.token, `/users/${user.id}/reset-link`);
    assert.equal(code(link), 'caller_not_verified', 'the proof belongs to the one who verified');
    // and confirming with a code sent for someone else's verification does nothing for this key
    const stolen = await call(mine.token, `/users/${user.id}/verify-caller/confirm`, { code: await sentCode() });
    assert.equal(stolen.statusCode, 400);
    assert.equal(code(stolen), 'nothing_pending');
  });

  test('guesses are counted: five wrong codes end the verification, the right one after them fails', async () => {
    const k = await key(['resets:write']);
    assert.equal((await call(k.token, `/users/${user.id}/verify-caller`)).statusCode, 202);
    const right = await sentCode();
    const wrong = right === '000000' ? '000001' : '000000';
    const guesses = await Promise.all(
      Array.from({ length: 8 }, () => call(k.token, `/users/${user.id}/verify-caller/confirm`, { code: wrong })),
    );
    assert.ok(guesses.every((g) => g.statusCode === 400 && code(g) === 'invalid_code'));
    const late = await call(k.token, `/users/${user.id}/verify-caller/confirm`, { code: right });
    assert.equal(code(late), 'invalid_code', 'no attempt left');
    assert.equal(code(await call(k.token, `/users/${user.id}/reset-link`)), 'caller_not_verified');
    const failed = await kit.app.store.audit.list({ tenantId: contoso.id, type: 'caller.verification_failed' });
    assert.ok(failed.filter((e) => e.actor === `api_key:${k.id}`).length >= 9, 'every attempt is audited');
  });

  test('verified: the actions go through for 10 minutes, then are refused again; a code works once', async () => {
    const k = await key(['resets:write', 'users:write']);
    const started = await call(k.token, `/users/${user.id}/verify-caller`);
    assert.equal(started.statusCode, 202, started.body);
    assert.deepEqual((started.json() as { channels: string[] }).channels.sort(), ['email', 'sms']);
    const c = await sentCode();
    const confirmed = await call(k.token, `/users/${user.id}/verify-caller/confirm`, { code: c });
    assert.equal(confirmed.statusCode, 200, confirmed.body);
    assert.equal((confirmed.json() as { until: number }).until, clock.now() + 10 * 60_000);
    const again = await call(k.token, `/users/${user.id}/verify-caller/confirm`, { code: c });
    assert.equal(code(again), 'nothing_pending', 'used once');
    assert.equal((await call(k.token, `/users/${user.id}/reset-link`)).statusCode, 202);
    // the owner hears of it on all channels: the link's email, and a text message to the verified phone
    assert.match(
      await newestMatch(
        kit.app,
        '+15555550103',
        /(help desk just reset your password or second factor, or unlocked your account)/,
      ),
      /help desk/,
    );
    assert.equal((await call(k.token, `/users/${user.id}/unblock`)).statusCode, 200);
    clock.advance(10 * 60_000 - 1);
    assert.equal((await call(k.token, `/users/${user.id}/unblock`)).statusCode, 200, 'still within 10 minutes');
    clock.advance(1);
    assert.equal(code(await call(k.token, `/users/${user.id}/reset-link`)), 'caller_not_verified', 'expired');
  });

  test('an expired code does not verify', async () => {
    const k = await key(['resets:write']);
    assert.equal((await call(k.token, `/users/${user.id}/verify-caller`)).statusCode, 202);
    const c = await sentCode();
    clock.advance(10 * 60_000);
    assert.equal(code(await call(k.token, `/users/${user.id}/verify-caller/confirm`, { code: c })), 'invalid_code');
  });
});
