import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID_SECURITY_CODE, STEP_PROBLEMS, CONTACT_ADMIN } from '../../src/core/ui-text.ts';
import { normalizeLogin } from '../../src/core/login.ts';
import {
  assertDeadEndHelp,
  createPagesKit,
  h1,
  lastCode,
  lastLinkToken,
  solveCaptcha,
  TestBrowser,
  type PagesKit,
} from './reset-pages-kit.ts';

const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';
const ADMIN = 'admin@contoso.example';
const ADMIN_EMAIL = 'admin@personal.example';
const ADMIN_PHONE = '+15555550101';
const NEW_PASSWORD = 'violet tractor harbour pencil';
const FLOW_COOKIE = 'sspr_flow';

// One kit (App, demo directory, server) for the tests that only start flows of their own, each in
// browsers of its own, and read: building one costs ~0.15 s of CPU. They start 5 flows of USER on it
// in all, under the account's 10 code emails per 10 minutes and the address's 30 starts; the tests
// that change the directory (a password, the tenant's help desk), need other settings or use up a
// limit keep a kit of their own.
let shared: Promise<PagesKit> | undefined;
const sharedKit = (): Promise<PagesKit> => (shared ??= createPagesKit());
after(async () => {
  if (shared) await (await shared).close();
});

async function start(kit: PagesKit, browser: TestBrowser, login: string) {
  const form = await browser.get('/reset');
  assert.equal(form.statusCode, 200);
  return browser.post('/reset', { login, altcha: await solveCaptcha(kit.server) });
}

async function passwordMatches(kit: PagesKit, login: string, password: string): Promise<boolean> {
  const normalized = normalizeLogin(login);
  assert.ok(normalized.ok);
  const account = await kit.app.store.directory.findAccountByLogin(normalized.value);
  assert.ok(account?.passwordHash);
  return kit.app.hasher.verify(account.passwordHash, password);
}

