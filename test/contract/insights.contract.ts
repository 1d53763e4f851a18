import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { registeredOf } from '../../src/core/gate-policy.ts';
import { coolingOffHorizon } from '../../src/core/security-info-policy.ts';
import { strongMethodsUsable } from '../../src/service/reset/strong-method-cooling.ts';
import type { AuditEventInput } from '../../src/ports/store.ts';
import { T0, seed, sharedStore, type OpenStore } from './contract-kit.ts';

const key = (r: { admin: boolean; email: boolean; sms: boolean; totp: boolean; passkey: boolean }) =>
  [r.admin ? 'admin' : 'user', ...(['email', 'sms', 'totp', 'passkey'] as const).filter((k) => r[k])].join('/');

/** The InsightsRepo contract: the audit viewer's and the usage insights' queries, bounded to one tenant. */
export function insightsRepoContract(name: string, open: OpenStore): void {
  describe(`InsightsRepo contract: ${name}`, () => {
    const store = sharedStore(open);
    const addApp = async (accountId: string, at: number) => {
      await store().authenticators.createPending({
        id: `app-${accountId}`,
        accountId,
        secretSealed: 'sealed',
        sessionHash: `s-${accountId}`,
        createdAt: at,
      });
      await store().authenticators.confirm(`app-${accountId}`, 1, at);
    };
    const addPasskey = (accountId: string, at: number) =>
      store().passkeys.add({
        id: `pk-${accountId}`,
        accountId,
        credentialId: `cred${accountId}`.replace(/[^A-Za-z0-9_-]/g, ''),
        publicKey: 'pQECAyYgASFYIA',
        counter: 0,
        transports: [],
        name: 'Laptop',
        createdAt: at,
      });

    const event = (over: Partial<AuditEventInput> & Pick<AuditEventInput, 'tenantId'>): AuditEventInput => ({
      at: T0,
      accountId: null,
      actor: 'self',
      type: 'reset.requested',
      outcome: 'sent',
      ip: null,
      userAgent: null,
      details: {},
      ...over,
    });

    test("listAudit: the tenant's events newest first with account and admin logins; filters, [since, until), beforeId cursor, limit", async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'admin']);
      const [user, admin] = accounts;
      const other = await seed(store());
      await store().audit.append(event({ tenantId: tenant.id, accountId: user!.id, at: T0 }));
      await store().audit.append(
        event({
          tenantId: tenant.id,
          accountId: user!.id,
          actor: `admin:${admin!.id}`,
          type: 'admin.unblocked',
          outcome: 'ok',
          at: T0 + 10,
        }),
      );
      await store().audit.append(event({ tenantId: tenant.id, accountId: null, at: T0 + 20, outcome: 'not_found' }));
      await store().audit.append(event({ tenantId: other.tenant.id, accountId: other.accounts[0]!.id, at: T0 + 5 }));
      const all = await store().insights.listAudit({ tenantId: tenant.id, limit: 100 });
      assert.deepEqual(
        all.map((e) => [e.at, e.accountLogin, e.actorLogin]),
        [
          [T0 + 20, null, null],
          [T0 + 10, user!.login, admin!.login],
          [T0, user!.login, null],
        ],
      );
      const list = (q: Partial<Parameters<ReturnType<typeof store>['insights']['listAudit']>[0]>) =>
        store()
          .insights.listAudit({ tenantId: tenant.id, limit: 100, ...q })
          .then((r) => r.map((e) => e.at));
      assert.deepEqual(await list({ type: 'admin.unblocked' }), [T0 + 10]);
      assert.deepEqual(await list({ outcome: 'not_found' }), [T0 + 20]);
      assert.deepEqual(await list({ accountId: user!.id }), [T0 + 10, T0]);
      assert.deepEqual(await list({ since: T0 + 10, until: T0 + 20 }), [T0 + 10], 'since inclusive, until exclusive');
      assert.deepEqual(await list({ beforeId: all[1]!.id }), [T0]);
      assert.deepEqual(await list({ limit: 1 }), [T0 + 20]);
    });

    test('auditVocabulary: distinct types and outcomes of the tenant since a time, sorted', async () => {
      const { tenant } = await seed(store());
      await store().audit.append(event({ tenantId: tenant.id, type: 'reset.requested', outcome: 'sent', at: T0 }));
      await store().audit.append(event({ tenantId: tenant.id, type: 'reset.completed', outcome: 'ok', at: T0 + 1 }));
      await store().audit.append(
        event({ tenantId: tenant.id, type: 'reset.requested', outcome: 'not_found', at: T0 + 2 }),
      );
      assert.deepEqual(await store().insights.auditVocabulary(tenant.id, T0), {
        types: ['reset.completed', 'reset.requested'],
        outcomes: ['not_found', 'ok', 'sent'],
      });
      assert.deepEqual(await store().insights.auditVocabulary(tenant.id, T0 + 2), {
        types: ['reset.requested'],
        outcomes: ['not_found'],
      });
      assert.deepEqual(await store().insights.auditVocabulary('no-such-tenant', 0), { types: [], outcomes: [] });
    });

    test('resetEvents: the given types in [since, until], projected (flow, channel, by), newest kept up to limit; no types → []', async () => {
      const { tenant } = await seed(store());
      await store().audit.append(event({ tenantId: tenant.id, at: T0, details: { flow: 'abc', channel: 'email' } }));
      await store().audit.append(
        event({
          tenantId: tenant.id,
          type: 'reset.completed',
          outcome: 'ok',
          at: T0 + 5,
          details: { by: 'self-service' },
        }),
      );
      await store().audit.append(event({ tenantId: tenant.id, type: 'other.type', at: T0 + 6 }));
      await store().audit.append(event({ tenantId: tenant.id, at: T0 + 10 }));
      const rows = await store().insights.resetEvents(
        tenant.id,
        ['reset.requested', 'reset.completed'],
        T0,
        T0 + 5,
        10,
      );
      assert.deepEqual(
        rows.sort((x, y) => x.at - y.at),
        [
          {
            at: T0,
            accountId: null,
            type: 'reset.requested',
            outcome: 'sent',
            flow: 'abc',
            channel: 'email',
            by: null,
          },
          {
            at: T0 + 5,
            accountId: null,
            type: 'reset.completed',
            outcome: 'ok',
            flow: null,
            channel: null,
            by: 'self-service',
          },
        ],
      );
      const newest = await store().insights.resetEvents(tenant.id, ['reset.requested'], T0, T0 + 10, 1);
      assert.deepEqual(
        newest.map((r) => r.at),
        [T0 + 10],
      );
      assert.deepEqual(await store().insights.resetEvents(tenant.id, [], T0, T0 + 10, 10), []);
    });

    test('registration: enabled accounts counted by role and verified methods', async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user', 'user', 'admin', 'user']);
      const [both, emailOnly, none, admin, disabled] = accounts.map((a) => a.id);
      await store().directory.setMethod(both!, 'email', 'a@alt.example', T0, T0);
      await store().directory.setMethod(both!, 'phone', '+15555550100', T0, T0);
      await store().directory.setMethod(emailOnly!, 'email', 'b@alt.example', T0, T0);
      await store().directory.setMethod(none!, 'email', 'c@alt.example', null, T0); // not verified
      await store().directory.setMethod(admin!, 'phone', '+15555550101', T0, T0);
      await store().directory.updateAccount(disabled!, { enabled: false }, T0);
      const rows = await store().insights.registration(tenant.id);
      const key = (r: { role: string; email: boolean; phone: boolean }) => `${r.role}/${r.email}/${r.phone}`;
      assert.deepEqual(Object.fromEntries(rows.map((r) => [key(r), r.count])), {
        'admin/false/true': 1,
        'user/false/false': 1,
        'user/true/false': 1,
        'user/true/true': 1,
      });
      assert.deepEqual(await store().insights.registration('no-such-tenant'), []);
    });

    test('gateRegistration / adminRegistrations: what a reset could use now, counted by admin or not', async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user', 'user', 'admin', 'global_admin', 'user']);
      const [emailOnly, app, coolingOff, adminSms, adminKey, disabled] = accounts.map((a) => a.id);
      const d = store().directory;
      for (const id of [emailOnly, app, coolingOff, adminSms, adminKey, disabled])
        await d.setMethod(id!, 'email', `${id}@alt.example`, T0, T0);
      await d.setMethod(coolingOff!, 'phone', '+15555550102', T0, T0);
      await store().securityInfo.setUsableFrom(coolingOff!, 'phone', T0 + 1000); // replaced: not usable yet
      await d.setMethod(adminSms!, 'phone', '+15555550103', T0, T0);
      await d.setMethod(adminKey!, 'phone', '+15555550104', null, T0); // not verified
      await addApp(app!, T0);
      await addPasskey(adminKey!, T0);
      await d.updateAccount(disabled!, { enabled: false }, T0);
      const counted = async (now: number, horizon = now) =>
        Object.fromEntries(
          (await store().insights.gateRegistration(tenant.id, now, horizon)).groups.map((r) => [key(r), r.count]),
        );
      assert.deepEqual(await counted(T0 + 10), {
        'user/email': 2,
        'user/email/totp': 1,
        'admin/email/sms': 1,
        'admin/email/passkey': 1,
      });
      assert.deepEqual((await counted(T0 + 1000))['user/email/sms'], 1, 'the phone after its cooling-off');
      assert.deepEqual(await store().insights.gateRegistration('no-such-tenant', T0, T0), { groups: [], recent: [] });

      // an app or a passkey registered after the horizon: the account comes with its ways in, not counted
      const recent = await store().insights.gateRegistration(tenant.id, T0 + 10, T0 - 1);
      assert.deepEqual(
        Object.fromEntries(recent.groups.map((r) => [key(r), r.count])),
        { 'user/email': 2, 'admin/email/sms': 1 },
        'only the accounts without a recent app or passkey are counted',
      );
      assert.deepEqual(
        [...recent.recent].sort((a, b) => (a.id < b.id ? -1 : 1)),
        [
          {
            id: app!,
            admin: false,
            methods: [{ kind: 'email', value: `${app}@alt.example`, verifiedAt: T0, usableFrom: null }],
            authenticatorConfirmedAt: T0,
            passkeys: [],
          },
          {
            id: adminKey!,
            admin: true,
            methods: [{ kind: 'email', value: `${adminKey}@alt.example`, verifiedAt: T0, usableFrom: null }],
            authenticatorConfirmedAt: null,
            passkeys: [{ id: `pk-${adminKey}`, createdAt: T0 }],
          },
        ].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );

      const admins = await store().insights.adminRegistrations(tenant.id, 10);
      const judged = (now: number) =>
        admins.map((a) => [a.id, key({ ...registeredOf(DEFAULT_TENANT_POLICY, a, now), admin: true })]);
      // the passkey came with the email it stands beside: 24 hours of cooling-off (the default)
      assert.deepEqual(judged(T0 + 10), [
        [adminSms, 'admin/email/sms'],
        [adminKey, 'admin/email'],
      ]);
      assert.deepEqual(judged(T0 + 24 * 3_600_000), [
        [adminSms, 'admin/email/sms'],
        [adminKey, 'admin/email/passkey'],
      ]);
      assert.deepEqual(admins[0]!.methods.map((m) => m.kind).sort(), ['email', 'phone']);
      assert.equal(admins[0]!.displayName, 'Person 3');
      assert.equal((await store().insights.adminRegistrations(tenant.id, 1)).length, 1, 'limited');
    });

    test('coverage facts: a new authenticator app or passkey beside an email is not usable during its cooling-off (core coolingOffUntil)', async () => {
      const HOUR = 3_600_000;
      const policy = { ...DEFAULT_TENANT_POLICY, coolingOffHours: 24 };
      const { tenant, accounts } = await seed(store(), ['user', 'admin', 'user']);
      const [withApp, withKey, firstWay] = accounts.map((a) => a.id);
      const d = store().directory;
      await d.setMethod(withApp!, 'email', `${withApp}@alt.example`, T0, T0);
      await d.setMethod(withKey!, 'email', `${withKey}@alt.example`, T0, T0);
      await addApp(withApp!, T0 + HOUR); // added beside the email: cools off until T0 + 25 h
      await addPasskey(withKey!, T0 + HOUR);
      await addPasskey(firstWay!, T0 + HOUR); // the account's first way in: usable at once
      await d.setMethod(firstWay!, 'email', `${firstWay}@alt.example`, T0 + 2 * HOUR, T0 + 2 * HOUR);
      const facts = async (now: number) => {
        const r = await store().insights.gateRegistration(tenant.id, now, coolingOffHorizon(policy, now));
        const all = [
          ...r.groups,
          ...r.recent.map((a) => ({ admin: a.admin, count: 1, ...registeredOf(policy, a, now) })),
        ];
        const out: Record<string, number> = {};
        for (const g of all) out[key(g)] = (out[key(g)] ?? 0) + g.count;
        return out;
      };
      assert.deepEqual(await facts(T0 + 3 * HOUR), { 'user/email': 1, 'admin/email': 1, 'user/email/passkey': 1 });
      assert.deepEqual(await facts(T0 + 25 * HOUR - 1), { 'user/email': 1, 'admin/email': 1, 'user/email/passkey': 1 });
      assert.deepEqual(await facts(T0 + 25 * HOUR), {
        'user/email/totp': 1,
        'admin/email/passkey': 1,
        'user/email/passkey': 1,
      });
      // the reset gates read the same: the app's cooling-off ends at the same instant
      const usable = await strongMethodsUsable(store(), withApp!, policy);
      assert.equal(usable.authenticator, T0 + 25 * HOUR);
    });
  });
}
