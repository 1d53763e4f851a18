import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCodeAt, totpStep } from '../../src/core/authenticator.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { consoleCode, seedConsoleFactor, TEST_TOTP_SECRET } from '../helpers/console-factor-kit.ts';
import { createPagesKit, newestMatch, TestBrowser, type PagesKit } from '../http/reset-pages-kit.ts';

/**
 * Attacks on the consoles' second factor (issue 13 item 4): a password alone opens no console
 * page and no admin API call; an authenticator code of an accepted step does not pass again; a
 * recovery code works once; wrong entries run out.
 */
const ADMIN = 'admin@contoso.example';

async function passwordOnly(kit: PagesKit, login = ADMIN): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const pw = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await b.post('/signin', { login, password: pw, next: '/admin' });
  assert.equal(res.statusCode, 303);
  assert.equal(res.headers.location, '/signin/second-factor?next=%2Fadmin', 'the password leads to the second step');
  return b;
}

test('a password-only (pending) sign-in opens no console page, no account page and no admin API call', async () => {
  const kit = await createPagesKit();
  try {
    await seedConsoleFactor(kit.app, ADMIN);
    const b = await passwordOnly(kit);
    for (const path of [
      '/admin',
      '/admin/policy',
      '/admin/audit',
      '/admin/api-keys',
      '/account',
      '/account/security',
    ]) {
      const res = await b.get(path);
      assert.equal(res.statusCode, 303, path);
      assert.match(String(res.headers.location), /^\/signin/, `${path} sends to sign-in`);
    }
    // a console form with the pending cookie (and a valid CSRF token of the step page) changes nothing
    await b.get('/signin/second-factor?next=%2Fadmin');
    const post = await b.post('/admin/policy', { passwordMinLength: '8' });
    assert.notEqual(post.statusCode, 200);
    assert.match(String(post.headers.location ?? ''), /^\/signin/);
    // the admin API: the pending cookie is no credential
    for (const path of ['/users', '/policy/gates']) {
      const res = await kit.server.inject({
        method: 'GET',
        url: `${ADMIN_API_PREFIX}${path}`,
        headers: { cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      assert.equal(res.statusCode, 401, path);
    }
    // the cookie's value as a session cookie opens nothing either
    const pending = [...b.cookies].find(([k]) => k === 'sspr_console_step')![1];
    const forged = new TestBrowser(kit.server);
    forged.cookies.set('sspr_session', pending);
    assert.equal((await forged.get('/admin')).statusCode, 303);
    assert.equal(await kit.app.sessions.authenticate(pending), null);
  } finally {
    await kit.close();
  }
});

test('TOTP reuse at console sign-in: a code of an accepted step is refused, in parallel only one passes', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 10));
  const kit = await createPagesKit({}, { clock });
  try {
    await seedConsoleFactor(kit.app, ADMIN);
    const code = totpCodeAt(TEST_TOTP_SECRET, clock.now());
    // two browsers with the password race with the same code: exactly one is signed in
    const [a, b] = [await passwordOnly(kit), await passwordOnly(kit)];
    await a.get('/signin/second-factor');
    await b.get('/signin/second-factor');
    const results = await Promise.all([a, b].map((x) => x.post('/signin/second-factor?next=%2Fadmin', { code })));
    const passed = results.filter((r) => r.statusCode === 303 && r.headers.location === '/admin');
    assert.equal(passed.length, 1, results.map((r) => r.statusCode).join(','));
    // seen over a shoulder: the same code later in its step, in a fresh sign-in, is refused
    clock.advance(5_000);
    const c = await passwordOnly(kit);
    await c.get('/signin/second-factor');
    const again = await c.post('/signin/second-factor?next=%2Fadmin', { code });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /That code is not right, or it was used already/);
    const events = await kit.app.store.audit.list({ type: 'console.second_factor_failed', limit: 10 });
    assert.ok(
      events.some((e) => e.outcome === 'step_used'),
      events.map((e) => e.outcome).join(','),
    );
    // the next step's code passes
    clock.advance(30_000);
    const d = await c.post('/signin/second-factor?next=%2Fadmin', { code: totpCodeAt(TEST_TOTP_SECRET, clock.now()) });
    assert.equal(d.statusCode, 303);
    assert.equal((await c.get('/admin')).statusCode, 200);
    assert.ok(totpStep(clock.now()) > 0);
  } finally {
    await kit.close();
  }
});

