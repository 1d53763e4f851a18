import assert from 'node:assert/strict';
import type { Actor } from '../../src/core/admin-rules.ts';
import type { Account } from '../../src/core/directory-model.ts';
import type { ComposedApp as App } from '../../src/compose.ts';

/** Shared by the admin service, console and authorization tests. */
export const RC = { ip: '192.0.2.10', userAgent: 'admin-test' } as const;

export const FABRIKAM = {
  name: 'Fabrikam',
  domain: 'fabrikam.example',
  admin: { login: 'boss@fabrikam.example', password: 'granite lantern orchard pepper', email: 'boss@home.example' },
  user: { login: 'staff@fabrikam.example', password: 'copper meadow violin rocket', email: 'staff@home.example' },
} as const;

/** A second tenant with its own global admin and a user, both with both methods registered. */
export async function addFabrikam(app: App): Promise<{ admin: Account; user: Account }> {
  const tenant = await app.directory.createTenant({ name: FABRIKAM.name, domains: [FABRIKAM.domain], actor: 'test' });
  assert.ok(tenant.ok, 'Fabrikam created');
  const made: Account[] = [];
  for (const [spec, role, phone] of [
    [FABRIKAM.admin, 'global_admin', '+15555550201'],
    [FABRIKAM.user, 'user', '+15555550202'],
  ] as const) {
    const added = await app.directory.addUser({
      login: spec.login,
      displayName: spec.login.split('@')[0]!,
      role,
      password: spec.password,
      actor: 'test',
    });
    assert.ok(added.ok, `${spec.login} added`);
    assert.ok(
      (await app.directory.setMethod({ login: spec.login, kind: 'email', value: spec.email, actor: 'test' })).ok,
    );
    assert.ok((await app.directory.setMethod({ login: spec.login, kind: 'phone', value: phone, actor: 'test' })).ok);
    made.push(added.value);
  }
  return { admin: made[0]!, user: made[1]! };
}

export async function account(app: App, login: string): Promise<Account> {
  const a = await app.store.directory.findAccountByLogin(login);
  assert.ok(a, `account ${login}`);
  return a;
}

export async function adminActor(app: App, login: string): Promise<Actor> {
  return { kind: 'admin', account: await account(app, login) };
}

export const OPERATOR: Actor = { kind: 'operator', operatorId: 'op-1', login: 'support@sspr.example' };
