import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { argon2Hasher } from '../../src/adapters/crypto/argon2-hasher.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { DirectoryService, type UserView } from '../../src/service/directory-service.ts';
import { DEMO_ACCOUNTS, DEMO_TENANT, setupDemo } from '../../src/service/demo.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import type { Store } from '../../src/ports/store.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

const STRONG = 'tangerine quietly ferments';
const STRONG_2 = 'obsidian wharf glimmer at dusk';

interface Harness {
  readonly store: SqlStore;
  readonly keyring: HkdfKeyring;
  readonly service: DirectoryService;
  readonly clock: { t: number; now(): number };
  readonly wakes: { count: number };
  cleanup(): Promise<void>;
}

async function harness(wrap?: (store: SqlStore) => Store): Promise<Harness> {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  await store.migrate();
  const keyring = new HkdfKeyring(randomBytes(32));
  const clock = {
    t: Date.parse('2025-03-04T09:05:00.000Z'),
    now() {
      return this.t;
    },
  };
  const wakes = { count: 0 };
  const service = new DirectoryService({
    store: wrap ? wrap(store) : store,
    keyring,
    random: cryptoRandom,
    clock,
    hasher: argon2Hasher,
    outbox: { wake: () => void wakes.count++ },
    config: { public_url: 'https://reset.example.com' },
  });
  return {
    store,
    keyring,
    service,
    clock,
    wakes,
    async cleanup() {
      await store.close();
      db.cleanup();
    },
  };
}

/** Everything the directory use cases can write, read back through the ports. */
async function snapshot(store: Store): Promise<string> {
  const tenants = await store.directory.listTenants();
  const accounts = await store.directory.listAccounts({ limit: 1000 });
  const methods = [];
  for (const a of accounts) methods.push(...(await store.directory.listMethods(a.id)));
  const audit = await store.audit.list({ limit: 10_000 });
  const outbox = await store.outbox.list({ limit: 10_000 });
  return JSON.stringify({ tenants, accounts, methods, audit, outbox: outbox.map((m) => [m.id, m.status, m.template]) });
}

async function expectRefused(
  h: Harness,
  code: string,
  run: () => Promise<{ ok: boolean; error?: string; detail?: string }>,
  detail?: RegExp,
): Promise<void> {
  const before = await snapshot(h.store);
  const wakes = h.wakes.count;
  const r = await run();
  assert.equal(r.ok, false, `expected ${code}`);
  assert.equal(r.error, code);
  assert.ok(r.detail && r.detail.length > 0, `${code} carries a message`);
  if (detail) assert.match(r.detail, detail);
  assert.equal(await snapshot(h.store), before, `${code}: nothing changed`);
  assert.equal(h.wakes.count, wakes, `${code}: the outbox was not woken`);
}

