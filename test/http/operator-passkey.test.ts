import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { test } from 'node:test';
import { passSecondStep } from '../helpers/console-factor-kit.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';

/**
 * Passkeys for Technical Support operators (issue 13 item 4): registered on the support console's
 * security page with the accounts' ceremony, then the second step of the operator's sign-in. The
 * attacks: an operator's assertion replayed, an assertion of an account's passkey (the same site,
 * a valid signature) and an account's assertion made for an account's sign-in are all refused at
 * the operator's sign-in, audited, and open no session.
 */
const OPERATOR = 'jo.support';
const OPERATOR_PASSWORD = 'lantern orchard velvet compass';
const ADMIN = 'admin@contoso.example';

/** The options JSON a passkey form carries (data-passkey-options, HTML-escaped). */
function optionsIn(body: string): { challenge: string; rp: { id: string }; user: { id: string }; rpId?: string } {
  const raw = /data-passkey-options="([^"]*)"/.exec(body)?.[1];
  assert.ok(raw, 'the form carries the options');
  return JSON.parse(raw.replaceAll('&quot;', '"').replaceAll('&amp;', '&')) as never;
}

async function addOperator(kit: PagesKit): Promise<string> {
  const added = await kit.app.operators.add({
    login: OPERATOR,
    displayName: 'Jo Support',
    password: OPERATOR_PASSWORD,
    actor: 'test',
  });
  assert.ok(added.ok, JSON.stringify(added));
  return added.value.id;
}

/** The operator's password: the answer points at the second step (the pending sign-in's cookie set). */
async function operatorPassword(kit: PagesKit): Promise<{ b: TestBrowser; res: LightMyRequestResponse }> {
  const b = new TestBrowser(kit.server);
  await b.get('/support/signin');
  const res = await b.post('/support/signin', { login: OPERATOR, password: OPERATOR_PASSWORD });
  assert.equal(res.headers.location, '/support/second-factor');
  return { b, res };
}

/** A pending operator sign-in on its second step's page: the browser and the passkey options it carries. */
async function atPasskeyStep(kit: PagesKit): Promise<{ b: TestBrowser; options: ReturnType<typeof optionsIn> }> {
  const { b } = await operatorPassword(kit);
  const step = await b.get('/support/second-factor');
  assert.equal(step.statusCode, 200);
  assert.match(step.body, /action="\/support\/second-factor\/passkey\?next=%2Fsupport"/, 'the passkey is offered');
  return { b, options: optionsIn(step.body) };
}

const supportSession = (b: TestBrowser) => b.cookies.has('__Host-sspr_support') || b.cookies.has('sspr_support');

