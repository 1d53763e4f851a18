import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { DEFAULT_TENANT_POLICY, type Account, type Role, type Tenant } from '../../src/core/directory-model.ts';
import type { SqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { OpenedStore } from './store.contract.ts';

/**
 * What a repository contract registers its tests with: a name and a fresh database, empty, or with
 * `migrated: true` already migrated when the adapter can give one cheaply (a copy of a migrated
 * template: on PostgreSQL migrating an empty database cost ~0.5 s more of the server's CPU than the
 * copy). Only the migration tests need an empty one.
 */
export type OpenStore = (options?: { readonly migrated?: boolean }) => Promise<OpenedStore>;

export const T0 = 1_700_000_000_000;

/**
 * One migrated store for the tests of the enclosing `describe` (opened before them, closed and
 * removed after). Tests sharing it create their own tenants and accounts (`seed`), so they do not
 * see each other's rows.
 */
export function sharedStore(open: OpenStore): () => SqlStore {
  let opened: OpenedStore | undefined;
  before(async () => {
    opened = await open({ migrated: true });
    await opened.store.migrate();
  });
  after(async () => {
    if (!opened) return;
    await opened.store.close();
    await opened.cleanup();
  });
  return () => {
    if (!opened) throw new Error('the store is not open yet');
    return opened.store;
  };
}

let seeded = 0;

/** A new tenant (own domain) with one account per role given; ids are unique per process. */
export async function seed(
  store: SqlStore,
  roles: readonly Role[] = ['user'],
): Promise<{ tenant: Tenant; accounts: Account[] }> {
  const n = ++seeded;
  const created = await store.directory.createTenant({
    id: `tenant-${n}`,
    name: `Tenant ${n}`,
    domains: [`t${n}.example`],
    policy: DEFAULT_TENANT_POLICY,
    now: T0,
  });
  if (!created.ok) throw new Error(created.error);
  const accounts: Account[] = [];
  for (const [i, role] of roles.entries()) {
    const account = await store.directory.createAccount({
      id: `acct-${n}-${i}`,
      tenantId: created.value.id,
      login: `p${i}@t${n}.example`,
      displayName: `Person ${i}`,
      role,
      enabled: true,
      passwordHash: `$hash-${n}-${i}`,
      mustChangePassword: false,
      now: T0,
    });
    if (!account.ok) throw new Error(account.error);
    accounts.push(account.value);
  }
  return { tenant: created.value, accounts };
}

/** A fresh id for rows a test creates (`prefix-<n>`). */
export function uid(prefix: string): string {
  return `${prefix}-${++seeded}`;
}

/** The sign-in throttling both accounts (AuthRepo) and operators (OperatorRepo) keep. */
export interface SigninGuardRepo {
  getSigninGuard(id: string): Promise<{ failures: number; lastFailureAt: number } | null>;
  recordSigninFailure(id: string, now: number): Promise<{ failures: number; lastFailureAt: number }>;
  clearSigninGuard(id: string): Promise<void>;
}

/** Failures count up (also in parallel, none lost), carry the last time, and clearing starts again. */
export async function checkSigninGuard(repo: SigninGuardRepo, id: string, other: string): Promise<void> {
  assert.equal(await repo.getSigninGuard(id), null, 'none before the first failure');
  assert.deepEqual(await repo.recordSigninFailure(id, T0), { failures: 1, lastFailureAt: T0 });
  assert.deepEqual(await repo.recordSigninFailure(id, T0 + 5), { failures: 2, lastFailureAt: T0 + 5 });
  await Promise.all([repo.recordSigninFailure(id, T0 + 6), repo.recordSigninFailure(id, T0 + 6)]);
  assert.deepEqual(
    await repo.getSigninGuard(id),
    { failures: 4, lastFailureAt: T0 + 6 },
    'parallel failures all count',
  );
  assert.equal(await repo.getSigninGuard(other), null, 'per subject');
  await repo.clearSigninGuard(id);
  assert.equal(await repo.getSigninGuard(id), null);
  await repo.clearSigninGuard(id); // clearing nothing is harmless
}
