// `sspr directory sync` against a real slapd (ppolicy overlay): accounts come from the directory by
// their entryUUID. Each test works in its own OU with its own tenant; slapd is paused only by the
// last tests (a directory that stops answering).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Account } from '../../src/core/directory-model.ts';
import type { DirectoryProvider } from '../../src/ports/directory-provider.ts';
import type { ExternalDirectory } from '../../src/ports/external-directory.ts';
import { SqlLimiter } from '../../src/adapters/sql-limiter.ts';
import { CachedDirectoryProvider } from '../../src/adapters/directory/directory-provider.ts';
import { DirectorySync, SYNC_ACTOR, SYNC_RETRY_MS, type SyncReport } from '../../src/service/directory-sync.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { assertExit, assertRefused, sspr } from '../cli/run-sspr.ts';
import { ldapSettings } from './directory-kit.ts';
import { saveDirectorySettings } from './directory-reset-kit.ts';
import { BASE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from './slapd.ts';

const BIND_ENV = 'SSPR_DIRECTORY_TEST_OPENLDAP_SYNC_BIND';
let slapd: Slapd;
let t: TestApp;
/** The tests' own provider of the tenants' directories (the App keeps its own inside). */
let provider: CachedDirectoryProvider;
const clock = new ManualClock();
let n = 0;

before(async () => {
  process.env[BIND_ENV] = SERVICE_PASSWORD;
  slapd = await startSlapd();
  t = await createTestApp({}, { clock });
  provider = new CachedDirectoryProvider({ directory: t.app.store.directory });
});
after(async () => {
  await provider?.close();
  await t?.cleanup();
  await slapd?.stop();
  delete process.env[BIND_ENV];
});

interface Person {
  readonly uid: string;
  readonly name: string;
  readonly mail?: string;
  readonly mobile?: string;
  readonly employeeType?: string;
}

const personDn = (ou: string, uid: string) => `uid=${uid},${ou}`;

function addPeople(ou: string, people: readonly Person[]): void {
  slapd.ldapmodify(
    people
      .map((p) =>
        [
          `dn: ${personDn(ou, p.uid)}`,
          'changetype: add',
          'objectClass: inetOrgPerson',
          `uid: ${p.uid}`,
          `cn: ${p.name}`,
          `sn: ${p.name.split(' ').at(-1)}`,
          ...(p.mail ? [`mail: ${p.mail}`] : []),
          ...(p.mobile ? [`mobile: ${p.mobile}`] : []),
          ...(p.employeeType ? [`employeeType: ${p.employeeType}`] : []),
          `userPassword: ${p.uid}-Pass-1234`,
          '',
        ].join('\n'),
      )
      .join('\n'),
  );
}

function setGroup(ou: string, members: readonly string[]): void {
  // groupOfNames needs a member: the OU itself stands in for none
  const values = [ou, ...members.map((m) => personDn(ou, m))];
  slapd.ldapmodify(
    `dn: cn=admins,${ou}\nchangetype: modify\nreplace: member\n${values.map((v) => `member: ${v}`).join('\n')}\n`,
  );
}

/** A tenant (domain `<name>.sync.test`) whose directory is its own OU in slapd, with an admin group. */
async function setup(
  people: readonly Person[],
  admins: readonly string[] = [],
  settings: Record<string, unknown> = {},
): Promise<{ ou: string; tenantId: string; name: string; domain: string }> {
  const name = `ldapsync${++n}`;
  const ou = `ou=${name},${BASE_DN}`;
  slapd.ldapmodify(`dn: ${ou}\nchangetype: add\nobjectClass: organizationalUnit\nou: ${name}\n`);
  addPeople(ou, people);
  // groupOfNames needs a member: the OU itself stands in until the test sets the group
  slapd.ldapmodify(
    `dn: cn=admins,${ou}\nchangetype: add\nobjectClass: groupOfNames\ncn: admins\nmember: ${ou}\n${admins
      .map((a) => `member: ${personDn(ou, a)}`)
      .join('\n')}\n`,
  );
  const domain = `${name}.sync.test`;
  const tenant = await t.app.directory.createTenant({ name, domains: [domain], actor: 'cli' });
  assert.ok(tenant.ok);
  await saveSettings(tenant.value.id, ou, settings);
  return { ou, tenantId: tenant.value.id, name, domain };
}

async function saveSettings(tenantId: string, ou: string, overrides: Record<string, unknown> = {}): Promise<void> {
  clock.advance(1);
  await saveDirectorySettings(
    t.app,
    tenantId,
    ldapSettings(slapd, BIND_ENV, { baseDn: ou, adminGroups: [`cn=admins,${ou}`], ...overrides }),
  );
}

/** Another instance of the sync service on the App's store and clock (sharing `limiter`, when given, with the others). */
function syncInstance(directories: Pick<DirectoryProvider, 'forTenant'>, limiter?: SqlLimiter): DirectorySync {
  return new DirectorySync({
    directories,
    store: t.app.store,
    keyring: t.app.keyring,
    random: t.app.random,
    clock,
    outbox: t.app.outbox,
    ...(limiter ? { limiter } : {}),
  });
}

async function sync(tenantId: string, pageSize?: number, accountPageSize?: number): Promise<SyncReport> {
  clock.advance(1000);
  const r = await t.app.directorySync.syncTenant(tenantId, 'cli', {
    ...(pageSize ? { pageSize } : {}),
    ...(accountPageSize ? { accountPageSize } : {}),
  });
  assert.ok(r.ok, !r.ok ? `${r.error} ${r.detail}` : '');
  return r.value;
}

async function account(login: string): Promise<Account> {
  const a = await t.app.store.directory.findAccountByLogin(login);
  assert.ok(a, `${login} exists in sspr`);
  return a;
}

const counts = (r: SyncReport) => ({
  listed: r.listed,
  created: r.created,
  updated: r.updated,
  renamed: r.renamed,
  disabled: r.disabled,
  enabled: r.enabled,
  removedDisabled: r.removedDisabled,
  rolesChanged: r.rolesChanged,
  unchanged: r.unchanged,
  skipped: r.skipped.length,
});
const zero = {
  listed: 0,
  created: 0,
  updated: 0,
  renamed: 0,
  disabled: 0,
  enabled: 0,
  removedDisabled: 0,
  rolesChanged: 0,
  unchanged: 0,
  skipped: 0,
};

async function events(accountId: string, type: string) {
  return t.app.store.audit.list({ accountId, type });
}

/** The text of the emails queued for an account with that template, oldest first. */
async function emails(accountId: string, template: string): Promise<string[]> {
  const rows = (await t.app.store.outbox.list({ limit: 1000 })).filter(
    (m) => m.accountId === accountId && m.template === template && m.channel === 'email' && m.payloadSealed,
  );
  return rows
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((m) => {
      const payload = openPayload(t.app.keyring, m.payloadSealed!, m.channel);
      return payload?.channel === 'email' ? payload.text : '';
    });
}

/** Renames an entry in slapd (its entryUUID stays). */
function modrdn(ou: string, from: string, to: string): void {
  slapd.ldapmodify(`dn: ${personDn(ou, from)}\nchangetype: modrdn\nnewrdn: uid=${to}\ndeleteoldrdn: 1\n`);
}

/** Deletes an entry from slapd. */
function removePerson(ou: string, uid: string): void {
  slapd.ldapmodify(`dn: ${personDn(ou, uid)}\nchangetype: delete\n`);
}

describe('directory sync against a real slapd', () => {
  test('creates accounts keyed by entryUUID, follows a modrdn and a display-name change, takes roles from the admin group', async () => {
    const { ou, tenantId, domain } = await setup(
      [
        { uid: 'alice', name: 'Alice Example' },
        { uid: 'bob', name: 'Bob Admin' },
        { uid: 'carol', name: 'Carol Staff' },
      ],
      ['bob'],
    );
    const first = await sync(tenantId);
    assert.deepEqual(counts(first), { ...zero, listed: 3, created: 3 });
    assert.equal(first.failure, null);
    const alice = await account(`alice@${domain}`);
    assert.match(alice.externalId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-/);
    assert.equal(alice.passwordHash, null, 'the password lives in the directory');
    assert.deepEqual([alice.role, alice.displayName, alice.enabled], ['user', 'Alice Example', true]);
    assert.equal((await account(`bob@${domain}`)).role, 'admin');
    const [created] = await events(alice.id, 'account.created');
    assert.deepEqual([created?.actor, created?.details['source']], ['cli', 'directory']);

    assert.deepEqual(
      counts(await sync(tenantId)),
      { ...zero, listed: 3, unchanged: 3 },
      'a second sync changes nothing',
    );

    // rename: uid alice → alicia (entryUUID unchanged); a display name change; carol joins the admins, bob leaves
    modrdn(ou, 'alice', 'alicia');
    slapd.ldapmodify(`dn: ${personDn(ou, 'carol')}\nchangetype: modify\nreplace: cn\ncn: Carol Renamed\n`);
    setGroup(ou, ['carol']);
    const second = await sync(tenantId);
    assert.deepEqual(counts(second), { ...zero, listed: 3, renamed: 1, updated: 2, rolesChanged: 2 });
    const alicia = await account(`alicia@${domain}`);
    assert.equal(alicia.id, alice.id, 'the same sspr account: methods, flows and audit follow');
    assert.equal(alicia.externalId, alice.externalId);
    assert.equal(await t.app.store.directory.findAccountByLogin(`alice@${domain}`), null);
    const [renamed] = await events(alice.id, 'directory.account_renamed');
    assert.deepEqual(renamed?.details, { from: `alice@${domain}`, to: `alicia@${domain}` });
    const carol = await account(`carol@${domain}`);
    assert.deepEqual([carol.displayName, carol.role], ['Carol Renamed', 'admin']);
    const bob = await account(`bob@${domain}`);
    assert.equal(bob.role, 'user');
    const [roleEvent] = await events(carol.id, 'account.role_changed');
    assert.deepEqual(roleEvent?.details, { from: 'user', to: 'admin' }, 'the one role change, audited');
    const [notice] = await emails(carol.id, 'account.role_changed');
    assert.match(
      notice ?? '',
      /your organisation's directory, where membership of its administrator groups decides who is an administrator, changed the role of carol@/,
      'the person is told the change came from the directory',
    );
    assert.doesNotMatch(notice ?? '', /command line/);

    // a global admin is never demoted or promoted by the directory
    await t.app.store.directory.updateAccount(bob.id, { role: 'global_admin' }, clock.now());
    setGroup(ou, []);
    const third = await sync(tenantId);
    assert.equal((await account(`bob@${domain}`)).role, 'global_admin');
    assert.equal((await account(`carol@${domain}`)).role, 'user');
    assert.equal(third.rolesChanged, 1);
  });

  test('disabled in the directory (permanent ppolicy lock, the configured attribute) disables in sspr and revokes sessions; an admin’s disable stays', async () => {
    const { ou, tenantId, domain } = await setup(
      [
        { uid: 'dave', name: 'Dave Locked' },
        { uid: 'erin', name: 'Erin Flagged', employeeType: 'staff' },
        { uid: 'fay', name: 'Fay Temporary' },
        { uid: 'gus', name: 'Gus Kept Disabled' },
      ],
      [],
      { disabledAttribute: 'employeeType=disabled' },
    );
    await sync(tenantId);
    const dave = await account(`dave@${domain}`);
    await t.app.store.directory.createSession({
      idHash: `sync-test-${dave.id}`,
      accountId: dave.id,
      createdAt: clock.now(),
      lastSeenAt: clock.now(),
      expiresAt: clock.now() + 3_600_000,
    });
    slapd.ldapmodify(
      `dn: ${personDn(ou, 'dave')}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n`,
    );
    slapd.ldapmodify(
      `dn: ${personDn(ou, 'erin')}\nchangetype: modify\nreplace: employeeType\nemployeeType: disabled\n`,
    );
    // a lock after wrong passwords is not a disable
    slapd.ldapmodify(
      `dn: ${personDn(ou, 'fay')}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 20260101000000Z\n`,
    );
    const disabled = await sync(tenantId);
    assert.deepEqual(counts(disabled), { ...zero, listed: 4, disabled: 2, unchanged: 2 });
    assert.equal((await account(`dave@${domain}`)).enabled, false);
    assert.equal((await account(`erin@${domain}`)).enabled, false);
    assert.equal((await account(`fay@${domain}`)).enabled, true, 'a lockout is not a disable');
    assert.equal((await t.app.store.directory.getSession(`sync-test-${dave.id}`))?.revokedAt, clock.now());
    const [event] = await events(dave.id, 'account.disabled');
    assert.deepEqual(event?.details, { source: 'directory', reason: 'disabled_in_directory', sessionsRevoked: 1 });

    // an administrator disables gus in sspr: the directory (where gus is enabled) does not undo it
    const gus = await t.app.directory.disable({ login: `gus@${domain}`, actor: 'cli' });
    assert.ok(gus.ok);
    slapd.ldapmodify(`dn: ${personDn(ou, 'dave')}\nchangetype: modify\ndelete: pwdAccountLockedTime\n`);
    slapd.ldapmodify(`dn: ${personDn(ou, 'erin')}\nchangetype: modify\nreplace: employeeType\nemployeeType: staff\n`);
    const back = await sync(tenantId);
    assert.equal(back.enabled, 2);
    assert.equal((await account(`dave@${domain}`)).enabled, true);
    assert.equal((await account(`erin@${domain}`)).enabled, true);
    assert.equal((await account(`gus@${domain}`)).enabled, false, 'disabled by an administrator: stays');
    assert.deepEqual(
      back.skipped.map((s) => s.login),
      [`gus@${domain}`],
    );
    assert.match(back.skipped[0]!.reason, /disabled in sspr by an administrator/);
  });

  test('an account gone from the directory is disabled in sspr, not deleted: its audit trail stays', async () => {
    const { ou, tenantId, domain } = await setup([
      { uid: 'hal', name: 'Hal Leaving' },
      { uid: 'ida', name: 'Ida Staying' },
    ]);
    await sync(tenantId);
    const hal = await account(`hal@${domain}`);
    removePerson(ou, 'hal');
    const r = await sync(tenantId);
    assert.deepEqual(counts(r), { ...zero, listed: 1, removedDisabled: 1, unchanged: 1 });
    const after = await account(`hal@${domain}`);
    assert.equal(after.enabled, false);
    assert.equal(after.id, hal.id);
    assert.equal((await events(hal.id, 'account.created')).length, 1, 'the audit trail stays');
    const [gone] = await events(hal.id, 'account.disabled');
    assert.equal(gone?.details['reason'], 'gone_from_directory');
    assert.deepEqual(counts(await sync(tenantId)), { ...zero, listed: 1, unchanged: 1 }, 'disabled once');
    const [summary] = await t.app.store.audit.list({ tenantId, type: 'directory.synced' });
    assert.deepEqual([summary?.outcome, summary?.details['listed'], summary?.details['removedDisabled']], ['ok', 1, 0]);
  });

  test('trusted contact attributes seed verified methods; untrusted ones do not; a method the person registered is never replaced', async () => {
    const { ou, tenantId, domain } = await setup([
      { uid: 'jo', name: 'Jo Contact', mail: 'jo@home.example', mobile: '+15555550123' },
    ]);
    await sync(tenantId);
    const jo = await account(`jo@${domain}`);
    assert.deepEqual(await t.app.store.directory.listMethods(jo.id), [], 'untrusted: methods left alone');

    await saveSettings(tenantId, ou, { trustContactAttributes: true });
    const seeded = await sync(tenantId);
    assert.equal(seeded.methodsSeeded, 2);
    const methods = await t.app.store.directory.listMethods(jo.id);
    assert.deepEqual(methods.map((m) => [m.kind, m.value, m.verifiedAt !== null]).sort(), [
      ['email', 'jo@home.example', true],
      ['phone', '+15555550123', true],
    ]);
    assert.equal((await events(jo.id, 'directory.method_seeded')).length, 2);
    assert.equal((await sync(tenantId)).methodsSeeded, 0, 'the same values: nothing written');

    // the person registers their own alternate email; the directory then changes both attributes
    clock.advance(5_000);
    await t.app.store.directory.setMethod(jo.id, 'email', 'jo@mine.example', clock.now(), clock.now());
    slapd.ldapmodify(
      `dn: ${personDn(ou, 'jo')}\nchangetype: modify\nreplace: mail\nmail: jo@other.example\n-\nreplace: mobile\nmobile: +15555550124\n`,
    );
    const notices = async () =>
      (await t.app.store.outbox.list({ limit: 1000 })).filter(
        (m) => m.accountId === jo.id && m.template === 'security-info.changed',
      ).length;
    const noticesBefore = await notices();
    const changed = await sync(tenantId);
    assert.equal(changed.methodsSeeded, 1);
    const now = await t.app.store.directory.listMethods(jo.id);
    assert.equal(now.find((m) => m.kind === 'email')?.value, 'jo@mine.example', 'the person’s own email stays');
    assert.equal(now.find((m) => m.kind === 'phone')?.value, '+15555550124', 'the directory’s phone follows it');
    assert.ok((await notices()) > noticesBefore, 'the person is told of the change');
    const told = (await emails(jo.id, 'security-info.changed')).at(-1) ?? '';
    assert.match(told, /It was copied from your organisation's directory/, 'the notice names the directory');
    assert.doesNotMatch(told, /made by an administrator/);
  });

  test('a login another sspr account holds is skipped, never taken over', async () => {
    const { ou, tenantId, domain } = await setup([
      { uid: 'kim', name: 'Kim Directory' },
      { uid: 'lee', name: 'Lee Directory' },
    ]);
    const builtin = await t.app.directory.addUser({ login: `kim@${domain}`, displayName: 'Kim Builtin', actor: 'cli' });
    assert.ok(builtin.ok, !builtin.ok ? builtin.detail : '');
    const r = await sync(tenantId);
    assert.equal(r.created, 1);
    assert.deepEqual(
      r.skipped.map((s) => s.login),
      [`kim@${domain}`],
    );
    assert.match(r.skipped[0]!.reason, /not from the directory/);
    const kim = await account(`kim@${domain}`);
    assert.deepEqual([kim.id, kim.externalId, kim.displayName], [builtin.value.id, null, 'Kim Builtin']);

    // lee renamed onto kim's login: skipped too, lee keeps its login
    removePerson(ou, 'kim');
    modrdn(ou, 'lee', 'kim');
    const renamed = await sync(tenantId);
    assert.equal(renamed.renamed, 0);
    assert.match(renamed.skipped.find((s) => s.login === `kim@${domain}`)?.reason ?? '', /not renamed from lee@/);
    assert.equal((await account(`kim@${domain}`)).externalId, null);
    assert.ok((await account(`lee@${domain}`)).enabled);
  });

  test('paging: a small page size reads every account over several pages', async () => {
    const people = Array.from({ length: 7 }, (_, i) => ({ uid: `page${i}`, name: `Page Person ${i}` }));
    const { tenantId } = await setup(people);
    const r = await sync(tenantId, 3);
    assert.deepEqual([r.pages, r.listed, r.created], [3, 7, 7]);
    assert.equal(
      (await t.app.store.directory.listAccounts({ tenantId, fromDirectory: true })).length,
      7,
      'every page was read',
    );
  });

  test('the periodic sync: one instance per interval syncs a tenant whose settings ask for it', async () => {
    const { tenantId, ou } = await setup([{ uid: 'max', name: 'Max Periodic' }], [], { syncIntervalMinutes: 15 });
    const limiter = new SqlLimiter(t.app.store, clock);
    const [a, b] = [syncInstance(provider, limiter), syncInstance(provider, limiter)];
    const first = await a.runDue();
    assert.deepEqual(
      first.map((d) => d.tenantId),
      [tenantId],
      'only the tenant with an interval',
    );
    assert.ok(first[0]!.outcome.ok && first[0]!.outcome.value.created === 1);
    assert.deepEqual(await b.runDue(), [], 'the other instance: the interval is taken');
    clock.advance(14 * 60_000);
    assert.deepEqual(await a.runDue(), [], 'not due yet');
    clock.advance(60_000 + 1);
    const next = await b.runDue();
    assert.deepEqual(
      next.map((d) => d.tenantId),
      [tenantId],
    );
    const [summary] = await t.app.store.audit.list({ tenantId, type: 'directory.synced' });
    assert.equal(summary?.actor, SYNC_ACTOR);

    // the schedule serve starts: it looks for due tenants on every tick, and stops when asked
    const syncs = async () => (await t.app.store.audit.list({ tenantId, type: 'directory.synced' })).length;
    const before = await syncs();
    clock.advance(15 * 60_000 + 1);
    a.start(20, 0);
    const deadline = Date.now() + 10_000;
    while ((await syncs()) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await a.stop();
    assert.equal(await syncs(), before + 1, 'one periodic sync in the interval, however many ticks');
    await saveSettings(tenantId, ou, { syncIntervalMinutes: 0 }); // later tests' periodic syncs see only their tenant
  });

  test('accounts gone from the directory are found however many sspr accounts the tenant has (the store read page by page)', async () => {
    const people = Array.from({ length: 9 }, (_, i) => ({ uid: `gone${i}`, name: `Gone Person ${i}` }));
    const { ou, tenantId, domain } = await setup(people);
    await sync(tenantId);
    // one gone on each store page of 2 (by login: gone0 gone1 | gone2 gone3 | …), the last in the last page
    for (const uid of ['gone1', 'gone4', 'gone8']) removePerson(ou, uid);
    const r = await sync(tenantId, undefined, 2);
    assert.deepEqual(counts(r), { ...zero, listed: 6, removedDisabled: 3, unchanged: 6 });
    for (const i of [0, 2, 3, 5, 6, 7]) assert.ok((await account(`gone${i}@${domain}`)).enabled, `gone${i} stays`);
    for (const i of [1, 4, 8]) assert.equal((await account(`gone${i}@${domain}`)).enabled, false, `gone${i} disabled`);
    assert.deepEqual(counts(await sync(tenantId, undefined, 2)), { ...zero, listed: 6, unchanged: 6 }, 'disabled once');
  });

  test('two people swapping logins in one sync are both renamed (and a ring of three); one blocked by another account is skipped', async () => {
    const { ou, tenantId, domain } = await setup([
      { uid: 'ann', name: 'Ann Swap' },
      { uid: 'ben', name: 'Ben Swap' },
      { uid: 'cy', name: 'Cy Ring' },
      { uid: 'di', name: 'Di Ring' },
      { uid: 'ed', name: 'Ed Ring' },
      { uid: 'flo', name: 'Flo Blocked' },
      { uid: 'gil', name: 'Gil Blocked' },
      { uid: 'ivy', name: 'Ivy Leaving' },
      { uid: 'jon', name: 'Jon Taking' },
    ]);
    await sync(tenantId);
    const before = new Map<string, Account>();
    for (const uid of ['ann', 'ben', 'cy', 'di', 'ed', 'flo', 'gil', 'ivy', 'jon'])
      before.set(uid, await account(`${uid}@${domain}`));
    // ann ⇄ ben; cy → di → ed → cy; flo → gil while gil moves onto a builtin account's login
    const builtin = await t.app.directory.addUser({
      login: `hank@${domain}`,
      displayName: 'Hank Builtin',
      actor: 'cli',
    });
    assert.ok(builtin.ok, !builtin.ok ? builtin.detail : '');
    modrdn(ou, 'ann', 'tmp1');
    modrdn(ou, 'ben', 'ann');
    modrdn(ou, 'tmp1', 'ben');
    modrdn(ou, 'cy', 'tmp2');
    modrdn(ou, 'ed', 'cy');
    modrdn(ou, 'di', 'ed');
    modrdn(ou, 'tmp2', 'di');
    modrdn(ou, 'gil', 'hank');
    modrdn(ou, 'flo', 'gil');
    // ivy leaves and jon gets her uid: her sspr account (disabled, kept) still has the login
    removePerson(ou, 'ivy');
    modrdn(ou, 'jon', 'ivy');
    const r = await sync(tenantId);
    assert.deepEqual(counts(r), { ...zero, listed: 8, renamed: 5, removedDisabled: 1, unchanged: 3, skipped: 3 });
    const now = async (uid: string) => (await account(`${uid}@${domain}`)).id;
    assert.equal(await now('ben'), before.get('ann')!.id, 'ann is ben now');
    assert.equal(await now('ann'), before.get('ben')!.id, 'ben is ann now');
    assert.equal(await now('di'), before.get('cy')!.id);
    assert.equal(await now('ed'), before.get('di')!.id);
    assert.equal(await now('cy'), before.get('ed')!.id);
    const [renamed] = await events(before.get('ann')!.id, 'directory.account_renamed');
    assert.deepEqual(
      renamed?.details,
      { from: `ann@${domain}`, to: `ben@${domain}` },
      'audited from and to, nothing between',
    );
    assert.equal(
      (await t.app.store.directory.listAccounts({ search: 'rename.invalid' })).length,
      0,
      'no parked login left',
    );
    // gil cannot take hank's login (builtin), so flo cannot take gil's: both stay, each with its reason
    assert.equal(await now('flo'), before.get('flo')!.id);
    assert.equal(await now('gil'), before.get('gil')!.id);
    assert.equal((await account(`hank@${domain}`)).id, builtin.value.id);
    assert.deepEqual(r.skipped.map((s) => s.login).sort(), [`gil@${domain}`, `hank@${domain}`, `ivy@${domain}`]);
    assert.match(
      r.skipped.find((s) => s.login === `hank@${domain}`)!.reason,
      /not renamed from gil@.*not from the directory/,
    );
    assert.match(
      r.skipped.find((s) => s.login === `gil@${domain}`)!.reason,
      new RegExp(
        `not renamed from flo@.*gil@${domain} is itself being renamed, to hank@${domain}, which cannot happen yet`,
      ),
    );
    assert.match(
      r.skipped.find((s) => s.login === `ivy@${domain}`)!.reason,
      /not renamed from jon@.*an entry no longer in the directory.*give this entry another login in the directory/,
    );
    assert.equal(await now('jon'), before.get('jon')!.id);
    assert.equal((await account(`ivy@${domain}`)).id, before.get('ivy')!.id);
    assert.equal((await account(`ivy@${domain}`)).enabled, false, 'ivy is gone: disabled');
    assert.deepEqual(
      counts(await sync(tenantId)),
      { ...zero, listed: 8, unchanged: 8, skipped: 3 },
      'the rest is stable',
    );
  });
});

describe('directory sync: a login freed and taken in the same sync', () => {
  test('a new entry takes the login of a person renamed in the same sync (whose own new login is freed later in the listing)', async () => {
    const { ou, tenantId, domain } = await setup([
      { uid: 'pia', name: 'Pia Old' },
      { uid: 'quin', name: 'Quin Old' },
    ]);
    await sync(tenantId);
    const [pia, quin] = [await account(`pia@${domain}`), await account(`quin@${domain}`)];
    modrdn(ou, 'quin', 'rex');
    modrdn(ou, 'pia', 'quin');
    addPeople(ou, [{ uid: 'pia', name: 'Pia New' }]);
    const r = await sync(tenantId);
    assert.deepEqual(counts(r), { ...zero, listed: 3, renamed: 2, created: 1 });
    assert.equal((await account(`rex@${domain}`)).id, quin.id);
    assert.equal((await account(`quin@${domain}`)).id, pia.id);
    const newPia = await account(`pia@${domain}`);
    assert.notEqual(newPia.id, pia.id);
    assert.deepEqual([newPia.displayName, newPia.enabled], ['Pia New', true]);
    assert.notEqual(newPia.externalId, pia.externalId);
  });
});

describe('sspr directory sync (command line)', () => {
  test('prints the report, --json gives it as JSON; an unknown tenant and a builtin tenant are refused', async () => {
    const { tenantId, name, ou } = await setup([
      { uid: 'ned', name: 'Ned Cli' },
      { uid: 'ola', name: 'Ola Cli' },
    ]);
    const text = await sspr(t.dataDir, ['directory', 'sync', name]);
    assertExit(text, 0, 'sync');
    assert.match(text.stdout, new RegExp(`Synced "${name}" from its directory: 2 account\\(s\\) in 1 page\\(s\\)`));
    assert.match(text.stdout, /^ {2}created: 2$/m);
    const json = await sspr(t.dataDir, ['directory', 'sync', name, '--json']);
    assertExit(json, 0, 'sync --json');
    const report = JSON.parse(json.stdout) as SyncReport;
    assert.deepEqual([report.listed, report.unchanged, report.created, report.failure], [2, 2, 0, null]);
    assertRefused(await sspr(t.dataDir, ['directory', 'sync', 'no-such-tenant']), 'tenant_not_found', 'unknown');
    const builtin = await t.app.directory.createTenant({
      name: 'builtin-sync',
      domains: ['builtin.sync.test'],
      actor: 'cli',
    });
    assert.ok(builtin.ok);
    assertRefused(await sspr(t.dataDir, ['directory', 'sync', 'builtin-sync']), 'directory_not_configured', 'builtin');
    // the bind password's variable is not set for the process: named, nothing synced
    await saveSettings(tenantId, ou, { bindPassword: 'env:TEST_SYNC_UNSET_VARIABLE' });
    const misconfigured = assertRefused(
      await sspr(t.dataDir, ['directory', 'sync', name]),
      'directory_misconfigured',
      'no secret',
    );
    assert.match(misconfigured, /TEST_SYNC_UNSET_VARIABLE is not set/);
  });
});

// slapd stops answering from here on: keep these last
describe('a directory that stops answering disables nobody', () => {
  test('down before the sync: the report says so, exit 1, nobody is disabled', async () => {
    const { ou, tenantId, name, domain } = await setup([
      { uid: 'pam', name: 'Pam Down' },
      { uid: 'quinn', name: 'Quinn Down' },
    ]);
    await sync(tenantId);
    removePerson(ou, 'quinn');
    await slapd.pause();
    try {
      const r = await sync(tenantId);
      assert.ok(r.failure, 'the failure is reported');
      assert.equal(r.failure.refusal, 'unreachable');
      assert.equal(r.removedDisabled, 0);
      assert.equal((await account(`quinn@${domain}`)).enabled, true);
      const [summary] = await t.app.store.audit.list({ tenantId, type: 'directory.synced' });
      assert.deepEqual([summary?.outcome, summary?.details['failure']], ['failed', 'unreachable']);
      const cli = await sspr(t.dataDir, ['directory', 'sync', name]);
      assertExit(cli, 1, 'sync with the directory down');
      assert.match(cli.stderr, /nobody was disabled/);
    } finally {
      await slapd.start();
    }
  });

  test('down mid-sync (after the first page): the pages read are applied, nobody is disabled', async () => {
    const people = Array.from({ length: 6 }, (_, i) => ({ uid: `mid${i}`, name: `Mid Person ${i}` }));
    const { ou, tenantId, domain } = await setup(people);
    await sync(tenantId);
    removePerson(ou, 'mid5');
    addPeople(ou, [{ uid: 'mid6', name: 'Mid Person 6' }]);
    // the real directory, with slapd stopped right after it handed over its first page
    const real = await provider.forTenant(tenantId);
    assert.ok(real.ok && real.value);
    const directory = real.value;
    const stopping: ExternalDirectory = Object.assign(Object.create(directory) as ExternalDirectory, {
      async *list(pageSize?: number) {
        let first = true;
        for await (const page of directory.list(pageSize)) {
          yield page;
          if (first) await slapd.pause();
          first = false;
        }
      },
    });
    const stoppingProvider: Pick<DirectoryProvider, 'forTenant'> = {
      forTenant: async () => ({ ok: true, value: stopping }),
    };
    const s = syncInstance(stoppingProvider);
    try {
      const r = await s.syncTenant(tenantId, 'cli', { pageSize: 2 });
      assert.ok(r.ok);
      assert.equal(r.value.pages, 1);
      assert.ok(r.value.failure, 'the failure is reported');
      assert.equal(r.value.removedDisabled, 0);
      const accounts = await t.app.store.directory.listAccounts({ tenantId, fromDirectory: true });
      assert.ok(accounts.length >= 6);
      assert.equal((await account(`mid5@${domain}`)).enabled, true, 'gone, but the listing never ended');
      assert.ok(
        accounts.every((a) => a.enabled),
        'nobody is disabled',
      );
    } finally {
      await slapd.start();
    }
  });

  test('a periodic sync the directory did not answer is tried again after 5 minutes, by one instance, not a whole interval later', async () => {
    const { tenantId, domain } = await setup([{ uid: 'rita', name: 'Rita Retry' }], [], {
      syncIntervalMinutes: 60,
      timeoutMs: 1000,
    });
    const limiter = new SqlLimiter(t.app.store, clock);
    const [a, b] = [syncInstance(provider, limiter), syncInstance(provider, limiter)];
    const mine = async (s: DirectorySync) => (await s.runDue()).filter((d) => d.tenantId === tenantId);
    const failed = (d: { outcome: Awaited<ReturnType<DirectorySync['syncTenant']>> }) =>
      d.outcome.ok && d.outcome.value.failure !== null;
    await slapd.pause();
    try {
      const first = await mine(a);
      assert.equal(first.length, 1);
      assert.ok(failed(first[0]!), 'the directory did not answer');
      clock.advance(SYNC_RETRY_MS - 1000);
      assert.deepEqual(await mine(b), [], 'not yet: the interval is taken and the retry not due');
      clock.advance(1000);
      const retried = await mine(b);
      assert.equal(retried.length, 1, 'retried 5 minutes after the failure');
      assert.ok(failed(retried[0]!));
      assert.deepEqual(await mine(a), [], 'one instance retries a failure');
    } finally {
      await slapd.start();
    }
    clock.advance(SYNC_RETRY_MS);
    const [third] = await mine(a);
    assert.ok(third && third.outcome.ok && third.outcome.value.failure === null && third.outcome.value.created === 1);
    assert.ok((await account(`rita@${domain}`)).enabled);
    clock.advance(SYNC_RETRY_MS);
    assert.deepEqual(await mine(b), [], 'the last sync worked: the next one waits for the interval');
    assert.deepEqual(await mine(a), []);
    clock.advance(60 * 60_000 - 3 * SYNC_RETRY_MS + 1);
    assert.equal((await mine(b)).length, 1, 'the interval that began with the failure ends as before');
    const synced = await t.app.store.audit.list({ tenantId, type: 'directory.synced' });
    assert.deepEqual(
      synced.map((e) => [e.actor, e.outcome]),
      [
        [SYNC_ACTOR, 'ok'],
        [SYNC_ACTOR, 'ok'],
        [SYNC_ACTOR, 'failed'],
        [SYNC_ACTOR, 'failed'],
      ],
    );
  });
});
