// `sspr directory sync` against a real Samba AD domain controller: accounts keyed by objectGUID,
// disabled state from userAccountControl, administrators from nested group membership and from
// protected accounts (adminCount=1). The run's one DC: everything here works in one OU.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Account } from '../../src/core/directory-model.ts';
import type { SyncReport } from '../../src/service/directory-sync.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { adRolesLdif, adSettings } from './directory-kit.ts';
import { saveDirectorySettings } from './directory-reset-kit.ts';
import { AD_ADMIN_PASSWORD, adUserLdif, startSambaDc, type SambaDc } from './samba.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_AD_SYNC_BIND';
const DOMAIN = 'adsync.test';
// sAMAccountNames are unique in the whole domain, and the run's one DC serves the other AD files too
const sam = (name: string): string => `${name}-syn`;
let dc: SambaDc;
let ou: string;
let t: TestApp;
let tenantId: string;
const clock = new ManualClock();
const groupDn = (cn: string) => `CN=${cn},${ou}`;
const userDn = (name: string) => `CN=${name},${ou}`;

before(async () => {
  process.env[BIND_ENV] = AD_ADMIN_PASSWORD;
  dc = await startSambaDc();
  ou = dc.ou(`sync-${process.pid}-${Date.now().toString(36)}`);
  dc.ldapmodify(
    [
      {
        sam: sam('alice'),
        name: 'Alice Example',
        password: 'Alice-Old-Pass-1',
        mail: 'alice@personal.example',
        mobile: '+15555550111',
      },
      { sam: sam('bob'), name: 'Bob Admin', password: 'Bob-Old-Pass-1' },
      { sam: sam('carol'), name: 'Carol Renamed', password: 'Carol-Old-Pass-1' },
      { sam: sam('dave'), name: 'Dave Disabled', password: 'Dave-Old-Pass-1' },
      { sam: sam('erin'), name: 'Erin Protected', password: 'Erin-Old-Pass-1' },
    ]
      .map((u) => adUserLdif(ou, u))
      .join('\n'),
  );
  // nested admin groups: bob ∈ helpdesk ∈ sspr-admins; dave disabled (514); erin a protected account
  dc.ldapmodify(adRolesLdif(ou, 'sync-'));
  t = await createTestApp({}, { clock });
  const tenant = await t.app.directory.createTenant({ name: 'ad-sync', domains: [DOMAIN], actor: 'cli' });
  assert.ok(tenant.ok);
  tenantId = tenant.value.id;
  await saveSettings({});
});
after(async () => {
  await t?.cleanup();
  await dc?.stop();
  delete process.env[BIND_ENV];
});

async function saveSettings(overrides: Record<string, unknown>): Promise<void> {
  clock.advance(1);
  await saveDirectorySettings(
    t.app,
    tenantId,
    adSettings(dc, ou, BIND_ENV, { adminGroups: [groupDn('sspr-admins')], ...overrides }),
  );
}

async function sync(): Promise<SyncReport> {
  clock.advance(1000);
  const r = await t.app.directorySync.syncTenant(tenantId, 'cli');
  assert.ok(r.ok, !r.ok ? `${r.error} ${r.detail}` : '');
  assert.equal(r.value.failure, null, r.value.failure?.detail ?? '');
  return r.value;
}

/** This file's person `short` in sspr. */
async function account(short: string): Promise<Account> {
  const a = await t.app.store.directory.findAccountByLogin(`${sam(short)}@${DOMAIN}`);
  assert.ok(a, `${short} exists in sspr`);
  return a;
}

describe('directory sync against a real Samba AD domain controller', () => {
  test('accounts keyed by objectGUID: userAccountControl disabled, nested group admin, adminCount=1 admin; then changes follow', async () => {
    const first = await sync();
    assert.deepEqual([first.listed, first.created, first.skipped], [5, 5, []]);
    const alice = await account('alice');
    assert.match(alice.externalId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual([alice.role, alice.enabled, alice.passwordHash], ['user', true, null]);
    assert.equal((await account('bob')).role, 'admin', 'member of sspr-admins through helpdesk');
    assert.equal((await account('erin')).role, 'admin', 'a protected account (adminCount=1)');
    assert.equal((await account('dave')).enabled, false, 'userAccountControl 514: disabled');
    assert.deepEqual(await t.app.store.directory.listMethods(alice.id), [], 'contact attributes not trusted');

    // disable alice (bit 2), enable dave, rename carol's sAMAccountName, bob leaves the nested group
    dc.ldapmodify(
      [
        `dn: ${userDn('Alice Example')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`,
        `dn: ${userDn('Dave Disabled')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 512\n`,
        `dn: ${userDn('Carol Renamed')}\nchangetype: modify\nreplace: sAMAccountName\nsAMAccountName: ${sam('caroline')}\n-\nreplace: userPrincipalName\nuserPrincipalName: ${sam('caroline')}@sspr.test\n`,
        `dn: ${groupDn('helpdesk')}\nchangetype: modify\ndelete: member\nmember: ${userDn('Bob Admin')}\n`,
      ].join('\n'),
    );
    const carol = await account('carol');
    const second = await sync();
    assert.deepEqual(
      [second.disabled, second.enabled, second.renamed, second.rolesChanged, second.removedDisabled],
      [1, 1, 1, 1, 0],
    );
    assert.equal((await account('alice')).enabled, false);
    assert.equal((await account('dave')).enabled, true);
    const caroline = await account('caroline');
    assert.deepEqual([caroline.id, caroline.externalId], [carol.id, carol.externalId], 'same GUID, same account');
    assert.equal((await account('bob')).role, 'user');
    assert.equal((await account('erin')).role, 'admin');

    // trusted: otherMailbox and mobile seed verified methods
    await saveSettings({ trustContactAttributes: true });
    const seeded = await sync();
    assert.equal(seeded.methodsSeeded, 2);
    const methods = await t.app.store.directory.listMethods(alice.id);
    assert.deepEqual(methods.map((m) => [m.kind, m.value, m.verifiedAt !== null]).sort(), [
      ['email', 'alice@personal.example', true],
      ['phone', '+15555550111', true],
    ]);

    // an account deleted from AD is disabled in sspr
    dc.ldapmodify(`dn: ${userDn('Erin Protected')}\nchangetype: delete\n`);
    const removed = await sync();
    assert.equal(removed.removedDisabled, 1);
    assert.equal((await account('erin')).enabled, false);
  });
});