describe('DirectoryService on SQLite', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.cleanup());

  test('createTenant creates a tenant with normalised domains and an audit event', async () => {
    const r = await h.service.createTenant({
      name: '  Contoso  ',
      domains: ['Contoso.Example.', 'contoso.test', 'CONTOSO.TEST'],
      actor: 'cli',
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.name, 'Contoso');
    assert.deepEqual([...r.value.domains].sort(), ['contoso.example', 'contoso.test']);
    assert.equal(r.value.policy.passwordMinLength, 15);
    const events = await h.store.audit.list({ type: 'tenant.created' });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.actor, 'cli');
    assert.equal(events[0]!.tenantId, r.value.id);
    assert.equal(events[0]!.details.name, 'Contoso');

    const listed = await h.service.listTenants();
    assert.deepEqual(
      listed.map((t) => t.name),
      ['Contoso'],
    );
    const byName = await h.service.getTenantByName('Contoso');
    assert.ok(byName.ok && byName.value.id === r.value.id);
    const missing = await h.service.getTenantByName('Fabrikam');
    assert.ok(!missing.ok && missing.error === 'tenant_not_found');
  });

  test('createTenant refuses bad names, bad domains, duplicates — and writes nothing', async () => {
    await expectRefused(h, 'tenant_name_invalid', () =>
      h.service.createTenant({ name: '   ', domains: ['a.example'], actor: 'cli' }),
    );
    await expectRefused(h, 'tenant_name_invalid', () =>
      h.service.createTenant({ name: 'x'.repeat(101), domains: ['a.example'], actor: 'cli' }),
    );
    await expectRefused(h, 'tenant_name_invalid', () =>
      h.service.createTenant({ name: 'Evil\r\nCorp', domains: ['a.example'], actor: 'cli' }),
    );
    await expectRefused(h, 'domain_invalid', () =>
      h.service.createTenant({ name: 'Fabrikam', domains: ['not a domain'], actor: 'cli' }),
    );
    await expectRefused(h, 'domain_invalid', () =>
      h.service.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example', 'localhost'], actor: 'cli' }),
    );
    await expectRefused(h, 'domain_invalid', () =>
      h.service.createTenant({ name: 'Fabrikam', domains: [], actor: 'cli' }),
    );
    await expectRefused(
      h,
      'tenant_exists',
      () => h.service.createTenant({ name: 'Contoso', domains: ['other.example'], actor: 'cli' }),
      /Contoso/,
    );
    await expectRefused(
      h,
      'domain_taken',
      () =>
        h.service.createTenant({ name: 'Fabrikam', domains: ['fabrikam.example', 'CONTOSO.example'], actor: 'cli' }),
      /contoso\.example already belongs to the tenant "Contoso"/,
    );
    // 100 characters is still fine
    const long = await h.service.createTenant({ name: 'y'.repeat(100), domains: ['long.example'], actor: 'cli' });
    assert.ok(long.ok);
  });

  test('addUser creates accounts with an argon2id hash and an audit event without secrets', async () => {
    const r = await h.service.addUser({
      login: 'ＡＤＡ@Contoso.Example',
      displayName: ' Ada Lovelace ',
      role: 'admin',
      password: STRONG,
      actor: 'cli',
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.login, 'ada@contoso.example');
    assert.equal(r.value.displayName, 'Ada Lovelace');
    assert.equal(r.value.role, 'admin');
    assert.equal(r.value.enabled, true);
    assert.match(r.value.passwordHash ?? '', /^\$argon2id\$/);
    assert.equal(await argon2Hasher.verify(r.value.passwordHash!, STRONG), true);

    const noPassword = await h.service.addUser({
      login: 'grace@contoso.test',
      displayName: 'Grace Hopper',
      enabled: false,
      actor: 'cli',
    });
    assert.ok(noPassword.ok);
    assert.equal(noPassword.value.role, 'user');
    assert.equal(noPassword.value.passwordHash, null);
    assert.equal(noPassword.value.enabled, false);

    const events = await h.store.audit.list({ type: 'account.created' });
    assert.equal(events.length, 2);
    const ada = events.find((e) => e.accountId === r.value.id)!;
    assert.equal(ada.details.role, 'admin');
    assert.equal(ada.details.passwordSet, true);
    const all = JSON.stringify(await h.store.audit.list({ limit: 10_000 }));
    assert.ok(!all.includes(STRONG), 'no password in the audit log');
    assert.ok(!all.includes('$argon2'), 'no hash in the audit log');
  });

  test('addUser refuses every kind of bad input — and writes nothing', async () => {
    const add = (over: Partial<Parameters<DirectoryService['addUser']>[0]>) => () =>
      h.service.addUser({ login: 'new@contoso.example', displayName: 'New Person', actor: 'cli', ...over });
    await expectRefused(h, 'login_invalid', add({ login: 'not a login' }));
    await expectRefused(h, 'login_invalid', add({ login: 'new\u0000@contoso.example' }));
    await expectRefused(h, 'display_name_invalid', add({ displayName: '' }));
    await expectRefused(h, 'role_invalid', add({ role: 'superuser' }), /user, admin, global_admin/);
    await expectRefused(h, 'tenant_not_found', add({ login: 'x@nowhere.example' }), /nowhere\.example/);
    await expectRefused(h, 'login_taken', add({ login: 'Ada@contoso.example' }));
    await expectRefused(h, 'password_too_short', add({ password: 'short words' }));
    await expectRefused(h, 'password_too_long', add({ password: 'tangerine '.repeat(26) }));
    await expectRefused(h, 'password_common', add({ password: 'Password12345678!' }));
    await expectRefused(h, 'password_repetitive', add({ password: 'abcabcabcabcabcabc' }));
    await expectRefused(h, 'password_personal', add({ password: 'contoso obsidian glimmer' }));
    await expectRefused(
      h,
      'password_personal',
      add({ displayName: 'Nadia Quintero', password: 'quintero obsidian glimmer' }),
    );
    // a Cyrillic look-alike login is another account, not a duplicate of ada@
    const lookalike = await h.service.addUser({
      login: '\u0430da@contoso.example',
      displayName: 'Not Ada',
      actor: 'cli',
    });
    assert.ok(lookalike.ok);
    assert.notEqual(lookalike.value.login, 'ada@contoso.example');
  });

  test('listUsers filters by tenant, role and search and never exposes the hash', async () => {
    const all = await h.service.listUsers();
    assert.ok(all.ok);
    assert.deepEqual(
      all.value.map((u) => u.login).sort(),
      ['ada@contoso.example', 'grace@contoso.test', '\u0430da@contoso.example'].sort(),
    );
    const ada = all.value.find((u) => u.login === 'ada@contoso.example')!;
    assert.equal(ada.tenant, 'Contoso');
    assert.equal(ada.passwordSet, true);
    assert.ok(!JSON.stringify(all.value).includes('$argon2'));

    const admins = await h.service.listUsers({ role: 'admin' });
    assert.ok(admins.ok);
    assert.deepEqual(
      admins.value.map((u) => u.login),
      ['ada@contoso.example'],
    );
    const search = await h.service.listUsers({ search: 'HOPPER' });
    assert.ok(search.ok);
    assert.deepEqual(
      search.value.map((u) => u.login),
      ['grace@contoso.test'],
    );
    const byTenant = await h.service.listUsers({ tenant: 'Contoso', role: 'user' });
    assert.ok(byTenant.ok);
    assert.equal(byTenant.value.length, 2);
    const other = await h.service.listUsers({ tenant: 'y'.repeat(100) });
    assert.ok(other.ok);
    assert.equal(other.value.length, 0);

    const badTenant = await h.service.listUsers({ tenant: 'Fabrikam' });
    assert.ok(!badTenant.ok && badTenant.error === 'tenant_not_found');
    const badRole = await h.service.listUsers({ role: 'root' });
    assert.ok(!badRole.ok && badRole.error === 'role_invalid');
  });

  test('setMethod stores verified contact data, audits it masked, and queues security notices', async () => {
    const wakes = h.wakes.count;
    h.clock.t += 1000;
    const phone = await h.service.setMethod({
      login: 'ada@contoso.example',
      kind: 'phone',
      value: '+44 7700 900123',
      actor: 'cli',
    });
    assert.ok(phone.ok, JSON.stringify(phone));
    assert.equal(phone.value.method.value, '+447700900123');
    assert.equal(phone.value.method.verifiedAt, h.clock.t, 'admin pre-fill is recorded as verified now');
    // the one pre-fill (shared with the console) tells the account's login address too: the CLI's copy did not
    assert.equal(phone.value.noticesQueued, 1, 'no alternate email on file yet: the login address only');
    assert.equal(h.wakes.count, wakes + 1, 'the outbox is woken after the commit');

    h.clock.t += 1000;
    const email = await h.service.setMethod({
      login: 'ada@contoso.example',
      kind: 'email',
      value: 'ada@personal.example',
      actor: 'cli',
    });
    assert.ok(email.ok);
    assert.equal(email.value.noticesQueued, 2, 'the new alternate email and the login address');
    assert.equal(h.wakes.count, wakes + 2);

    h.clock.t += 1000;
    const changed = await h.service.setMethod({
      login: 'ada@contoso.example',
      kind: 'email',
      value: 'Ada.New@Personal.Example',
      actor: 'cli',
    });
    assert.ok(changed.ok);
    assert.equal(changed.value.method.value, 'Ada.New@personal.example');
    assert.equal(changed.value.noticesQueued, 3, 'new and old address, and the login address');

    h.clock.t += 1000;
    const phone2 = await h.service.setMethod({
      login: 'ada@contoso.example',
      kind: 'phone',
      value: '+447700900999',
      actor: 'cli',
    });
    assert.ok(phone2.ok);
    assert.equal(phone2.value.noticesQueued, 2, 'a phone change is told to the alternate email and the login');

    const same = await h.service.setMethod({
      login: 'ada@contoso.example',
      kind: 'phone',
      value: '+447700900999',
      actor: 'cli',
    });
    assert.ok(same.ok);
    assert.equal(same.value.changed, false);
    assert.equal(same.value.noticesQueued, 0);

    const messages = await h.store.outbox.list({ limit: 100 });
    assert.equal(messages.length, 8);
    const recipients = messages.map((m) => h.keyring.open(m.recipientSealed!)).sort();
    assert.deepEqual(recipients, [
      'Ada.New@personal.example',
      'Ada.New@personal.example',
      'ada@contoso.example',
      'ada@contoso.example',
      'ada@contoso.example',
      'ada@contoso.example',
      'ada@personal.example',
      'ada@personal.example',
    ]);
    for (const m of messages) {
      assert.equal(m.template, 'security-info.changed');
      assert.equal(m.channel, 'email');
      assert.equal(m.status, 'pending');
      assert.equal(m.expiresAt, null);
      const payload = openPayload(h.keyring, m.payloadSealed!, 'email');
      assert.ok(payload && payload.channel === 'email');
      assert.match(payload.text, /Ada Lovelace/);
      assert.match(payload.text, /administrator/);
      // the tenant's help text, as in the console's pre-fill notice (no help desk set: the administrator)
      assert.match(payload.text, /Contact your administrator\./);
      // the notice shows the new value masked, never in full
      assert.ok(!payload.text.includes('900999') && !payload.text.includes('Ada.New@'), payload.text);
    }

    // audited under the console's name: the one pre-fill
    const events = await h.store.audit.list({ type: 'admin.method_prefilled' });
    assert.equal(events.length, 5);
    const text = JSON.stringify(events);
    assert.ok(
      !text.includes('ada@personal.example') && !text.includes('Ada.New@') && !text.includes('+447700900'),
      'values are stored masked only',
    );
    assert.ok(events.some((e) => e.details.value === '••• ••• ••99' && e.details.previous === '••• ••• ••23'));

    const listed = await h.service.listUsers({ search: 'ada@contoso' });
    assert.ok(listed.ok);
    assert.equal(listed.value[0]!.email, 'Ada.New@personal.example');
    assert.equal(listed.value[0]!.phone, '+447700900999');
  });

  test('setMethod refuses bad input — and writes, queues and wakes nothing', async () => {
    const set = (login: string, kind: string, value: string) => () =>
      h.service.setMethod({ login, kind, value, actor: 'cli' });
    await expectRefused(h, 'account_not_found', set('nobody@contoso.example', 'email', 'x@personal.example'));
    await expectRefused(h, 'login_invalid', set('no body', 'email', 'x@personal.example'));
    await expectRefused(h, 'method_kind_invalid', set('ada@contoso.example', 'fax', '+447700900123'));
    await expectRefused(h, 'email_invalid', set('ada@contoso.example', 'email', 'not-an-email'));
    await expectRefused(
      h,
      'email_invalid',
      set('ada@contoso.example', 'email', 'ada@personal.example\r\nBcc: eve@evil.example'),
    );
    await expectRefused(h, 'phone_invalid', set('ada@contoso.example', 'phone', '07700 900123'));
    await expectRefused(h, 'phone_invalid', set('ada@contoso.example', 'phone', '+12'));
  });

  test('setRole changes the role once and audits from/to', async () => {
    const r = await h.service.setRole({ login: 'grace@contoso.test', role: 'GLOBAL_ADMIN', actor: 'cli' });
    assert.ok(r.ok);
    assert.equal(r.value.changed, true);
    assert.equal(r.value.value.role, 'global_admin');
    const events = await h.store.audit.list({ type: 'account.role_changed' });
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.details, { from: 'user', to: 'global_admin' });

    const before = await snapshot(h.store);
    const again = await h.service.setRole({ login: 'grace@contoso.test', role: 'global_admin', actor: 'cli' });
    assert.ok(again.ok && again.value.changed === false);
    assert.equal(await snapshot(h.store), before, 'asking for the current role writes nothing');

    await expectRefused(h, 'role_invalid', () =>
      h.service.setRole({ login: 'grace@contoso.test', role: 'owner', actor: 'cli' }),
    );
    await expectRefused(h, 'account_not_found', () =>
      h.service.setRole({ login: 'nobody@contoso.test', role: 'admin', actor: 'cli' }),
    );
  });

  test('setPassword hashes the new password, sets must-change, and revokes sessions in the same transaction', async () => {
    const ada = await h.service.getUser('ada@contoso.example');
    assert.ok(ada.ok);
    const now = h.clock.now();
    for (const id of ['s1', 's2']) {
      await h.store.directory.createSession({
        idHash: id,
        accountId: ada.value.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + 3_600_000,
      });
    }
    h.clock.t += 1000;
    const r = await h.service.setPassword({
      login: 'ada@contoso.example',
      password: STRONG_2,
      mustChange: true,
      actor: 'cli',
    });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.sessionsRevoked, 2);
    assert.equal(r.value.account.mustChangePassword, true);
    assert.equal(await argon2Hasher.verify(r.value.account.passwordHash!, STRONG_2), true);
    assert.equal(await argon2Hasher.verify(r.value.account.passwordHash!, STRONG), false);
    assert.equal((await h.store.directory.getSession('s1'))?.revokedAt, h.clock.t);
    const events = await h.store.audit.list({ type: 'account.password_set' });
    assert.equal(events.length, 1);
    assert.deepEqual(events[0]!.details, { mustChangePassword: true, sessionsRevoked: 2 });
    assert.ok(!JSON.stringify(await h.store.audit.list({ limit: 10_000 })).includes(STRONG_2));
  });

  test('setPassword refuses weak and personal passwords and unknown accounts — and writes nothing', async () => {
    const set =
      (password: string, login = 'ada@contoso.example') =>
      () =>
        h.service.setPassword({ login, password, actor: 'cli' });
    await expectRefused(h, 'password_too_short', set('fourteen chars'));
    await expectRefused(h, 'password_common', set('Password12345678!'));
    await expectRefused(h, 'password_personal', set('lovelace obsidian glimmer'));
    await expectRefused(h, 'password_personal', set('glimmer personal obsidian'), undefined); // alternate email's domain
    await expectRefused(h, 'password_repetitive', set('zzzzzzzzzzzzzzzzzzzz'));
    await expectRefused(h, 'account_not_found', set(STRONG, 'nobody@contoso.example'));
  });

  test('disable revokes sessions; enable restores; both are idempotent and audited once', async () => {
    const grace = await h.service.getUser('grace@contoso.test');
    assert.ok(grace.ok);
    assert.equal(grace.value.enabled, false);
    const enabled = await h.service.enable({ login: 'grace@contoso.test', actor: 'cli' });
    assert.ok(enabled.ok && enabled.value.changed && enabled.value.value.enabled);
    const now = h.clock.now();
    await h.store.directory.createSession({
      idHash: 'g1',
      accountId: grace.value.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + 60_000,
    });
    const disabled = await h.service.disable({ login: 'Grace@Contoso.Test', actor: 'cli' });
    assert.ok(disabled.ok && disabled.value.changed && !disabled.value.value.enabled);
    assert.notEqual((await h.store.directory.getSession('g1'))?.revokedAt, null);
    const before = await snapshot(h.store);
    const again = await h.service.disable({ login: 'grace@contoso.test', actor: 'cli' });
    assert.ok(again.ok && again.value.changed === false);
    assert.equal(await snapshot(h.store), before);
    assert.equal((await h.store.audit.list({ type: 'account.disabled' })).length, 1);
    assert.equal((await h.store.audit.list({ type: 'account.enabled' })).length, 1);
    await expectRefused(h, 'account_not_found', () =>
      h.service.disable({ login: 'nobody@contoso.test', actor: 'cli' }),
    );
    await expectRefused(h, 'account_not_found', () => h.service.enable({ login: 'nobody@contoso.test', actor: 'cli' }));
  });

  test('countActiveAdmins counts enabled admins of a tenant', async () => {
    const t = await h.service.getTenantByName('Contoso');
    assert.ok(t.ok);
    // ada (admin); grace is global_admin but disabled
    assert.equal(await h.service.countActiveAdmins(t.value.id), 1);
  });
});

