// The password written to a real Active Directory (Samba AD DC) by the one credential change:
// unicodePwd over LDAPS, complexity refusals (0000052D) that leave the flow on the new-password
// step, sspr's own history where Samba skips its history on resets (no policy-hints control), a
// temporary password that forces a change (bind data 773), a service account without the reset
// right, and the directory going away in the middle of a reset. One DC for the file, an OU per file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RESET_PAGE_TEXT, STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { freePort } from '../helpers/free-port.ts';
import { adSettings } from './directory-kit.ts';
import {
  RC,
  addDirectoryAccount,
  addDirectoryTenant,
  addHelpdeskAdmin,
  assertRefusedUnchanged,
  auditOf,
  completedNotices,
  entryOf,
  openSession,
  reachNewPassword,
  saveDirectorySettings,
  sessionRevoked,
  type DirectoryTenant,
} from './directory-reset-kit.ts';
import { AD_ADMIN_PASSWORD, adUserLdif, startSambaDc, type SambaDc } from './samba.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_AD_RESET_BIND';
const NORIGHTS_ENV = 'SSPR_DIRECTORY_TEST_AD_RESET_NORIGHTS';
const NORIGHTS_PASSWORD = 'Svc-No-Rights-Pass-1';
let dc: SambaDc;
let ou: string;
let t: TestApp;
const clock = new ManualClock();
const tenants: DirectoryTenant[] = [];
let n = 0;
const timings: number[] = [];
const tag = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;