test('user journey: start, email code, new password, done — the cookie rotates at each step', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    const form = await b.get('/reset');
    assert.match(form.body, /<label for="login">User ID<\/label>/);
    assert.match(form.body, /<input id="login" name="login"/);
    assert.match(form.body, /<altcha-widget challenge="{&quot;parameters&quot;:[^"]+" name="altcha"/);
    assert.match(form.body, /<input type="hidden" name="_csrf" value="[^"]+"\/>/);
    assert.match(form.body, /<button type="submit">Next<\/button>/);
    assert.match(form.body, /<script type="module" src="\/static\/altcha-setup.js"><\/script>/);

    const started = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    assert.equal(started.statusCode, 303);
    assert.equal(started.headers.location, '/reset/flow');
    const cookie1 = b.cookies.get(FLOW_COOKIE);
    assert.match(cookie1 ?? '', /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const setCookie = String(started.headers['set-cookie']);
    assert.match(setCookie, /^sspr_flow=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/, 'local http: plain cookie');

    const page = await b.follow(started);
    assert.equal(page.statusCode, 200);
    assert.equal(h1(page.body), 'Check your email');
    assert.match(page.body, /Step 1</);
    assert.match(
      page.body,
      /This reset expires at <time[^>]*>\d\d:\d\d UTC<\/time> \(<span class="time-left">in (59|60) minutes<\/span>\)/,
    );
    assert.match(page.body, /u•+@personal\.example|u\S*@personal\.example/);
    assert.match(page.body, /<form method="post" action="\/reset\/flow\/code"/);
    assert.match(
      page.body,
      /<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"/,
    );
    assert.match(page.body, /<label for="code">Security code<\/label>/);
    assert.match(page.body, />Verify<\/button>/);
    assert.match(page.body, /action="\/reset\/flow\/resend"[\s\S]*?>Send a new code<\/button>/);
    assert.match(page.body, /action="\/reset\/flow\/use-phone"[\s\S]*?>Text my phone instead<\/button>/);
    assert.match(page.body, /<h2 id="contact-heading">Still stuck\?<\/h2>/);

    const code = await lastCode(kit.app, USER_EMAIL);
    assert.ok(!page.body.includes(code), 'the page never shows the code');

    // a malformed code: the same page again, the field marked, nothing echoed
    const malformed = await b.post('/reset/flow/code', { code: '12ab' });
    assert.equal(malformed.statusCode, 400);
    assert.equal(h1(malformed.body), 'Check your email');
    assert.match(malformed.body, /<div class="error" role="alert" id="problem">/);
    assert.match(malformed.body, /aria-describedby="problem code-hint" aria-invalid="true"/);
    assert.ok(!malformed.body.includes('12ab'));

    const verified = await b.post('/reset/flow/code', { code });
    assert.equal(verified.statusCode, 303);
    assert.equal(verified.headers.location, '/reset/flow');
    const cookie2 = b.cookies.get(FLOW_COOKIE);
    assert.notEqual(cookie2, cookie1, 'the secret rotated');
    assert.equal(cookie2!.split('.')[0], cookie1!.split('.')[0], 'same flow');

    const pw = await b.follow(verified);
    assert.equal(h1(pw.body), 'Choose a new password');
    assert.match(pw.body, /Step 1 of 1</);
    assert.match(pw.body, /Use at least 15 characters/);
    assert.match(pw.body, /<label for="password">New password<\/label>/);
    assert.match(pw.body, /<input id="password" name="password" type="password" autocomplete="new-password"/);
    assert.match(pw.body, /<label for="confirm">Type it again<\/label>/);
    assert.match(pw.body, /<input id="confirm" name="confirm" type="password" autocomplete="new-password"/);
    assert.match(pw.body, />Change password<\/button>/);

    const mismatch = await b.post('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD + 'x' });
    assert.equal(mismatch.statusCode, 400);
    assert.ok(mismatch.body.includes(STEP_PROBLEMS.password_mismatch.title));
    assert.ok(!mismatch.body.includes('violet'), 'a typed password is never echoed');

    const tooShort = await b.post('/reset/flow/password', { password: 'short one', confirm: 'short one' });
    assert.equal(tooShort.statusCode, 400);
    assert.ok(tooShort.body.includes(STEP_PROBLEMS.password_too_short.title));

    const csrf = b.csrf();
    const changed = await b.post('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    const done = await b.follow(changed);
    assert.equal(done.statusCode, 200);
    assert.equal(h1(done.body), 'Your password was changed');
    assert.match(done.body, /<a href="\/"[^>]*>Sign in<\/a>/);
    assert.equal(await passwordMatches(kit, USER, NEW_PASSWORD), true);

    // the finished flow takes no more steps
    const again = await b.post('/reset/flow/code', { code, _csrf: csrf });
    assert.equal(again.statusCode, 410);
    assertDeadEndHelp(again.body, 'completed flow');
  } finally {
    await kit.close();
  }
});

test('admin journey through the email link: GET changes nothing, another browser is refused and the token survives, then SMS', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    await b.follow(await start(kit, b, ADMIN));
    assert.equal(h1(b.lastPage), 'Check your email');
    assert.match(b.lastPage, /Step 1</, 'no total before a gate passed');
    const token = await lastLinkToken(kit.app, ADMIN_EMAIL);
    const before = b.cookies.get(FLOW_COOKIE);

    // an email scanner (or the person) opens the link: a Continue page, nothing consumed
    const head = await b.get(`/reset/link?t=${token}`, 'HEAD');
    assert.equal(head.statusCode, 200);
    const cont = await b.get(`/reset/link?t=${token}`);
    assert.equal(cont.statusCode, 200);
    assert.equal(h1(cont.body), 'Continue your password reset');
    assert.match(cont.body, /<form method="post" action="\/reset\/link"/);
    assert.match(cont.body, new RegExp(`<input type="hidden" name="t" value="${token}"/>`));
    assert.match(cont.body, />Continue<\/button>/);
    assert.equal(b.cookies.get(FLOW_COOKIE), before, 'GET did not touch the flow cookie');

    // another browser (no flow cookie) presses Continue: refused, token not consumed
    const other = new TestBrowser(kit.server);
    await other.get(`/reset/link?t=${token}`);
    const refused = await other.post('/reset/link', { t: token });
    assert.equal(refused.statusCode, 403);
    assert.equal(h1(refused.body), 'Open this link in the browser where you started');
    assertDeadEndHelp(refused.body, 'wrong browser');
    assert.equal(other.cookies.has(FLOW_COOKIE), false);

    // the first browser continues with the same token
    const consumed = await b.post('/reset/link', { t: token });
    assert.equal(consumed.statusCode, 303);
    assert.equal(consumed.headers.location, '/reset/flow', 'the token is not in the next URL');
    assert.notEqual(b.cookies.get(FLOW_COOKIE), before);
    const phonePage = await b.follow(consumed);
    assert.equal(h1(phonePage.body), 'Confirm your mobile phone');
    assert.match(phonePage.body, /Step 2 of 2</);
    assert.match(phonePage.body, /<strong class="masked">[^<]*01<\/strong>/, 'the masked phone');
    assert.ok(!phonePage.body.includes(ADMIN_PHONE));
    assert.match(phonePage.body, /<label for="phone">Mobile phone number<\/label>/);
    assert.match(phonePage.body, /<input id="phone" name="phone" type="tel" autocomplete="tel"/);
    assert.match(phonePage.body, />Send code<\/button>/);
    assert.doesNotMatch(phonePage.body, /Use email instead/, 'the email gate already passed');

    // the used token is dead now
    const reused = await b.post('/reset/link', { t: token, _csrf: b.csrf() });
    assert.equal(reused.statusCode, 400);
    assert.equal(h1(reused.body), 'Invalid Security Code');
    await b.get('/reset/flow');

    const badPhone = await b.post('/reset/flow/phone', { phone: 'not a phone' });
    assert.equal(badPhone.statusCode, 400);
    assert.ok(badPhone.body.includes(STEP_PROBLEMS.phone_invalid.title));
    assert.match(badPhone.body, /aria-describedby="problem phone-hint" aria-invalid="true"/);

    const sent = await b.post('/reset/flow/phone', { phone: ADMIN_PHONE });
    const smsPage = await b.follow(sent);
    assert.equal(h1(smsPage.body), 'Enter the code we texted you');
    assert.match(
      smsPage.body,
      /<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"/,
    );
    assert.match(smsPage.body, /action="\/reset\/flow\/retype-phone"[\s\S]*?>Change the number<\/button>/);
    assert.match(smsPage.body, /action="\/reset\/flow\/resend"/);
    assert.match(smsPage.body, /must confirm the email step first/);

    const smsCode = await lastCode(kit.app, ADMIN_PHONE);
    const toPassword = await b.post('/reset/flow/code', { code: smsCode });
    const pw = await b.follow(toPassword);
    assert.equal(h1(pw.body), 'Choose a new password');
    assert.match(pw.body, /Step 2 of 2</);
    const done = await b.follow(
      await b.post('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD }),
    );
    assert.equal(h1(done.body), 'Your password was changed');
    assert.equal(await passwordMatches(kit, ADMIN, NEW_PASSWORD), true);
  } finally {
    await kit.close();
  }
});

