import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { withPasskeyKit, type PasskeyKit } from '../helpers/passkey-kit.ts';
import { RC } from '../helpers/reset-harness.ts';

const USER = 'user@contoso.example';

/** A flow of USER waiting for a passkey: its handle. */
async function atPasskeyGate(k: PasskeyKit) {
  const flow = await k.h.reset.start(USER, RC);
  assert.ok(flow.ok);
  const use = await k.h.reset.usePasskey(flow.value, RC);
  assert.ok(use.ok);
  return { flowId: flow.value.flowId, secret: use.value.secret };
}

async function rejections(k: PasskeyKit): Promise<string[]> {
  return (await k.h.auditTypes()).filter((e) => e.type === 'passkey.rejected').map((e) => e.outcome);
}

/**
 * Attack: passkey assertion replay. An assertion captured (a logged request, a malicious
 * extension, a proxy) is sent again: its challenge was single use and bound to its own flow, so
 * it passes nowhere else; an assertion signed anew by a cloned authenticator, whose counter does
 * not move past the stored one, is refused and audited.
 */
for (const [name, withDb] of [
  ['SQLite', (fn: (url?: string) => Promise<void>) => fn(undefined)],
  ['PostgreSQL', (fn: (url?: string) => Promise<void>) => withMigratedPostgresDatabase((url) => fn(url))],
] as const) {
  describe(`attack: passkey assertion replay (${name})`, () => {
    test('same challenge: a used assertion passes neither its own flow again nor any other flow; nor a late one', () =>
      withDb((databaseUrl) =>
        withPasskeyKit(
          async (k) => {
            await k.register(USER);
            const owner = await atPasskeyGate(k);
            const captured = await k.assertion(owner);
            // the owner's submission and a replay of it race: exactly one passes
            const raced = await Promise.all([
              k.h.reset.submitPasskey(owner, captured, RC),
              k.h.reset.submitPasskey(owner, captured, RC),
            ]);
            assert.equal(raced.filter((r) => r.ok).length, 1, JSON.stringify(raced));
            // the attacker's own flow, with a live challenge of its own: the captured assertion
            // answers another challenge (the owner's, used, bound to the owner's flow)
            const attacker = await atPasskeyGate(k);
            await k.h.reset.passkeyOptions(attacker);
            assert.deepEqual(await k.h.reset.submitPasskey(attacker, captured, RC), {
              ok: false,
              error: 'passkey_refused',
            });
            // an assertion made for a challenge, sent after its 5 minutes
            const slow = await atPasskeyGate(k);
            const late = await k.assertion(slow);
            k.h.clock.advance(5 * 60_000);
            assert.deepEqual(await k.h.reset.submitPasskey(slow, late, RC), { ok: false, error: 'passkey_refused' });
            const refused = await rejections(k);
            assert.ok(refused.length >= 2, refused.join());
            assert.ok(
              refused.every((r) => r === 'challenge_unknown'),
              refused.join(),
            );
          },
          { databaseUrl },
        ),
      ));

    test('counter: an assertion whose counter does not increase (a cloned authenticator) is refused and audited', () =>
      withDb((databaseUrl) =>
        withPasskeyKit(
          async (k) => {
            await k.register(USER);
            const first = await atPasskeyGate(k);
            const passed = await k.h.reset.submitPasskey(first, await k.assertion(first, { counter: 7 }), RC);
            assert.ok(passed.ok, JSON.stringify(passed));
            // a clone of the key signs fresh challenges, with the same counter and with a lower one
            for (const counter of [7, 3]) {
              const flow = await atPasskeyGate(k);
              const replay = await k.h.reset.submitPasskey(flow, await k.assertion(flow, { counter }), RC);
              assert.deepEqual(replay, { ok: false, error: 'passkey_refused' }, `counter ${counter}`);
            }
            const audit = (await k.h.auditTypes()).filter((e) => e.type === 'passkey.rejected');
            assert.deepEqual(
              audit.map((e) => e.outcome),
              ['counter_not_increasing', 'counter_not_increasing'],
            );
            // the stored counter did not move: the genuine authenticator's next assertion passes
            const stored = (await k.h.store.passkeys.list((await k.signIn(USER)).account.id))[0]!;
            assert.equal(stored.counter, 7);
            const genuine = await atPasskeyGate(k);
            const next = await k.h.reset.submitPasskey(genuine, await k.assertion(genuine, { counter: 8 }), RC);
            assert.ok(next.ok, JSON.stringify(next));
            // (two requests racing with one counter value: one wins, the store's compare-and-set,
            // see test/contract/passkey.contract.ts; a start ends the login's earlier flows)
          },
          { databaseUrl },
        ),
      ));
  });
}