before(async () => {
  process.env[BIND_ENV] = AD_ADMIN_PASSWORD;
  process.env[NORIGHTS_ENV] = NORIGHTS_PASSWORD;
  dc = await startSambaDc();
  ou = dc.ou(`reset-${tag}`);
  dc.ldapmodify(adUserLdif(ou, { sam: `norights${tag}`, name: 'Service Without Rights', password: NORIGHTS_PASSWORD }));
  t = await createTestApp({}, { clock });
});
after(async () => {
  if (timings.length > 0)
    console.log(`ad: password step of a directory reset ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  for (const d of tenants) await d.directory.close();
  await t?.cleanup();
  await dc?.stop();
  delete process.env[BIND_ENV];
  delete process.env[NORIGHTS_ENV];
});

const settings = (overrides: Record<string, unknown> = {}) => adSettings(dc, ou, BIND_ENV, overrides);

/** A person in the DC, their tenant (its own) and their sspr account. */
async function setup(password: string, overrides: Record<string, unknown> = {}) {
  const name = `adreset${++n}`;
  const sam = `p${n}${tag}`;
  dc.ldapmodify(adUserLdif(ou, { sam, name: `Rowan Example${n}`, password }));
  const d = await addDirectoryTenant(t.app, name, settings(overrides));
  tenants.push(d);
  const entry = await entryOf(d, sam);
  const email = `${sam}@home.example`;
  const account = await addDirectoryAccount(t.app, d, entry, { email });
  return { d, entry, account, email, name };
}

async function flowState(flowId: string) {
  return (await t.app.store.flows.get(flowId))?.state;
}

describe('self-service reset against a real Samba AD domain controller', () => {
  test('unicodePwd is written: the new password binds, the old fails, no change forced; the page says history is not checked on resets', async () => {
    const { d, entry, account, email } = await setup('Quiet-Harbour-Lantern-51');
    const session = await openSession(t.app, account);
    const handle = await reachNewPassword(t.app, account, email);
    const view = await t.app.reset.view(handle);
    assert.ok(view.ok);
    const rules = view.value.directoryRules;
    assert.ok(rules);
    assert.equal(rules.complexity, true);
    assert.equal(rules.historyOnReset, false, 'Samba does not advertise the policy-hints control');
    // the console's temporary-password page reads the same (one line there says it)
    assert.equal((await t.app.directoryHealth!.passwordRules(d.tenantId))?.historyOnReset, false);
    assert.equal(view.value.passwordMinLength, 15, "the tenant's 15 is already above the domain's minimum");
    assert.ok(RESET_PAGE_TEXT.newPassword.directoryNoHistoryOnReset.includes('does not check your earlier passwords'));
    const started = performance.now();
    const set = await t.app.reset.setPassword(handle, 'Copper-Meadow-Lantern-7', 'Copper-Meadow-Lantern-7', RC);
    timings.push(performance.now() - started);
    assert.ok(set.ok, !set.ok ? set.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'Copper-Meadow-Lantern-7')).ok, 'the new password binds');
    const old = await d.directory.verifyPassword(entry, 'Quiet-Harbour-Lantern-51');
    assert.equal(!old.ok && old.error, 'wrong_password');
    assert.doesNotMatch(dc.ldapsearch(entry.dn, '(objectClass=*)', ['pwdLastSet']), /pwdLastSet: 0$/m);
    assert.equal(await flowState(handle.flowId), 'completed');
    assert.equal(await sessionRevoked(t.app, session), true);
    assert.equal(await completedNotices(t.app, account.id), 2);
  });

  test('a password the domain finds too simple (0000052D) is refused with its own message; the flow stays, nothing happens; a complex one then works', async () => {
    const { d, entry, account, email } = await setup('Quiet-Harbour-Lantern-52');
    const session = await openSession(t.app, account);
    const handle = await reachNewPassword(t.app, account, email);
    const simple = await t.app.reset.setPassword(
      handle,
      'violettractorharbourpencil',
      'violettractorharbourpencil',
      RC,
    );
    assert.equal(!simple.ok && simple.error, 'directory_not_complex');
    assert.match(STEP_PROBLEMS.directory_not_complex.message, /three kinds/);
    await assertRefusedUnchanged(t.app, d, {
      handle,
      session,
      account,
      entry,
      password: 'Quiet-Harbour-Lantern-52',
      refusal: 'not_complex',
      diagnostic: /0000052D/,
    });
    const second = await t.app.reset.setPassword(handle, 'Saffron-Glacier-Teapot-9', 'Saffron-Glacier-Teapot-9', RC);
    assert.ok(second.ok, !second.ok ? second.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'Saffron-Glacier-Teapot-9')).ok);
    assert.equal(await flowState(handle.flowId), 'completed');
  });

  test("Samba skips its history on resets: sspr's own history still refuses a password set through sspr", async () => {
    const { account, email } = await setup('Quiet-Harbour-Lantern-53');
    const first = await reachNewPassword(t.app, account, email);
    assert.ok((await t.app.reset.setPassword(first, 'Orchid-Canyon-Pebble-4', 'Orchid-Canyon-Pebble-4', RC)).ok);
    clock.advance(60_000);
    const second = await reachNewPassword(t.app, account, email);
    const again = await t.app.reset.setPassword(second, 'Orchid-Canyon-Pebble-4', 'Orchid-Canyon-Pebble-4', RC);
    assert.equal(!again.ok && again.error, 'password_reused');
  });

  test('a temporary password from the console forces a change at next logon (bind answers data 773)', async () => {
    const { d, entry, account } = await setup('Quiet-Harbour-Lantern-54');
    const admin = await addHelpdeskAdmin(t.app, d);
    const r = await t.app.admin.assistedReset({ kind: 'admin', account: admin }, account.id, 'temp_password', RC);
    assert.ok(r.ok && r.value.mode === 'temp_password', JSON.stringify(r));
    const bind = await d.directory.verifyPassword(entry, r.value.tempPassword);
    assert.equal(!bind.ok && bind.error, 'must_change', !bind.ok ? bind.detail : 'bound');
    assert.match(!bind.ok ? (bind.detail ?? '') : '', /773/);
  });

  test('a service account without the reset right: "contact your administrator", the diagnostic in the audit log only', async () => {
    const { account, email } = await setup('Quiet-Harbour-Lantern-55', {
      bindDn: `CN=Service Without Rights,${ou}`,
      bindPassword: `env:${NORIGHTS_ENV}`,
    });
    const handle = await reachNewPassword(t.app, account, email);
    const r = await t.app.reset.setPassword(handle, 'Lilac-Summit-Harbour-3', 'Lilac-Summit-Harbour-3', RC);
    assert.equal(!r.ok && r.error, 'directory_not_allowed');
    assert.equal(!r.ok && r.detail, undefined);
    assert.equal(await flowState(handle.flowId), 'new_password');
    const refused = (await auditOf(t.app, account.id)).find((e) => e.type === 'directory.write_refused');
    assert.equal(refused?.details.refusal, 'not_allowed');
    assert.match(String(refused?.details.diagnostic), /\b50\b|INSUFF_ACCESS|access/i);
  });

  test('the directory goes away mid-flow (its only URL dead): unreachable, the flow stays open; back, the same flow completes', async () => {
    const { d, entry, account, email, name } = await setup('Quiet-Harbour-Lantern-56');
    const handle = await reachNewPassword(t.app, account, email);
    clock.advance(1);
    await saveDirectorySettings(t.app, d.tenantId, settings({ urls: [`ldaps://127.0.0.1:${await freePort()}`] }));
    const down = await t.app.reset.setPassword(handle, 'Indigo-Willow-Comet-8', 'Indigo-Willow-Comet-8', RC);
    assert.equal(!down.ok && down.error, 'directory_unreachable');
    assert.equal(await flowState(handle.flowId), 'new_password');
    clock.advance(10_000);
    const report = await t.app.directoryHealth!.report();
    assert.equal(report.find((e) => e.tenant === name)?.status, 'unreachable');
    clock.advance(1);
    await saveDirectorySettings(t.app, d.tenantId, settings());
    const up = await t.app.reset.setPassword(handle, 'Indigo-Willow-Comet-8', 'Indigo-Willow-Comet-8', RC);
    assert.ok(up.ok, !up.ok ? up.error : '');
    assert.ok((await d.directory.verifyPassword(entry, 'Indigo-Willow-Comet-8')).ok);
    const metrics = await t.app.metrics.render();
    assert.match(
      metrics,
      /sspr_directory_operations_total\{kind="ad",operation="set_password",outcome="not_complex"\} [1-9]/,
    );
  });
});