test('a wrong code shows the seed article\'s "Invalid Security Code" page, with "click here" starting over', async () => {
  const kit = await sharedKit();
  const b = new TestBrowser(kit.server);
  await b.follow(await start(kit, b, USER));
  const code = await lastCode(kit.app, USER_EMAIL);
  const wrong = code === '000000' ? '111111' : '000000';
  const res = await b.post('/reset/flow/code', { code: wrong });
  assert.equal(res.statusCode, 400);
  assert.equal(h1(res.body), INVALID_SECURITY_CODE.title);
  assert.equal(h1(res.body), 'Invalid Security Code');
  assert.ok(
    res.body.includes(
      'This security code you entered does not match the code we sent, or it has expired. To start a new password reset request, <a href="/reset">click here</a>.',
    ),
    'the exact sentence, "click here" linking to a new reset',
  );
  assert.ok(!res.body.includes(wrong), 'the typed code is not echoed');
  assertDeadEndHelp(res.body, 'invalid code');
  assert.ok(res.body.includes(CONTACT_ADMIN.message), 'no help desk known: the generic advice');
  assert.match(res.body, /<a href="\/reset\/flow"[^>]*>Type the code again<\/a>/);

  // the flow goes on: the right code still works
  await b.get('/reset/flow');
  const ok = await b.post('/reset/flow/code', { code });
  assert.equal(ok.statusCode, 303);
});

