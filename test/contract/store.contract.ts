import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TENANT_POLICY, type Role, type TenantPolicy } from '../../src/core/directory-model.ts';
import { directorySettingsInput, parseDirectorySettings } from '../../src/core/directory-settings.ts';
import { migrations } from '../../src/adapters/sql/migrations.ts';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { NewAccount, NewOutboxMessage, NewTenant, Repos } from '../../src/ports/store.ts';
import type { OpenStore } from './contract-kit.ts';

/**
 * What every `Store` adapter must do, registered as node:test blocks.
 *
 * `open()` returns a store on a fresh, EMPTY (not yet migrated) database (`open({ migrated: true })`:
 * one that may be migrated already, for the tests that are not about migrating); the suite migrates it,
 * closes it and then calls `cleanup()`, which removes the database. When `url` is returned, the
 * suite also opens second stores on the same database in this process (separate pools) to test
 * concurrent claiming, creating and migrating; without it those tests run their concurrent calls
 * on the one store.
 */
export interface OpenedStore {
  readonly store: SqlStore;
  cleanup(): Promise<void>;
  /**
   * URL of the same database, for a second store in this process. Give it for PostgreSQL only:
   * better-sqlite3 is synchronous, so a second SQLite connection in the same process waiting for
   * the first one's lock blocks the event loop the first one needs to finish (SQLITE_BUSY after
   * the busy timeout). Cross-process SQLite behaviour is tested in test/adapters/sql-store.test.ts.
   */
  readonly url?: string;
}

/** Every migration the code knows, in order (the first three are the ones this suite's tables need). */
export const ALL_MIGRATIONS = Object.keys(migrations('sqlite')).sort();

const T0 = 1_700_000_000_000;

