import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { RC } from '../helpers/reset-harness.ts';
import { createPagesKit } from '../http/reset-pages-kit.ts';

/**
 * Caller verification by the authenticator app (issue 13 edges, item 3): the agent chooses
 * "authenticator app", nothing is sent, the caller reads their app's current code, checked by the
 * one TOTP rule with each time step accepted once; an account without an app is refused.
 */
test('caller verification by the authenticator app: nothing sent, the current code once, refused without an app', async () => {
  const clock = new ManualClock(Date.now());
  const kit = await createPagesKit({}, { clock, callerVerification: true });
  try {
    const user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
    const admin = (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!;
    const actor = { kind: 'admin' as const, account: admin };
    assert.deepEqual(await kit.app.callers.startByWay(actor, user.id, 'authenticator', RC), {
      ok: false,
      error: 'no_authenticator',
    });

    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    await kit.app.store.authenticators.createPending({
      id: 'app-1',
      accountId: user.id,
      secretSealed: kit.app.keyring.seal(secret),
      sessionHash: 'no-session',
      createdAt: clock.now() - 60_000,
    });
    await kit.app.store.authenticators.confirm('app-1', 1, clock.now() - 60_000);
    await kit.app.outbox.runOnce();
    const sentBefore = kit.app.devOutbox!.list().length;
    const started = await kit.app.callers.startByWay(actor, user.id, 'authenticator', RC);
    assert.ok(started.ok, JSON.stringify(started));
    assert.deepEqual(started.value.channels, [], 'no code sent');
    assert.equal(started.value.authenticator, true);
    await kit.app.outbox.runOnce();
    assert.equal(kit.app.devOutbox!.list().length, sentBefore, 'nothing went out');

    const code = totpCodeAt(secret, clock.now());
    const wrong = await kit.app.callers.confirm(actor, user.id, code === '000000' ? '111111' : '000000', RC);
    assert.deepEqual(wrong, { ok: false, error: 'invalid_code' });
    const right = await kit.app.callers.confirm(actor, user.id, code, RC);
    assert.ok(right.ok, JSON.stringify(right));
    const verified = await kit.app.store.audit.list({ type: 'caller.verified', accountId: user.id });
    assert.equal(verified[0]?.details.via, 'authenticator');
    assert.equal((await kit.app.callers.status(actor, user)).allowed, true);

    // the same code (its step used) does not verify a second time
    clock.advance(1_000); // a new verification, the same time step
    assert.ok((await kit.app.callers.startByWay(actor, user.id, 'authenticator', RC)).ok);
    assert.deepEqual(await kit.app.callers.confirm(actor, user.id, code, RC), { ok: false, error: 'invalid_code' });
    const started2 = await kit.app.store.audit.list({ type: 'caller.verification_started', accountId: user.id });
    assert.deepEqual(
      started2.map((e) => [e.outcome, e.details.way]),
      [
        ['ok', 'authenticator'],
        ['ok', 'authenticator'],
        ['no_authenticator', 'authenticator'],
      ],
    );
  } finally {
    await kit.close();
  }
});
