import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../../src/core/admin-rules.ts';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { AdminService, generateTempPassword, parsePolicyInput } from '../../src/service/admin-service.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo, type DemoOutcome } from '../../src/service/demo.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, addFabrikam, adminActor, FABRIKAM, OPERATOR, RC } from './admin-fixtures.ts';

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';

interface World {
  t: TestApp;
  app: App;
  demo: DemoOutcome;
  fab: Awaited<ReturnType<typeof addFabrikam>>;
}

async function world(): Promise<World> {
  const t = await createTestApp();
  const demo = await setupDemo(t.app.directory, t.app.random, 'test');
  const fab = await addFabrikam(t.app);
  return { t, app: t.app, demo, fab };
}

const pw = (w: World, login: string) => w.demo.accounts.find((a) => a.login === login)!.password;

/** Sent messages (after the worker ran), newest first. */
async function sent(app: App) {
  await app.outbox.runOnce();
  return app.devOutbox!.list();
}

/** The token of the newest assisted reset link sent. */
async function newestLink(app: App): Promise<string> {
  for (const m of await sent(app)) {
    const found = /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(m.text);
    if (found) return found[1]!;
  }
  assert.fail('no assisted reset link sent');
}

async function denials(app: App, tenantId: string) {
  return (await app.store.audit.list({ tenantId, type: 'admin.denied', limit: 100 })).map((e) => e.outcome);
}

describe('AdminService: reading', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  it('listUsers shows the tenant only, with masked methods, registration and filters', async () => {
    const actor = await adminActor(w.app, ADMIN);
    const all = await w.app.admin.listUsers(actor, {});
    assert.ok(all.ok);
    assert.deepEqual(all.value.map((u) => u.login).sort(), [ADMIN, ADMIN2, USER].sort());
    const user = all.value.find((u) => u.login === USER)!;
    assert.equal(user.maskedEmail, 'u••••@personal.example');
    assert.equal(user.maskedPhone, '••• ••• ••03');
    assert.equal(user.registration, 'complete');
    assert.equal(user.blocked, false);
    assert.ok(!JSON.stringify(all.value).includes('user@personal.example'), 'no clear method value');

    const admins = await w.app.admin.listUsers(actor, { role: 'global_admin' });
    assert.deepEqual(admins.ok && admins.value.map((u) => u.login), [ADMIN]);
    const search = await w.app.admin.listUsers(actor, { search: 'casey' });
    assert.deepEqual(search.ok && search.value.map((u) => u.login), [USER]);

    const u = await account(w.app, USER);
    await w.app.store.directory.removeMethod(u.id, 'phone');
    await w.app.store.lockouts.block(u.id, Date.now());
    const incomplete = await w.app.admin.listUsers(actor, { registration: 'incomplete' });
    assert.deepEqual(incomplete.ok && incomplete.value.map((x) => x.login), [USER]);
    const none = await w.app.admin.listUsers(actor, { registration: 'none' });
    assert.deepEqual(none.ok && none.value, []);
    const blocked = await w.app.admin.listUsers(actor, { blocked: true });
    assert.deepEqual(blocked.ok && blocked.value.map((x) => x.login), [USER]);
    const notBlocked = await w.app.admin.listUsers(actor, { blocked: false, limit: 1 });
    assert.equal(notBlocked.ok && notBlocked.value.length, 1, 'limit holds');
    const counts = await w.app.admin.userCounts(actor);
    assert.deepEqual(counts.ok && counts.value, {
      total: 3,
      complete: 2,
      incomplete: 1,
      none: 0,
      blocked: 1,
      admins: 2,
    });
    await w.app.admin.unblock(actor, u.id, RC);
    await w.app.admin.prefillMethod(actor, u.id, 'phone', '+15555550103', RC);
  });

  it('listUsers refuses operators and API keys without users:read', async () => {
    const t = await account(w.app, ADMIN);
    assert.deepEqual(await w.app.admin.listUsers(OPERATOR, {}), { ok: false, error: 'not_allowed' });
    const noScope: Actor = { kind: 'api_key', keyId: 'k1', tenantId: t.tenantId, scopes: ['audit:read'] };
    assert.deepEqual(await w.app.admin.listUsers(noScope, {}), { ok: false, error: 'scope_missing' });
    const scoped: Actor = { kind: 'api_key', keyId: 'k2', tenantId: t.tenantId, scopes: ['users:read'] };
    const listed = await w.app.admin.listUsers(scoped, {});
    assert.equal(listed.ok && listed.value.length, 3);
  });

  it('getUser: masked methods, recent events, permissions; another tenant is other_tenant; unknown id is account_not_found', async () => {
    const actor = await adminActor(w.app, ADMIN2);
    const user = await account(w.app, USER);
    const detail = await w.app.admin.getUser(actor, user.id);
    assert.ok(detail.ok);
    assert.deepEqual(
      detail.value.methods.map((m) => m.masked),
      ['u••••@personal.example', '••• ••• ••03'].filter((x) => detail.value.methods.some((m) => m.masked === x)),
    );
    assert.ok(detail.value.methods.length === 2);
    assert.ok(detail.value.recentEvents.some((e) => e.type === 'account.created'));
    assert.deepEqual(detail.value.permissions, { credentials: null, account: null, role: 'needs_global_admin' });
    const boss = await w.app.admin.getUser(actor, (await account(w.app, ADMIN)).id);
    assert.equal(boss.ok && boss.value.permissions.credentials, 'needs_global_admin');
    assert.deepEqual(await w.app.admin.getUser(actor, w.fab.user.id), { ok: false, error: 'other_tenant' });
    assert.deepEqual(await w.app.admin.getUser(actor, 'no-such-id'), { ok: false, error: 'account_not_found' });
    assert.equal(await w.app.admin.activeAdminCount(user.tenantId), 2);
    assert.equal(await w.app.admin.activeAdminCount(w.fab.admin.tenantId), 1);
  });
});