export function storeContract(name: string, open: OpenStore): void {
  async function withStore(fn: (store: SqlStore, opened: OpenedStore) => Promise<void>): Promise<void> {
    // migrated already where the adapter can (a template copy); `migrate()` then applies nothing
    const opened = await open({ migrated: true });
    try {
      await opened.store.migrate();
      await fn(opened.store, opened);
    } finally {
      await opened.store.close();
      await opened.cleanup();
    }
  }

  describe(`Store contract: ${name}`, () => {
    describe('migrations and lifecycle', () => {
      test('migrate applies every migration once, then nothing; ping answers', async () => {
        const opened = await open();
        try {
          assert.deepEqual(ALL_MIGRATIONS.slice(0, 3), ['0001_directory', '0002_outbox', '0003_audit']);
          assert.deepEqual(Object.keys(migrations('postgres')).sort(), ALL_MIGRATIONS);
          assert.deepEqual(await opened.store.migrate(), ALL_MIGRATIONS);
          assert.deepEqual(await opened.store.migrate(), []);
          await opened.store.ping();
          assert.deepEqual(await opened.store.directory.listTenants(), []);
        } finally {
          await opened.store.close();
          await opened.cleanup();
        }
      });

      // Needs a server database (the url): two SQLite connections in one process would block the
      // event loop on the file lock, so SQLite's case runs in child processes (sql-store.test.ts).
      test('two stores migrating the same empty database at once apply each migration exactly once', async () => {
        const opened = await open();
        try {
          if (!opened.url) {
            await opened.store.migrate();
            assert.deepEqual(
              await opened.store.migrate(),
              [],
              'without a url: migrating twice applies nothing the second time',
            );
            return;
          }
          const other = await openSqlStore(opened.url);
          try {
            const [a, b] = await Promise.all([opened.store.migrate(), other.migrate()]);
            assert.deepEqual([...a, ...b].sort(), ALL_MIGRATIONS);
            assert.deepEqual(await other.migrate(), []);
            await other.directory.createTenant(tenant('t1', 'one', ['one.example']));
            assert.equal((await opened.store.directory.getTenant('t1'))?.name, 'one');
          } finally {
            await other.close();
          }
        } finally {
          await opened.store.close();
          await opened.cleanup();
        }
      });

      test('ping throws once the store is closed; close twice is harmless', async () => {
        const opened = await open();
        try {
          await opened.store.ping();
          await opened.store.close();
          await opened.store.close();
          await assert.rejects(opened.store.ping());
        } finally {
          await opened.cleanup();
        }
      });
    });

    describe('directory: tenants', () => {
      test('create, get, find by name and domain, list, update policy', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          const created = await d.createTenant(tenant('t1', 'Acme', ['b.acme.test', 'a.acme.test', 'a.acme.test']));
          assert.ok(created.ok);
          assert.deepEqual(created.value, {
            id: 't1',
            name: 'Acme',
            domains: ['a.acme.test', 'b.acme.test'],
            policy: DEFAULT_TENANT_POLICY,
            createdAt: T0,
            updatedAt: T0,
          });
          assert.deepEqual(await d.getTenant('t1'), created.value);
          assert.deepEqual(await d.findTenantByName('Acme'), created.value);
          assert.deepEqual(await d.findTenantByDomain('b.acme.test'), created.value);
          assert.equal(await d.getTenant('nope'), null);
          assert.equal(await d.findTenantByName('acme-other'), null);
          assert.equal(await d.findTenantByDomain('c.acme.test'), null);

          assert.ok((await d.createTenant(tenant('t2', 'Beta', []))).ok);
          assert.deepEqual(
            (await d.listTenants()).map((t) => [t.id, t.domains]),
            [
              ['t1', ['a.acme.test', 'b.acme.test']],
              ['t2', []],
            ],
          );

          const policy: TenantPolicy = {
            ...DEFAULT_TENANT_POLICY,
            gates: { ...DEFAULT_TENANT_POLICY.gates, users: { ...DEFAULT_TENANT_POLICY.gates.users, count: 2 } },
            passwordMinLength: 12,
            helpdeskUrl: 'https://help.acme.test',
            helpdeskEmail: null,
          };
          assert.equal(await d.updateTenantPolicy('t1', policy, T0 + 5), true);
          assert.equal(await d.updateTenantPolicy('nope', policy, T0 + 5), false);
          const updated = await d.getTenant('t1');
          assert.deepEqual(updated?.policy, policy);
          assert.equal(updated?.updatedAt, T0 + 5);
          assert.equal(updated?.createdAt, T0);
          assert.deepEqual((await d.getTenant('t2'))?.policy, DEFAULT_TENANT_POLICY);
        });
      });

      test('duplicate name → tenant_exists, taken domain → domain_taken, leaving nothing behind', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          assert.ok((await d.createTenant(tenant('t1', 'Acme', ['acme.test']))).ok);

          const sameName = await d.createTenant(tenant('t2', 'Acme', ['fresh.test']));
          assert.deepEqual(sameName, { ok: false, error: 'tenant_exists' });
          const takenDomain = await d.createTenant(tenant('t3', 'Other', ['fresh2.test', 'acme.test']));
          assert.deepEqual(takenDomain, { ok: false, error: 'domain_taken' });

          assert.deepEqual(
            (await d.listTenants()).map((t) => t.id),
            ['t1'],
          );
          assert.equal(await d.findTenantByDomain('fresh.test'), null);
          assert.equal(await d.findTenantByDomain('fresh2.test'), null);
          assert.equal(await d.findTenantByName('Other'), null);
        });
      });

      test('concurrent creates of one name or domain: exactly one wins, the others get the error value', async () => {
        await withStore(async (store, opened) => {
          const other = opened.url ? await openSqlStore(opened.url) : store;
          try {
            const results = await Promise.all([
              store.directory.createTenant(tenant('a', 'Same', ['a.test'])),
              other.directory.createTenant(tenant('b', 'Same', ['b.test'])),
              store.directory.createTenant(tenant('c', 'C', ['shared.test'])),
              other.directory.createTenant(tenant('d', 'D', ['shared.test'])),
            ]);
            assert.equal(results.filter((r) => r.ok).length, 2);
            assert.deepEqual(
              results.filter((r) => !r.ok).map((r) => (r.ok ? null : r.error)),
              ['tenant_exists', 'domain_taken'],
            );
            const tenants = await store.directory.listTenants();
            assert.equal(tenants.length, 2);
            const domains = tenants.flatMap((t) => t.domains).sort();
            assert.equal(domains.length, 2, `orphan domains left behind: ${domains.join(', ')}`);
          } finally {
            if (other !== store) await other.close();
          }
        });
      });

      test('a duplicate inside a transaction returns the error and the transaction still commits', async () => {
        await withStore(async (store) => {
          await store.directory.createTenant(tenant('t1', 'Acme', ['acme.test']));
          const outcome = await store.transaction(async (tx) => {
            const dup = await tx.directory.createTenant(tenant('t2', 'Acme', ['x.test']));
            const dupDomain = await tx.directory.createTenant(tenant('t3', 'Gamma', ['acme.test']));
            const fine = await tx.directory.createTenant(tenant('t4', 'Delta', ['delta.test']));
            const dupLogin = await tx.directory.createAccount(account('a1', 't4', 'x@delta.test'));
            const dupLogin2 = await tx.directory.createAccount(account('a2', 't4', 'x@delta.test'));
            // A reused id is a bug, not an expected failure: it throws, but only its savepoint is rolled back.
            await assert.rejects(tx.directory.createTenant(tenant('t1', 'Epsilon', ['epsilon.test'])));
            await assert.rejects(tx.directory.createAccount(account('a1', 't4', 'y@delta.test')));
            return [dup.ok ? 'ok' : dup.error, dupDomain.ok ? 'ok' : dupDomain.error, fine.ok, dupLogin.ok, dupLogin2];
          });
          assert.deepEqual(outcome, ['tenant_exists', 'domain_taken', true, true, { ok: false, error: 'login_taken' }]);
          assert.deepEqual(
            (await store.directory.listTenants()).map((t) => t.id),
            ['t1', 't4'],
          );
          assert.equal((await store.directory.findAccountByLogin('x@delta.test'))?.id, 'a1');
          assert.equal(await store.directory.findTenantByDomain('x.test'), null);
          assert.equal(await store.directory.findTenantByDomain('epsilon.test'), null);
          assert.equal(await store.directory.findAccountByLogin('y@delta.test'), null);
        });
      });
    });

    describe('directory: accounts', () => {
      test('create, get, find by login; a taken login → login_taken and no second row', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', ['acme.test']));
          const created = await d.createAccount({
            ...account('a1', 't1', 'ann@acme.test', 'admin'),
            passwordHash: '$argon2id$x',
          });
          assert.ok(created.ok);
          assert.deepEqual(created.value, {
            id: 'a1',
            tenantId: 't1',
            login: 'ann@acme.test',
            displayName: 'Display ann@acme.test',
            role: 'admin',
            enabled: true,
            passwordHash: '$argon2id$x',
            mustChangePassword: false,
            externalId: null,
            createdAt: T0,
            updatedAt: T0,
          });
          assert.deepEqual(await d.getAccount('a1'), created.value);
          assert.deepEqual(await d.findAccountByLogin('ann@acme.test'), created.value);
          assert.equal(await d.getAccount('nope'), null);
          assert.equal(await d.findAccountByLogin('nobody@acme.test'), null);

          const dup = await d.createAccount(account('a2', 't1', 'ann@acme.test'));
          assert.deepEqual(dup, { ok: false, error: 'login_taken' });
          assert.equal(await d.getAccount('a2'), null);
          assert.equal((await d.listAccounts({})).length, 1);
        });
      });

      test('listAccounts filters by tenant, role, case-insensitive search (wildcards literal), limit; ordered by login', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await d.createTenant(tenant('t2', 'Beta', []));
          const add = async (id: string, tenantId: string, login: string, displayName: string, role: Role = 'user') =>
            assert.ok((await d.createAccount({ ...account(id, tenantId, login, role), displayName })).ok);
          await add('a3', 't1', 'zoe@acme.test', 'Zoë Émilie ÅSTRÖM');
          await add('a1', 't1', 'bob@acme.test', 'Bob 100% Real', 'admin');
          await add('a2', 't1', 'al_x@acme.test', 'Alex');
          await add('a4', 't2', 'bo@beta.test', 'Bo', 'global_admin');
          await add('a5', 't2', 'alyx@beta.test', 'Alyx');

          const ids = async (filter: Parameters<typeof d.listAccounts>[0]) =>
            (await d.listAccounts(filter)).map((a) => a.id);
          assert.deepEqual(await ids({}), ['a2', 'a5', 'a4', 'a1', 'a3']);
          assert.deepEqual(await ids({ tenantId: 't1' }), ['a2', 'a1', 'a3']);
          assert.deepEqual(await ids({ role: 'admin' }), ['a1']);
          assert.deepEqual(await ids({ tenantId: 't2', role: 'global_admin' }), ['a4']);
          assert.deepEqual(await ids({ search: 'BO' }), ['a4', 'a1']);
          assert.deepEqual(await ids({ search: 'émilie' }), ['a3']);
          assert.deepEqual(await ids({ search: 'åström' }), ['a3']);
          assert.deepEqual(await ids({ search: 'ZOË' }), ['a3']);
          assert.deepEqual(await ids({ search: 'l_x' }), ['a2'], '_ must not match any character (alyx)');
          assert.deepEqual(await ids({ search: '100%' }), ['a1']);
          assert.deepEqual(await ids({ search: '%' }), ['a1'], '% must be literal');
          assert.deepEqual(await ids({ search: '\\' }), []);
          assert.deepEqual(await ids({ search: 'acme', tenantId: 't2' }), []);
          assert.deepEqual(await ids({ limit: 2 }), ['a2', 'a5']);
          assert.deepEqual(await ids({ tenantId: 't1', search: 'o', limit: 1 }), ['a1']);
        });
      });

      test('listAccounts: limit defaults to 100 and is capped at 1000', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await store.transaction(async (tx) => {
            for (let i = 0; i < 1005; i++) {
              const r = await tx.directory.createAccount(
                account(`a${i}`, 't1', `u${String(i).padStart(4, '0')}@acme.test`),
              );
              assert.ok(r.ok);
            }
          });
          assert.equal((await d.listAccounts({})).length, 100);
          assert.equal((await d.listAccounts({ limit: 5000 })).length, 1000);
          assert.equal((await d.listAccounts({ limit: 3 }))[2]?.login, 'u0002@acme.test');
        });
      });

      test('listAccounts: afterLogin pages by login (keyset) through every account once, with the other filters', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', ['acme.test']));
          await d.createTenant(tenant('t2', 'Beta', ['beta.test']));
          const logins = ['al_x', 'alyx', 'bo', 'bob', 'carl', 'dee', 'eve', 'zoe'];
          for (const [i, name] of logins.entries()) {
            const fromDirectory = i % 4 !== 3; // bob and zoe are builtin
            const r = await d.createAccount({
              ...account(`a${i}`, 't1', `${name}@acme.test`),
              externalId: fromDirectory ? `ext-${i}` : null,
            });
            assert.ok(r.ok);
          }
          assert.ok((await d.createAccount({ ...account('b1', 't2', 'cat@beta.test'), externalId: 'ext-b1' })).ok);
          const pages: string[][] = [];
          let afterLogin: string | undefined;
          for (;;) {
            const page = await d.listAccounts({ tenantId: 't1', fromDirectory: true, limit: 2, afterLogin });
            if (page.length === 0) break;
            pages.push(page.map((a) => a.login));
            afterLogin = page.at(-1)!.login;
          }
          assert.deepEqual(pages, [
            ['al_x@acme.test', 'alyx@acme.test'],
            ['bo@acme.test', 'carl@acme.test'],
            ['dee@acme.test', 'eve@acme.test'],
          ]);
          const all = (await d.listAccounts({ tenantId: 't1', limit: 100 })).map((a) => a.login);
          assert.deepEqual(
            (await d.listAccounts({ tenantId: 't1', afterLogin: 'bob@acme.test' })).map((a) => a.login),
            all.slice(all.indexOf('bob@acme.test') + 1),
            'strictly after the given login',
          );
          assert.deepEqual(await d.listAccounts({ tenantId: 't1', afterLogin: 'zoe@acme.test' }), []);
          assert.deepEqual(
            (await d.listAccounts({ tenantId: 't1', afterLogin: 'c' })).map((a) => a.login),
            ['carl@acme.test', 'dee@acme.test', 'eve@acme.test', 'zoe@acme.test'],
            'a login that is not stored still positions the page',
          );
        });
      });

      test('updateAccount changes only the fields in the patch; null clears the password; unknown id → null', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await d.createAccount({
            ...account('a1', 't1', 'ann@acme.test'),
            passwordHash: 'h1',
            mustChangePassword: true,
          });

          const renamed = await d.updateAccount('a1', { displayName: 'Ann Émery' }, T0 + 10);
          assert.deepEqual(renamed, {
            id: 'a1',
            tenantId: 't1',
            login: 'ann@acme.test',
            displayName: 'Ann Émery',
            role: 'user',
            enabled: true,
            passwordHash: 'h1',
            mustChangePassword: true,
            externalId: null,
            createdAt: T0,
            updatedAt: T0 + 10,
          });
          assert.deepEqual(
            (await d.listAccounts({ search: 'ÉMERY' })).map((a) => a.id),
            ['a1'],
          );

          const changed = await d.updateAccount(
            'a1',
            { role: 'admin', enabled: false, passwordHash: null, mustChangePassword: false },
            T0 + 20,
          );
          assert.deepEqual(changed, {
            ...renamed,
            role: 'admin',
            enabled: false,
            passwordHash: null,
            mustChangePassword: false,
            externalId: null,
            updatedAt: T0 + 20,
          });
          assert.deepEqual(await d.getAccount('a1'), changed);
          const unchanged = await d.updateAccount('a1', {}, T0 + 30);
          assert.deepEqual(unchanged, { ...changed, updatedAt: T0 + 30 });
          assert.equal(await d.updateAccount('nope', { displayName: 'x' }, T0), null);
        });
      });

      test('updateAccount saves the language a person picked, and null clears it; without one the account reads as before', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          const created = await d.createAccount(account('a1', 't1', 'ann@acme.test'));
          assert.ok(created.ok);
          const before = await d.getAccount('a1');
          assert.ok(before && !('locale' in before), 'no language saved: no locale field');

          const saved = await d.updateAccount('a1', { locale: 'pt-BR' }, T0 + 10);
          assert.deepEqual(saved, { ...before, locale: 'pt-BR', updatedAt: T0 + 10 });
          assert.equal((await d.getAccount('a1'))?.locale, 'pt-BR');
          assert.equal((await d.findAccountByLogin('ann@acme.test'))?.locale, 'pt-BR');
          const other = await d.updateAccount('a1', { displayName: 'Ann E.' }, T0 + 20);
          assert.equal(other?.locale, 'pt-BR', 'a patch without locale keeps it');

          const cleared = await d.updateAccount('a1', { locale: null }, T0 + 30);
          assert.ok(cleared && !('locale' in cleared), 'cleared: reads as never saved');
        });
      });

      test('a tenant directory: stored with its secret as a reference only, replaced, removed (builtin again)', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', ['acme.test']));
          assert.equal(await d.getTenantDirectory('t1'), null);
          const parsed = parseDirectorySettings({
            kind: 'ldap',
            urls: ['ldaps://ldap1.acme.test', 'ldaps://ldap2.acme.test:1636'],
            bindDn: 'cn=sspr,dc=acme,dc=test',
            bindPassword: 'env:ACME_LDAP_PASSWORD',
            baseDn: 'ou=people,dc=acme,dc=test',
            adminGroups: ['cn=admins,ou=groups,dc=acme,dc=test'],
          });
          assert.ok(parsed.ok, parsed.ok ? '' : parsed.detail);
          await d.setTenantDirectory('t1', parsed.value, T0 + 1);
          assert.deepEqual(await d.getTenantDirectory('t1'), { settings: parsed.value, updatedAt: T0 + 1 });
          const ad = parseDirectorySettings({
            ...directorySettingsInput(parsed.value),
            kind: 'ad',
            userFilter: '(sAMAccountName={login})',
            bindPassword: 'file:/run/secrets/ad',
          });
          assert.ok(ad.ok);
          await d.setTenantDirectory('t1', ad.value, T0 + 2);
          const stored = await d.getTenantDirectory('t1');
          assert.equal(stored?.settings.kind, 'ad');
          assert.equal(stored?.settings.bindPassword, 'file:/run/secrets/ad');
          assert.equal(stored?.updatedAt, T0 + 2);
          await d.setTenantDirectory('t1', null, T0 + 3);
          assert.equal(await d.getTenantDirectory('t1'), null);
        });
      });

      test('directory accounts: found by external id per tenant, renamed by login patch, listed apart', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', ['acme.test']));
          await d.createTenant(tenant('t2', 'Beta', ['beta.test']));
          const uuid = '6f1c2a4e-0000-4000-8000-000000000001';
          const created = await d.createAccount({ ...account('a1', 't1', 'ann@acme.test'), externalId: uuid });
          assert.ok(created.ok);
          assert.equal(created.value.externalId, uuid);
          await d.createAccount(account('a2', 't1', 'bob@acme.test'));
          assert.equal((await d.findAccountByExternalId('t1', uuid))?.id, 'a1');
          assert.equal(await d.findAccountByExternalId('t2', uuid), null);
          const renamed = await d.updateAccount('a1', { login: 'ann.smith@acme.test' }, T0 + 5);
          assert.equal(renamed?.login, 'ann.smith@acme.test');
          assert.equal((await d.findAccountByLogin('ann.smith@acme.test'))?.id, 'a1');
          assert.equal(await d.findAccountByLogin('ann@acme.test'), null);
          assert.deepEqual(
            (await d.listAccounts({ tenantId: 't1', fromDirectory: true })).map((a) => a.id),
            ['a1'],
          );
          assert.equal((await d.listAccounts({ tenantId: 't1' })).length, 2);
        });
      });

      test('countActiveAdmins counts enabled admins and global admins of the tenant only', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await d.createTenant(tenant('t2', 'Beta', []));
          assert.equal(await d.countActiveAdmins('t1'), 0);
          await d.createAccount(account('a1', 't1', 'a1@acme.test', 'admin'));
          await d.createAccount(account('a2', 't1', 'a2@acme.test', 'global_admin'));
          await d.createAccount({ ...account('a3', 't1', 'a3@acme.test', 'admin'), enabled: false });
          await d.createAccount(account('a4', 't1', 'a4@acme.test', 'user'));
          await d.createAccount(account('a5', 't2', 'a5@beta.test', 'admin'));
          assert.equal(await d.countActiveAdmins('t1'), 2);
          assert.equal(await d.countActiveAdmins('t2'), 1);
          await d.updateAccount('a1', { enabled: false }, T0 + 1);
          assert.equal(await d.countActiveAdmins('t1'), 1);
        });
      });
    });

    describe('directory: methods and sessions', () => {
      test('setMethod inserts then replaces (keeping createdAt); list and remove', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await d.createAccount(account('a1', 't1', 'ann@acme.test'));
          await d.createAccount(account('a2', 't1', 'bob@acme.test'));

          const phone = await d.setMethod('a1', 'phone', '+447700900123', null, T0 + 1);
          assert.deepEqual(phone, {
            accountId: 'a1',
            kind: 'phone',
            value: '+447700900123',
            verifiedAt: null,
            createdAt: T0 + 1,
            updatedAt: T0 + 1,
            usableFrom: null,
          });
          await d.setMethod('a1', 'email', 'ann@home.test', T0 + 2, T0 + 2);
          await d.setMethod('a2', 'email', 'bob@home.test', T0 + 2, T0 + 2);
          const replaced = await d.setMethod('a1', 'phone', '+447700900999', T0 + 3, T0 + 3);
          assert.deepEqual(replaced, { ...phone, value: '+447700900999', verifiedAt: T0 + 3, updatedAt: T0 + 3 });

          const methods = await d.listMethods('a1');
          assert.deepEqual(
            methods.map((m) => [m.kind, m.value]),
            [
              ['email', 'ann@home.test'],
              ['phone', '+447700900999'],
            ],
          );
          assert.deepEqual(methods[1], replaced);
          assert.equal(await d.removeMethod('a1', 'phone'), true);
          assert.equal(await d.removeMethod('a1', 'phone'), false);
          assert.deepEqual(
            (await d.listMethods('a1')).map((m) => m.kind),
            ['email'],
          );
          assert.equal((await d.listMethods('a2')).length, 1);
          assert.deepEqual(await d.listMethods('nope'), []);
        });
      });

      test('sessions: create, get, touch; revokeSessions counts live ones and skips revoked and expired', async () => {
        await withStore(async (store) => {
          const d = store.directory;
          await d.createTenant(tenant('t1', 'Acme', []));
          await d.createAccount(account('a1', 't1', 'ann@acme.test'));
          await d.createAccount(account('a2', 't1', 'bob@acme.test'));
          const session = (idHash: string, accountId: string, expiresAt: number) => ({
            idHash,
            accountId,
            createdAt: T0,
            lastSeenAt: T0,
            expiresAt,
          });
          await d.createSession(session('s1', 'a1', T0 + 1000));
          await d.createSession(session('s2', 'a1', T0 + 1000));
          await d.createSession(session('s3', 'a1', T0 + 50)); // expired at T0 + 100
          await d.createSession(session('s4', 'a2', T0 + 1000));

          assert.deepEqual(await d.getSession('s1'), { ...session('s1', 'a1', T0 + 1000), revokedAt: null });
          assert.equal(await d.getSession('nope'), null);
          await d.touchSession('s1', T0 + 10);
          assert.equal((await d.getSession('s1'))?.lastSeenAt, T0 + 10);

          assert.equal(await store.transaction((tx) => tx.directory.revokeSessions('a1', T0 + 100)), 2);
          assert.equal((await d.getSession('s1'))?.revokedAt, T0 + 100);
          assert.equal((await d.getSession('s2'))?.revokedAt, T0 + 100);
          assert.equal((await d.getSession('s3'))?.revokedAt, null);
          assert.equal((await d.getSession('s4'))?.revokedAt, null);
          assert.equal(await d.revokeSessions('a1', T0 + 200), 0, 'already revoked sessions are not counted again');
          assert.equal((await d.getSession('s1'))?.revokedAt, T0 + 100);
          await d.touchSession('s1', T0 + 300);
          assert.equal((await d.getSession('s1'))?.lastSeenAt, T0 + 10, 'a revoked session is not touched');
          assert.equal(await d.revokeSessions('a2', T0 + 200), 1);
        });
      });
    });

    describe('transactions', () => {
      test('a throw rolls back tenant, account, outbox message and audit event together', async () => {
        await withStore(async (store) => {
          const boom = new Error('boom');
          await assert.rejects(
            store.transaction(async (tx) => {
              await writeEverything(tx);
              assert.ok(await tx.directory.getAccount('a1'), 'the transaction sees its own writes');
              throw boom;
            }),
            (e) => e === boom,
          );
          assert.deepEqual(await store.directory.listTenants(), []);
          assert.equal(await store.directory.getAccount('a1'), null);
          assert.equal(await store.directory.findTenantByDomain('acme.test'), null);
          assert.deepEqual(await store.directory.listMethods('a1'), []);
          assert.equal(await store.outbox.get('m1'), null);
          assert.deepEqual(await store.audit.list({}), []);
          // The store is still usable and the same ids are free.
          assert.equal(await store.transaction(async (tx) => (await writeEverything(tx), 'done')), 'done');
          assert.equal((await store.directory.getAccount('a1'))?.login, 'ann@acme.test');
          assert.equal((await store.outbox.get('m1'))?.status, 'pending');
          assert.equal((await store.audit.list({})).length, 1);
        });
      });
    });

    describe('outbox', () => {
      test('enqueue, nextDueAt, claim only what is due, mark sent erases content, list', async () => {
        await withStore(async (store) => {
          const o = store.outbox;
          assert.equal(await o.nextDueAt(), null);
          await o.enqueue(message('m1', T0));
          await o.enqueue(message('m2', T0 + 500));
          const m1 = await o.get('m1');
          assert.deepEqual(m1, {
            id: 'm1',
            tenantId: 't1',
            accountId: 'a1',
            channel: 'email',
            template: 'reset.code',
            recipientSealed: 'sealed-recipient-m1',
            payloadSealed: 'sealed-payload-m1',
            status: 'pending',
            attempts: 0,
            nextAttemptAt: T0,
            expiresAt: T0 + 600_000,
            lastError: null,
            createdAt: T0,
            sentAt: null,
            claimedBy: null,
            claimedUntil: null,
            codeId: null,
            finishedAt: null,
          });
          assert.equal(await o.get('nope'), null);
          assert.equal(await o.nextDueAt(), T0);

          const claimed = await o.claimDue('w1', T0 + 100, T0 + 30_100, 10);
          assert.deepEqual(
            claimed.map((m) => m.id),
            ['m1'],
          );
          assert.deepEqual(claimed[0], { ...m1, status: 'sending', claimedBy: 'w1', claimedUntil: T0 + 30_100 });
          assert.equal(await o.nextDueAt(), T0 + 500, 'claimed messages are not pending');
          assert.deepEqual(await o.claimDue('w2', T0 + 100, T0 + 30_100, 10), [], 'a live claim is not taken');

          assert.equal(await o.markSent('m1', 'w2', T0 + 200), false, 'another worker cannot complete it');
          assert.equal(await o.markSent('m1', 'w1', T0 + 200), true);
          assert.equal(await o.markSent('m1', 'w1', T0 + 300), false, 'only once');
          const sent = await o.get('m1');
          assert.equal(sent?.status, 'sent');
          assert.equal(sent?.sentAt, T0 + 200);
          assert.equal(sent?.payloadSealed, null);
          assert.equal(sent?.recipientSealed, null);
          assert.equal(sent?.template, 'reset.code');

          assert.deepEqual(
            (await o.list({})).map((m) => m.id),
            ['m1', 'm2'],
          );
          assert.deepEqual(
            (await o.list({ status: 'pending' })).map((m) => m.id),
            ['m2'],
          );
          assert.deepEqual(
            (await o.list({ status: 'sent', limit: 1 })).map((m) => m.id),
            ['m1'],
          );
          assert.deepEqual(await o.list({ status: 'failed' }), []);
          assert.deepEqual(
            (await o.list({ limit: 1 })).map((m) => m.id),
            ['m1'],
          );
        });
      });

      test('markRetry puts it back to pending with attempts, next attempt and error; claimed again only when due', async () => {
        await withStore(async (store) => {
          const o = store.outbox;
          await o.enqueue(message('m1', T0));
          assert.equal((await o.claimDue('w1', T0, T0 + 1000, 5)).length, 1);
          assert.equal(await o.markRetry('m1', 'w2', 1, T0 + 5000, 'not mine'), false);
          assert.equal(await o.markRetry('m1', 'w1', 1, T0 + 5000, 'smtp 451'), true);
          const retry = await o.get('m1');
          assert.equal(retry?.status, 'pending');
          assert.equal(retry?.attempts, 1);
          assert.equal(retry?.nextAttemptAt, T0 + 5000);
          assert.equal(retry?.lastError, 'smtp 451');
          assert.equal(retry?.claimedBy, null);
          assert.equal(retry?.claimedUntil, null);
          assert.equal(retry?.payloadSealed, 'sealed-payload-m1', 'content is kept for the next attempt');
          assert.equal(await o.markRetry('m1', 'w1', 2, T0 + 6000, 'again'), false, 'no longer claimed');
          assert.equal(await o.nextDueAt(), T0 + 5000);

          assert.deepEqual(await o.claimDue('w1', T0 + 4999, T0 + 9999, 5), []);
          const again = await o.claimDue('w1', T0 + 5000, T0 + 9999, 5);
          assert.deepEqual(
            again.map((m) => [m.id, m.attempts]),
            [['m1', 1]],
          );
        });
      });

      test('markFailed and markExpired end the message and erase its content', async () => {
        await withStore(async (store) => {
          const o = store.outbox;
          await o.enqueue(message('m1', T0));
          await o.enqueue(message('m2', T0));
          assert.equal((await o.claimDue('w1', T0, T0 + 1000, 5)).length, 2);

          assert.equal(await o.markFailed('m1', 'w2', 5, 'bounced', T0 + 1), false);
          assert.equal(await o.markFailed('m1', 'w1', 5, 'bounced', T0 + 1), true);
          const failed = await o.get('m1');
          assert.equal(failed?.status, 'failed');
          assert.equal(failed?.attempts, 5);
          assert.equal(failed?.lastError, 'bounced');
          assert.equal(failed?.payloadSealed, null);
          assert.equal(failed?.recipientSealed, null);
          assert.equal(failed?.sentAt, null);
          assert.equal(await o.markExpired('m1', 'w1', T0 + 2), false, 'already ended');

          assert.equal(await o.markExpired('m2', 'w2', T0 + 2), false);
          assert.equal(await o.markExpired('m2', 'w1', T0 + 2), true);
          const expired = await o.get('m2');
          assert.equal(expired?.status, 'expired');
          assert.equal(expired?.payloadSealed, null);
          assert.equal(expired?.recipientSealed, null);
          assert.equal(await o.markSent('m2', 'w1', T0 + 3), false);

          assert.equal(await o.nextDueAt(), null);
          assert.deepEqual(
            await o.claimDue('w1', T0 + 10_000_000, T0 + 10_001_000, 5),
            [],
            'ended messages are never claimed',
          );
        });
      });

      test('an expired claim is taken over; the old worker can no longer complete it', async () => {
        await withStore(async (store) => {
          const o = store.outbox;
          await o.enqueue(message('m1', T0));
          assert.equal((await o.claimDue('w1', T0, T0 + 1000, 5)).length, 1);
          assert.deepEqual(
            await o.claimDue('w2', T0 + 1000, T0 + 2000, 5),
            [],
            'claimed_until is still valid at its own instant',
          );
          const taken = await o.claimDue('w2', T0 + 1001, T0 + 2001, 5);
          assert.deepEqual(
            taken.map((m) => [m.id, m.claimedBy, m.claimedUntil]),
            [['m1', 'w2', T0 + 2001]],
          );
          assert.equal(await o.markSent('m1', 'w1', T0 + 1002), false);
          assert.equal(await o.markRetry('m1', 'w1', 1, T0 + 5000, 'late'), false);
          assert.equal(await o.markFailed('m1', 'w1', 1, 'late', T0 + 1002), false);
          assert.equal(await o.markExpired('m1', 'w1', T0 + 1002), false);
          assert.equal((await o.get('m1'))?.status, 'sending');
          assert.equal(await o.markSent('m1', 'w2', T0 + 1003), true);
          assert.equal((await o.get('m1'))?.sentAt, T0 + 1003);
        });
      });

      test('claimDue honours the limit and takes the earliest due first; release gives back only that worker’s claims', async () => {
        await withStore(async (store) => {
          const o = store.outbox;
          for (const [id, at] of [
            ['m3', T0 + 3],
            ['m1', T0 + 1],
            ['m4', T0 + 4],
            ['m2', T0 + 2],
          ] as const) {
            await o.enqueue(message(id, at));
          }
          const first = await o.claimDue('w1', T0 + 10, T0 + 1000, 2);
          assert.deepEqual(
            first.map((m) => m.id),
            ['m1', 'm2'],
          );
          const second = await o.claimDue('w2', T0 + 10, T0 + 1000, 1);
          assert.deepEqual(
            second.map((m) => m.id),
            ['m3'],
          );
          assert.equal(await o.markSent('m1', 'w1', T0 + 11), true);

          assert.equal(await o.release('w1'), 1);
          assert.equal(await o.release('w1'), 0);
          const m2 = await o.get('m2');
          assert.equal(m2?.status, 'pending');
          assert.equal(m2?.claimedBy, null);
          assert.equal(m2?.claimedUntil, null);
          assert.equal((await o.get('m1'))?.status, 'sent', 'release leaves completed messages alone');
          assert.equal((await o.get('m3'))?.claimedBy, 'w2');
          assert.equal(await o.nextDueAt(), T0 + 2);
          assert.deepEqual(await o.claimDue('w1', T0 + 10, T0 + 1000, 0), []);
        });
      });

      test('parallel claiming from two stores never claims one message twice and claims them all', async () => {
        await withStore(async (store, opened) => {
          const other = opened.url ? await openSqlStore(opened.url) : store;
          try {
            await store.transaction(async (tx) => {
              for (let i = 0; i < 200; i++)
                await tx.outbox.enqueue(message(`m${String(i).padStart(3, '0')}`, T0 + (i % 7)));
            });
            const claimedBy = new Map<string, string[]>();
            const worker = async (s: SqlStore, name: string) => {
              const mine: string[] = [];
              for (;;) {
                const batch = await s.outbox.claimDue(name, T0 + 100, T0 + 60_000, 7);
                if (batch.length === 0) break;
                for (const m of batch) {
                  assert.equal(m.claimedBy, name);
                  mine.push(m.id);
                }
                // let the other workers claim between batches: a SQLite claim runs synchronously, and
                // without a turn of the event loop one worker could take every batch (seen on Node 24)
                await new Promise((resolve) => setImmediate(resolve));
              }
              claimedBy.set(name, mine);
            };
            await Promise.all([worker(store, 'w1'), worker(other, 'w2'), worker(store, 'w3'), worker(other, 'w4')]);
            const all = [...claimedBy.values()].flat();
            assert.equal(new Set(all).size, all.length, 'a message was claimed twice');
            assert.equal(all.length, 200);
            const rows = await store.outbox.list({ status: 'sending', limit: 1000 });
            assert.equal(rows.length, 200);
            for (const [name, ids] of claimedBy) {
              assert.equal(rows.filter((r) => r.claimedBy === name).length, ids.length);
            }
            if (opened.url) {
              const perStore = (claimedBy.get('w1')?.length ?? 0) + (claimedBy.get('w3')?.length ?? 0);
              assert.ok(perStore > 0 && perStore < 200, `both stores claimed (first store: ${perStore})`);
            }
          } finally {
            if (other !== store) await other.close();
          }
        });
      });
    });

    describe('audit', () => {
      test('append and list: filters, since inclusive, until exclusive, newest first, limit, details kept', async () => {
        await withStore(async (store) => {
          const a = store.audit;
          const event = (at: number, type: string, tenantId: string | null, accountId: string | null) => ({
            at,
            tenantId,
            accountId,
            actor: 'self',
            type,
            outcome: 'ok',
            ip: '192.0.2.1',
            userAgent: 'test-agent',
            details: { found: true, attempts: 2, note: 'x', none: null },
          });
          await a.append(event(T0 + 1, 'reset.requested', 't1', 'a1'));
          await a.append(event(T0 + 2, 'reset.code_sent', 't1', 'a1'));
          await a.append(event(T0 + 2, 'reset.requested', 't1', 'a2'));
          await a.append(event(T0 + 3, 'reset.requested', 't2', null));
          await a.append({
            ...event(T0 + 4, 'system.started', null, null),
            actor: 'system',
            ip: null,
            userAgent: null,
            details: {},
          });

          const all = await a.list({});
          assert.equal(all.length, 5);
          assert.deepEqual(
            all.map((e) => [e.at, e.type]),
            [
              [T0 + 4, 'system.started'],
              [T0 + 3, 'reset.requested'],
              [T0 + 2, 'reset.requested'],
              [T0 + 2, 'reset.code_sent'],
              [T0 + 1, 'reset.requested'],
            ],
          );
          const ids = all.map((e) => e.id);
          assert.ok(ids.every((id) => typeof id === 'number'));
          assert.deepEqual(
            [...ids].sort((x, y) => y - x),
            ids,
            'ids grow with insertion order',
          );
          const { id: _id, ...first } = all[4]!;
          assert.deepEqual(first, event(T0 + 1, 'reset.requested', 't1', 'a1'));
          assert.deepEqual(all[0]?.details, {});
          assert.equal(all[0]?.ip, null);

          const ats = async (filter: Parameters<typeof a.list>[0]) => (await a.list(filter)).map((e) => e.at - T0);
          assert.deepEqual(await ats({ tenantId: 't1' }), [2, 2, 1]);
          assert.deepEqual(await ats({ accountId: 'a1' }), [2, 1]);
          assert.deepEqual(await ats({ type: 'reset.requested' }), [3, 2, 1]);
          assert.deepEqual(await ats({ since: T0 + 2 }), [4, 3, 2, 2]);
          assert.deepEqual(await ats({ until: T0 + 2 }), [1]);
          assert.deepEqual(await ats({ since: T0 + 2, until: T0 + 3 }), [2, 2]);
          assert.deepEqual(await ats({ tenantId: 't1', type: 'reset.requested', since: T0 + 2 }), [2]);
          assert.deepEqual(await ats({ limit: 2 }), [4, 3]);
          assert.deepEqual(await ats({ tenantId: 'nope' }), []);
        });
      });

      test('list: limit defaults to 100 and is capped at 1000', async () => {
        await withStore(async (store) => {
          await store.transaction(async (tx) => {
            for (let i = 0; i < 1005; i++) {
              await tx.audit.append({
                at: T0 + i,
                tenantId: null,
                accountId: null,
                actor: 'system',
                type: 'bulk',
                outcome: 'ok',
                ip: null,
                userAgent: null,
                details: {},
              });
            }
          });
          const page = await store.audit.list({});
          assert.equal(page.length, 100);
          assert.equal(page[0]?.at, T0 + 1004);
          assert.equal((await store.audit.list({ limit: 100_000 })).length, 1000);
        });
      });
    });
  });
}

