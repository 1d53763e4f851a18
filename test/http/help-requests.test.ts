import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createPagesKit, h1, newestMatch, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * Help requests over HTTP: the /help form (CAPTCHA, CSRF, the same answer for every login, a
 * reference code shown), routing to the tenant's admins or to Technical Support, the console's
 * /admin/requests section (own tenant only; reset link, temporary password, dismissal with a
 * reason) and the requester told the outcome.
 */

const USER = 'user@contoso.example';
const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const REFERENCE = /SUP-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/;

async function sendHelp(
  kit: PagesKit,
  login: string,
  message = 'I typed the wrong code too often. Call me on 555-0199.',
) {
  const b = new TestBrowser(kit.server);
  const form = await b.get(`/help?login=${encodeURIComponent(login)}`);
  assert.equal(form.statusCode, 200);
  assert.match(form.body, /<altcha-widget/, 'the form has the CAPTCHA widget');
  const res = await b.post('/help', { login, message, altcha: await solveCaptcha(kit.server) });
  return { b, res };
}

function referenceOf(html: string): string {
  const m = REFERENCE.exec(html);
  assert.ok(m, 'the page shows a reference code');
  return m[0];
}

async function signIn(kit: PagesKit, login: string): Promise<TestBrowser> {
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password, next: '/admin/requests' }),
    login,
  );
  assert.equal(res.statusCode, 303, `${login} signs in`);
  return b;
}

/** Ids of the open requests on the console page, in page order. */
function openRequestIds(html: string): string[] {
  return [...html.matchAll(/action="\/admin\/requests\/([A-Za-z0-9-]+)\/reset-link"/g)].map((m) => m[1]!);
}

async function outboxTo(app: App, to: string): Promise<{ subject: string; text: string }[]> {
  await app.outbox.runOnce();
  return app
    .devOutbox!.list()
    .filter((m) => m.to === to)
    .map((m) => ({ subject: m.subject ?? '', text: m.text }));
}

/** Same status, same body once the per-request nonces (CSRF, reference) are masked. */
function masked(res: LightMyRequestResponse): { status: number; body: string; type: string } {
  return {
    status: res.statusCode,
    type: String(res.headers['content-type']),
    body: res.body.replace(/name="_csrf" value="[^"]*"/g, '').replace(new RegExp(REFERENCE.source, 'g'), '<ref>'),
  };
}