describe('AdminService: assisted reset by link', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  it('sends a one-time link to the alternate email and the login; other admins are told; audited with the actor', async () => {
    const actor = await adminActor(w.app, ADMIN);
    const user = await account(w.app, USER);
    const signedIn = await w.app.sessions.signIn(USER, pw(w, USER), RC);
    assert.ok(signedIn.ok);
    const result = await w.app.admin.assistedReset(actor, user.id, 'link', RC);
    assert.ok(result.ok);
    assert.equal(result.value.mode, 'link');
    assert.ok(result.value.expiresAt - Date.now() > 23.9 * 3_600_000);
    const messages = await sent(w.app);
    const links = messages.filter((m) => /\/reset\/assisted\?t=/.test(m.text));
    assert.deepEqual(links.map((m) => m.to).sort(), [USER, 'user@personal.example']);
    const notices = messages.filter((m) => m.subject?.startsWith('Admin-assisted password reset'));
    assert.deepEqual(
      notices.map((m) => m.to),
      [ADMIN2],
      'the other admin is told, the acting admin and the user are not',
    );
    assert.match(notices[0]!.text, /Avery Admin \(admin@contoso\.example\)/);
    const events = await w.app.store.audit.list({ accountId: user.id, type: 'admin.reset_link_sent' });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, `admin:${actor.kind === 'admin' ? actor.account.id : ''}`);
    assert.equal(events[0]!.ip, RC.ip);
    const token = /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(links[0]!.text)![1]!;
    assert.equal(token.length, 43, '256 bits');
    const rows = JSON.stringify(await w.app.store.audit.list({ limit: 1000 }));
    assert.ok(!rows.includes(token), 'the token is not in the audit log');

    // the person opens it: check changes nothing, redeem works once
    assert.ok((await w.app.admin.assisted.check(token)).ok);
    assert.ok((await w.app.admin.assisted.check(token)).ok, 'checking twice still works (scanners)');
    const redeemed = await w.app.admin.assisted.redeem(token, RC);
    assert.ok(redeemed.ok);
    assert.deepEqual(await w.app.admin.assisted.redeem(token, RC), { ok: false, error: 'link_expired' });
    assert.deepEqual(await w.app.admin.assisted.check('x'.repeat(43)), { ok: false, error: 'link_invalid' });
    const grant = redeemed.value.grant;
    const view = await w.app.admin.assisted.view(grant);
    assert.equal(view.ok && view.value.login, USER);
    assert.deepEqual(await w.app.admin.assisted.setPassword(grant, 'short', 'short', RC), {
      ok: false,
      error: 'password_too_short',
    });
    assert.deepEqual(await w.app.admin.assisted.setPassword(grant, 'a b c d e f g h', 'different words', RC), {
      ok: false,
      error: 'password_mismatch',
    });
    assert.deepEqual(await w.app.admin.assisted.setPassword(grant, pw(w, USER), pw(w, USER), RC), {
      ok: false,
      error: 'password_reused',
    });
    const done = await w.app.admin.assisted.setPassword(
      grant,
      'saffron kettle glacier bicycle',
      'saffron kettle glacier bicycle',
      RC,
    );
    assert.ok(done.ok);
    assert.deepEqual(await w.app.admin.assisted.view(grant), { ok: false, error: 'grant_invalid' }, 'single use');
    assert.equal(await w.app.sessions.authenticate(signedIn.value.token), null, 'sessions revoked');
    assert.ok((await w.app.sessions.signIn(USER, 'saffron kettle glacier bicycle', RC)).ok);
    const changed = await w.app.store.audit.list({ accountId: user.id, type: 'password.changed' });
    assert.equal(changed[0]!.details.by, 'assisted-link');
    assert.equal(changed[0]!.details.issuedBy, `admin:${(await account(w.app, ADMIN)).id}`);
  });

  it('a newer link or a password change kills an earlier link; an expired link does not work', async () => {
    const actor = await adminActor(w.app, ADMIN2);
    const user = await account(w.app, USER);
    assert.ok((await w.app.admin.assistedReset(actor, user.id, 'link', RC)).ok);
    const first = await newestLink(w.app);
    assert.ok((await w.app.admin.assistedReset(actor, user.id, 'link', RC)).ok);
    const second = await newestLink(w.app);
    assert.notEqual(first, second);
    assert.deepEqual(await w.app.admin.assisted.check(first), { ok: false, error: 'link_expired' });
    assert.ok((await w.app.admin.assisted.check(second)).ok);
    // a temporary password in between kills the link
    assert.ok((await w.app.admin.assistedReset(actor, user.id, 'temp_password', RC)).ok);
    assert.deepEqual(await w.app.admin.assisted.check(second), { ok: false, error: 'link_expired' });

    // expiry, with a clock 24 h ahead
    let now = Date.now();
    const clock = { now: () => now };
    const later = new AdminService({
      store: w.app.store,
      keyring: w.app.keyring,
      random: w.app.random,
      clock,
      hasher: w.app.hasher,
      outbox: w.app.outbox,
      publicUrl: w.app.config.public_url,
      resetPolicy: w.app.resetPolicy,
    });
    assert.ok((await later.assistedReset(actor, user.id, 'link', RC)).ok);
    const third = await newestLink(w.app);
    now += 24 * 3_600_000 - 1;
    assert.ok((await later.assisted.check(third)).ok, 'valid just before 24 h');
    now += 1;
    assert.deepEqual(await later.assisted.redeem(third, RC), { ok: false, error: 'link_expired' });
  });

  it('no_methods without an alternate email; operators send links only', async () => {
    const user = await account(w.app, USER);
    const tenant = (await w.app.store.directory.getTenant(user.tenantId))!;
    const added = await w.app.directory.addUser({
      login: 'new@contoso.example',
      displayName: 'New Person',
      actor: 'test',
    });
    assert.ok(added.ok);
    const actor = await adminActor(w.app, ADMIN);
    const r = await w.app.admin.assistedReset(actor, added.value.id, 'link', RC);
    assert.equal(!r.ok && r.error, 'no_methods');
    assert.deepEqual(await w.app.admin.assistedReset(OPERATOR, user.id, 'temp_password', RC), {
      ok: false,
      error: 'mode_not_allowed',
    });
    const op = await w.app.admin.assistedReset(OPERATOR, user.id, 'link', RC);
    assert.ok(op.ok, 'an operator sends a link');
    const events = await w.app.store.audit.list({ accountId: user.id, type: 'admin.reset_link_sent', limit: 1 });
    assert.equal(events[0]!.actor, 'operator:op-1');
    assert.ok((await denials(w.app, tenant.id)).includes('mode_not_allowed'));
    const key: Actor = { kind: 'api_key', keyId: 'k9', tenantId: tenant.id, scopes: ['resets:write'] };
    const byKey = await w.app.admin.assistedReset(key, user.id, 'link', RC);
    assert.ok(byKey.ok);
    assert.deepEqual(await w.app.admin.assistedReset(key, (await account(w.app, ADMIN2)).id, 'link', RC), {
      ok: false,
      error: 'needs_global_admin',
    });
  });
});