function tenant(id: string, name: string, domains: string[]): NewTenant {
  return { id, name, domains, policy: DEFAULT_TENANT_POLICY, now: T0 };
}

function account(id: string, tenantId: string, login: string, role: Role = 'user'): NewAccount {
  return {
    id,
    tenantId,
    login,
    displayName: `Display ${login}`,
    role,
    enabled: true,
    passwordHash: null,
    mustChangePassword: false,
    now: T0,
  };
}

function message(id: string, now: number): NewOutboxMessage {
  return {
    id,
    tenantId: 't1',
    accountId: 'a1',
    channel: 'email',
    template: 'reset.code',
    recipientSealed: `sealed-recipient-${id}`,
    payloadSealed: `sealed-payload-${id}`,
    expiresAt: now + 600_000,
    now,
  };
}

async function writeEverything(tx: Repos): Promise<void> {
  assert.ok((await tx.directory.createTenant(tenant('t1', 'Acme', ['acme.test']))).ok);
  assert.ok((await tx.directory.createAccount(account('a1', 't1', 'ann@acme.test'))).ok);
  await tx.directory.setMethod('a1', 'email', 'ann@home.test', T0, T0);
  await tx.outbox.enqueue(message('m1', T0));
  await tx.audit.append({
    at: T0,
    tenantId: 't1',
    accountId: 'a1',
    actor: 'cli',
    type: 'account.created',
    outcome: 'ok',
    ip: null,
    userAgent: null,
    details: { role: 'user' },
  });
}