test('recovery codes: each works once (also under parallel use), the old set dies with a new one, the owner is told', async () => {
  const kit = await createPagesKit();
  try {
    // first sign-in without a factor: registering an app issues ten codes, shown once
    const b = await passwordOnly(kit);
    const step = await b.get('/signin/second-factor?next=%2Fadmin');
    assert.equal(step.statusCode, 303);
    assert.equal(step.headers.location, '/signin/second-factor/setup?next=%2Fadmin');
    await b.get('/signin/second-factor/setup?next=%2Fadmin');
    const started = await b.post('/signin/second-factor/setup?next=%2Fadmin', {});
    assert.equal(started.statusCode, 303);
    const setup = await b.get(String(started.headers.location));
    const key = /id="authenticator-key">([A-Z2-7 ]+)</.exec(setup.body)![1]!.replaceAll(' ', '');
    assert.match(setup.body, /<svg/, 'the QR code');
    const shown = await b.post('/signin/second-factor/setup/confirm?next=%2Fadmin', {
      code: totpCodeAt(key, Date.now()),
    });
    assert.equal(shown.statusCode, 200, shown.body.slice(0, 400));
    const codes = [...shown.body.matchAll(/<code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code>/g)].map((m) => m[1]!);
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);
    assert.equal(shown.headers['cache-control'], 'no-store');
    assert.equal((await b.get('/admin')).statusCode, 200, 'signed in after the registration');
    // stored as HMACs: no code in the database
    const account = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft({ kind: 'account', id: account.id }), 10);

    // two attackers with the password race with the same recovery code: one passes
    const [x, y] = [await passwordOnly(kit), await passwordOnly(kit)];
    await x.get('/signin/second-factor');
    await y.get('/signin/second-factor');
    const raced = await Promise.all(
      [x, y].map((z) => z.post('/signin/second-factor/recovery?next=%2Fadmin', { recovery: codes[0]!.toLowerCase() })),
    );
    assert.deepEqual(raced.map((r) => r.statusCode).sort(), [303, 400]);
    // used: refused later too
    const later = await passwordOnly(kit);
    await later.get('/signin/second-factor');
    const reuse = await later.post('/signin/second-factor/recovery?next=%2Fadmin', { recovery: codes[0]! });
    assert.equal(reuse.statusCode, 400);
    const types = (await kit.app.store.audit.list({ limit: 200 })).map((e) => `${e.type}:${e.outcome}`);
    assert.ok(types.includes('console.recovery_code_used:ok'));
    assert.ok(types.includes('console.second_factor_passed:recovery_code'));
    assert.ok(types.includes('console.second_factor_failed:mismatch'));
    // the owner was told (sign-in address), and how many are left
    assert.ok(await newestMatch(kit.app, ADMIN, /(with a recovery code instead of the authenticator app)/));
    assert.ok(await newestMatch(kit.app, ADMIN, /(Recovery codes left: 9\.)/));

    // a new set from the console voids the old one
    await b.get('/account');
    const fresh = await b.post('/admin/recovery-codes', {});
    assert.equal(fresh.statusCode, 200);
    const newCodes = [...fresh.body.matchAll(/<code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code>/g)].map((m) => m[1]!);
    assert.equal(newCodes.length, 10);
    const old = await passwordOnly(kit);
    await old.get('/signin/second-factor');
    assert.equal((await old.post('/signin/second-factor/recovery', { recovery: codes[1]! })).statusCode, 400);
    const ok = await old.post('/signin/second-factor/recovery?next=%2Fadmin', { recovery: newCodes[0]! });
    assert.equal(ok.statusCode, 303);
  } finally {
    await kit.close();
  }
});

test('wrong second-step entries run out: five per pending sign-in, then the password again; each is a sign-in failure', async () => {
  const kit = await createPagesKit();
  try {
    await seedConsoleFactor(kit.app, ADMIN);
    const b = await passwordOnly(kit);
    await b.get('/signin/second-factor');
    const right = await consoleCode(kit.app, ADMIN);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 4; i++) {
      assert.equal((await b.post('/signin/second-factor', { code: wrong })).statusCode, 400);
    }
    assert.equal((await b.post('/signin/second-factor/recovery', { recovery: 'AAAAA-AAAAA' })).statusCode, 400);
    const sixth = await b.post('/signin/second-factor', { code: right });
    assert.equal(sixth.statusCode, 429, 'even the right code after five wrong ones');
    assert.match(sixth.body, /Too many wrong codes/);
    const account = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    const guard = await kit.app.store.auth.getSigninGuard(account.id);
    assert.ok(guard && guard.failures >= 5, 'counted as sign-in failures (growing delays)');
  } finally {
    await kit.close();
  }
});
