import { test } from 'node:test';
import assert from 'node:assert/strict';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import { consoleCode, passSecondStep, seedConsoleFactor } from '../helpers/console-factor-kit.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { COOLING_OFF_MS } from '../helpers/passkey-kit.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import {
  createPagesKit,
  h1,
  newestMatch,
  operatorSession,
  solveCaptcha,
  TestBrowser,
  type PagesKit,
} from './reset-pages-kit.ts';

/**
 * The other ways of caller verification over HTTP (issue 13 item 5): on the console's user page
 * and help requests page, "Ask for their authenticator app code" (nothing sent; the agent types the
 * code the caller reads from their app) and "Ask for their passkey" (the console shows a ticket;
 * the caller types it on the public page /caller-passkey and signs with their passkey there; the
 * console then shows the caller verified and the reset link opens). Each button shows only when
 * the account has that way; a new passkey or authenticator app is told to the owner's phone too.
 */

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';
const USER_PHONE = '+15555550103';

async function signIn(kit: PagesKit, login: string, next: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next }), login);
  assert.equal(res.statusCode, 303, 'signed in');
  return b;
}

function optionsIn(body: string): { challenge: string; rpId: string; userVerification: string } {
  const raw = /data-passkey-options="([^"]*)"/.exec(body)?.[1];
  assert.ok(raw, 'the form carries the options');
  return JSON.parse(raw.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as never;
}

const ticketIn = (body: string) => /<code id="caller-ticket">([\d ]+)<\/code>/.exec(body)?.[1] ?? null;
/** A pages kit with caller verification on, its clock, the user and their console page. */
async function start() {
  const clock = new ManualClock(Date.now());
  const kit = await createPagesKit({}, { clock, callerVerification: true });
  const user = (await kit.app.store.directory.findAccountByLogin(USER))!;
  return { clock, kit, user, base: `/admin/users/${user.id}` };
}

/** The reset link's button: whether it is disabled (the caller not verified). */
const linkDisabled = (body: string, id: string) => {
  const button = new RegExp(`action="/admin/users/${id}/reset-link">[^]*?(<button[^>]*>)`).exec(body)?.[1];
  assert.ok(button, 'the reset link button');
  return / disabled/.test(button);
};

