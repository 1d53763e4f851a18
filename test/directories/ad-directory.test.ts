import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { adDialect, guidBytes, guidToText } from '../../src/adapters/directory/ad-dialect.ts';
import type { LdapDirectory } from '../../src/adapters/directory/ldap-directory.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import {
  AD_DELEGATED_CHECK_STEPS,
  CONNECTION_DEFAULTS,
  adRolesLdif,
  directoryFactory,
  findEntry,
} from './directory-kit.ts';
import { AD_ADMIN_DN, AD_ADMIN_PASSWORD, AD_TLS_NAME, adUserLdif, startSambaDc, type SambaDc } from './samba.ts';

// sAMAccountNames are unique in the whole domain, and the run's one DC serves the other AD files too
const sam = (name: string): string => `${name}-dir`;
let dc: SambaDc;
let ou: string;
const groupDn = (cn: string) => `CN=${cn},${ou}`;

before(async () => {
  dc = await startSambaDc();
  ou = dc.ou(`adapter-${process.pid}-${Date.now().toString(36)}`);
  const users = [
    {
      sam: sam('alice'),
      name: 'Alice Example',
      password: 'Alice-Old-Pass-1',
      mail: 'alice@personal.example',
      mobile: '+15555550111',
    },
    { sam: sam('bob'), name: 'Bob Admin', password: 'Bob-Old-Pass-1' },
    { sam: sam('carol'), name: 'Carol Locked', password: 'Carol-Old-Pass-1' },
    { sam: sam('dave'), name: 'Dave Disabled', password: 'Dave-Old-Pass-1' },
    { sam: sam('erin'), name: 'Erin Protected', password: 'Erin-Old-Pass-1' },
    { sam: sam('svc-norights'), name: 'Service Without Rights', password: 'Svc-No-Rights-1' },
    { sam: sam('svc-delegated'), name: 'Service Delegated', password: 'Svc-Delegated-1' },
  ];
  dc.ldapmodify(users.map((u) => adUserLdif(ou, u)).join('\n'));
  // nested admin groups: bob ∈ helpdesk ∈ sspr-admins; dave disabled (514); erin a protected account
  dc.ldapmodify(adRolesLdif(ou, ''));
  dc.delegateResetRights(ou, `CN=Service Delegated,${ou}`);
});
after(async () => {
  await dc?.stop();
});

const directory = directoryFactory(
  () => ({
    ...CONNECTION_DEFAULTS,
    urls: [dc.ldapsUrl],
    caPem: dc.caPem,
    tlsServerName: AD_TLS_NAME,
    bindDn: AD_ADMIN_DN,
    bindPassword: AD_ADMIN_PASSWORD,
    baseDn: ou,
    userFilter: '(&(objectCategory=person)(objectClass=user)(|(sAMAccountName={login})(userPrincipalName={login})))',
    attributes: { login: 'sAMAccountName', displayName: 'displayName', email: 'otherMailbox', mobile: 'mobile' },
    adminGroups: [groupDn('sspr-admins')],
  }),
  adDialect,
);
/** The entry of one of this file's people, by its short login ('alice' or 'alice@sspr.test'). */
const find = (d: LdapDirectory, login: string): Promise<DirectoryEntry> => findEntry(d, login.replace(/^[^@]+/, sam));

