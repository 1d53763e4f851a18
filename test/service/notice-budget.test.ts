import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_RESET_POLICY } from '../../src/core/reset-policy.ts';
import { NOTICE_LIMIT, SMS_NOTICE_LIMIT } from '../../src/core/sending-limits.ts';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { sendingLimitRefusal } from '../../src/service/sending-limits.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, adminActor, RC } from './admin-fixtures.ts';

/**
 * Notices (password changed, an admin's notice of another's reset, a block, …) never use up the
 * per-account email limit that reset and registration codes need, and have their own cap
 * (core/sending-limits.ts). Before this rule, twelve notices to an admin in ten minutes left the
 * admin's reset start with nothing sent while the page looked as usual.
 */
const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';

describe('notices never consume the budget of reset codes, and are capped themselves', () => {
  let t: TestApp;
  let app: App;
  const clock = new ManualClock();
  before(async () => {
    t = await createTestApp({}, { clock });
    app = t.app;
    await setupDemo(app.directory, app.random, 'test');
  });
  after(async () => t.cleanup());

  /** The outbox rows of one account (every status), oldest first. */
  async function rowsOf(accountId: string) {
    return (await app.store.outbox.list({ limit: 1000 })).filter((m) => m.accountId === accountId);
  }

  /** `n` assisted resets of the user by admin2: each tells admin (the other admin) in a notice. */
  async function assistedResets(n: number): Promise<void> {
    const actor = await adminActor(app, ADMIN2);
    const user = await account(app, USER);
    for (let i = 0; i < n; i++) {
      const r = await app.admin.assistedReset(actor, user.id, 'temp_password', RC);
      assert.ok(r.ok, JSON.stringify(r));
    }
  }

  it("after 12 notices to an admin in 10 minutes, the admin's reset code is still sent", async () => {
    const admin = await account(app, ADMIN);
    await assistedResets(12);
    const notices = (await rowsOf(admin.id)).filter((m) => m.template === 'admin.reset_notice');
    assert.equal(notices.length, 12);
    assert.ok(notices.length > DEFAULT_RESET_POLICY.maxEmailsPerAccount, 'more notices than the code limit');
    assert.ok(
      notices.every((m) => m.status === 'pending'),
      'all 12 notices go out',
    );

    const started = await app.reset.start(ADMIN, RC);
    assert.ok(started.ok, JSON.stringify(started));
    const codes = (await rowsOf(admin.id)).filter((m) => m.template === 'reset.code');
    assert.equal(codes.length, 1, 'the reset code is queued');
    assert.equal(codes[0]!.status, 'pending');

    while ((await app.outbox.runOnce()) > 0);
    const code = (await rowsOf(admin.id)).find((m) => m.id === codes[0]!.id)!;
    assert.equal(code.status, 'sent', 'the reset code was delivered');
  });

  it('the notice flood is capped: beyond NOTICE_LIMIT in the window, notices are recorded as ended, not sent', async () => {
    const admin = await account(app, ADMIN);
    // every notice of the admin in the window counts (the demo's method notices at setup too)
    const before = (await rowsOf(admin.id)).filter((m) => m.expiresAt === null).length;
    await assistedResets(NOTICE_LIMIT.max + 8 - before);
    const notices = (await rowsOf(admin.id)).filter((m) => m.expiresAt === null);
    assert.equal(notices.length, NOTICE_LIMIT.max + 8);
    const capped = notices.filter((m) => m.lastError === 'account_notice_limit');
    assert.equal(capped.length, 8, 'the 8 beyond the cap are refused');
    assert.ok(capped.every((m) => m.template === 'admin.reset_notice'));
    assert.ok(capped.every((m) => m.status === 'expired' && m.payloadSealed === null && m.recipientSealed === null));
    assert.equal(
      notices.filter((m) => m.lastError === null && m.status !== 'expired').length,
      NOTICE_LIMIT.max,
      'NOTICE_LIMIT.max notices are kept to send',
    );

    // the cap never touches codes: a resend-free new start still queues the admin's code
    clock.advance(DEFAULT_RESET_POLICY.resendCooldownMs);
    assert.ok((await app.reset.start(ADMIN, RC)).ok);
    const codes = (await rowsOf(admin.id)).filter((m) => m.template === 'reset.code');
    assert.equal(codes.length, 2);
    assert.equal(codes[1]!.lastError, null);

    // once the window has passed, notices go out again
    clock.advance(NOTICE_LIMIT.windowMs);
    await assistedResets(1);
    const last = (await rowsOf(admin.id)).filter((m) => m.template === 'admin.reset_notice').at(-1)!;
    assert.equal(last.lastError, null);
    assert.notEqual(last.status, 'expired');
  });

  it('text-message notices have their own budget: 5 per account per day, never the code SMS limit', async () => {
    const user = await account(app, USER);
    const sms = () => rowsOf(user.id).then((rows) => rows.filter((m) => m.channel === 'sms' && m.expiresAt === null));
    // a help desk's actions tell the owner's phone (caller.notice_sms): 8 in a row, only 5 queued
    for (let i = 0; i < 8; i++) await app.callers.notifyOwner(user);
    assert.equal((await sms()).length, SMS_NOTICE_LIMIT.max);
    assert.ok((await sms()).every((m) => m.template === 'caller.notice_sms'));
    const codeLimit = await sendingLimitRefusal(
      app.store,
      DEFAULT_RESET_POLICY,
      {
        channel: 'sms',
        accountId: user.id,
        tenantId: user.tenantId,
        tenant: DEFAULT_TENANT_POLICY,
        to: '+15555550103',
      },
      clock.now(),
    );
    assert.ok(SMS_NOTICE_LIMIT.max >= DEFAULT_RESET_POLICY.maxSmsPerAccountPerDay);
    assert.equal(codeLimit, null, 'the notices did not use up the account’s code texts');
    clock.advance(SMS_NOTICE_LIMIT.windowMs + 1);
    await app.callers.notifyOwner(user, 'second_factor_reset');
    assert.equal((await sms()).length, SMS_NOTICE_LIMIT.max + 1, 'a day later, notices go out again');
  });
});