test('"Ask for their passkey": the ticket on the console, the caller signs on /caller-passkey, the console shows verified', async () => {
  const { clock, kit, user, base } = await start();
  try {
    let admin = await signIn(kit, ADMIN, '/admin');
    let page = await admin.get(base);
    assert.doesNotMatch(page.body, /Ask for their passkey/, 'no passkey yet: no button');
    assert.doesNotMatch(page.body, /Ask for their authenticator app code/);

    // the person registers a passkey in My security info: the phone is told too
    const origin = new URL(kit.app.config.public_url).origin;
    const authenticator = new SoftAuthenticator(origin);
    const owner = await signIn(kit, USER, '/account');
    const form = await owner.get('/account/security/passkeys');
    const registered = await owner.post('/account/security/passkeys', {
      credential: authenticator.create(optionsIn(form.body) as never),
      name: 'Phone',
    });
    assert.equal(registered.statusCode, 303);
    assert.match(await newestMatch(kit.app, USER_PHONE, /(sspr: a passkey was added to your account\.)/), /passkey/);
    clock.advance(COOLING_OFF_MS); // its cooling-off: a day later (the console signs in again)
    admin = await signIn(kit, ADMIN, '/admin');

    page = await admin.get(base);
    assert.match(page.body, /Ask for their passkey/);
    const started = await admin.post(`${base}/verify-caller/passkey`);
    assert.equal(started.statusCode, 303);
    page = await admin.follow(started);
    assert.match(page.body, /Waiting for the caller to confirm with their passkey, until/);
    assert.match(page.body, /open http:\/\/[^ ]+\/caller-passkey and type this code/);
    const ticket = ticketIn(page.body);
    assert.match(ticket ?? '', /^\d{4} \d{4} \d{4}$/, 'the ticket is shown');
    assert.doesNotMatch(page.body, /Code the caller reads to you/, 'no code field: a typed code does not answer');
    assert.equal(linkDisabled(page.body, user.id), true);
    const typed = await admin.post(`${base}/verify-caller/confirm`, { code: '123456' });
    assert.equal(typed.statusCode, 400, 'a typed code never answers a passkey verification');

    // the caller, in their own browser: a wrong ticket, then theirs
    const caller = new TestBrowser(kit.server);
    const open = await caller.get('/caller-passkey');
    assert.equal(open.statusCode, 200);
    assert.equal(h1(open.body), 'Confirm it is you with your passkey');
    const wrong = await caller.post('/caller-passkey', {
      ticket: ticket!.startsWith('0') ? '1111 1111 1111' : '0000 0000 0000',
      altcha: await solveCaptcha(kit.server),
    });
    assert.equal(wrong.statusCode, 200);
    assert.match(wrong.body, /This code does not work/);
    assert.doesNotMatch(wrong.body, /Contoso|user@/, 'nothing about any account');
    const noCaptcha = await caller.post('/caller-passkey', { ticket: ticket!, altcha: '' });
    assert.equal(noCaptcha.statusCode, 400);
    const ask = await caller.post('/caller-passkey', { ticket: ticket!, altcha: await solveCaptcha(kit.server) });
    assert.equal(ask.statusCode, 200);
    assert.match(ask.body, /The help desk of Contoso Demo asks you to confirm with your passkey/);
    assert.match(ask.body, /<script type="module" src="\/static\/passkey.js">/);
    const options = optionsIn(ask.body);
    assert.equal(options.userVerification, 'required');
    const forged = await caller.post('/caller-passkey/answer', {
      ticket: ticket!,
      credential: authenticator.get(options),
      _csrf: null,
    });
    assert.equal(forged.statusCode, 403, 'no CSRF token, nothing checked');
    const done = await caller.post('/caller-passkey/answer', {
      ticket: ticket!,
      credential: authenticator.get(options),
    });
    assert.equal(done.statusCode, 200, done.body.slice(0, 400));
    assert.equal(h1(done.body), 'You confirmed it is you');

    // the console: verified, the reset link opens and goes out
    page = await admin.get(base);
    assert.match(page.body, /Caller verified, until/);
    assert.equal(ticketIn(page.body), null);
    assert.equal(linkDisabled(page.body, user.id), false, 'the reset link is enabled');
    const link = await admin.post(`${base}/reset-link`);
    assert.equal(link.statusCode, 303, link.body.slice(0, 300));
    const verified = await kit.app.store.audit.list({ type: 'caller.verified', accountId: user.id });
    assert.equal(verified[0]!.details.via, 'passkey');
    assert.equal(verified[0]!.actor, `admin:${(await kit.app.store.directory.findAccountByLogin(ADMIN))!.id}`);

    // the same ticket again on the public page: used
    await caller.get('/caller-passkey');
    const again = await caller.post('/caller-passkey', { ticket: ticket!, altcha: await solveCaptcha(kit.server) });
    assert.match(again.body, /This code does not work/);
  } finally {
    await kit.close();
  }
});

