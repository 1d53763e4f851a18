import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPagesKit, h1, lastCode, TestBrowser } from './reset-pages-kit.ts';

const USER = 'user@contoso.example';

async function signIn(b: TestBrowser, login: string, password: string) {
  await b.get('/signin');
  return b.post('/signin', { login, password, next: '/account' });
}

test('sign-in: wrong password answers the same as an unknown user; right password opens the account; sign-out ends the session', async () => {
  const kit = await createPagesKit();
  try {
    const password = kit.demo.accounts.find((a) => a.login === USER)!.password;
    const b = new TestBrowser(kit.server);
    const wrong = await signIn(b, USER, 'not the password at all');
    const unknown = await signIn(new TestBrowser(kit.server), 'nobody@contoso.example', 'not the password at all');
    assert.equal(wrong.statusCode, 400);
    assert.equal(unknown.statusCode, 400);
    assert.equal(h1(wrong.body), 'Sign in');
    const strip = (s: string) =>
      s.replace(/name="_csrf" value="[^"]*"/, '').replace(/value="[^"]*@contoso.example"/, '');
    assert.equal(strip(wrong.body), strip(unknown.body), 'no enumeration by content');
    const ok = await signIn(b, USER, password);
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/account');
    const cookie = (ok.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find(
      (c) => c.name === 'sspr_session',
    );
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Lax', 'HttpOnly, SameSite=Lax session cookie');
    const home = await b.get('/account');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /u••••@personal\.example/);
    assert.doesNotMatch(home.body, /Admin console/, 'a user sees no console link');
    const out = await b.post('/signout', {});
    assert.equal(out.statusCode, 303);
    const after = await b.get('/account');
    assert.equal(after.statusCode, 303, 'signed out');
    assert.match(String(after.headers.location), /^\/signin\?next=/);
  } finally {
    await kit.close();
  }
});

test('sign-in throttling: after 5 wrong passwords the next try must wait (429), no permanent lockout; a reset lifts it', async () => {
  const kit = await createPagesKit();
  try {
    const password = kit.demo.accounts.find((a) => a.login === USER)!.password;
    const b = new TestBrowser(kit.server);
    for (let i = 0; i < 5; i++) assert.equal((await signIn(b, USER, `wrong ${i} password`)).statusCode, 400);
    const throttled = await signIn(b, USER, password);
    assert.equal(throttled.statusCode, 429, 'even the right password waits during the delay');
    assert.ok(Number(throttled.headers['retry-after']) >= 1);
    // a successful self-service reset clears the throttling
    const r = new TestBrowser(kit.server);
    const { solveCaptcha } = await import('./reset-pages-kit.ts');
    await r.get('/reset');
    await r.follow(await r.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) }));
    await r.follow(await r.post('/reset/flow/code', { code: await lastCode(kit.app, 'user@personal.example') }));
    const done = await r.post('/reset/flow/password', {
      password: 'violet tractor harbour pencil',
      confirm: 'violet tractor harbour pencil',
    });
    assert.equal(done.statusCode, 303);
    const again = await signIn(b, USER, 'violet tractor harbour pencil');
    assert.equal(again.statusCode, 303, 'signed in right after the reset');
  } finally {
    await kit.close();
  }
});

test('password change revokes every other session and keeps the changing device signed in', async () => {
  const kit = await createPagesKit();
  try {
    const password = kit.demo.accounts.find((a) => a.login === USER)!.password;
    const phone = new TestBrowser(kit.server);
    const laptop = new TestBrowser(kit.server);
    await signIn(phone, USER, password);
    await signIn(laptop, USER, password);
    assert.equal((await phone.get('/account')).statusCode, 200);
    await laptop.get('/account/password');
    const changed = await laptop.post('/account/password', {
      current: password,
      password: 'quiet orange bicycle lantern',
      confirm: 'quiet orange bicycle lantern',
    });
    assert.equal(changed.statusCode, 303);
    assert.equal((await laptop.get('/account')).statusCode, 200, 'the device that changed it stays signed in');
    assert.equal((await phone.get('/account')).statusCode, 303, 'the other device is signed out');
    const bad = await laptop.post('/account/password', { current: 'nope', password: 'x', confirm: 'x' });
    assert.equal(bad.statusCode, 400);
  } finally {
    await kit.close();
  }
});

test('a must-change account is sent to the password page first; open redirects are refused', async () => {
  const kit = await createPagesKit();
  try {
    const result = await kit.app.directory.setPassword({
      login: USER,
      password: 'temporary words for today',
      mustChange: true,
      actor: 'test',
    });
    assert.ok(result.ok);
    const b = new TestBrowser(kit.server);
    await b.get('/signin?next=https://evil.example/');
    assert.doesNotMatch(b.lastPage, /evil\.example/);
    const res = await signIn(b, USER, 'temporary words for today');
    assert.equal(res.headers.location, '/account/password');
    const home = await b.get('/account');
    assert.equal(home.headers.location, '/account/password');
    const page = await b.get('/account/password');
    assert.match(page.body, /temporary password/);
  } finally {
    await kit.close();
  }
});
