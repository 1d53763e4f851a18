import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Operator } from '../../src/ports/operator-store.ts';
import { T0, checkSigninGuard, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function operator(login: string): Operator {
  return { id: uid('op'), login, displayName: `Operator ${login}`, passwordHash: '$argon2id$x', createdAt: T0 };
}

/** The OperatorRepo contract: Technical Support operators, their sessions and sign-in throttling. */
export function operatorRepoContract(name: string, open: OpenStore): void {
  describe(`OperatorRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('create, get, findByLogin; a taken login → login_taken, in parallel exactly one wins', async () => {
      const o = operator('zed@support.example');
      assert.deepEqual(await store().operators.create(o), { ok: true, value: o });
      assert.deepEqual(await store().operators.get(o.id), o);
      assert.deepEqual(await store().operators.findByLogin(o.login), o);
      assert.equal(await store().operators.get('no-such-op'), null);
      assert.equal(await store().operators.findByLogin('nobody@support.example'), null);
      assert.deepEqual(await store().operators.create(operator(o.login)), { ok: false, error: 'login_taken' });
      const raced = await Promise.all([
        store().operators.create(operator('race@support.example')),
        store().operators.create(operator('race@support.example')),
      ]);
      assert.deepEqual(raced.map((r) => r.ok).sort(), [false, true]);
    });

    test('list is ordered by login', async () => {
      for (const login of ['mid@support.example', 'aaa@support.example'])
        await store().operators.create(operator(login));
      const logins = (await store().operators.list()).map((o) => o.login);
      assert.deepEqual(logins, [...logins].sort());
      assert.ok(logins.includes('aaa@support.example') && logins.includes('mid@support.example'));
    });

    test('sessions: create, get, touch (live only), revoke true once; unknown → null / false', async () => {
      const o = operator(`${uid('s')}@support.example`);
      await store().operators.create(o);
      const s = { idHash: uid('osess'), operatorId: o.id, createdAt: T0, lastSeenAt: T0, expiresAt: T0 + 3_600_000 };
      await store().operators.createSession(s);
      assert.deepEqual(await store().operators.getSession(s.idHash), { ...s, revokedAt: null });
      await store().operators.touchSession(s.idHash, T0 + 10);
      assert.equal((await store().operators.getSession(s.idHash))?.lastSeenAt, T0 + 10);
      assert.equal(await store().operators.revokeSession(s.idHash, T0 + 20), true);
      assert.equal(await store().operators.revokeSession(s.idHash, T0 + 30), false);
      assert.equal((await store().operators.getSession(s.idHash))?.revokedAt, T0 + 20);
      await store().operators.touchSession(s.idHash, T0 + 40);
      assert.equal(
        (await store().operators.getSession(s.idHash))?.lastSeenAt,
        T0 + 10,
        'a revoked session is not touched',
      );
      assert.equal(await store().operators.getSession('no-such-session'), null);
      assert.equal(await store().operators.revokeSession('no-such-session', T0), false);
    });

    test('sign-in guard: failures count up, in parallel too; per operator; cleared', async () => {
      const a = operator(`${uid('g')}@support.example`);
      const b = operator(`${uid('g')}@support.example`);
      await store().operators.create(a);
      await store().operators.create(b);
      await checkSigninGuard(store().operators, a.id, b.id);
    });
  });
}