describe('Active Directory adapter against a real Samba AD domain controller', () => {
  test('objectGUID text form round-trips through the filter encoding', () => {
    const bytes = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    assert.equal(guidToText(bytes), '33221100-5544-7766-8899-aabbccddeeff');
    assert.deepEqual(guidBytes('33221100-5544-7766-8899-aabbccddeeff'), bytes);
    assert.equal(guidBytes('not-a-guid'), null);
  });

  test('an account is found by sAMAccountName or UPN, with its GUID, names, methods and nested admin membership', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    assert.match(alice.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(
      { login: alice.login, name: alice.displayName, email: alice.email, mobile: alice.mobile, admin: alice.admin },
      {
        login: sam('alice'),
        name: 'Alice Example',
        email: 'alice@personal.example',
        mobile: '+15555550111',
        admin: false,
      },
    );
    assert.equal((await find(d, 'alice@sspr.test')).id, alice.id);
    assert.equal((await find(d, 'bob')).admin, true, 'member of sspr-admins through helpdesk');
    const byId = await d.getById(alice.id);
    assert.ok(byId.ok);
    assert.equal(byId.value?.dn, alice.dn);
  });

  test('a typed login never changes the filter', async () => {
    const d = directory();
    for (const login of ['*', 'a*', 'alice)(sAMAccountName=*', '*)(|(objectClass=*']) {
      const r = await d.findByLogin(login);
      assert.ok(r.ok, login);
      assert.equal(r.value, null, `${JSON.stringify(login)} matched ${r.value?.dn}`);
    }
  });

  test('a reset writes unicodePwd over TLS: the new password binds, the old fails, no change is forced', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    const set = await d.setPassword(alice, 'Alice-New-Pass-2', { mustChange: false });
    assert.ok(set.ok, !set.ok ? `${set.error} ${set.detail}` : '');
    assert.ok((await d.verifyPassword(alice, 'Alice-New-Pass-2')).ok);
    const old = await d.verifyPassword(alice, 'Alice-Old-Pass-1');
    assert.equal(!old.ok && old.error, 'wrong_password');
    assert.doesNotMatch(dc.ldapsearch(alice.dn, '(objectClass=*)', ['pwdLastSet']), /pwdLastSet: 0$/m);
  });

  test('a temporary password sets pwdLastSet 0: binding answers "must change" (data 773)', async () => {
    const d = directory();
    const bob = await find(d, 'bob');
    assert.ok((await d.setPassword(bob, 'Bob-Temporary-9x', { mustChange: true })).ok);
    const bind = await d.verifyPassword(bob, 'Bob-Temporary-9x');
    assert.equal(!bind.ok && bind.error, 'must_change', !bind.ok ? bind.detail : 'bound');
  });

  test('refusals: too short (domain minimum read first), not complex (0000052D from the server)', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    const short = await d.setPassword(alice, 'Ab1-x', { mustChange: false });
    assert.equal(!short.ok && short.error, 'too_short');
    const simple = await d.setPassword(alice, 'abcdefghijkl', { mustChange: false });
    assert.equal(!simple.ok && simple.error, 'not_complex', !simple.ok ? simple.detail : 'accepted');
    assert.match(!simple.ok ? (simple.detail ?? '') : '', /0000052D/);
    assert.ok((await d.verifyPassword(alice, 'Alice-New-Pass-2')).ok, 'a refused write changes nothing');
  });

  test('the domain password rules are read, and Samba is reported as not supporting the policy-hints control', async () => {
    const r = await directory().passwordRules();
    assert.ok(r.ok, !r.ok ? r.detail : '');
    assert.deepEqual(r.value, { minLength: 8, complexity: true, history: 3, minAgeMs: 0, historyOnReset: false });
  });

  test('three wrong binds lock the account; unlock (lockoutTime 0) clears it without changing the password', async () => {
    const d = directory();
    let carol = await find(d, 'carol');
    for (let i = 0; i < 3; i++) await d.verifyPassword(carol, `wrong-${i}`);
    carol = await find(d, 'carol');
    assert.equal(carol.locked, true);
    const locked = await d.verifyPassword(carol, 'Carol-Old-Pass-1');
    assert.equal(!locked.ok && locked.error, 'locked');
    assert.ok((await d.unlock(carol)).ok);
    carol = await find(d, 'carol');
    assert.equal(carol.locked, false);
    assert.ok((await d.verifyPassword(carol, 'Carol-Old-Pass-1')).ok);
  });

  test('disabled (userAccountControl) and protected (adminCount=1) accounts are recognised', async () => {
    const d = directory();
    const dave = await find(d, 'dave');
    assert.deepEqual({ disabled: dave.disabled, locked: dave.locked }, { disabled: true, locked: false });
    const bind = await d.verifyPassword(dave, 'Dave-Old-Pass-1');
    assert.equal(!bind.ok && bind.error, 'disabled');
    assert.equal((await find(d, 'erin')).protected, true);
    assert.equal((await find(d, 'alice')).protected, false);
  });

  test('without TLS: sspr refuses password operations; with the lab override the DC refuses the bind itself', async () => {
    const plain = directory({ urls: [dc.url], allowInsecure: false });
    const r = await plain.findByLogin(sam('alice'));
    assert.equal(
      !r.ok && r.error,
      'tls_required',
      'the DC refuses a simple bind over plain LDAP (transport encryption required)',
    );
    const tls = directory({ urls: [dc.url], startTls: true });
    const alice = await find(tls, 'alice');
    assert.ok((await tls.verifyPassword(alice, 'Alice-New-Pass-2')).ok, 'StartTLS works');
    const lab = directory({ urls: [dc.url], allowInsecure: true });
    const bind = await lab.verifyPassword(alice, 'Alice-New-Pass-2');
    assert.equal(!bind.ok && bind.error, 'tls_required', !bind.ok ? bind.detail : 'bound');
  });

  test('a service account without the reset right gets "not allowed", and nothing changes', async () => {
    const admin = directory();
    const alice = await find(admin, 'alice');
    const weak = directory({ bindDn: `CN=Service Without Rights,${ou}`, bindPassword: 'Svc-No-Rights-1' });
    const r = await weak.setPassword(alice, 'Alice-Hijack-Pass-7', { mustChange: false });
    assert.equal(!r.ok && r.error, 'not_allowed', !r.ok ? r.detail : 'accepted');
    assert.ok((await admin.verifyPassword(alice, 'Alice-New-Pass-2')).ok);
  });

  test('directory check: a delegated service account is ready; Samba lacks the policy-hints control and a protected account is listed', async () => {
    const report = await directory({ bindDn: `CN=Service Delegated,${ou}`, bindPassword: 'Svc-Delegated-1' }).check(
      sam('alice'),
    );
    const by = Object.fromEntries(report.steps.map((st) => [st.id, st.status]));
    assert.equal(report.verdict, 'ready', JSON.stringify(report.steps, null, 1));
    assert.deepEqual(by, AD_DELEGATED_CHECK_STEPS);
    assert.match(report.steps.find((st) => st.id === 'protected_accounts')?.detail ?? '', /erin/);
    assert.ok(
      (await directory().verifyPassword(await find(directory(), 'alice'), 'Alice-New-Pass-2')).ok,
      'the probe changed nothing',
    );
  });

  test('directory check: a service account without the delegation is not ready: both rights fail, with what to grant', async () => {
    const report = await directory({
      bindDn: `CN=Service Without Rights,${ou}`,
      bindPassword: 'Svc-No-Rights-1',
    }).check(sam('alice'));
    assert.equal(report.verdict, 'not_ready');
    const reset = report.steps.find((st) => st.id === 'reset_right');
    const unlock = report.steps.find((st) => st.id === 'unlock_right');
    assert.deepEqual([reset?.status, unlock?.status], ['fail', 'fail']);
    assert.match(reset?.fix ?? '', /Reset password/);
    assert.match(unlock?.detail ?? '', /lockoutTime, pwdLastSet/);
  });

  test('the delegated service account resets and unlocks for real', async () => {
    const d = directory({ bindDn: `CN=Service Delegated,${ou}`, bindPassword: 'Svc-Delegated-1' });
    const alice = await find(d, 'alice');
    assert.ok((await d.setPassword(alice, 'Alice-Delegated-3', { mustChange: false })).ok);
    assert.ok((await d.verifyPassword(alice, 'Alice-Delegated-3')).ok);
    assert.ok((await d.unlock(alice)).ok);
  });
});