test('a user’s help request reaches the tenant’s admins; the user sees a reference and gets a confirmation', async () => {
  const kit = await createPagesKit();
  try {
    const { res } = await sendHelp(kit, USER);
    assert.equal(res.statusCode, 200);
    assert.equal(h1(res.body), 'Request sent');
    assert.match(res.body, /If this user ID exists, we passed your request to the people who can help/);
    const reference = referenceOf(res.body);

    const stored = await kit.app.store.help.list({ statuses: ['open'] });
    assert.equal(stored.length, 1);
    assert.equal(stored[0]!.queue, 'admins');
    assert.equal(stored[0]!.reference, reference);
    assert.ok(stored[0]!.messageSealed && !stored[0]!.messageSealed.includes('555-0199'), 'the message is sealed');

    for (const admin of [ADMIN, ADMIN2]) {
      const mails = await outboxTo(kit.app, admin);
      const notice = mails.find((m) => m.subject.includes('Help request from Casey User'));
      assert.ok(notice, `${admin} is told`);
      assert.match(notice.text, new RegExp(reference));
      assert.match(notice.text, /\/admin\/requests/);
      assert.doesNotMatch(notice.text, /555-0199/, 'the message itself stays in the console');
    }
    for (const to of [USER, 'user@personal.example']) {
      const mails = await outboxTo(kit.app, to);
      assert.ok(
        mails.some((m) => m.subject.includes(reference) && /administrators of your organisation/.test(m.text)),
        `confirmation to ${to}`,
      );
    }
    const audit = await kit.app.store.audit.list({ type: 'help.requested' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.outcome, 'to_admins');
    assert.equal(audit[0]!.actor, 'self');
    assert.equal(audit[0]!.details.reference, reference);
  } finally {
    await kit.close();
  }
});

test('the sole active admin’s request goes to Technical Support, with a reference code shown', async () => {
  const kit = await createPagesKit();
  try {
    assert.ok((await kit.app.directory.disable({ login: ADMIN2, actor: 'test' })).ok);
    // the demo's pre-fills told ADMIN2's login address already: count only what comes after
    const toAdmin2Before = (await outboxTo(kit.app, ADMIN2)).length;
    const { res } = await sendHelp(kit, ADMIN, 'Lost my phone, cannot pass the SMS step.');
    assert.equal(res.statusCode, 200);
    const reference = referenceOf(res.body);
    const [ticket] = await kit.app.store.help.list({ statuses: ['open'] });
    assert.equal(ticket!.queue, 'support');
    assert.equal(ticket!.reference, reference);
    const audit = await kit.app.store.audit.list({ type: 'help.requested' });
    assert.equal(audit[0]!.outcome, 'to_support');
    const toAdmin = await outboxTo(kit.app, ADMIN);
    assert.ok(toAdmin.some((m) => m.subject.includes(reference) && /Technical Support/.test(m.text)));
    assert.equal((await outboxTo(kit.app, ADMIN2)).length, toAdmin2Before, 'the disabled admin is told nothing');
    // and the console's requests list of the tenant does not show support tickets
    const demoted = await kit.app.directory.enable({ login: ADMIN2, actor: 'test' });
    assert.ok(demoted.ok);
    const b = await signIn(kit, ADMIN2);
    const page = await b.get('/admin/requests');
    assert.equal(page.statusCode, 200);
    assert.doesNotMatch(page.body, new RegExp(reference));
  } finally {
    await kit.close();
  }
});

test('known, unknown and disabled logins get the same answer (status and body, apart from nonces)', async () => {
  const kit = await createPagesKit();
  try {
    const added = await kit.app.directory.addUser({
      login: 'dee@contoso.example',
      displayName: 'Dee Disabled',
      role: 'user',
      actor: 'test',
    });
    assert.ok(added.ok);
    assert.ok((await kit.app.directory.disable({ login: 'dee@contoso.example', actor: 'test' })).ok);
    const logins = [USER, 'nobody-here@contoso.example', 'dee@contoso.example', 'someone@elsewhere.example'];
    const answers = [];
    for (const login of logins) answers.push((await sendHelp(kit, login, 'Please help me.')).res);
    const first = masked(answers[0]!);
    assert.equal(first.status, 200);
    for (const [i, res] of answers.entries()) {
      assert.deepEqual(masked(res), first, `answer for ${logins[i]}`);
      referenceOf(res.body);
    }
    const refs = answers.map((r) => referenceOf(r.body));
    assert.equal(new Set(refs).size, refs.length, 'every submission has its own reference');
    const outcomes = (await kit.app.store.audit.list({ type: 'help.requested' })).map((e) => e.outcome).sort();
    assert.deepEqual(outcomes, ['disabled', 'not_found', 'not_found', 'to_admins']);
    // only the real request is open; the others lead nowhere
    assert.equal((await kit.app.store.help.list({ statuses: ['open'] })).length, 1);
    // the form itself is the same for every login (apart from the prefilled value and nonces)
    const formA = await new TestBrowser(kit.server).get('/help');
    const formB = await new TestBrowser(kit.server).get('/help');
    const strip = (s: string) => s.replace(/name="_csrf" value="[^"]*"/g, '').replace(/challenge="[^"]*"/g, '');
    assert.equal(strip(formA.body), strip(formB.body));
  } finally {
    await kit.close();
  }
});

test('the form refuses a missing CAPTCHA, a missing CSRF token, an empty or overlong message', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    await b.get('/help');
    const noCaptcha = await b.post('/help', { login: USER, message: 'help' });
    assert.equal(noCaptcha.statusCode, 400);
    assert.match(noCaptcha.body, /We could not confirm you are a person/);
    const noCsrf = await b.post('/help', {
      _csrf: null,
      login: USER,
      message: 'help',
      altcha: await solveCaptcha(kit.server),
    });
    assert.equal(noCsrf.statusCode, 403);
    const empty = await b.post('/help', { login: USER, message: '   ', altcha: await solveCaptcha(kit.server) });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Write a short message/);
    const long = await b.post('/help', {
      login: USER,
      message: 'x'.repeat(1001),
      altcha: await solveCaptcha(kit.server),
    });
    assert.equal(long.statusCode, 400);
    assert.match(long.body, /too long/);
    assert.match(long.body, /<textarea[^>]*>x{1001}<\/textarea>/, 'what was typed is shown again');
    assert.match(long.body, /aria-invalid="true"/);
    assert.equal((await kit.app.store.help.list({})).length, 0, 'nothing was recorded');
  } finally {
    await kit.close();
  }
});

