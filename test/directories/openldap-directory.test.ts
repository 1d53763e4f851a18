import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openLdapDialect } from '../../src/adapters/directory/openldap-dialect.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import { freePort } from '../helpers/free-port.ts';
import { CONNECTION_DEFAULTS, directoryFactory, findEntry } from './directory-kit.ts';
import {
  ADMINS_GROUP_DN,
  BASE_DN,
  PEOPLE_DN,
  POLICY_DN,
  READONLY_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  groupLdif,
  personLdif,
  startSlapd,
  type Slapd,
} from './slapd.ts';

let slapd: Slapd;

const people = [
  {
    uid: 'alice',
    name: 'Alice Example',
    password: 'Alice-Old-Pass-1',
    mail: 'alice@personal.example',
    mobile: '+15555550111',
  },
  { uid: 'bob', name: 'Bob Admin', password: 'Bob-Old-Pass-1', mail: 'bob@personal.example' },
  { uid: 'carol', name: 'Carol Locked', password: 'Carol-Old-Pass-1' },
  { uid: 'dave', name: 'Dave Disabled', password: 'Dave-Old-Pass-1' },
  { uid: 'erin', name: 'Erin History', password: 'Erin-Old-Pass-1' },
  { uid: 'frank', name: 'Frank Renamed', password: 'Frank-Old-Pass-1' },
];

before(async () => {
  slapd = await startSlapd({
    seed: [
      ...people.map(personLdif),
      groupLdif('sspr-admins', [`uid=bob,${PEOPLE_DN}`]),
      groupLdif('staff', [`uid=alice,${PEOPLE_DN}`]),
    ].join('\n\n'),
  });
  slapd.ldapmodify(
    `dn: uid=dave,${PEOPLE_DN}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`,
  );
});
after(async () => {
  await slapd?.stop();
});

const directory = directoryFactory(
  () => ({
    ...CONNECTION_DEFAULTS,
    urls: [slapd.ldapsUrl],
    caPem: slapd.caPem,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    baseDn: BASE_DN,
    userFilter: '(&(objectClass=inetOrgPerson)(uid={login}))',
    attributes: { login: 'uid', displayName: 'cn', email: 'mail', mobile: 'mobile' },
    adminGroups: [ADMINS_GROUP_DN],
    passwordPolicyDn: POLICY_DN,
  }),
  () => openLdapDialect,
);
const find = findEntry;

