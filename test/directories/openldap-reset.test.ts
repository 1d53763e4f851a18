// The password written to a real OpenLDAP (slapd with ppolicy) by the one credential change: a
// self-service reset through the App's services, refusals that leave the flow on the new-password
// step, a temporary password that sets pwdReset, a service account without rights, and a directory
// that goes down in the middle of a reset. Each test has its own tenant and its own person.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/compose.ts';
import { flowCookieSpec, flowCookieValue } from '../../src/http/reset/flow-cookie.ts';
import { buildServer } from '../../src/http/server.ts';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { h1, TestBrowser } from '../http/reset-pages-kit.ts';
import {
  RC,
  addDirectoryAccount,
  addDirectoryTenant,
  addHelpdeskAdmin,
  assertRefusedUnchanged,
  auditOf,
  completedNotices,
  entryOf,
  newestEmail,
  openSession,
  reachNewPassword,
  sessionRevoked,
  type DirectoryTenant,
} from './directory-reset-kit.ts';
import { addLdapPerson, ldapSettings } from './directory-kit.ts';
import { READONLY_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from './slapd.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_OPENLDAP_RESET_BIND';
/** The directory's minimum (ppolicy pwdMinLength), above the tenant's 15: sspr must take it. */
const DIRECTORY_MIN = 20;
let slapd: Slapd;
let t: TestApp;
let server: FastifyInstance;
/** Everything the App logged at warn and above. */
let logs = '';
const clock = new ManualClock();
const tenants: DirectoryTenant[] = [];
let n = 0;
/** ms per successful self-service reset's password step (directory write + transaction). */
const timings: number[] = [];

before(async () => {
  process.env[BIND_ENV] = SERVICE_PASSWORD;
  slapd = await startSlapd({ policy: { pwdMinLength: String(DIRECTORY_MIN) } });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs += chunk.toString();
      done();
    },
  });
  t = await createTestApp({ SSPR_LOG_LEVEL: 'warn' }, { clock, logger: createLogger({ log_level: 'warn' }, sink) });
  server = await buildServer(t.app, { logger: false });
});
after(async () => {
  if (timings.length > 0)
    console.log(`openldap: password step of a directory reset ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  for (const d of tenants) await d.directory.close();
  await server?.close();
  await t?.cleanup();
  await slapd?.stop();
  delete process.env[BIND_ENV];
});

/** A person in slapd (uid, initial password) and their tenant and sspr account. */
async function setup(options: { password: string; bindDn?: string }) {
  const name = `ldapreset${++n}`;
  const uid = `person${n}`;
  addLdapPerson(slapd, { uid, name: `Rowan Example${n}`, password: options.password });
  const d = await addDirectoryTenant(
    t.app,
    name,
    ldapSettings(slapd, BIND_ENV, options.bindDn ? { bindDn: options.bindDn } : {}),
  );
  tenants.push(d);
  const entry = await entryOf(d, uid);
  const email = `${uid}@home.example`;
  const account = await addDirectoryAccount(t.app, d, entry, { email });
  return { d, entry, account, email };
}

async function flowState(flowId: string) {
  return (await t.app.store.flows.get(flowId))?.state;
}

describe('self-service reset against a real slapd (ppolicy)', () => {
  test('the new password is written to the directory: it binds, the old one fails; then the flow completes, sessions end, the notice goes out', async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-41' });
    const session = await openSession(t.app, account);
    const handle = await reachNewPassword(t.app, account, email);
    const view = await t.app.reset.view(handle);
    assert.ok(view.ok);
    assert.equal(view.value.passwordMinLength, DIRECTORY_MIN, "sspr's minimum is raised to the directory's");
    assert.deepEqual(
      { ...view.value.directoryRules },
      { minLength: DIRECTORY_MIN, complexity: true, history: 3, minAgeMs: null, historyOnReset: true },
    );
    // the JSON API shows the same rules on that step
    const api = await server.inject({
      url: '/api/v1/reset/flow',
      headers: { 'x-flow-secret': `${handle.flowId}.${handle.secret}` },
    });
    assert.equal(api.statusCode, 200);
    const flow = api.json<{ flow: { passwordMinLength: number; directoryRules: { history: number } } }>().flow;
    assert.equal(flow.passwordMinLength, DIRECTORY_MIN);
    assert.equal(flow.directoryRules.history, 3);
    const started = performance.now();
    const set = await t.app.reset.setPassword(
      handle,
      'copper meadow lantern violin',
      'copper meadow lantern violin',
      RC,
    );
    timings.push(performance.now() - started);
    assert.ok(set.ok, !set.ok ? set.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'copper meadow lantern violin')).ok, 'the new password binds');
    const old = await d.directory.verifyPassword(entry, 'Quiet-Harbour-Lantern-41');
    assert.equal(!old.ok && old.error, 'wrong_password', 'the old one fails');
    assert.doesNotMatch(slapd.ldapsearch(entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
    assert.equal(await flowState(handle.flowId), 'completed');
    assert.equal(await sessionRevoked(t.app, session), true);
    assert.equal(await completedNotices(t.app, account.id), 2, 'to the login address and the alternate email');
    const after = await t.app.store.directory.getAccount(account.id);
    assert.equal(after?.passwordHash, null, 'sspr keeps no password of a directory account');
    assert.equal((await t.app.store.passwordHistory.recent(account.id, 5)).length, 1, 'but remembers its hash');
    const changed = (await auditOf(t.app, account.id)).find((e) => e.type === 'password.changed');
    assert.equal(changed?.details.directory, 'ldap');
  });

  test("sspr is never weaker than the directory: shorter than ppolicy's 20 is refused by sspr before the directory is asked", async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-42' });
    const handle = await reachNewPassword(t.app, account, email);
    const short = await t.app.reset.setPassword(handle, 'amber violet stone', 'amber violet stone', RC); // 18
    assert.equal(!short.ok && short.error, 'password_too_short');
    assert.equal(await flowState(handle.flowId), 'new_password');
    assert.ok((await d.directory.verifyPassword(entry, 'Quiet-Harbour-Lantern-42')).ok, 'unchanged');
  });

  test("a password in the directory's history is refused with its own message; the flow stays, nothing is completed, revoked or sent; another password then works", async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-43' });
    const session = await openSession(t.app, account);
    const handle = await reachNewPassword(t.app, account, email);
    // sspr has never seen this password (set in the directory directly): the directory refuses it
    // ("not being changed from existing value": the current one counts as used before)
    const reused = await t.app.reset.setPassword(handle, 'Quiet-Harbour-Lantern-43', 'Quiet-Harbour-Lantern-43', RC);
    assert.equal(!reused.ok && reused.error, 'directory_in_history');
    assert.match(STEP_PROBLEMS.directory_in_history.message, /Choose a new one/);
    await assertRefusedUnchanged(t.app, d, {
      handle,
      session,
      account,
      entry,
      password: 'Quiet-Harbour-Lantern-43',
      refusal: 'in_history',
      diagnostic: /existing value/,
    });
    // the same page, another password
    const view = await t.app.reset.view(handle);
    assert.ok(view.ok && view.value.state === 'new_password');
    const second = await t.app.reset.setPassword(
      handle,
      'saffron glacier teapot meridian',
      'saffron glacier teapot meridian',
      RC,
    );
    assert.ok(second.ok, !second.ok ? second.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'saffron glacier teapot meridian')).ok);
    assert.equal(await flowState(handle.flowId), 'completed');
    assert.equal(await sessionRevoked(t.app, session), true);
  });

  test("sspr's own history refuses a password it set before, before the directory is asked", async () => {
    const { account, email } = await setup({ password: 'Quiet-Harbour-Lantern-44' });
    const first = await reachNewPassword(t.app, account, email);
    assert.ok(
      (await t.app.reset.setPassword(first, 'orchid canyon pebble falcon', 'orchid canyon pebble falcon', RC)).ok,
    );
    const second = await reachNewPassword(t.app, account, email);
    const again = await t.app.reset.setPassword(
      second,
      'orchid canyon pebble falcon',
      'orchid canyon pebble falcon',
      RC,
    );
    assert.equal(!again.ok && again.error, 'password_reused');
  });

  test('a temporary password from the console sets pwdReset: the person must change it at the next bind', async () => {
    const { d, entry, account } = await setup({ password: 'Quiet-Harbour-Lantern-45' });
    const admin = await addHelpdeskAdmin(t.app, d);
    const r = await t.app.admin.assistedReset({ kind: 'admin', account: admin }, account.id, 'temp_password', RC);
    assert.ok(r.ok && r.value.mode === 'temp_password', JSON.stringify(r));
    assert.match(slapd.ldapsearch(entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
    assert.ok((await d.directory.verifyPassword(entry, r.value.tempPassword)).ok, 'the temporary password binds');
    assert.equal((await t.app.store.directory.getAccount(account.id))?.mustChangePassword, true);

    // it signs in to sspr for 24 h (to the forced change) — then no longer, though the directory
    // would still take it: sspr holds its hash, not the account's
    const fresh = await t.app.sessions.signIn(account.login, r.value.tempPassword, RC);
    assert.ok(fresh.ok, !fresh.ok ? fresh.error : '');
    assert.equal(fresh.value.account.mustChangePassword, true);
    clock.advance(24 * 3_600_000 + 1);
    const late = await t.app.sessions.signIn(account.login, r.value.tempPassword, RC);
    assert.equal(!late.ok && late.error, 'invalid_credentials', 'an expired temporary password no longer signs in');
    const events = await t.app.store.audit.list({ accountId: account.id, type: 'signin.failed' });
    assert.ok(
      events.some((e) => e.outcome === 'temp_password_expired'),
      'audited as expired',
    );
    // a password the person set in the directory since then (here by the directory's own admin) still signs in
    slapd.ldapmodify(
      `dn: ${entry.dn}\nchangetype: modify\nreplace: userPassword\nuserPassword: Amber-Orbit-Canyon-77\n`,
    );
    const own = await t.app.sessions.signIn(account.login, 'Amber-Orbit-Canyon-77', RC);
    assert.ok(own.ok, !own.ok ? own.error : '');
  });

  test("an admin's one-time link: a refusal keeps the link's page usable, the next password goes to the directory; the CLI's --must-change sets pwdReset", async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-48' });
    const admin = await addHelpdeskAdmin(t.app, d);
    const sent = await t.app.admin.assistedReset({ kind: 'admin', account: admin }, account.id, 'link', RC);
    assert.ok(sent.ok, JSON.stringify(sent));
    const token = /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(
      await newestEmail(t.app, email, 'admin.reset_link'),
    )?.[1];
    assert.ok(token);
    const redeemed = await t.app.admin.assisted.redeem(token, RC);
    assert.ok(redeemed.ok);
    const grant = redeemed.value.grant;
    const refused = await t.app.admin.assisted.setPassword(
      grant,
      'Quiet-Harbour-Lantern-48',
      'Quiet-Harbour-Lantern-48',
      RC,
    );
    assert.equal(!refused.ok && refused.error, 'directory_in_history');
    assert.ok((await t.app.admin.assisted.view(grant)).ok, 'the grant still works');
    const set = await t.app.admin.assisted.setPassword(
      grant,
      'garnet river compass tulip',
      'garnet river compass tulip',
      RC,
    );
    assert.ok(set.ok, !set.ok ? set.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'garnet river compass tulip')).ok);
    // the command line: sspr user set-password --must-change
    const cli = await t.app.directory.setPassword({
      login: account.login,
      password: 'pewter lagoon almond ribbon',
      mustChange: true,
      actor: 'cli',
    });
    assert.ok(cli.ok, !cli.ok ? cli.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'pewter lagoon almond ribbon')).ok);
    assert.match(slapd.ldapsearch(entry.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
  });

  test('a service account without write rights: "contact your administrator", the diagnostic only in the audit log', async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-46', bindDn: READONLY_DN });
    const handle = await reachNewPassword(t.app, account, email);
    const r = await t.app.reset.setPassword(handle, 'lilac summit harbour quill', 'lilac summit harbour quill', RC);
    assert.equal(!r.ok && r.error, 'directory_not_allowed');
    assert.equal(!r.ok && r.detail, undefined, 'no diagnostic reaches the person');
    assert.match(STEP_PROBLEMS.directory_not_allowed.message, /Contact your administrator/);
    assert.equal(await flowState(handle.flowId), 'new_password');
    const refused = (await auditOf(t.app, account.id)).find((e) => e.type === 'directory.write_refused');
    assert.equal(refused?.details.refusal, 'not_allowed');
    assert.match(String(refused?.details.diagnostic), /50|insufficient/i);
    assert.ok((await d.directory.verifyPassword(entry, 'Quiet-Harbour-Lantern-46')).ok, 'unchanged');
  });

  test('the directory goes down mid-flow: "unavailable right now", the flow stays open until its deadline, readyz and metrics say so; back up, the same flow completes', async () => {
    const { d, entry, account, email } = await setup({ password: 'Quiet-Harbour-Lantern-47' });
    const handle = await reachNewPassword(t.app, account, email);
    const health = t.app.directoryHealth;
    assert.ok(health);
    const mine = async () => (await health.report()).find((e) => e.tenant === `ldapreset${n}`);
    assert.equal((await mine())?.status, 'ok');
    await slapd.pause();
    try {
      const down = await t.app.reset.setPassword(
        handle,
        'indigo willow harbour comet',
        'indigo willow harbour comet',
        RC,
      );
      assert.equal(!down.ok && down.error, 'directory_unreachable');
      const view = await t.app.reset.view(handle);
      assert.ok(view.ok && view.value.state === 'new_password', 'the flow still waits for a password');
      assert.equal(!down.ok && Number(down.detail), view.value.expiresAt, 'the page can say until when');
      clock.advance(10_000);
      assert.equal((await mine())?.status, 'unreachable', 'readyz reports the tenant’s directory');
      const ready = await server.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 200, "one tenant's directory does not take the instance out of service");
      assert.deepEqual(
        ready
          .json<{ directories: unknown[] }>()
          .directories.find((e) => (e as { tenant: string }).tenant === `ldapreset${n}`),
        { tenant: `ldapreset${n}`, kind: 'ldap', status: 'unreachable' },
      );
      // the page: still the new-password step, with what happened and until when the reset waits
      const b = new TestBrowser(server);
      b.cookies.set(flowCookieSpec(t.app.config.public_url).name, flowCookieValue(handle));
      await b.get('/reset/flow');
      const page = await b.post('/reset/flow/password', {
        password: 'indigo willow harbour comet',
        confirm: 'indigo willow harbour comet',
      });
      assert.equal(page.statusCode, 503);
      assert.equal(h1(page.body), 'Choose a new password');
      assert.match(page.body, /Password changes are unavailable right now/);
      assert.match(page.body, /Nothing was changed\. Try again in a few minutes\. Your reset stays open until \d/);
      // the log has the diagnostic for the operator, never a password
      assert.match(logs, /"event":"directory\.refused".*"refusal":"unreachable".*"diagnostic":"[^"]+/);
      assert.doesNotMatch(logs, /indigo willow|Quiet-Harbour/);
      const cli = await t.app.directory.setPassword({
        login: account.login,
        password: 'indigo willow harbour comet',
        actor: 'cli',
      });
      assert.equal(!cli.ok && cli.error, 'directory_unreachable');
      assert.match(!cli.ok ? (cli.detail ?? '') : '', /Nothing was changed/);
    } finally {
      await slapd.start();
    }
    const up = await t.app.reset.setPassword(handle, 'indigo willow harbour comet', 'indigo willow harbour comet', RC);
    assert.ok(up.ok, !up.ok ? up.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'indigo willow harbour comet')).ok);
    clock.advance(10_000);
    assert.equal((await mine())?.status, 'ok');
    const metrics = await t.app.metrics.render();
    assert.match(
      metrics,
      /sspr_directory_operations_total\{kind="ldap",operation="find",outcome="unreachable"\} [1-9]/,
    );
    assert.match(metrics, /sspr_directory_operations_total\{kind="ldap",operation="set_password",outcome="ok"\} [1-9]/);
  });
});