test('CSRF: a missing or wrong token is a 403 page and changes nothing', async () => {
  const kit = await sharedKit();
  const b = new TestBrowser(kit.server);
  // POST /reset without a token: no flow, no cookie
  await b.get('/reset');
  const noToken = await b.post('/reset', { _csrf: null, login: USER, altcha: await solveCaptcha(kit.server) });
  assert.equal(noToken.statusCode, 403);
  assert.equal(h1(noToken.body), 'This form has expired');
  assertDeadEndHelp(noToken.body, 'csrf');
  assert.equal(b.cookies.has(FLOW_COOKIE), false);

  await b.follow(await start(kit, b, USER));
  const code = await lastCode(kit.app, USER_EMAIL);
  const cookie = b.cookies.get(FLOW_COOKIE);
  const csrf = b.csrf();
  const forged = csrf.slice(0, -2) + (csrf.endsWith('AA') ? 'BB' : 'AA');
  for (const [what, token] of [
    ['missing', null],
    ['wrong', forged],
    ['empty', ''],
  ] as const) {
    const res = await b.post('/reset/flow/code', { _csrf: token, code });
    assert.equal(res.statusCode, 403, what);
    assert.equal(h1(res.body), 'This form has expired', what);
    assert.equal(b.cookies.get(FLOW_COOKIE), cookie, `${what}: the flow did not move`);
  }
  // a token from another browser's secret does not work either
  const stranger = new TestBrowser(kit.server);
  await stranger.get('/reset');
  const crossed = await b.post('/reset/flow/code', { _csrf: stranger.csrf(), code });
  assert.equal(crossed.statusCode, 403);
  // no CSRF cookie at all
  b.cookies.delete('sspr_csrf');
  const noSecret = await b.post('/reset/flow/code', { _csrf: csrf, code });
  assert.equal(noSecret.statusCode, 403);

  const page = await b.get('/reset/flow');
  assert.equal(h1(page.body), 'Check your email', 'still on the first step');
  const ok = await b.post('/reset/flow/code', { code });
  assert.equal(ok.statusCode, 303, 'the code was never used by the refused posts');
});

test('CAPTCHA: a bad, missing or replayed solution is refused with the form again', async () => {
  const kit = await sharedKit();
  const b = new TestBrowser(kit.server);
  await b.get('/reset');
  for (const altcha of ['', 'garbage', Buffer.from('{"challenge":{},"solution":{}}').toString('base64')]) {
    const res = await b.post('/reset', { login: USER, altcha });
    assert.equal(res.statusCode, 400);
    assert.equal(h1(res.body), 'Reset your password');
    assert.ok(res.body.includes(STEP_PROBLEMS.captcha_failed.message));
    assert.match(res.body, /value="user@contoso.example"/, 'the user ID is kept');
    assert.equal(b.cookies.has(FLOW_COOKIE), false);
  }
  const solved = await solveCaptcha(kit.server);
  assert.equal((await b.post('/reset', { login: USER, altcha: solved })).statusCode, 303);
  const replay = new TestBrowser(kit.server);
  await replay.get('/reset');
  const res = await replay.post('/reset', { login: USER, altcha: solved });
  assert.equal(res.statusCode, 400, 'a solution works once');
  assert.ok(res.body.includes(STEP_PROBLEMS.captcha_failed.title));
  assert.equal(replay.cookies.has(FLOW_COOKIE), false);

  // a malformed user ID: the form again, the field marked
  await b.get('/reset');
  const bad = await b.post('/reset', { login: 'not an id<>', altcha: await solveCaptcha(kit.server) });
  assert.equal(bad.statusCode, 400);
  assert.ok(bad.body.includes(STEP_PROBLEMS.login_invalid.message));
  assert.match(bad.body, /aria-describedby="problem login-hint" aria-invalid="true"/);
  assert.match(bad.body, /value="not an id&lt;>"/, 'escaped');
});

