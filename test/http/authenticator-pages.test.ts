import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

const USER = 'user@contoso.example';

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, 'signed in');
  return b;
}

test('authenticator pages: set up with the QR code (inline SVG) and the key as text, confirm with a first code, remove; every form needs its CSRF token', async () => {
  const kit = await createPagesKit();
  try {
    const b = await signIn(kit, USER);
    const overview = await b.get('/account/security');
    assert.match(overview.body, /<h2 id="authenticator-heading">Authenticator app<\/h2>/);
    assert.match(overview.body, /href="\/account\/security\/authenticator"/);

    const start = await b.get('/account/security/authenticator');
    assert.equal(start.statusCode, 200);
    assert.equal(h1(start.body), 'Set up an authenticator app');
    assert.doesNotMatch(start.body, /<svg/, 'no secret before the person asks for one');
    const forged = await b.post('/account/security/authenticator', { _csrf: null });
    assert.equal(forged.statusCode, 403, 'no CSRF token, no registration');
    assert.equal(
      await kit.app.store.authenticators.pending((await kit.app.store.directory.findAccountByLogin(USER))!.id),
      null,
    );

    await b.get('/account/security/authenticator');
    const started = await b.post('/account/security/authenticator');
    assert.equal(started.statusCode, 303);
    const page = await b.follow(started);
    assert.equal(page.statusCode, 200);
    assert.match(
      page.body,
      /<div class="qr-code" role="img" aria-label="QR code for your authenticator app"><svg [^>]*viewBox/,
    );
    assert.doesNotMatch(page.body, /<script|style=/, 'nothing the strict CSP would block');
    const key = /id="authenticator-key">([A-Z2-7 ]+)</.exec(page.body)?.[1]?.replaceAll(' ', '');
    assert.ok(key && key.length === 32, 'the key as text');
    // the same key on a reload (the pending registration of this session)
    assert.match((await b.get('/account/security/authenticator')).body, new RegExp(key.slice(0, 4)));

    const wrong = await b.post('/account/security/authenticator/confirm', { code: '12' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Check the code/);
    const noCsrf = await b.post('/account/security/authenticator/confirm', {
      code: totpCodeAt(key, kit.app.clock.now()),
      _csrf: null,
    });
    assert.equal(noCsrf.statusCode, 403);
    await b.get('/account/security/authenticator');
    const ok = await b.post('/account/security/authenticator/confirm', { code: totpCodeAt(key, kit.app.clock.now()) });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/account/security?done=authenticator');
    const done = await b.follow(ok);
    assert.match(done.body, /Your authenticator app is registered/);
    assert.match(done.body, /action="\/account\/security\/authenticator\/remove"/);
    assert.equal((await b.get('/account/security/authenticator')).statusCode, 303, 'registered: back to the overview');

    await b.get('/account/security');
    assert.equal((await b.post('/account/security/authenticator/remove', { _csrf: null })).statusCode, 403);
    await b.get('/account/security');
    const removed = await b.post('/account/security/authenticator/remove');
    assert.equal(removed.headers.location, '/account/security?removed=authenticator');
    assert.match((await b.follow(removed)).body, /Your authenticator app was removed/);
  } finally {
    await kit.close();
  }
});

test('authenticator pages: signed out, the pages send to sign-in', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    const res = await b.get('/account/security/authenticator');
    assert.equal(res.statusCode, 303);
    assert.match(String(res.headers.location), /^\/signin/);
  } finally {
    await kit.close();
  }
});