test('"Ask for their authenticator app code" on the user page and on the help requests page; none without an app', async () => {
  const { clock, kit, user, base } = await start();
  try {
    let admin = await signIn(kit, ADMIN, '/admin');
    const none = await admin.post(`${base}/verify-caller/authenticator`);
    assert.equal(none.statusCode, 409, 'no app: refused');
    assert.match(none.body, /No authenticator app/);
    assert.match(none.body, /This account has no authenticator app/);

    // the person sets up an app in My security info: the phone is told too
    const owner = await signIn(kit, USER, '/account');
    await owner.get('/account/security/authenticator');
    const setup = await owner.post('/account/security/authenticator');
    const key = /id="authenticator-key">([A-Z2-7 ]+)</.exec((await owner.follow(setup)).body)?.[1];
    assert.ok(key, 'the key is shown');
    const secret = key.replaceAll(' ', '');
    const confirmed = await owner.post('/account/security/authenticator/confirm', {
      code: totpCodeAt(secret, clock.now()),
    });
    assert.equal(confirmed.statusCode, 303, confirmed.body.slice(0, 300));
    assert.ok(await newestMatch(kit.app, USER_PHONE, /(sspr: an authenticator app was added to your account\.)/));
    clock.advance(COOLING_OFF_MS);
    admin = await signIn(kit, ADMIN, '/admin');

    let page = await admin.get(base);
    assert.match(page.body, /Ask for their authenticator app code/);
    const before = kit.app.devOutbox!.list().length;
    page = await admin.follow(await admin.post(`${base}/verify-caller/authenticator`));
    assert.match(page.body, /Ask the caller to read the code their authenticator app shows now/);
    assert.match(page.body, /Code the caller reads to you/);
    await kit.app.outbox.runOnce();
    assert.equal(kit.app.devOutbox!.list().length, before, 'nothing was sent');
    const ok = await admin.post(`${base}/verify-caller/confirm`, { code: totpCodeAt(secret, clock.now()) });
    assert.equal(ok.statusCode, 303);
    assert.match((await admin.follow(ok)).body, /Caller verified, until/);

    // the help requests page: the same button for the requester, the same check
    assert.ok((await kit.app.help.submit(USER, 'Locked out', { ip: null, userAgent: null })).ok);
    const other = await signIn(kit, 'admin2@contoso.example', '/admin/requests');
    const list = await other.get('/admin/requests');
    const id = /action="\/admin\/requests\/([A-Za-z0-9-]+)\/verify-caller\/authenticator"/.exec(list.body)?.[1];
    assert.ok(id, 'the requests page offers the authenticator app');
    assert.doesNotMatch(list.body, /verify-caller\/passkey/, 'no passkey: no passkey button');
    const asked = await other.post(`/admin/requests/${id}/verify-caller/authenticator`);
    assert.equal(asked.statusCode, 303);
    assert.match((await other.follow(asked)).body, /authenticator app shows now/);
    clock.advance(30_000); // the next time step: the step the first agent used is spent
    const checked = await other.post(`/admin/requests/${id}/verify-caller/confirm`, {
      code: totpCodeAt(secret, clock.now()),
    });
    assert.equal(checked.statusCode, 303, checked.body.slice(0, 300));
    assert.match((await other.follow(checked)).body, /Caller verified, until/);
    const via = await kit.app.store.audit.list({ type: 'caller.verified', accountId: user.id });
    assert.deepEqual(
      via.map((e) => e.details.via),
      ['authenticator', 'authenticator'],
    );
  } finally {
    await kit.close();
  }
});

test('Technical Support offers the same ways on a ticket: the authenticator app verifies; no passkey, the page says so', async () => {
  const { clock, kit } = await start();
  try {
    assert.ok((await kit.app.directory.disable({ login: 'admin2@contoso.example', actor: 'test' })).ok);
    await seedConsoleFactor(kit.app, ADMIN); // the only admin has an authenticator app
    clock.advance(COOLING_OFF_MS);
    assert.ok((await kit.app.help.submit(ADMIN, 'Locked out, the only admin.', { ip: null, userAgent: null })).ok);
    const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
    assert.ok(ticket);
    const path = `/support/tickets/${ticket.id}`;
    const sam = await operatorSession(kit, 'sam.support');
    await sam.b.get(path);
    assert.equal((await sam.b.post(`${path}/verify`, { note: 'Called back on the HR number.' })).statusCode, 303);
    let page = await sam.b.get(path);
    assert.match(page.body, /Ask for their authenticator app code/);
    assert.doesNotMatch(page.body, /Ask for their passkey/);
    const noPasskey = await sam.b.post(`${path}/verify-caller/passkey`);
    assert.match(noPasskey.body, /This account has no passkey/);
    page = await sam.b.follow(await sam.b.post(`${path}/verify-caller/authenticator`));
    assert.match(page.body, /authenticator app shows now/);
    const ok = await sam.b.post(`${path}/verify-caller/confirm`, { code: await consoleCode(kit.app, ADMIN) });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    assert.match((await sam.b.follow(ok)).body, /Caller verified, until/);
  } finally {
    await kit.close();
  }
});