describe('AdminService: temporary password', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  it('is shown once, stored hashed, forces a change, revokes sessions, and stops working after 24 h', async () => {
    const actor = await adminActor(w.app, ADMIN2);
    const user = await account(w.app, USER);
    const session = await w.app.sessions.signIn(USER, pw(w, USER), RC);
    assert.ok(session.ok);
    const result = await w.app.admin.assistedReset(actor, user.id, 'temp_password', RC);
    assert.ok(result.ok && result.value.mode === 'temp_password');
    const temp = result.value.tempPassword;
    assert.match(temp, /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3,}$/);
    assert.equal(await w.app.sessions.authenticate(session.value.token), null, 'sessions revoked');
    const stored = await account(w.app, USER);
    assert.equal(stored.mustChangePassword, true);
    assert.ok(!stored.passwordHash!.includes(temp));
    const everything = JSON.stringify([
      await w.app.store.audit.list({ limit: 1000 }),
      await w.app.store.outbox.list({ limit: 1000 }),
      (await sent(w.app)).map((m) => m.text),
    ]);
    assert.ok(!everything.includes(temp), 'the temporary password is nowhere but in the answer');
    const notices = await sent(w.app);
    assert.ok(notices.some((m) => m.to === USER && m.subject === 'An administrator set a temporary password'));
    assert.ok(
      notices.some(
        (m) => m.to === 'user@personal.example' && m.subject === 'An administrator set a temporary password',
      ),
    );
    assert.ok(notices.some((m) => m.to === ADMIN && m.subject?.startsWith('Admin-assisted password reset')));
    assert.ok(!notices.some((m) => m.to === ADMIN2 && m.subject?.startsWith('Admin-assisted')), 'not the actor');
    const events = await w.app.store.audit.list({ accountId: user.id, type: 'admin.temp_password_set' });
    assert.equal(events[0]!.actor, `admin:${(await account(w.app, ADMIN2)).id}`);

    const signin = await w.app.sessions.signIn(USER, temp, RC);
    assert.ok(signin.ok);
    assert.equal(signin.value.account.mustChangePassword, true);
    assert.ok(!(await w.app.sessions.signIn(USER, pw(w, USER), RC)).ok, 'the old password is gone');

    const row = await w.app.store.admin.getTempPassword(user.id);
    assert.ok(row && row.expiresAt - Date.now() > 23.9 * 3_600_000);
    await w.app.store.admin.setTempPassword({ ...row, expiresAt: Date.now() - 1 });
    assert.deepEqual(await w.app.sessions.signIn(USER, temp, RC), { ok: false, error: 'invalid_credentials' });
    const failed = await w.app.store.audit.list({ accountId: user.id, type: 'signin.failed', limit: 1 });
    assert.equal(failed[0]!.outcome, 'temp_password_expired');
  });

  it('generateTempPassword meets the tenant minimum', () => {
    const random = w.app.random;
    assert.ok(generateTempPassword(random, 15, []).length >= 23);
    assert.ok(generateTempPassword(random, 64, []).length >= 64);
    const many = new Set(Array.from({ length: 50 }, () => generateTempPassword(random, 15, [])));
    assert.equal(many.size, 50, 'drawn from the Random port, never repeating');
  });
});