test('dead ends and the sign-in page link to the help form', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    const dead = await b.get('/reset/flow'); // no flow cookie: a dead end
    assert.match(dead.body, /<a href="\/help"[^>]*>Contact your administrator<\/a>/);
    const signin = await b.get('/signin');
    assert.match(signin.body, /<a href="\/help">Contact your administrator<\/a>/);
    const form = await b.get('/help?login=user%40contoso.example');
    assert.match(form.body, /value="user@contoso.example"/, 'the login is prefilled');
  } finally {
    await kit.close();
  }
});

test('an admin answers with a reset link: the user gets the link and is told; the request is audited with who did it', async () => {
  const kit = await createPagesKit();
  try {
    const { res } = await sendHelp(kit, USER);
    const reference = referenceOf(res.body);
    const admin = await signIn(kit, ADMIN2);
    const page = await admin.get('/admin/requests');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<a href="\/admin\/requests" aria-current="page">Help requests<\/a>/);
    assert.match(page.body, /Casey User \(user@contoso\.example\)/);
    assert.match(page.body, /u••••@personal\.example/);
    assert.match(page.body, /555-0199/, 'the admin reads the message');
    assert.match(page.body, new RegExp(reference));
    const [id] = openRequestIds(page.body);
    assert.ok(id);
    const done = await admin.post(`/admin/requests/${id}/reset-link`, {});
    assert.equal(done.statusCode, 303);
    const after = await admin.follow(done);
    assert.match(after.body, /A one-time reset link was sent/);
    assert.deepEqual(openRequestIds(after.body), []);
    assert.match(after.body, /Reset link sent/);
    assert.match(after.body, /Blake Admin/, 'who answered');

    const token = await newestMatch(kit.app, 'user@personal.example', /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/);
    assert.ok(token.length >= 40);
    const told = await outboxTo(kit.app, USER);
    assert.ok(told.some((m) => m.subject.includes(`answered (${reference})`) && /one-time link/.test(m.text)));

    // the user completes the reset through the link
    const user = new TestBrowser(kit.server);
    await user.get(`/reset/assisted?t=${token}`);
    const continued = await user.post('/reset/assisted', { t: token });
    assert.equal(continued.statusCode, 303);
    await user.follow(continued);
    const set = await user.post('/reset/assisted/password', {
      password: 'marble kettle orbit sunrise',
      confirm: 'marble kettle orbit sunrise',
    });
    assert.equal(set.statusCode, 303, set.body.slice(0, 300));
    const signin = new TestBrowser(kit.server);
    await signin.get('/signin');
    const ok = await signin.post('/signin', { login: USER, password: 'marble kettle orbit sunrise', next: '/account' });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/account');

    const resolved = await kit.app.store.audit.list({ type: 'help.resolved' });
    assert.equal(resolved.length, 1);
    const adminId = kit.demo.accounts.find((a) => a.login === ADMIN2) && (await kit.app.directory.getUser(ADMIN2));
    assert.ok(adminId && adminId.ok);
    assert.equal(resolved[0]!.actor, `admin:${adminId.value.id}`);
    assert.equal(resolved[0]!.outcome, 'reset_link');
    // a second answer to the same request is refused
    await admin.get('/account');
    const again = await admin.post(`/admin/requests/${id}/reset-link`, {});
    assert.equal(again.statusCode, 409);
  } finally {
    await kit.close();
  }
});