test('POST /reset answers the same for known and unknown user IDs, and the first page has the same structure', async () => {
  const kit = await sharedKit();
  const known = new TestBrowser(kit.server);
  const unknown = new TestBrowser(kit.server);
  const a = await start(kit, known, USER);
  const z = await start(kit, unknown, 'nobody@contoso.example');
  const comparable = (res: typeof a) => {
    const h = { ...res.headers };
    delete h['x-request-id'];
    delete h.date;
    h['set-cookie'] = String(h['set-cookie']).replace(/=[^;]+/, '=VALUE');
    return { status: res.statusCode, headers: h, body: res.body };
  };
  assert.deepEqual(comparable(z), comparable(a));
  assert.equal(a.statusCode, 303);

  const pageA = (await known.follow(a)).body;
  const pageZ = (await unknown.follow(z)).body;
  const skeleton = (html: string) =>
    html
      .replace(/<strong class="masked">[^<]*<\/strong>/, 'MASK')
      .replace(/name="_csrf" value="[^"]+"/g, 'CSRF')
      .replace(/<time[^>]*>[^<]*<\/time>/g, 'TIME')
      .replace(/in \d+ minutes?/g, 'LEFT')
      .replace(/after \d\d:\d\d:\d\d UTC/g, 'AFTER');
  assert.equal(skeleton(pageZ), skeleton(pageA));
  assert.notEqual(pageZ, pageA, 'the masks differ');
});

test('error pages: no flow in this browser, a malformed link, a step out of order', async () => {
  const kit = await sharedKit();
  const b = new TestBrowser(kit.server);
  const none = await b.get('/reset/flow');
  assert.equal(none.statusCode, 404);
  assert.equal(h1(none.body), STEP_PROBLEMS.flow_not_found.title);
  assertDeadEndHelp(none.body, 'no flow');

  b.cookies.set(FLOW_COOKIE, 'AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBB');
  const forged = await b.get('/reset/flow');
  assert.equal(forged.statusCode, 404);
  assertDeadEndHelp(forged.body, 'forged cookie');

  await b.get('/reset');
  const stepWithout = await b.post('/reset/flow/code', { code: '123456' });
  assert.equal(stepWithout.statusCode, 404);
  assertDeadEndHelp(stepWithout.body, 'step without a flow');

  const badLink = await b.get('/reset/link?t=short');
  assert.equal(badLink.statusCode, 400);
  assert.equal(h1(badLink.body), 'Invalid Security Code');
  assertDeadEndHelp(badLink.body, 'bad link');

  // a step that does not belong to the current state: the current page with the problem
  const c = new TestBrowser(kit.server);
  await c.follow(await start(kit, c, USER));
  const outOfOrder = await c.post('/reset/flow/phone', { phone: '+15555550103' });
  assert.equal(outOfOrder.statusCode, 400);
  assert.equal(h1(outOfOrder.body), 'Check your email');
  assert.ok(outOfOrder.body.includes(STEP_PROBLEMS.wrong_step.title));

  const tooSoon = await c.post('/reset/flow/resend');
  assert.equal(tooSoon.statusCode, 429);
  assert.ok(tooSoon.body.includes(STEP_PROBLEMS.resend_too_soon.title));
});

