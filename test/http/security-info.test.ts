import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createPagesKit, h1, lastCode, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

const USER = 'user@contoso.example';
const OLD_MAIL = 'user@personal.example';
const NEW_MAIL = 'casey.new@elsewhere.example';
const NEW_PHONE = '+15555550177';
const DAY = 86_400_000;

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, 'signed in');
  return b;
}

const seeded = new WeakMap<App, Set<string>>();

/** Remembers what the demo setup sent (its own notices), so that `outbox` lists only what came after. */
async function baseline(kit: PagesKit): Promise<PagesKit> {
  await kit.app.outbox.runOnce();
  seeded.set(kit.app, new Set(kit.app.devOutbox!.list().map((m) => m.id)));
  return kit;
}

/** Messages in the dev outbox since the demo setup (newest first), after the worker sent what was queued. */
async function outbox(app: App) {
  await app.outbox.runOnce();
  const skip = seeded.get(app) ?? new Set<string>();
  return app.devOutbox!.list().filter((m) => !skip.has(m.id));
}

async function auditTypes(app: App): Promise<string[]> {
  return (await app.store.audit.list({ limit: 1000 }))
    .filter((e) => e.type.startsWith('security_info.'))
    .reverse()
    .map((e) => `${e.type}:${e.outcome}:${e.actor}`);
}

