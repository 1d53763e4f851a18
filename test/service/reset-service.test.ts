import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argon2Hasher } from '../../src/adapters/crypto/argon2-hasher.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { createResetHarness, RC, STRONG, T0, type ResetHarness } from '../helpers/reset-harness.ts';

const MIN = 60_000;
const ADMIN = 'admin@contoso.example';
const ADMIN_MAIL = 'ada.home@personal.example';
const ADMIN_PHONE = '+15555550101';
const USER = 'user@contoso.example';
const USER_MAIL = 'uma.home@personal.example';
const ADMIN2 = 'admin2@contoso.example';
const ADMIN2_MAIL = 'bob.home@personal.example';
const ADMIN2_PHONE = '+15555550102';
const DAY = 24 * 60 * MIN;

async function start(h: ResetHarness, login: string): Promise<FlowHandle> {
  const r = await h.reset.start(login, RC);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

function ok<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  assert.equal(r.ok, false, 'expected a refusal');
  return r.error;
}

async function withHarness(fn: (h: ResetHarness) => Promise<void>, options?: Parameters<typeof createResetHarness>[0]) {
  const h = await createResetHarness(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('reset service (SQLite, injected clock)', () => {
  test('user, one gate: email code → new password → completed; sessions revoked, notices queued, old password gone', () =>
    withHarness(async (h) => {
      const account = await h.store.directory.findAccountByLogin(USER);
      await h.store.directory.createSession({
        idHash: 's1',
        accountId: account!.id,
        createdAt: T0,
        lastSeenAt: T0,
        expiresAt: T0 + 3_600_000,
      });
      let handle = await start(h, 'USER@Contoso.Example');
      const view = ok(await h.reset.view(handle));
      assert.equal(view.state, 'email_code');
      assert.equal(view.maskedEmail, 'u••••@personal.example');
      assert.equal(view.stepsTotal, null, 'no total before the first gate');
      const mails = await h.messages();
      assert.equal(mails.length, 1);
      assert.equal(mails[0]!.to, USER_MAIL);
      assert.match(mails[0]!.text, /https:\/\/reset\.example\.com\/reset\/link\?t=/);
      assert.equal(errorOf(await h.reset.submitCode(handle, '12345', RC)), 'code_malformed');
      const code = await h.lastCode(USER_MAIL);
      const wrong = code === '000000' ? '000001' : '000000';
      assert.equal(errorOf(await h.reset.submitCode(handle, wrong, RC)), 'invalid_code');
      const step = ok(await h.reset.submitCode(handle, code, RC));
      assert.equal(step.view.state, 'new_password');
      assert.deepEqual([step.view.step, step.view.stepsTotal], [1, 1]);
      handle = { flowId: handle.flowId, secret: step.secret };
      assert.equal(errorOf(await h.reset.setPassword(handle, STRONG, STRONG + 'x', RC)), 'password_mismatch');
      assert.equal(errorOf(await h.reset.setPassword(handle, 'short', 'short', RC)), 'password_too_short');
      assert.equal(
        errorOf(await h.reset.setPassword(handle, 'password12345678', 'password12345678', RC)),
        'password_common',
      );
      assert.equal(
        errorOf(await h.reset.setPassword(handle, 'uma.home personal words', 'uma.home personal words', RC)),
        'password_personal',
      );
      assert.equal(
        errorOf(await h.reset.setPassword(handle, 'original passphrase words', 'original passphrase words', RC)),
        'password_reused',
      );
      const done = ok(await h.reset.setPassword(handle, STRONG, STRONG, RC));
      assert.equal(done.state, 'completed');
      const after = await h.store.directory.findAccountByLogin(USER);
      assert.equal(await argon2Hasher.verify(after!.passwordHash!, STRONG), true);
      assert.equal(await argon2Hasher.verify(after!.passwordHash!, 'original passphrase words'), false);
      assert.equal((await h.store.directory.getSession('s1'))!.revokedAt, T0);
      const notices = (await h.messages())
        .filter((m) => m.template === 'reset.completed')
        .map((m) => m.to)
        .sort();
      assert.deepEqual(notices, [USER_MAIL, USER].sort());
      assert.match((await h.messages()).find((m) => m.template === 'reset.completed')!.text, /198\.51\.100\.7/);
      assert.equal(errorOf(await h.reset.view(handle)), 'flow_completed');
      const types = (await h.auditTypes()).map((e) => `${e.type}:${e.outcome}`);
      for (const t of [
        'reset.requested:found',
        'code.rejected:mismatch',
        'code.accepted:ok',
        'password.changed:ok',
        'sessions.revoked:ok',
      ]) {
        assert.ok(types.includes(t), `audit has ${t}`);
      }
    }));

  test('admin, two gates: email link, then the full phone number, then the SMS code; other admins notified', () =>
    withHarness(async (h) => {
      let handle = await start(h, ADMIN);
      const token = await h.lastLinkToken(ADMIN_MAIL);
      assert.equal(
        errorOf(await h.reset.consumeLink(token, null, RC)),
        'wrong_browser',
        'no cookie: explained, not consumed',
      );
      const other = await start(h, USER);
      assert.equal(errorOf(await h.reset.consumeLink(token, other, RC)), 'wrong_browser');
      const step1 = ok(await h.reset.consumeLink(token, handle, RC));
      assert.equal(step1.view.state, 'phone_number');
      assert.equal(step1.view.maskedPhone, '••• ••• ••01');
      assert.deepEqual([step1.view.step, step1.view.stepsTotal], [2, 2]);
      assert.equal(errorOf(await h.reset.consumeLink(token, handle, RC)), 'invalid_code', 'single use');
      handle = { flowId: handle.flowId, secret: step1.secret };
      assert.equal(
        (await h.messages()).filter((m) => m.channel === 'sms').length,
        0,
        'no SMS before the number is confirmed',
      );
      assert.equal(errorOf(await h.reset.submitPhone(handle, 'not a number', RC)), 'phone_invalid');
      // a wrong number: same answer, no SMS
      const wrongPhone = ok(await h.reset.submitPhone(handle, '+1 555 555 0199', RC));
      assert.equal(wrongPhone.view.state, 'sms_code');
      assert.equal((await h.messages()).filter((m) => m.channel === 'sms').length, 0);
      handle = { flowId: handle.flowId, secret: wrongPhone.secret };
      const retype = ok(await h.reset.retypePhone(handle, RC));
      handle = { flowId: handle.flowId, secret: retype.secret };
      const phoneOk = ok(await h.reset.submitPhone(handle, '+1 (555) 555-0101', RC));
      handle = { flowId: handle.flowId, secret: phoneOk.secret };
      const sms = (await h.messages()).filter((m) => m.channel === 'sms');
      assert.equal(sms.length, 1);
      assert.equal(sms[0]!.to, ADMIN_PHONE);
      const step2 = ok(await h.reset.submitCode(handle, await h.lastCode(ADMIN_PHONE), RC));
      assert.equal(step2.view.state, 'new_password');
      handle = { flowId: handle.flowId, secret: step2.secret };
      ok(await h.reset.setPassword(handle, STRONG, STRONG, RC));
      const adminNotices = (await h.messages()).filter((m) => m.template === 'reset.admin_notice');
      assert.deepEqual(
        adminNotices.map((m) => m.to),
        ['admin2@contoso.example'],
      );
    }));

  test('a two-gate flow that asks for the phone first never gets an SMS, even with the right number', () =>
    withHarness(async (h) => {
      let handle = await start(h, ADMIN);
      h.clock.advance(MIN);
      const usePhone = ok(await h.reset.usePhone(handle, RC));
      handle = { flowId: handle.flowId, secret: usePhone.secret };
      ok(await h.reset.submitPhone(handle, ADMIN_PHONE, RC));
      assert.equal((await h.messages()).filter((m) => m.channel === 'sms').length, 0);
      assert.ok((await h.auditTypes()).some((e) => e.type === 'phone.submitted' && e.outcome === 'gate_closed'));
    }));

  test('a one-gate user may use the phone instead (after the cooldown)', () =>
    withHarness(async (h) => {
      let handle = await start(h, USER);
      const usePhone = ok(await h.reset.usePhone(handle, RC));
      handle = { flowId: handle.flowId, secret: usePhone.secret };
      assert.equal(errorOf(await h.reset.submitPhone(handle, '+15555550103', RC)), 'resend_too_soon');
      h.clock.advance(MIN);
      const sent = ok(await h.reset.submitPhone(handle, '+15555550103', RC));
      handle = { flowId: handle.flowId, secret: sent.secret };
      const step = ok(await h.reset.submitCode(handle, await h.lastCode('+15555550103'), RC));
      assert.equal(step.view.state, 'new_password');
    }));

  test('unknown, disabled and email-less accounts walk the same steps and are never sent anything', () =>
    withHarness(async (h) => {
      for (const login of [
        'nobody@contoso.example',
        'someone@unknown-tenant.example',
        'disabled@contoso.example',
        'emailless@contoso.example',
      ]) {
        const first = await start(h, login);
        const view = ok(await h.reset.view(first));
        assert.equal(view.state, 'email_code');
        assert.match(view.maskedEmail, /^[a-z]•{3,}@[a-z.]+$/);
        // a new start ends the earlier flow, for these logins as for real ones
        const handle = await start(h, login);
        assert.equal(ok(await h.reset.view(handle)).maskedEmail, view.maskedEmail, 'the decoy is stable');
        assert.equal(errorOf(await h.reset.view(first)), 'flow_expired');
        assert.equal(errorOf(await h.reset.submitCode(handle, '123456', RC)), 'invalid_code');
      }
      assert.equal((await h.messages()).length, 0);
      const outcomes = (await h.auditTypes()).filter((e) => e.type === 'reset.requested').map((e) => e.outcome);
      assert.deepEqual([...new Set(outcomes)].sort(), ['disabled', 'no_methods', 'not_found']);
    }));

  test('code lifetime: valid at 10 min − 1 ms, refused at exactly 10 min', () =>
    withHarness(async (h) => {
      const a = await start(h, USER);
      const code = await h.lastCode(USER_MAIL);
      h.clock.advance(10 * MIN - 1);
      assert.equal(ok(await h.reset.submitCode(a, code, RC)).view.state, 'new_password');
      h.clock.set(T0 + 11 * MIN);
      const b = await start(h, USER);
      const code2 = await h.lastCode(USER_MAIL);
      h.clock.advance(10 * MIN);
      assert.equal(errorOf(await h.reset.submitCode(b, code2, RC)), 'invalid_code');
      assert.ok((await h.auditTypes()).some((e) => e.type === 'code.rejected' && e.outcome === 'expired'));
    }));

  test('the whole flow ends 60 minutes after the first message, whatever was resent', () =>
    withHarness(async (h) => {
      const handle = await start(h, USER);
      h.clock.advance(50 * MIN);
      ok(await h.reset.resend(handle, RC));
      const code = await h.lastCode(USER_MAIL);
      h.clock.advance(10 * MIN - 1);
      assert.equal(ok(await h.reset.view(handle)).state, 'email_code', 'alive at 60 min − 1 ms');
      h.clock.advance(1);
      assert.equal(errorOf(await h.reset.submitCode(handle, code, RC)), 'flow_expired');
    }));

  test('5 wrong entries kill the code; the right code is refused afterwards; resend gives a new one', () =>
    withHarness(
      async (h) => {
        const handle = await start(h, USER);
        const code = await h.lastCode(USER_MAIL);
        const wrong = code === '111111' ? '222222' : '111111';
        for (let i = 0; i < 5; i++) assert.equal(errorOf(await h.reset.submitCode(handle, wrong, RC)), 'invalid_code');
        // the code is dead: the right code is refused (and is the account's 6th failure: the block starts)
        assert.equal(errorOf(await h.reset.submitCode(handle, code, RC)), 'invalid_code');
        h.clock.advance(MIN);
        // the block ended every flow of the account, this one included: no resend, no new message
        assert.equal(errorOf(await h.reset.resend(handle, RC)), 'flow_expired');
        const fresh = await h.lastCode(USER_MAIL);
        assert.equal(fresh, code, 'blocked account: no new code');
        assert.ok((await h.auditTypes()).some((e) => e.type === 'account.self_service_blocked'));
      },
      { policy: { maxFailuresPerAccount: 6 } },
    ));

  test('resend: 60 s cooldown, at most 3 codes, and the previous code stops working', () =>
    withHarness(async (h) => {
      const handle = await start(h, USER);
      const first = await h.lastCode(USER_MAIL);
      const soon = await h.reset.resend(handle, RC);
      assert.equal(errorOf(soon), 'resend_too_soon');
      assert.equal(soon.ok ? 0 : soon.waitMs, MIN);
      h.clock.advance(MIN);
      const view = ok(await h.reset.resend(handle, RC));
      assert.equal(view.codesLeft, 1);
      const second = await h.lastCode(USER_MAIL);
      h.clock.advance(MIN);
      ok(await h.reset.resend(handle, RC));
      h.clock.advance(MIN);
      assert.equal(errorOf(await h.reset.resend(handle, RC)), 'too_many_codes');
      // an older code of the flow: told a newer one was sent (not counted as a guess)
      for (const older of [first, second])
        assert.equal(errorOf(await h.reset.submitCode(handle, older, RC)), 'code_superseded');
      const third = await h.lastCode(USER_MAIL);
      assert.equal(ok(await h.reset.submitCode(handle, third, RC)).view.state, 'new_password');
    }));

  test('five failed verifications within 24 h block self-service for 24 h; a reset then works again', () =>
    withHarness(async (h) => {
      h.clock.advance(11 * MIN); // the seeding notices (security info set) fall out of the sending window
      for (let i = 0; i < 5; i++) {
        const handle = await start(h, USER);
        assert.equal(errorOf(await h.reset.submitCode(handle, '999999', RC)), 'invalid_code');
        h.clock.advance(MIN);
      }
      const before = (await h.messages()).length;
      const blocked = await start(h, USER);
      assert.equal(ok(await h.reset.view(blocked)).state, 'email_code', 'same page while blocked');
      const whileBlocked = (await h.messages()).slice(before);
      assert.deepEqual(
        whileBlocked.map((m) => m.template),
        ['reset.blocked_link'],
        'while blocked a start emails the link alone (no code)',
      );
      h.clock.set(T0 + 11 * MIN + 4 * MIN + 24 * 60 * MIN);
      const later = await start(h, USER);
      assert.equal((await h.messages()).length, before + 2);
      const step = ok(await h.reset.submitCode(later, await h.lastCode(USER_MAIL), RC));
      ok(await h.reset.setPassword({ flowId: later.flowId, secret: step.secret }, STRONG, STRONG, RC));
      assert.equal(
        await h.store.lockouts.countFailures((await h.store.directory.findAccountByLogin(USER))!.id, 0),
        0,
        'counters reset',
      );
    }));

  test('the browser binding rotates at each step; the previous secret works only for 30 s', () =>
    withHarness(async (h) => {
      const handle = await start(h, USER);
      assert.equal(errorOf(await h.reset.view({ flowId: handle.flowId, secret: 'x'.repeat(43) })), 'flow_not_found');
      const step = ok(await h.reset.submitCode(handle, await h.lastCode(USER_MAIL), RC));
      assert.notEqual(step.secret, handle.secret);
      assert.equal(ok(await h.reset.view(handle)).state, 'new_password', 'old secret within the grace');
      h.clock.advance(30_000);
      assert.equal(errorOf(await h.reset.view(handle)), 'flow_not_found');
      assert.equal(ok(await h.reset.view({ flowId: handle.flowId, secret: step.secret })).state, 'new_password');
    }));

  test('sending limits: at most 10 emails per account per 10 minutes', () =>
    withHarness(async (h) => {
      h.clock.advance(11 * MIN); // the seeding notices (security info set) fall out of the window
      for (let i = 0; i < 12; i++) await start(h, USER);
      assert.equal((await h.messages()).filter((m) => m.to === USER_MAIL).length, 10);
      const suppressed = (await h.store.audit.list({ limit: 1000 })).filter(
        (e) => e.type === 'reset.requested' && e.details.suppressed === 'account_email_limit',
      );
      assert.equal(suppressed.length, 2, 'the two starts over the limit are audited as suppressed');
    }));

  test("SMS country allowlist: a number outside the tenant's countries gets no text, with the same answer (audited sms_country_not_allowed)", () =>
    withHarness(
      async (h) => {
        let handle = await start(h, ADMIN);
        const step = ok(await h.reset.submitCode(handle, await h.lastCode(ADMIN_MAIL), RC));
        handle = { flowId: handle.flowId, secret: step.secret };
        ok(await h.reset.submitPhone(handle, ADMIN_PHONE, RC));
        assert.equal((await h.messages()).filter((m) => m.channel === 'sms').length, 0);
        assert.ok((await h.auditTypes()).some((e) => e.outcome === 'sms_country_not_allowed'));
      },
      { tenantPolicy: { smsCountries: ['+44'] } },
    ));

  test('tenant SMS budget (2 a day): the 2nd text of the tenant goes out, the 3rd is refused as tenant_sms_budget with the same answer, and texts go again a day later', () =>
    withHarness(
      async (h) => {
        const texts = async () => (await h.messages()).filter((m) => m.channel === 'sms').map((m) => m.to);
        const overBudget = async () =>
          (await h.store.audit.list({ type: 'message.suppressed', limit: 1000 })).filter(
            (e) => e.outcome === 'tenant_sms_budget',
          ).length;
        /** An admin's reset up to the phone gate: email code, then the number typed (the text is sent there). */
        const phoneGate = async (login: string, mail: string, phone: string) => {
          const first = await start(h, login);
          const step = ok(await h.reset.submitCode(first, await h.lastCode(mail), RC));
          const handle = { flowId: first.flowId, secret: step.secret };
          const typed = ok(await h.reset.submitPhone(handle, phone, RC));
          return { typed, view: ok(await h.reset.view({ flowId: first.flowId, secret: typed.secret })) };
        };
        assert.deepEqual(await texts(), [], 'seeding sent no text');
        await phoneGate(ADMIN, ADMIN_MAIL, ADMIN_PHONE);
        assert.deepEqual(await texts(), [ADMIN_PHONE]);
        // the 2nd (= the budget), by another account: the budget is the tenant's, not the account's
        h.clock.advance(MIN);
        const within = await phoneGate(ADMIN2, ADMIN2_MAIL, ADMIN2_PHONE);
        assert.deepEqual(await texts(), [ADMIN_PHONE, ADMIN2_PHONE]);
        assert.equal(await overBudget(), 0);
        // the 3rd: refused by the budget (the account itself sent 1 of its 5 a day)
        h.clock.advance(MIN);
        const over = await phoneGate(ADMIN, ADMIN_MAIL, ADMIN_PHONE);
        assert.deepEqual(await texts(), [ADMIN_PHONE, ADMIN2_PHONE], 'no third text');
        assert.equal(await overBudget(), 1, 'audited as message.suppressed / tenant_sms_budget');
        assert.equal(over.view.state, within.view.state, 'the person sees the same step as when the text went out');
        // the window is the last 24 h: 1 ms after the first text left it, there is room for one
        h.clock.advance(DAY - 2 * MIN + 1);
        await phoneGate(ADMIN, ADMIN_MAIL, ADMIN_PHONE);
        assert.deepEqual(await texts(), [ADMIN_PHONE, ADMIN2_PHONE, ADMIN_PHONE]);
        assert.equal(await overBudget(), 1);
      },
      { tenantPolicy: { smsDailyBudget: 2 } },
    ));
});