describe('AdminService: who may do what', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  it('every denial of assistedReset, unblock, prefillMethod, setRole changes nothing and is audited', async () => {
    const admin = await adminActor(w.app, ADMIN);
    const admin2 = await adminActor(w.app, ADMIN2);
    const adminAcc = await account(w.app, ADMIN);
    const admin2Acc = await account(w.app, ADMIN2);
    const before = JSON.stringify([
      adminAcc,
      admin2Acc,
      w.fab.user,
      await w.app.store.directory.getAccount(w.fab.user.id),
    ]);
    const cases: [string, Promise<{ ok: boolean; error?: string }>, string][] = [
      [
        'tenant admin resets a global admin',
        w.app.admin.assistedReset(admin2, adminAcc.id, 'link', RC),
        'needs_global_admin',
      ],
      [
        'tenant admin temp-resets a global admin',
        w.app.admin.assistedReset(admin2, adminAcc.id, 'temp_password', RC),
        'needs_global_admin',
      ],
      ['admin resets themselves', w.app.admin.assistedReset(admin, adminAcc.id, 'temp_password', RC), 'self'],
      ['admin2 resets themselves', w.app.admin.assistedReset(admin2, admin2Acc.id, 'link', RC), 'self'],
      [
        'Contoso admin resets a Fabrikam user',
        w.app.admin.assistedReset(admin, w.fab.user.id, 'temp_password', RC),
        'other_tenant',
      ],
      ['Contoso admin unblocks Fabrikam', w.app.admin.unblock(admin, w.fab.user.id, RC), 'other_tenant'],
      ['tenant admin unblocks a global admin', w.app.admin.unblock(admin2, adminAcc.id, RC), 'needs_global_admin'],
      [
        'Contoso admin pre-fills Fabrikam',
        w.app.admin.prefillMethod(admin, w.fab.user.id, 'email', 'evil@attacker.example', RC),
        'other_tenant',
      ],
      [
        'tenant admin pre-fills a global admin',
        w.app.admin.prefillMethod(admin2, adminAcc.id, 'email', 'evil@attacker.example', RC),
        'needs_global_admin',
      ],
      [
        'tenant admin changes a role',
        w.app.admin.setRole(admin2, (await account(w.app, USER)).id, 'admin', RC),
        'needs_global_admin',
      ],
      ['global admin changes their own role', w.app.admin.setRole(admin, adminAcc.id, 'user', RC), 'self'],
      ['Contoso admin promotes in Fabrikam', w.app.admin.setRole(admin, w.fab.user.id, 'admin', RC), 'other_tenant'],
      [
        'operator makes a global admin',
        w.app.admin.setRole(OPERATOR, (await account(w.app, USER)).id, 'global_admin', RC),
        'not_allowed',
      ],
      [
        'API key changes a role',
        w.app.admin.setRole(
          { kind: 'api_key', keyId: 'k', tenantId: adminAcc.tenantId, scopes: ['users:write'] },
          (await account(w.app, USER)).id,
          'admin',
          RC,
        ),
        'not_allowed',
      ],
      ['unknown account', w.app.admin.assistedReset(admin, 'nope', 'link', RC), 'account_not_found'],
    ];
    for (const [what, promise, expected] of cases) {
      const r = await promise;
      assert.equal(r.ok, false, what);
      assert.equal(r.error, expected, what);
    }
    const after = JSON.stringify([
      await account(w.app, ADMIN),
      await account(w.app, ADMIN2),
      w.fab.user,
      await w.app.store.directory.getAccount(w.fab.user.id),
    ]);
    assert.equal(after, before, 'nothing changed');
    assert.equal(
      (await w.app.store.directory.listMethods(w.fab.user.id)).find((m) => m.kind === 'email')!.value,
      FABRIKAM.user.email,
    );
    assert.equal(
      (await w.app.store.outbox.list({ limit: 1000 })).filter((m) => m.template.startsWith('admin.')).length,
      0,
    );
    const contosoDenials = await denials(w.app, adminAcc.tenantId);
    assert.equal(contosoDenials.length, cases.length - 1, 'every refusal but the unknown id is audited');
    assert.deepEqual(await denials(w.app, w.fab.admin.tenantId), [], "nothing in Fabrikam's log");
  });

  it('unblock and prefillMethod work, notify and audit', async () => {
    const admin = await adminActor(w.app, ADMIN2);
    const user = await account(w.app, USER);
    await w.app.store.lockouts.block(user.id, Date.now());
    let d = await w.app.admin.getUser(admin, user.id);
    assert.ok(d.ok && d.value.blocked && d.value.blockedUntil !== null);
    assert.ok((await w.app.admin.unblock(admin, user.id, RC)).ok);
    d = await w.app.admin.getUser(admin, user.id);
    assert.ok(d.ok && !d.value.blocked);
    const ev = await w.app.store.audit.list({ accountId: user.id, type: 'admin.self_service_unblocked' });
    assert.equal(ev[0]!.details.wasBlocked, true);

    assert.deepEqual(await w.app.admin.prefillMethod(admin, user.id, 'email', 'not an email', RC), {
      ok: false,
      error: 'email_invalid',
      detail: '"not an email" is not an email address like name@example.com.',
    });
    assert.ok((await w.app.admin.prefillMethod(admin, user.id, 'email', 'casey@new.example', RC)).ok);
    const methods = await w.app.store.directory.listMethods(user.id);
    const email = methods.find((m) => m.kind === 'email')!;
    assert.equal(email.value, 'casey@new.example');
    assert.ok(email.verifiedAt !== null);
    const messages = await sent(w.app);
    const told = messages
      .filter((m) => m.subject === 'Alternate email address for password reset changed')
      .map((m) => m.to);
    assert.ok(told.includes('casey@new.example') && told.includes('user@personal.example') && told.includes(USER));
    const pre = await w.app.store.audit.list({ accountId: user.id, type: 'admin.method_prefilled' });
    assert.equal(pre[0]!.details.value, 'c••••@new.example');
    assert.equal(pre[0]!.details.previous, 'u••••@personal.example');
    assert.ok(!JSON.stringify(pre).includes('casey@new.example'), 'masked in the audit log');
  });

  it('setRole: a global admin promotes; an operator promotes to admin; both audited', async () => {
    const admin = await adminActor(w.app, ADMIN);
    const user = await account(w.app, USER);
    assert.ok((await w.app.admin.setRole(admin, user.id, 'admin', RC)).ok);
    assert.equal((await account(w.app, USER)).role, 'admin');
    assert.ok((await w.app.admin.setRole(admin, user.id, 'user', RC)).ok);
    assert.ok((await w.app.admin.setRole(OPERATOR, w.fab.user.id, 'admin', RC)).ok);
    assert.equal((await w.app.store.directory.getAccount(w.fab.user.id))!.role, 'admin');
    const fabEvents = await w.app.store.audit.list({ accountId: w.fab.user.id, type: 'account.role_changed' });
    assert.equal(fabEvents[0]!.actor, 'operator:op-1');
    const events = await w.app.store.audit.list({ accountId: user.id, type: 'account.role_changed' });
    assert.deepEqual(
      events.map((e) => [e.details.from, e.details.to, e.actor]),
      [
        ['admin', 'user', `admin:${(await account(w.app, ADMIN)).id}`],
        ['user', 'admin', `admin:${(await account(w.app, ADMIN)).id}`],
      ],
    );
  });
});