test('security info pages: change the email with a code sent to the new address; old address notified; the reset ignores the new email during cooling-off', async () => {
  const kit = await baseline(await createPagesKit());
  try {
    const b = await signIn(kit, USER);
    const home = await b.get('/account');
    assert.equal(home.statusCode, 200, 'freshly verified methods: no re-confirmation prompt');

    const overview = await b.get('/account/security');
    assert.equal(overview.statusCode, 200);
    assert.equal(h1(overview.body), 'Security info');
    assert.match(overview.body, /u••••@personal\.example/);
    assert.match(overview.body, /••• ••• ••03/);
    assert.doesNotMatch(overview.body, /user@personal\.example|5555550103/, 'both methods masked');
    assert.match(
      overview.body,
      /<a href="\/account\/security\/email" class="button" aria-label="Change alternate email">Change<\/a>/,
    );
    assert.match(
      overview.body,
      /<a href="\/account\/security\/phone" class="button" aria-label="Change mobile phone">Change<\/a>/,
    );

    const form = await b.get('/account/security/email');
    assert.equal(h1(form.body), 'Change your alternate email');
    const invalid = await b.post('/account/security/email', { value: 'not an email' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Check the email address/);
    assert.match(invalid.body, /aria-invalid="true"/);
    const sameAsLogin = await b.post('/account/security/email', { value: USER });
    assert.equal(sameAsLogin.statusCode, 400);
    assert.match(sameAsLogin.body, /Use another email address/);

    const started = await b.post('/account/security/email', { value: NEW_MAIL });
    assert.equal(started.statusCode, 303);
    assert.equal(started.headers.location, '/account/security/email/confirm');
    const confirmPage = await b.follow(started);
    assert.equal(h1(confirmPage.body), 'Enter the code');
    assert.match(confirmPage.body, /c••••@elsewhere\.example/);

    const code = await lastCode(kit.app, NEW_MAIL);
    const toOld = (await outbox(kit.app)).filter((m) => m.to === OLD_MAIL);
    assert.equal(toOld.length, 0, 'the code goes to the new address only');

    const wrong = await b.post('/account/security/email/confirm', { code: code === '000000' ? '000001' : '000000' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Invalid Security Code/);
    assert.match(wrong.body, /role="alert"/);

    // too soon for a new code
    const resend = await b.post('/account/security/email/resend', {});
    assert.equal(resend.statusCode, 429);
    assert.match(resend.body, /Please wait a moment/);

    const confirmed = await b.post('/account/security/email/confirm', { code });
    assert.equal(confirmed.statusCode, 303);
    assert.equal(confirmed.headers.location, '/account/security?done=email');
    const after = await b.follow(confirmed);
    assert.match(
      after.body,
      /Your alternate email was confirmed\. For your security it can be used to reset your password from/,
    );
    assert.match(after.body, /c••••@elsewhere\.example/);
    assert.match(after.body, /Changed recently/);

    const notices = (await outbox(kit.app)).filter(
      (m) => m.subject === 'Alternate email address for password reset changed',
    );
    assert.deepEqual(
      notices.map((m) => m.to).sort(),
      [OLD_MAIL, USER].sort(),
      'the old alternate email and the login were told',
    );
    assert.match(notices[0]!.text, /c••••@elsewhere\.example/);

    // the reset flow: same pages, and no code to anyone
    const r = new TestBrowser(kit.server);
    await r.get('/reset');
    const start = await r.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    const codePage = await r.follow(start);
    const u = new TestBrowser(kit.server);
    await u.get('/reset');
    const unknownPage = await u.follow(
      await u.post('/reset', { login: 'nobody@contoso.example', altcha: await solveCaptcha(kit.server) }),
    );
    assert.equal(codePage.statusCode, 200);
    assert.equal(h1(codePage.body), h1(unknownPage.body), 'the same page as for an unknown login');
    assert.doesNotMatch(codePage.body, /c••••@elsewhere\.example/, 'the cooling-off address is not shown');
    const resetCodes = (await outbox(kit.app)).filter((m) => m.subject === 'Your password reset code');
    assert.equal(resetCodes.length, 0, 'neither the new nor the old address gets a reset code');

    assert.deepEqual(await auditTypes(kit.app), [
      'security_info.code_sent:queued:self',
      'security_info.rejected:mismatch:self',
      'security_info.confirmed:ok:self',
      'security_info.changed:ok:self',
    ]);
  } finally {
    await kit.close();
  }
});

test('security info pages: change the phone with an SMS code; sign-in required; CSRF checked; unknown kinds are 404', async () => {
  const kit = await baseline(await createPagesKit());
  try {
    const anonymous = new TestBrowser(kit.server);
    const redirect = await anonymous.get('/account/security');
    assert.equal(redirect.statusCode, 303);
    assert.equal(redirect.headers.location, '/signin?next=%2Faccount%2Fsecurity');

    const b = await signIn(kit, USER);
    await b.get('/account/security/phone');
    const noCsrf = await b.post('/account/security/phone', { value: NEW_PHONE, _csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal((await outbox(kit.app)).filter((m) => m.channel === 'sms').length, 0, 'nothing sent without CSRF');
    assert.equal((await b.get('/account/security/fax')).statusCode, 404);

    await b.get('/account/security/phone');
    const started = await b.post('/account/security/phone', { value: '+1 (555) 555-0177' });
    assert.equal(started.statusCode, 303);
    await b.follow(started);
    const sms = (await outbox(kit.app)).filter((m) => m.channel === 'sms');
    assert.equal(sms.length, 1);
    assert.equal(sms[0]!.to, NEW_PHONE);
    const code = await lastCode(kit.app, NEW_PHONE);
    const done = await b.post('/account/security/phone/confirm', { code });
    assert.equal(done.statusCode, 303);
    const page = await b.follow(done);
    assert.match(page.body, /Your mobile phone was confirmed/);
    assert.match(page.body, /••• ••• ••77/);
    const account = await kit.app.store.directory.findAccountByLogin(USER);
    const phone = (await kit.app.store.directory.listMethods(account!.id)).find((m) => m.kind === 'phone');
    assert.equal(phone?.value, NEW_PHONE);
    assert.ok(phone?.verifiedAt !== null);
    // the confirm page without a pending change goes back to the form
    const stale = await b.get('/account/security/phone/confirm');
    assert.equal(stale.statusCode, 303);
    assert.equal(stale.headers.location, '/account/security/phone');
  } finally {
    await kit.close();
  }
});

test('re-confirmation: a method older than 180 days redirects /account to the security page once per session; "Still correct? Confirm" re-verifies it; the console is not blocked', async () => {
  const kit = await baseline(await createPagesKit());
  try {
    const now = kit.app.clock.now();
    for (const login of [USER, 'admin@contoso.example']) {
      const account = await kit.app.store.directory.findAccountByLogin(login);
      const email = (await kit.app.store.directory.listMethods(account!.id)).find((m) => m.kind === 'email')!;
      await kit.app.store.directory.setMethod(account!.id, 'email', email.value, now - 181 * DAY, now - 181 * DAY);
    }
    const b = await signIn(kit, USER);
    const prompted = await b.get('/account');
    assert.equal(prompted.statusCode, 303);
    assert.equal(prompted.headers.location, '/account/security?review=1');
    const review = await b.follow(prompted);
    assert.match(review.body, /Is your security info still correct\?/);
    assert.match(
      review.body,
      /<button type="submit" class="button reconfirm" aria-label="Still correct\? Confirm: alternate email">Still correct\? Confirm<\/button>/,
    );
    assert.equal((await b.get('/account')).statusCode, 200, 'once per session');

    const started = await b.post('/account/security/email/reconfirm', {});
    assert.equal(started.statusCode, 303);
    const page = await b.follow(started);
    assert.match(page.body, /To confirm your alternate email is still correct/);
    const done = await b.post('/account/security/email/confirm', { code: await lastCode(kit.app, OLD_MAIL) });
    assert.equal(done.statusCode, 303);
    const after = await b.follow(done);
    assert.doesNotMatch(after.body, /Still correct\? Confirm<\/button>/, 'nothing due any more');
    assert.doesNotMatch(after.body, /Changed recently/, 'a re-confirmation does not cool off');
    assert.equal(
      (await outbox(kit.app)).filter((m) => m.subject === 'Alternate email address for password reset changed').length,
      0,
      'no change notice for a re-confirmation',
    );
    assert.equal((await b.get('/account')).statusCode, 200);
    const again = await signIn(kit, USER);
    assert.equal((await again.get('/account')).statusCode, 200, 'a new session is not prompted any more');

    // an admin with a stale method reaches the console directly; only /account prompts
    const admin = await signIn(kit, 'admin@contoso.example');
    const console = await admin.get('/admin');
    assert.notEqual(console.headers.location, '/account/security?review=1');
    assert.equal(console.statusCode, 200, 'the console is not blocked by the re-confirmation');
    assert.equal((await admin.get('/account')).headers.location, '/account/security?review=1');
  } finally {
    await kit.close();
  }
});