test('dismissing needs a reason, which reaches the requester; a temporary password is shown once', async () => {
  const kit = await createPagesKit();
  try {
    await sendHelp(kit, USER, 'first request');
    const admin = await signIn(kit, ADMIN);
    let page = await admin.get('/admin/requests');
    const [id] = openRequestIds(page.body);
    const noReason = await admin.post(`/admin/requests/${id}/dismiss`, { reason: '  ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Give a reason/);
    const dismissed = await admin.post(`/admin/requests/${id}/dismiss`, {
      reason: 'You can reset it yourself now: the block was lifted.',
    });
    assert.equal(dismissed.statusCode, 303);
    const told = await outboxTo(kit.app, 'user@personal.example');
    assert.ok(told.some((m) => /closed your request/.test(m.text) && /the block was lifted/.test(m.text)));
    const audit = await kit.app.store.audit.list({ type: 'help.dismissed' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.details.reason, 'You can reset it yourself now: the block was lifted.');

    // a second request (within the hour: the admins are not emailed again, but it is listed)
    await sendHelp(kit, USER, 'second request');
    page = await admin.get('/admin/requests');
    const [second] = openRequestIds(page.body);
    assert.ok(second && second !== id);
    const temp = await admin.post(`/admin/requests/${second}/temp-password`, {});
    assert.equal(temp.statusCode, 200);
    const m = /<code id="temp-password">([^<]+)<\/code>/.exec(temp.body);
    assert.ok(m && m[1]!.length >= 15, 'the temporary password is shown');
    assert.equal(temp.headers['cache-control'], 'no-store');
    const list = await admin.get('/admin/requests');
    assert.doesNotMatch(list.body, new RegExp(m[1]!.replace(/[-]/g, '\\-')), 'and never again');
    const user = new TestBrowser(kit.server);
    await user.get('/signin');
    const signedIn = await user.post('/signin', { login: USER, password: m[1]!, next: '/account' });
    assert.equal(signedIn.headers.location, '/account/password', 'must change it at sign-in');
  } finally {
    await kit.close();
  }
});

test('an admin cannot see or act on another tenant’s requests; a user cannot open the section', async () => {
  const kit = await createPagesKit();
  try {
    const tenant = await kit.app.directory.createTenant({
      name: 'Fabrikam',
      domains: ['fabrikam.example'],
      actor: 'test',
    });
    assert.ok(tenant.ok);
    for (const [login, role] of [
      ['boss@fabrikam.example', 'admin'],
      ['boss2@fabrikam.example', 'admin'],
      ['worker@fabrikam.example', 'user'],
    ] as const) {
      assert.ok((await kit.app.directory.addUser({ login, displayName: login, role, actor: 'test' })).ok);
      const value = `fab.${login.split('@')[0]}@personal.example`;
      assert.ok((await kit.app.directory.setMethod({ login, kind: 'email', value, actor: 'test' })).ok);
    }
    await sendHelp(kit, 'worker@fabrikam.example', 'Fabrikam secret message');
    const [fabrikam] = await kit.app.store.help.list({ statuses: ['open'] });
    assert.equal(fabrikam!.queue, 'admins');

    const contoso = await signIn(kit, ADMIN);
    const page = await contoso.get('/admin/requests');
    assert.doesNotMatch(page.body, /Fabrikam secret message|worker@fabrikam/);
    await contoso.get('/account');
    const csrf = contoso.csrf();
    for (const action of ['reset-link', 'temp-password']) {
      const res = await contoso.post(`/admin/requests/${fabrikam!.id}/${action}`, { _csrf: csrf });
      assert.equal(res.statusCode, 404, action);
    }
    const dismiss = await contoso.post(`/admin/requests/${fabrikam!.id}/dismiss`, { _csrf: csrf, reason: 'not mine' });
    assert.equal(dismiss.statusCode, 404);
    const [still] = await kit.app.store.help.list({ statuses: ['open'] });
    assert.equal(still!.id, fabrikam!.id, 'still open');

    const user = new TestBrowser(kit.server);
    const password = kit.demo.accounts.find((a) => a.login === USER)!.password;
    await user.get('/signin');
    await user.post('/signin', { login: USER, password, next: '/account' });
    const forbidden = await user.get('/admin/requests');
    assert.equal(forbidden.statusCode, 403);
    assert.doesNotMatch(forbidden.body, /Fabrikam/);
  } finally {
    await kit.close();
  }
});

test('the requests page has "Verify caller": the reset link and temporary password stay disabled and refused until the requester is verified (issue 13 edges, item 2)', async () => {
  const kit = await createPagesKit({}, { callerVerification: true });
  try {
    await sendHelp(kit, USER);
    const admin = await signIn(kit, ADMIN2);
    const page = await admin.get('/admin/requests');
    const [id] = openRequestIds(page.body);
    assert.ok(id);
    const article = (html: string) => html.slice(html.indexOf(`id="request-${id}"`));
    // the same section as the user's page, its ids kept apart per request
    assert.match(article(page.body), new RegExp(`action="/admin/requests/${id}/verify-caller"[^]*Verify caller`));
    assert.match(page.body, new RegExp(`id="request-${id}-caller-state"`));
    assert.match(page.body, /Disabled until the caller is verified/);
    assert.match(
      page.body,
      /<button type="submit" disabled aria-describedby="request-[^"]*-locked [^"]*-link-hint">Send a reset link/,
    );
    // the button is only a view: the service refuses the action too
    const early = await admin.post(`/admin/requests/${id}/reset-link`, {});
    assert.equal(early.statusCode, 403);
    assert.equal((await kit.app.store.help.list({ statuses: ['open'] })).length, 1, 'still open');

    const sent = await admin.post(`/admin/requests/${id}/verify-caller`, {});
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, `/admin/requests?done=caller_sent#request-${id}`);
    const pending = await admin.follow(sent);
    assert.match(pending.body, /A code was sent to the account’s registered methods/);
    assert.match(pending.body, new RegExp(`<input id="request-${id}-caller-code" name="code"`));
    const code = await newestMatch(kit.app, 'user@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);

    const wrong = await admin.post(`/admin/requests/${id}/verify-caller/confirm`, {
      code: code === '000000' ? '111111' : '000000',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Caller not verified/);
    const right = await admin.post(`/admin/requests/${id}/verify-caller/confirm`, { code });
    assert.equal(right.statusCode, 303);
    const verified = await admin.follow(right);
    assert.match(verified.body, /Caller verified\./);
    assert.doesNotMatch(verified.body, /Disabled until the caller is verified/);
    const done = await admin.post(`/admin/requests/${id}/reset-link`, {});
    assert.equal(done.statusCode, 303, 'open once verified');
    const events = (await kit.app.store.audit.list({ limit: 200 })).map((e) => `${e.type}:${e.outcome}`);
    for (const e of ['caller.verification_started:ok', 'caller.verification_failed:mismatch', 'caller.verified:ok']) {
      assert.ok(events.includes(e), e);
    }
  } finally {
    await kit.close();
  }
});