test('an operator registers a passkey on the support security page and signs in with it; replays and account passkeys refused', async () => {
  const clock = new ManualClock(Date.now());
  const kit = await createPagesKit({}, { clock });
  try {
    const origin = new URL(kit.app.config.public_url).origin;
    const operatorId = await addOperator(kit);
    // signed in with the authenticator app (the existing second step), the security page
    const { b, res } = await operatorPassword(kit);
    assert.equal((await passSecondStep(kit.app, b, res, OPERATOR)).headers.location, '/support');
    const security = await b.get('/support/security');
    assert.equal(security.statusCode, 200);
    assert.equal(h1(security.body), 'Sign-in security');
    assert.match(security.body, /<a href="\/support\/security">Sign-in security<\/a>/, 'in the support nav');
    assert.match(security.body, /Not registered/);
    const page = await b.get('/support/security/passkeys');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /action="\/support\/security\/passkeys"/);
    assert.match(page.body, /support console asks for a second step/);
    assert.match(page.body, /<a href="\/support\/security">Back to sign-in security<\/a>/);
    const options = optionsIn(page.body);
    assert.equal(options.rp.id, new URL(origin).hostname);
    assert.equal(Buffer.from(options.user.id, 'base64url').toString(), operatorId, 'the operator is the user');
    assert.match(page.body, /&quot;userVerification&quot;:&quot;required&quot;/);
    const operatorKey = new SoftAuthenticator(origin);
    await b.post('/support/security/passkeys', {
      credential: operatorKey.create(options),
      name: 'Desk key',
      _csrf: null,
    });
    assert.deepEqual(await kit.app.store.operatorPasskeys.list(operatorId), [], 'no CSRF token: nothing stored');
    await b.get('/support/security/passkeys');
    const fresh = optionsIn(b.lastPage);
    const added = await b.post('/support/security/passkeys', {
      credential: operatorKey.create(fresh),
      name: 'Desk key',
    });
    assert.equal(added.statusCode, 303);
    assert.equal(added.headers.location, '/support/security?done=passkey');
    const listed = await b.get('/support/security?done=passkey');
    assert.match(listed.body, /Your passkey is registered/);
    assert.match(listed.body, /<strong class="masked" data-method="passkey">Desk key<\/strong>/);
    assert.deepEqual(
      (await kit.app.store.operatorPasskeys.list(operatorId)).map((k) => k.name),
      ['Desk key'],
    );
    assert.deepEqual(await kit.app.store.passkeys.list(operatorId), [], "not among accounts' passkeys");
    await b.get('/support/security/passkeys');
    const again = await b.post('/support/security/passkeys', { credential: operatorKey.create(fresh), name: 'Again' });
    assert.equal(again.statusCode, 400, 'a used challenge registers nothing');
    const [registered] = await kit.app.store.audit.list({ type: 'console.factor_registered', limit: 1 });
    assert.equal(registered!.actor, `operator:${operatorId}`);
    assert.equal(registered!.outcome, 'passkey');

    // an administrator's own passkey, registered in My security info (an account of the same site)
    const accountKey = new SoftAuthenticator(origin);
    const admin = new TestBrowser(kit.server);
    await admin.get('/signin');
    const adminPassword = kit.demo.accounts.find((a) => a.login === ADMIN)!.password;
    await passSecondStep(
      kit.app,
      admin,
      await admin.post('/signin', { login: ADMIN, password: adminPassword, next: '/account/security' }),
      ADMIN,
    );
    const accountOptions = optionsIn((await admin.get('/account/security/passkeys')).body);
    const adminAdded = await admin.post('/account/security/passkeys', {
      credential: accountKey.create(accountOptions),
      name: 'Admin laptop',
    });
    assert.equal(adminAdded.statusCode, 303);

    // the next sign-in offers the passkey; an account's passkey answering it (a valid signature of
    // this site) is refused: it is not among the operator's passkeys
    const c = await atPasskeyStep(kit);
    assert.deepEqual((c.options as { allowCredentials?: unknown[] }).allowCredentials ?? [], []);
    const foreign = await c.b.post('/support/second-factor/passkey?next=%2Fsupport', {
      credential: accountKey.get(c.options),
    });
    assert.equal(foreign.statusCode, 400);
    assert.match(foreign.body, /role="alert"/);
    assert.equal(supportSession(c.b), false, 'no support session');

    // an assertion the admin's passkey made for the admin's own pending sign-in, used here
    const adminAgain = new TestBrowser(kit.server);
    await adminAgain.get('/signin');
    await adminAgain.post('/signin', { login: ADMIN, password: adminPassword, next: '/admin' });
    const madeForAccount = accountKey.get(
      optionsIn((await adminAgain.get('/signin/second-factor?next=%2Fadmin')).body),
    );
    const crossed = await c.b.post('/support/second-factor/passkey?next=%2Fsupport', { credential: madeForAccount });
    assert.equal(crossed.statusCode, 400, "an account's sign-in assertion does not open the support console");

    // the operator's own passkey: not at another pending sign-in, then at its own, once
    // the software authenticator made three credentials above; the second is the one stored
    const desk = operatorKey.credentials[1]!;
    const good = operatorKey.get(optionsIn(c.b.lastPage), { which: desk });
    const d = await atPasskeyStep(kit);
    const elsewhere = await d.b.post('/support/second-factor/passkey?next=%2Fsupport', { credential: good });
    assert.equal(elsewhere.statusCode, 400, 'bound to the pending sign-in that asked');
    const passed = await c.b.post('/support/second-factor/passkey?next=%2Fsupport', { credential: good });
    assert.equal(passed.statusCode, 303);
    assert.equal(passed.headers.location, '/support');
    assert.equal(supportSession(c.b), true);
    assert.equal((await c.b.get('/support')).statusCode, 200, 'the support console opens');
    // replayed at a fresh pending sign-in: refused
    const r = await atPasskeyStep(kit);
    const replayed = await r.b.post('/support/second-factor/passkey?next=%2Fsupport', { credential: good });
    assert.equal(replayed.statusCode, 400, 'a replayed assertion is refused');
    assert.equal(supportSession(r.b), false);
    // an assertion with the counter of one already accepted (a cloned key), at a fresh challenge
    const cloned = operatorKey.get(optionsIn(r.b.lastPage), { which: desk, counter: 1 });
    assert.equal(
      (await r.b.post('/support/second-factor/passkey?next=%2Fsupport', { credential: cloned })).statusCode,
      400,
      'a counter that did not go up is refused',
    );

    const events = await kit.app.store.audit.list({ type: 'console.second_factor_failed', limit: 50 });
    const reasons = events.filter((e) => e.actor === `operator:${operatorId}`).map((e) => e.outcome);
    for (const reason of ['not_registered', 'challenge_unknown', 'counter_not_increasing']) {
      assert.ok(reasons.includes(reason), `${reason} audited: ${reasons.join(', ')}`);
    }
    const passedEvents = await kit.app.store.audit.list({ type: 'console.second_factor_passed', limit: 10 });
    assert.equal(
      passedEvents.filter((e) => e.actor === `operator:${operatorId}` && e.outcome === 'passkey').length,
      1,
      'one sign-in by passkey',
    );

    // removed: the next sign-in no longer offers it
    const id = (await kit.app.store.operatorPasskeys.list(operatorId))[0]!.id;
    await c.b.get('/support/security');
    const removed = await c.b.post(`/support/security/passkeys/${id}/remove`);
    assert.equal(removed.headers.location, '/support/security?removed=passkey');
    assert.match((await c.b.get('/support/security?removed=passkey')).body, /The passkey was removed/);
    assert.deepEqual(await kit.app.store.operatorPasskeys.list(operatorId), []);
    const last = await operatorPassword(kit);
    assert.doesNotMatch((await last.b.get('/support/second-factor')).body, /second-factor\/passkey/);
  } finally {
    await kit.close();
  }
});