describe('DirectoryService writes the change and its audit event in one transaction', () => {
  test('when the audit append fails, the method, the outbox message and the account change are rolled back', async () => {
    let failAudit = false;
    const h = await harness((store) => ({
      ...store,
      directory: store.directory,
      outbox: store.outbox,
      audit: store.audit,
      dialect: store.dialect,
      ping: () => store.ping(),
      close: () => store.close(),
      transaction: (fn) =>
        store.transaction((tx) =>
          fn({
            ...tx,
            audit: {
              ...tx.audit,
              append: async (e) => {
                await tx.audit.append(e);
                if (failAudit) throw new Error('disk full');
              },
              list: (f) => tx.audit.list(f),
            },
          }),
        ),
    }));
    try {
      assert.ok((await h.service.createTenant({ name: 'T', domains: ['t.example'], actor: 'cli' })).ok);
      assert.ok((await h.service.addUser({ login: 'a@t.example', displayName: 'A', actor: 'cli' })).ok);
      assert.ok(
        (await h.service.setMethod({ login: 'a@t.example', kind: 'email', value: 'a@home.example', actor: 'cli' })).ok,
      );
      const before = await snapshot(h.store);
      failAudit = true;
      await assert.rejects(
        h.service.setMethod({ login: 'a@t.example', kind: 'email', value: 'b@home.example', actor: 'cli' }),
        /disk full/,
      );
      await assert.rejects(h.service.setRole({ login: 'a@t.example', role: 'admin', actor: 'cli' }), /disk full/);
      await assert.rejects(h.service.addUser({ login: 'b@t.example', displayName: 'B', actor: 'cli' }), /disk full/);
      await assert.rejects(h.service.createTenant({ name: 'U', domains: ['u.example'], actor: 'cli' }), /disk full/);
      assert.equal(await snapshot(h.store), before);
    } finally {
      await h.cleanup();
    }
  });
});