test('on https the flow cookie is __Host- and Secure; the CSRF cookie too', async () => {
  const kit = await createPagesKit({ SSPR_PUBLIC_URL: 'https://reset.example.com' });
  try {
    const b = new TestBrowser(kit.server);
    const form = await b.get('/reset');
    assert.match(
      String(form.headers['set-cookie']),
      /^__Host-sspr_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const res = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    assert.equal(res.statusCode, 303);
    assert.match(
      String(res.headers['set-cookie']),
      /^__Host-sspr_flow=[^;.]+\.[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    const page = await b.follow(res);
    assert.equal(h1(page.body), 'Check your email');
  } finally {
    await kit.close();
  }
});

test('the ALTCHA widget and its worker come from our origin; the challenge is JSON and never cached', async () => {
  const kit = await sharedKit();
  for (const [url, type] of [
    ['/static/altcha/altcha.js', /^text\/javascript/],
    ['/static/altcha/altcha.css', /^text\/css/],
    ['/static/altcha/sha-worker.js', /^text\/javascript/],
    ['/static/altcha-setup.js', /javascript/],
    ['/static/reset.js', /javascript/],
  ] as const) {
    const res = await kit.server.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.match(String(res.headers['content-type']), type, url);
    assert.ok(res.body.length > 100, url);
  }
  const challenge = await kit.server.inject({ url: '/reset/challenge' });
  assert.equal(challenge.headers['cache-control'], 'no-store');
  assert.match(String(challenge.headers['content-type']), /^application\/json/);
  const body = challenge.json() as { parameters: { algorithm: string }; signature: string };
  assert.equal(body.parameters.algorithm, 'SHA-256');
  assert.equal(typeof body.signature, 'string');
  const page = await kit.server.inject({ url: '/reset' });
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.doesNotMatch(page.body, /<style|style="| on[a-z]+="|<script(?! type="module" src="\/static\/)/i);
});

test("the tenant's help desk shows on every page of its flows, the same for known and unknown user IDs", async () => {
  const kit = await createPagesKit();
  try {
    const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(tenant.ok);
    const policy = {
      ...tenant.value.policy,
      helpdeskUrl: 'https://help.contoso.example/it',
      helpdeskEmail: 'it@contoso.example',
    };
    assert.equal(await kit.app.store.directory.updateTenantPolicy(tenant.value.id, policy, Date.now()), true);

    const unknown = new TestBrowser(kit.server);
    const unknownFirst = await unknown.follow(await start(kit, unknown, 'nobody@contoso.example'));
    assert.match(unknownFirst.body, /mailto:it@contoso.example/, 'the tenant comes from the domain');
    const unknownWrong = await unknown.post('/reset/flow/code', { code: '999999' });
    const b = new TestBrowser(kit.server);
    const first = await b.follow(await start(kit, b, ADMIN));
    assert.match(first.body, /mailto:it@contoso.example/);
    const wrongEmailCode = await b.post('/reset/flow/code', {
      code: '999999' === (await lastCode(kit.app, ADMIN_EMAIL)) ? '888888' : '999999',
    });
    assert.equal(h1(wrongEmailCode.body), 'Invalid Security Code');
    const strip = (html: string) =>
      html
        .replace(/name="_csrf" value="[^"]*"/g, '')
        .replace(/[0-9a-f-]{36}/g, '')
        .replace(/SUP-[A-Z0-9]{4}-[A-Z0-9]{4}/g, '');
    assert.equal(strip(wrongEmailCode.body), strip(unknownWrong.body), 'the same dead end for known and unknown IDs');

    await b.get('/reset/flow');
    await b.follow(await b.post('/reset/flow/code', { code: await lastCode(kit.app, ADMIN_EMAIL) }));
    assert.equal(h1(b.lastPage), 'Confirm your mobile phone');
    assert.match(b.lastPage, /<a href="https:\/\/help.contoso.example\/it">https:\/\/help.contoso.example\/it<\/a>/);
    assert.match(b.lastPage, /<a href="mailto:it@contoso.example">it@contoso.example<\/a>/);

    await b.follow(await b.post('/reset/flow/phone', { phone: ADMIN_PHONE }));
    const sms = await lastCode(kit.app, ADMIN_PHONE);
    const wrong = await b.post('/reset/flow/code', { code: sms === '000000' ? '111111' : '000000' });
    assert.equal(h1(wrong.body), 'Invalid Security Code');
    assertDeadEndHelp(wrong.body, 'invalid sms code');
    assert.match(wrong.body, /mailto:it@contoso.example/);
  } finally {
    await kit.close();
  }
});

test('too many starts from one address: a 429 page with Retry-After, and no flow cookie', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    await b.get('/reset');
    const csrf = b.csrf();
    let limited: Awaited<ReturnType<TestBrowser['post']>> | undefined;
    for (let i = 0; i < 40 && !limited; i++) {
      b.cookies.delete(FLOW_COOKIE);
      const res = await b.post('/reset', { _csrf: csrf, login: USER, altcha: await solveCaptcha(kit.server) });
      if (res.statusCode === 429) limited = res;
      else assert.equal(res.statusCode, 303);
    }
    assert.ok(limited, 'the limit was reached');
    assert.match(String(limited.headers['retry-after']), /^\d+$/);
    assert.equal(h1(limited.body), STEP_PROBLEMS.rate_limited.title);
    assertDeadEndHelp(limited.body, 'rate limited');
    assert.equal(b.cookies.has(FLOW_COOKIE), false);
  } finally {
    await kit.close();
  }
});
