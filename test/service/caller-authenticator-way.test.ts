import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { RC } from '../helpers/reset-harness.ts';
import { createPagesKit } from '../http/reset-pages-kit.ts';

/**
 * Caller verification by the authenticator app (issue 13 edges, item 3): the agent chooses
 * "authenticator app", nothing is sent, the caller reads their app's current code, checked by the
 * one TOTP rule with each time step accepted once; an account without an app is refused; an app
 * still in its cooling-off (core coolingOffUntil) verifies nobody.
 */
test('caller verification by the authenticator app: nothing sent, the current code once, not during its cooling-off, refused without an app', async () => {
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
    clock.advance(60_000); // the app comes after the email and phone the user had
    const confirmedAt = clock.now();
    await kit.app.store.authenticators.createPending({
      id: 'app-1',
      accountId: user.id,
      secretSealed: kit.app.keyring.seal(secret),
      sessionHash: 'no-session',
      createdAt: confirmedAt,
    });
    await kit.app.store.authenticators.confirm('app-1', 1, confirmedAt);
    await kit.app.outbox.runOnce();
    const sentBefore = kit.app.devOutbox!.list().length;
    const started = await kit.app.callers.startByWay(actor, user.id, 'authenticator', RC);
    assert.ok(started.ok, JSON.stringify(started));
    assert.deepEqual(started.value.channels, [], 'no code sent');
    assert.equal(started.value.authenticator, true);
    await kit.app.outbox.runOnce();
    assert.equal(kit.app.devOutbox!.list().length, sentBefore, 'nothing went out');

    // the app was confirmed after the user's email and phone: it waits out its
    // cooling-off (24 h by default) before its code verifies a caller, as at the reset gates
    const early = await kit.app.callers.confirm(actor, user.id, totpCodeAt(secret, clock.now()), RC);
    assert.deepEqual(early, { ok: false, error: 'invalid_code' });
    const cooling = await kit.app.store.audit.list({ type: 'caller.verification_failed', accountId: user.id });
    assert.equal(cooling[0]?.outcome, 'cooling_off');
    assert.equal(cooling[0]?.details.until, confirmedAt + 24 * 3_600_000);
    clock.advance(24 * 3_600_000);
    assert.ok((await kit.app.callers.startByWay(actor, user.id, 'authenticator', RC)).ok);

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
        ['ok', 'authenticator'],
        ['no_authenticator', 'authenticator'],
      ],
    );
  } finally {
    await kit.close();
  }
});
