import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPagesKit,
  newestMatch,
  operatorSession,
  passwordOf,
  signIn,
  TestBrowser,
  type PagesKit,
} from './reset-pages-kit.ts';
import { seedConsoleFactor } from '../helpers/console-factor-kit.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

/**
 * A tenant's global administrator resets another administrator's console second factor (issue 13
 * item 4): refused until the caller verification of that account succeeded within 10 minutes
 * (service and console POST alike, audited as `admin.denied`); then the authenticator app and
 * recovery codes are gone, `admin.second_factor_reset` is audited, the owner is told by email
 * (login and alternate address; who did it) and text message, and their next sign-in registers a
 * new factor. Never one's own, and never from an API key (keys do not manage administrators).
 * Technical Support does it from a ticket of an administrator of any tenant, after the caller
 * verification AND a second operator's approval; the ticket is then resolved.
 */

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const REQ = { ip: '192.0.2.9', userAgent: null };

/** Their next sign-in: the password, then the registration of a new second factor. */
async function nextSignInRegisters(kit: PagesKit, login: string): Promise<void> {
  const them = new TestBrowser(kit.server);
  await them.get('/signin');
  const pw = await them.post('/signin', { login, password: passwordOf(kit, login), next: '/admin' });
  assert.equal(pw.statusCode, 303);
  const step = await them.get(String(pw.headers.location));
  assert.equal(step.statusCode, 303);
  assert.match(String(step.headers.location), /^\/signin\/second-factor\/setup/);
}