describe('setupDemo', () => {
  test('creates the demo tenant, two admins and a user with methods and printed-once passwords; a second run changes nothing', async () => {
    const h = await harness();
    try {
      const first = await setupDemo(h.service, cryptoRandom, 'cli');
      assert.equal(first.created, true);
      assert.equal(first.tenantCreated, true);
      assert.deepEqual(
        first.accounts.map((a) => [a.login, a.role]),
        [
          ['admin@contoso.example', 'global_admin'],
          ['admin2@contoso.example', 'admin'],
          ['user@contoso.example', 'user'],
        ],
      );
      const tenant = await h.service.getTenantByName(DEMO_TENANT.name);
      assert.ok(tenant.ok);
      assert.deepEqual(tenant.value.domains, ['contoso.example']);
      const users = await h.service.listUsers({ tenant: DEMO_TENANT.name });
      assert.ok(users.ok);
      for (const spec of DEMO_ACCOUNTS) {
        const u: UserView = users.value.find((x) => x.login === spec.login)!;
        assert.equal(u.email, spec.email);
        assert.match(u.email ?? '', /@personal\.example$/);
        assert.equal(u.phone, spec.phone);
        assert.ok(u.emailVerifiedAt !== null && u.phoneVerifiedAt !== null);
        const account = await h.service.getUser(spec.login);
        assert.ok(account.ok);
        const password = first.accounts.find((a) => a.login === spec.login)!.password;
        assert.ok(password.length >= 15);
        assert.equal(await argon2Hasher.verify(account.value.passwordHash!, password), true);
      }
      assert.equal(new Set(first.accounts.map((a) => a.password)).size, 3, 'each password is its own');
      // 3 accounts × (email set, phone set) × (the alternate email, the login address)
      assert.equal((await h.store.outbox.list({ limit: 100 })).length, 12);
      assert.equal(await h.service.countActiveAdmins(tenant.value.id), 2);

      const before = await snapshot(h.store);
      const second = await setupDemo(h.service, cryptoRandom, 'cli');
      assert.equal(second.created, false);
      assert.equal(second.accounts.length, 0);
      assert.equal(await snapshot(h.store), before);
    } finally {
      await h.cleanup();
    }
  });
});
