import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { withAuthenticatorKit, type AuthenticatorKit } from '../helpers/authenticator-kit.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { RC } from '../helpers/reset-harness.ts';

const USER = 'user@contoso.example';

/** A flow of USER waiting for an authenticator code: its handle. */
async function atAppGate(k: AuthenticatorKit) {
  const flow = await k.h.reset.start(USER, RC);
  assert.ok(flow.ok);
  const app = await k.h.reset.useAuthenticator(flow.value, RC);
  assert.ok(app.ok);
  return { flowId: flow.value.flowId, secret: app.value.secret };
}

/**
 * Attack: TOTP code reuse within its step. An observed code (over a shoulder, from a phishing
 * page) is replayed while it is still valid: each time step is accepted once per account, so a
 * replay fails, in another flow, and in parallel with the owner's own submission.
 */
for (const [name, withDb] of [
  ['SQLite', (fn: (url?: string) => Promise<void>) => fn(undefined)],
  ['PostgreSQL', (fn: (url?: string) => Promise<void>) => withMigratedPostgresDatabase((url) => fn(url))],
] as const) {
  describe(`attack: TOTP code reuse within its step (${name})`, () => {
    test('a code the owner used passes no later flow while its step (and window) lasts', () =>
      withDb((databaseUrl) =>
        withAuthenticatorKit(
          async (k) => {
            const secret = await k.register(USER);
            const typed = k.code(secret);
            const first = await k.h.reset.submitCode(await atAppGate(k), typed, RC);
            assert.ok(first.ok, JSON.stringify(first));
            // the attacker replays it at once, and again within the ±1 window
            for (const advance of [0, 10_000, 30_000]) {
              k.h.clock.advance(advance);
              const replay = await k.h.reset.submitCode(await atAppGate(k), typed, RC);
              assert.deepEqual(replay, { ok: false, error: 'invalid_code' }, `after +${advance} ms`);
            }
            // the code of the step before the used one is refused too
            const older = await k.h.reset.submitCode(await atAppGate(k), k.code(secret, -2), RC);
            assert.deepEqual(older, { ok: false, error: 'invalid_code' });
          },
          { databaseUrl },
        ),
      ));

    test('20 parallel submissions of one valid code: exactly one is accepted', () =>
      withDb((databaseUrl) =>
        withAuthenticatorKit(
          async (k) => {
            const secret = await k.register(USER);
            const handle = await atAppGate(k);
            const typed = k.code(secret);
            const results = await Promise.all(
              Array.from({ length: 20 }, () => k.h.reset.submitCode(handle, typed, RC)),
            );
            assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results.filter((r) => !r.ok)));
            const app = await k.h.store.authenticators.confirmed(
              (await k.h.store.directory.findAccountByLogin(USER))!.id,
            );
            assert.equal(app?.lastStep, Math.floor(k.h.clock.now() / 30_000));
          },
          { databaseUrl },
        ),
      ));
  });
}