describe('AdminService: policy', () => {
  let w: World;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  it('getPolicy/updatePolicy for admins of the tenant; refused for operators and for API keys without policy:write', async () => {
    const admin = await adminActor(w.app, ADMIN2);
    const p = await w.app.admin.getPolicy(admin);
    assert.deepEqual(
      p.ok && p.value,
      (await w.app.store.directory.getTenant((await account(w.app, ADMIN2)).tenantId))!.policy,
    );
    const updated = await w.app.admin.updatePolicy(
      admin,
      {
        userGates: '2',
        passwordMinLength: '12',
        helpdeskUrl: 'https://help.contoso.example/password',
        helpdeskEmail: 'helpdesk@contoso.example',
        smsDailyBudget: '250',
        smsCountries: '+44, +1 +44',
      },
      RC,
    );
    assert.ok(updated.ok);
    assert.equal(updated.value.gates.users.count, 2);
    assert.equal(updated.value.passwordMinLength, 12);
    assert.deepEqual(updated.value.smsCountries, ['+44', '+1']);
    const stored = await w.app.store.directory.getTenant((await account(w.app, ADMIN2)).tenantId);
    assert.deepEqual(stored!.policy, updated.value);
    const ev = await w.app.store.audit.list({ type: 'admin.policy_updated' });
    assert.equal(ev[0]!.actor, `admin:${(await account(w.app, ADMIN2)).id}`);
    assert.equal(ev[0]!.details.userGates, '1 → 2');
    assert.deepEqual(await w.app.admin.getPolicy(OPERATOR), { ok: false, error: 'not_allowed' });
    // a key needs policy:write to change the policy (337dfab gave the policy API its own scopes)
    const key: Actor = { kind: 'api_key', keyId: 'k', tenantId: stored!.id, scopes: ['users:write'] };
    assert.deepEqual(await w.app.admin.updatePolicy(key, { userGates: '1' }, RC), {
      ok: false,
      error: 'scope_missing',
    });
  });

  it('every field is checked within safe bounds, all problems at once', () => {
    const bad = parsePolicyInput(DEFAULT_TENANT_POLICY, {
      userGates: '3',
      passwordMinLength: '7',
      helpdeskUrl: 'http://help.example.com',
      helpdeskEmail: 'not-an-email',
      smsDailyBudget: '100001',
      smsCountries: '+44 uk',
      coolingOffHours: '12',
      surprise: 'x',
    });
    assert.ok(!bad.ok);
    const coolingOffKnown = 'coolingOffHours' in DEFAULT_TENANT_POLICY; // 12 h is fine once the setting exists
    assert.deepEqual(bad.fields.map((f) => f.field).sort(), [
      ...(coolingOffKnown ? [] : ['coolingOffHours']),
      'helpdeskEmail',
      'helpdeskUrl',
      'passwordMinLength',
      'smsCountries',
      'smsDailyBudget',
      'surprise',
      'userGates',
    ]);
    const edges = [
      ['passwordMinLength', '8', true],
      ['passwordMinLength', '64', true],
      ['passwordMinLength', '65', false],
      ['passwordMinLength', '12.5', false],
      ['passwordMinLength', '-9', false],
      ['smsDailyBudget', '0', true],
      ['smsDailyBudget', '100000', true],
      ['helpdeskUrl', 'javascript:alert(1)', false],
      ['helpdeskUrl', 'https://user:pw@help.example.com', false],
      ['helpdeskUrl', 'https://help.example.com/a b', false],
      ['helpdeskUrl', '', true],
      ['smsCountries', '', true],
      ['smsCountries', '+0', false],
      ['smsCountries', '+1\r\n+44', true],
    ] as const;
    for (const [field, value, good] of edges) {
      assert.equal(
        parsePolicyInput(DEFAULT_TENANT_POLICY, { [field]: value }).ok,
        good,
        `${field}=${JSON.stringify(value)}`,
      );
    }
    const cleared = parsePolicyInput(
      { ...DEFAULT_TENANT_POLICY, helpdeskUrl: 'https://x.example/', smsCountries: ['+44'] },
      { helpdeskUrl: '', smsCountries: ' ' },
    );
    assert.ok(cleared.ok && cleared.value.helpdeskUrl === null && cleared.value.smsCountries === null);
  });
});