test('resetting another administrator’s second factor needs a verified caller; then it is removed, audited and the owner told', async () => {
  const clock = new ManualClock();
  const kit = await createPagesKit({}, { clock, callerVerification: true });
  try {
    const admin = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    const target = (await kit.app.store.directory.findAccountByLogin(ADMIN2))!;
    await seedConsoleFactor(kit.app, ADMIN2);
    const owner = { kind: 'account' as const, id: target.id };
    await kit.app.consoleFactors.setup.regenerate(owner, { account: target, operator: null }, REQ);
    assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 10);

    // the service refuses without the verification, and audits the refusal
    const actor = { kind: 'admin' as const, account: admin };
    const early = await kit.app.admin.resetSecondFactor(actor, target.id, REQ);
    assert.deepEqual(early, { ok: false, error: 'caller_not_verified' });

    const b = await signIn(kit, ADMIN, undefined, '/admin');
    const page = await b.get(`/admin/users/${target.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Console second factor/);
    assert.match(
      page.body,
      new RegExp(`action="/admin/users/${target.id}/second-factor/reset" id="factor-reset">[^]*?<button[^>]*disabled`),
      'the button is disabled until the caller is verified',
    );
    const forged = await b.post(`/admin/users/${target.id}/second-factor/reset`, {});
    assert.equal(forged.statusCode, 403, 'the console POST is refused without verification');
    assert.ok(await kit.app.store.authenticators.confirmed(target.id), 'the app is still there');
    assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 10);
    const denied = (await kit.app.store.audit.list({ type: 'admin.denied', accountId: target.id })).filter(
      (e) => e.details.action === 'second_factor.reset' && e.outcome === 'caller_not_verified',
    );
    assert.equal(denied.length, 2, 'both refusals audited');

    // the caller verification, from the same page
    await b.get(`/admin/users/${target.id}`);
    assert.equal((await b.post(`/admin/users/${target.id}/verify-caller`, {})).statusCode, 303);
    const code = await newestMatch(kit.app, 'admin2@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);
    await b.get(`/admin/users/${target.id}`);
    assert.equal((await b.post(`/admin/users/${target.id}/verify-caller/confirm`, { code })).statusCode, 303);
    const ready = await b.get(`/admin/users/${target.id}`);
    assert.doesNotMatch(
      ready.body,
      new RegExp(`id="factor-reset">[^]*?<button[^>]*disabled[^]*?</form>`),
      'enabled once verified',
    );

    const done = await b.post(`/admin/users/${target.id}/second-factor/reset`, {});
    assert.equal(done.statusCode, 303, done.body.slice(0, 300));
    assert.equal(done.headers.location, `/admin/users/${target.id}?done=factor_reset`);
    assert.match((await b.follow(done)).body, /The second factor was reset/);
    assert.equal(await kit.app.store.authenticators.confirmed(target.id), null);
    assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 0);
    const audited = await kit.app.store.audit.list({ type: 'admin.second_factor_reset', accountId: target.id });
    assert.equal(audited.length, 1);
    assert.equal(audited[0]!.actor, `admin:${admin.id}`);
    assert.deepEqual(audited[0]!.details, { authenticator: true, passkeys: 0, recoveryCodes: 10 });

    // the owner is told on every channel: the login, the alternate email, the phone
    for (const to of [ADMIN2, 'admin2@personal.example']) {
      assert.ok(
        await newestMatch(
          kit.app,
          to,
          /(Avery Admin \(admin@contoso\.example\) reset the second factor of admin2@contoso\.example)/,
        ),
      );
    }
    // in words of its own: the second sign-in step, not "your password or … your account"
    const sms = await newestMatch(kit.app, '+15555550102', /(your help desk just reset .*)/);
    assert.match(sms, /^your help desk just reset the second sign-in step of your admin account\./);
    assert.doesNotMatch(sms, /password|unlocked/);

    await nextSignInRegisters(kit, ADMIN2);

    // the verification holds 10 minutes only
    clock.advance(11 * 60_000);
    await seedConsoleFactor(kit.app, ADMIN2);
    const late = await kit.app.admin.resetSecondFactor(actor, target.id, REQ);
    assert.deepEqual(late, { ok: false, error: 'caller_not_verified' });
    assert.ok(await kit.app.store.authenticators.confirmed(target.id));
  } finally {
    await kit.close();
  }
});

test('never one’s own second factor, not a user’s, not by an admin of lower rank, not from an API key', async () => {
  const kit = await createPagesKit({}, { callerVerification: true });
  try {
    const admin = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    const admin2 = (await kit.app.store.directory.findAccountByLogin(ADMIN2))!;
    const user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
    const b = await signIn(kit, ADMIN, undefined, '/admin');
    const own = await b.get(`/admin/users/${admin.id}`);
    assert.doesNotMatch(own.body, /factor-reset/, 'no button on one’s own page');
    const self = await b.post(`/admin/users/${admin.id}/second-factor/reset`, {});
    assert.equal(self.statusCode, 403);
    assert.doesNotMatch((await b.get(`/admin/users/${user.id}`)).body, /factor-reset/, 'a user has no console factor');
    assert.deepEqual(await kit.app.admin.resetSecondFactor({ kind: 'admin', account: admin2 }, admin.id, REQ), {
      ok: false,
      error: 'needs_global_admin',
    });
    const c = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(c.ok);
    const key = await kit.app.apiKeys.create({
      tenantId: c.value.id,
      name: 'k',
      scopes: ['users:write', 'resets:write'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(key.ok);
    const r = await kit.app.admin.resetSecondFactor(
      { kind: 'api_key', keyId: key.value.key.id, tenantId: c.value.id, scopes: ['users:write', 'resets:write'] },
      admin2.id,
      REQ,
    );
    assert.deepEqual(r, { ok: false, error: 'needs_global_admin' });
    assert.equal(await kit.app.store.audit.list({ type: 'admin.second_factor_reset' }).then((e) => e.length), 0);
  } finally {
    await kit.close();
  }
});

test('Technical Support resets the sole administrator’s second factor: verified caller, then a second operator, then the reset; all audited, the owner told', async () => {
  const clock = new ManualClock();
  const kit = await createPagesKit({}, { clock, callerVerification: true });
  try {
    assert.ok((await kit.app.directory.disable({ login: ADMIN2, actor: 'test' })).ok, 'admin@ is the only admin');
    const target = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    await seedConsoleFactor(kit.app, ADMIN);
    const owner = { kind: 'account' as const, id: target.id };
    await kit.app.consoleFactors.setup.regenerate(owner, { account: target, operator: null }, REQ);
    const help = await kit.app.help.submit(ADMIN, 'I lost my phone: no authenticator app any more.', REQ);
    assert.ok(help.ok);
    const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
    assert.ok(ticket);
    const path = `/support/tickets/${ticket.id}`;
    const sam = await operatorSession(kit, 'sam.support');
    const kim = await operatorSession(kit, 'kim.support');

    const first = await sam.b.get(path);
    assert.doesNotMatch(first.body, /id="factor-reset"/, 'no action before the verification note');
    assert.equal((await sam.b.post(`${path}/verify`, { note: 'Called back on the HR number.' })).statusCode, 303);
    const noted = await sam.b.get(path);
    assert.match(noted.body, /Console second factor/);
    assert.match(noted.body, /id="factor-reset">[^]*?<button[^>]*disabled/, 'disabled until verified and approved');
    assert.match(noted.body, /id="factor-disabled"/);

    // verified caller, no second operator yet: refused
    assert.equal((await sam.b.post(`${path}/verify-caller`, {})).statusCode, 303);
    const code = await newestMatch(kit.app, 'admin@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);
    await sam.b.get(path);
    assert.equal((await sam.b.post(`${path}/verify-caller/confirm`, { code })).statusCode, 303);
    await sam.b.get(path);
    const unapproved = await sam.b.post(`${path}/second-factor/reset`, {});
    assert.equal(unapproved.statusCode, 403);
    assert.match(unapproved.body, /A second operator must approve/);
    assert.ok(await kit.app.store.authenticators.confirmed(target.id), 'the app is still there');

    // Sam asks; Sam cannot approve it; Kim does
    assert.equal((await sam.b.post(`${path}/approval`, {})).statusCode, 303);
    const [approval] = await kit.app.callers.openApprovals();
    assert.ok(approval);
    await sam.b.get('/support/approvals');
    const own = await sam.b.post(`/support/approvals/${approval.id}/approve`, {});
    assert.equal(own.statusCode, 403);
    await kim.b.get('/support/approvals');
    assert.equal((await kim.b.post(`/support/approvals/${approval.id}/approve`, {})).statusCode, 303);

    const ready = await sam.b.get(path);
    assert.doesNotMatch(ready.body, /id="factor-reset">[^]*?<button[^>]*disabled[^]*?<\/form>/, 'enabled now');
    const done = await sam.b.post(`${path}/second-factor/reset`, {});
    assert.equal(done.statusCode, 303, done.body.slice(0, 300));
    assert.equal(done.headers.location, `${path}?done=factor_reset`);
    assert.match((await sam.b.follow(done)).body, /console second factor was reset and the ticket is resolved/);

    assert.equal(await kit.app.store.authenticators.confirmed(target.id), null);
    assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 0);
    const after = await kit.app.store.help.get(ticket.id);
    assert.equal(after!.status, 'resolved');
    assert.equal(after!.resolution, 'second_factor_reset');
    assert.equal(after!.resolvedBy, `operator:${sam.id}`);

    // every step in the tenant's audit log, the operators as actors
    const trail = (await kit.app.store.audit.list({ accountId: target.id, limit: 200 })).map(
      (e) => `${e.type}:${e.outcome}:${e.actor}`,
    );
    for (const e of [
      `support.verified:ok:operator:${sam.id}`,
      `caller.verification_started:ok:operator:${sam.id}`,
      `caller.verified:ok:operator:${sam.id}`,
      `admin.denied:approval_required:operator:${sam.id}`,
      `caller.approval_requested:ok:operator:${sam.id}`,
      `caller.approval_refused:own_request:operator:${sam.id}`,
      `caller.approved:ok:operator:${kim.id}`,
      `admin.second_factor_reset:ok:operator:${sam.id}`,
      `support.resolved:second_factor_reset:operator:${sam.id}`,
    ]) {
      assert.ok(trail.includes(e), `${e} in ${trail.join(', ')}`);
    }

    // the owner is told on every channel, and that it was Technical Support
    for (const to of [ADMIN, 'admin@personal.example']) {
      assert.ok(
        await newestMatch(kit.app, to, /(Technical Support reset the second factor of admin@contoso\.example)/),
      );
      assert.ok(await newestMatch(kit.app, to, /(Technical Support reset the second factor you use to sign in)/));
    }
    assert.ok(await newestMatch(kit.app, '+15555550101', /(your help desk just reset the second sign-in step)/));

    await nextSignInRegisters(kit, ADMIN);
  } finally {
    await kit.close();
  }
});
