import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Actor } from '../../src/core/admin-rules.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, adminActor, OPERATOR, RC } from './admin-fixtures.ts';

/**
 * The ONE role change and the ONE pre-fill (src/service/account-changes.ts), reached by every
 * caller: the admin console (an admin), the support console (an operator; role changes only), the
 * admin API (an API key; pre-fills only) and the CLI (`sspr user set-role` / `set-method`). Each
 * row runs one caller and checks the audit event's name and actor, and who was told, by template.
 * Before they were one, the CLI's pre-fill audited `method.set` and did not tell the login address,
 * and no role change told anybody.
 */

const GLOBAL = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

type Caller = (app: App, accountId: string) => Promise<{ readonly ok: boolean }>;

interface Row {
  readonly caller: string;
  readonly run: Caller;
  /** The audit event's actor. */
  readonly actor: (app: App) => Promise<string>;
}

interface Notice {
  readonly template: string;
  readonly to: string;
}

async function world(): Promise<{ t: TestApp; app: App; userId: string }> {
  const t = await createTestApp();
  await setupDemo(t.app.directory, t.app.random, 'test');
  return { t, app: t.app, userId: (await account(t.app, USER)).id };
}

/** Messages queued since `since` (outbox ids seen before), as template and clear recipient, sorted. */
async function queuedSince(app: App, since: ReadonlySet<string>): Promise<Notice[]> {
  const all = await app.store.outbox.list({ limit: 1000 });
  return all
    .filter((m) => !since.has(m.id))
    .map((m) => ({ template: m.template, to: app.keyring.open(m.recipientSealed!) }))
    .sort((a, b) => `${a.template} ${a.to}`.localeCompare(`${b.template} ${b.to}`));
}

async function outboxIds(app: App): Promise<Set<string>> {
  return new Set((await app.store.outbox.list({ limit: 1000 })).map((m) => m.id));
}

async function runRow(
  app: App,
  userId: string,
  row: Row,
): Promise<{ events: { type: string; actor: string }[]; notices: Notice[] }> {
  const seenIds = await outboxIds(app);
  const seenEvents = new Set((await app.store.audit.list({ accountId: userId, limit: 1000 })).map((e) => e.id));
  const r = await row.run(app, userId);
  assert.ok(r.ok, `${row.caller}: ${JSON.stringify(r)}`);
  const events = (await app.store.audit.list({ accountId: userId, limit: 1000 }))
    .filter((e) => !seenEvents.has(e.id))
    .map((e) => ({ type: e.type, actor: e.actor }));
  return { events, notices: await queuedSince(app, seenIds) };
}

const asAdmin = (app: App): Promise<Actor> => adminActor(app, GLOBAL);
const apiKey = async (app: App): Promise<Actor> => ({
  kind: 'api_key',
  keyId: 'key-1',
  tenantId: (await account(app, USER)).tenantId,
  scopes: ['users:write'],
});

describe('one role change for the console, the support console and the CLI', () => {
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  const rows: Row[] = [
    {
      caller: 'admin console',
      run: async (app, id) => app.admin.setRole(await asAdmin(app), id, 'admin', RC),
      actor: async (app) => `admin:${(await account(app, GLOBAL)).id}`,
    },
    {
      caller: 'support console (operator)',
      run: (app, id) => app.admin.setRole(OPERATOR, id, 'admin', RC),
      actor: async () => 'operator:op-1',
    },
    {
      caller: 'CLI set-role',
      run: (app) => app.directory.setRole({ login: USER, role: 'admin', actor: 'cli' }),
      actor: async () => 'cli',
    },
  ];

  for (const row of rows) {
    it(`${row.caller}: audits account.role_changed and tells the account and the other admins`, async () => {
      // every row promotes the same user: make it a user again first
      await w.app.store.directory.updateAccount(w.userId, { role: 'user' }, Date.now());
      const { events, notices } = await runRow(w.app, w.userId, row);
      assert.deepEqual(events, [{ type: 'account.role_changed', actor: await row.actor(w.app) }]);
      // the acting admin is not told about what they did; an operator or the CLI tells both admins
      const otherAdmins = row.caller === 'admin console' ? [ADMIN2] : [GLOBAL, ADMIN2];
      assert.deepEqual(notices, [
        { template: 'account.role_changed', to: USER },
        { template: 'account.role_changed', to: USER_EMAIL },
        ...otherAdmins.map((to) => ({ template: 'admin.role_notice', to })),
      ]);
      const [changed] = await w.app.store.audit.list({ accountId: w.userId, type: 'account.role_changed', limit: 1 });
      assert.deepEqual(changed!.details, { from: 'user', to: 'admin' });
    });
  }
});

describe('one pre-fill for the console, the admin API and the CLI', () => {
  let w: Awaited<ReturnType<typeof world>>;
  before(async () => {
    w = await world();
  });
  after(async () => w.t.cleanup());

  const rows: (Row & { readonly email: string })[] = [
    {
      caller: 'admin console',
      email: 'casey.console@personal.example',
      run: async (app, id) =>
        app.admin.prefillMethod(await asAdmin(app), id, 'email', 'casey.console@personal.example', RC),
      actor: async (app) => `admin:${(await account(app, GLOBAL)).id}`,
    },
    {
      caller: 'admin API',
      email: 'casey.api@personal.example',
      run: async (app, id) => app.admin.prefillMethod(await apiKey(app), id, 'email', 'casey.api@personal.example', RC),
      actor: async () => 'api_key:key-1',
    },
    {
      caller: 'CLI set-method',
      email: 'casey.cli@personal.example',
      run: (app) =>
        app.directory.setMethod({ login: USER, kind: 'email', value: 'casey.cli@personal.example', actor: 'cli' }),
      actor: async () => 'cli',
    },
  ];

  for (const row of rows) {
    it(`${row.caller}: audits admin.method_prefilled and tells the new, the old and the login address`, async () => {
      const methods = await w.app.store.directory.listMethods(w.userId);
      const old = methods.find((m) => m.kind === 'email')!.value;
      const { events, notices } = await runRow(w.app, w.userId, row);
      assert.deepEqual(events, [{ type: 'admin.method_prefilled', actor: await row.actor(w.app) }]);
      const told = [row.email, old, USER].map((to) => ({ template: 'security-info.changed', to }));
      assert.deepEqual(
        notices,
        told.sort((a, b) => `${a.template} ${a.to}`.localeCompare(`${b.template} ${b.to}`)),
      );
      const after = await w.app.store.directory.listMethods(w.userId);
      const email = after.find((m) => m.kind === 'email')!;
      assert.equal(email.value, row.email);
      assert.notEqual(email.verifiedAt, null, 'an administrator’s pre-fill is recorded as verified');
    });
  }
});