describe('OpenLDAP directory adapter against a real slapd with ppolicy', () => {
  test('an account is found by its login with its stable id, names, methods and admin group membership', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    assert.match(alice.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(alice.dn, `uid=alice,${PEOPLE_DN}`);
    assert.deepEqual(
      { login: alice.login, name: alice.displayName, email: alice.email, mobile: alice.mobile, admin: alice.admin },
      { login: 'alice', name: 'Alice Example', email: 'alice@personal.example', mobile: '+15555550111', admin: false },
    );
    assert.equal((await find(d, 'bob')).admin, true);
    const byId = await d.getById(alice.id);
    assert.ok(byId.ok);
    assert.equal(byId.value?.dn, alice.dn);
  });

  test('a typed login never changes the filter (RFC 4515): wildcards, parentheses and NUL match nothing', async () => {
    const d = directory();
    for (const login of ['*', 'a*', 'alice)(uid=*', '*)(|(uid=*', 'alice\u0000', '\\2a', 'ALİCE']) {
      const r = await d.findByLogin(login);
      assert.ok(r.ok, login);
      assert.equal(r.value, null, `${JSON.stringify(login)} matched ${r.value?.dn}`);
    }
  });

  test('a password is proved by binding as the person; a wrong or empty one is refused', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    assert.deepEqual(await d.verifyPassword(alice, 'Alice-Old-Pass-1'), { ok: true, value: undefined });
    const wrong = await d.verifyPassword(alice, 'not-her-password');
    assert.equal(!wrong.ok && wrong.error, 'wrong_password');
    const empty = await d.verifyPassword(alice, '');
    assert.equal(!empty.ok && empty.error, 'wrong_password', 'an empty password is an anonymous bind: never sent');
  });

  test('a reset writes the password with RFC 3062: the new one binds, the old one fails, pwdReset is cleared', async () => {
    const d = directory();
    const alice = await find(d, 'alice');
    const set = await d.setPassword(alice, 'Alice-New-Pass-2', { mustChange: false });
    assert.ok(set.ok, !set.ok ? `${set.error} ${set.detail}` : '');
    assert.ok((await d.verifyPassword(alice, 'Alice-New-Pass-2')).ok);
    assert.equal((await d.verifyPassword(alice, 'Alice-Old-Pass-1')).ok, false);
    assert.doesNotMatch(slapd.ldapsearch(alice.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
  });

  test('a temporary password sets pwdReset, so the person must change it at the next bind', async () => {
    const d = directory();
    const bob = await find(d, 'bob');
    const set = await d.setPassword(bob, 'Bob-Temporary-9', { mustChange: true });
    assert.ok(set.ok, !set.ok ? `${set.error} ${set.detail}` : '');
    assert.match(slapd.ldapsearch(bob.dn, '(objectClass=*)', ['pwdReset']), /pwdReset: TRUE/);
  });

  test('refusals: too short (the directory minimum, read from ppolicy), used before (pwdInHistory)', async () => {
    const d = directory();
    const erin = await find(d, 'erin');
    const short = await d.setPassword(erin, 'Ab1-x', { mustChange: false });
    assert.equal(!short.ok && short.error, 'too_short');
    assert.ok((await d.setPassword(erin, 'Erin-Second-Pass-2', { mustChange: false })).ok);
    const again = await d.setPassword(erin, 'Erin-Old-Pass-1', { mustChange: false });
    assert.equal(!again.ok && again.error, 'in_history', !again.ok ? again.detail : 'accepted');
    assert.ok((await d.verifyPassword(erin, 'Erin-Second-Pass-2')).ok, 'a refused write changes nothing');
  });

  test('the password rules are read from the ppolicy entry', async () => {
    const r = await directory().passwordRules();
    assert.ok(r.ok);
    assert.deepEqual({ min: r.value.minLength, history: r.value.history }, { min: 8, history: 3 });
  });

  test('three wrong binds lock the account; unlock clears it without changing the password', async () => {
    const d = directory();
    let carol = await find(d, 'carol');
    for (let i = 0; i < 3; i++) await d.verifyPassword(carol, `wrong-${i}`);
    carol = await find(d, 'carol');
    assert.equal(carol.locked, true);
    assert.equal(
      (await d.verifyPassword(carol, 'Carol-Old-Pass-1')).ok,
      false,
      'locked: even the right password fails',
    );
    assert.ok((await d.unlock(carol)).ok);
    carol = await find(d, 'carol');
    assert.equal(carol.locked, false);
    assert.ok((await d.verifyPassword(carol, 'Carol-Old-Pass-1')).ok, 'the same password works again');
    assert.ok((await d.unlock(carol)).ok, 'unlocking an unlocked account is fine');
  });

  test('a permanent ppolicy lock reads as disabled, not locked', async () => {
    const dave = await find(directory(), 'dave');
    assert.deepEqual({ disabled: dave.disabled, locked: dave.locked }, { disabled: true, locked: false });
  });

  test('plain LDAP: password operations are refused without TLS; StartTLS makes them work', async () => {
    const plain = directory({ urls: [slapd.url], startTls: false });
    const alice = await find(plain, 'alice');
    const set = await plain.setPassword(alice, 'Alice-Plain-Pass-3', { mustChange: false });
    assert.equal(!set.ok && set.error, 'tls_required');
    const bind = await plain.verifyPassword(alice, 'Alice-New-Pass-2');
    assert.equal(!bind.ok && bind.error, 'tls_required');
    const tls = directory({ urls: [slapd.url], startTls: true });
    assert.ok((await tls.verifyPassword(alice, 'Alice-New-Pass-2')).ok);
  });

  test('a certificate from another CA is refused', async () => {
    const d = directory({ caPem: null });
    const r = await d.findByLogin('alice');
    assert.equal(!r.ok && r.error, 'unreachable');
    assert.match(!r.ok ? (r.detail ?? '') : '', /certificate|self.signed|issuer/i);
  });

  test('several URLs are tried in order: a dead first server fails over to the next', async () => {
    const dead = `ldaps://127.0.0.1:${await freePort()}`;
    const d = directory({ urls: [dead, slapd.ldapsUrl] });
    assert.equal((await find(d, 'alice')).login, 'alice');
    const none = directory({ urls: [dead] });
    const r = await none.findByLogin('alice');
    assert.equal(!r.ok && r.error, 'unreachable');
  });

  test('a wrong service-account password is a rights problem, not an outage', async () => {
    const r = await directory({ bindPassword: 'wrong' }).findByLogin('alice');
    assert.equal(!r.ok && r.error, 'not_allowed');
    assert.match(!r.ok ? (r.detail ?? '') : '', /service account bind refused \(wrong_password\)/);
  });

  test('renames are followed by the stable id', async () => {
    const d = directory();
    const frank = await find(d, 'frank');
    slapd.ldapmodify(`dn: ${frank.dn}\nchangetype: modrdn\nnewrdn: uid=franklin\ndeleteoldrdn: 1\n`);
    const r = await d.getById(frank.id);
    assert.ok(r.ok && r.value);
    assert.deepEqual({ dn: r.value.dn, login: r.value.login }, { dn: `uid=franklin,${PEOPLE_DN}`, login: 'franklin' });
  });

  test('the list comes in pages and holds every account once', async () => {
    const pages: DirectoryEntry[][] = [];
    for await (const page of directory().list(2)) {
      assert.ok(page.ok);
      pages.push(page.value);
    }
    assert.ok(pages.length >= 3, `pages: ${pages.length}`);
    assert.deepEqual(
      pages
        .flat()
        .map((e) => e.login)
        .sort(),
      ['alice', 'bob', 'carol', 'dave', 'erin', 'franklin'],
    );
  });

  test('a directory that is down answers unreachable, and works again when it is back', async () => {
    const d = directory();
    await slapd.pause();
    try {
      const r = await d.findByLogin('alice');
      assert.equal(!r.ok && r.error, 'unreachable');
    } finally {
      await slapd.start();
    }
    assert.equal((await find(d, 'alice')).login, 'alice');
  });

  test('directory check: a good setup is ready; every connection, the bind, the rules and both rights pass', async () => {
    const report = await directory().check('alice');
    const by = Object.fromEntries(report.steps.map((st) => [st.id, st.status]));
    assert.equal(report.verdict, 'ready', JSON.stringify(report.steps, null, 1));
    assert.deepEqual(by, {
      connect: 'pass',
      service_bind: 'pass',
      password_rules: 'pass',
      test_account: 'pass',
      reset_right: 'pass',
      unlock_right: 'pass',
    });
    assert.ok(
      (await directory().verifyPassword(await find(directory(), 'alice'), 'Alice-New-Pass-2')).ok,
      'the probe changed nothing',
    );
  });

  test('directory check: a read-only service account is not ready, with both rights failing and what to fix', async () => {
    const report = await directory({ bindDn: READONLY_DN }).check('alice');
    assert.equal(report.verdict, 'not_ready', JSON.stringify(report.steps, null, 1));
    const reset = report.steps.find((st) => st.id === 'reset_right');
    const unlock = report.steps.find((st) => st.id === 'unlock_right');
    assert.equal(reset?.status, 'fail');
    assert.match(reset?.fix ?? '', /write access to userPassword/);
    assert.equal(unlock?.status, 'fail', JSON.stringify(unlock));
  });

  test('directory check: a wrong CA fails the connection with the fix; a second good URL makes it a warning', async () => {
    const bad = await directory({ caPem: null }).check('alice');
    assert.equal(bad.verdict, 'not_ready');
    assert.equal(bad.steps[0]?.status, 'fail');
    assert.match(bad.steps[0]?.fix ?? '', /CA file/);
    const dead = `ldaps://127.0.0.1:${await freePort()}`;
    const failover = await directory({ urls: [dead, slapd.ldapsUrl] }).check('alice');
    assert.deepEqual(
      failover.steps.filter((st) => st.id === 'connect').map((st) => st.status),
      ['warn', 'pass'],
    );
    assert.equal(failover.verdict, 'ready');
    const plain = await directory({ urls: [slapd.url] }).check(null);
    assert.equal(plain.verdict, 'not_ready', 'plain LDAP without StartTLS');
    const wrongPassword = await directory({ bindPassword: 'nope' }).check(null);
    assert.equal(wrongPassword.steps.find((st) => st.id === 'service_bind')?.status, 'fail');
  });
});
