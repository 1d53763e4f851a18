import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { argon2Hasher } from '../../src/adapters/crypto/argon2-hasher.ts';
import type { FlowRecord } from '../../src/ports/flow-store.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { createResetHarness, RC, STRONG, T0, type ResetHarness } from '../helpers/reset-harness.ts';

/**
 * Issue 9, items 1, 2, 4 and 7 (code check): a block stops guessing across every flow of an
 * account; a blocked owner can still use the emailed link; a rotated binding value moves nothing;
 * an older (superseded) code is told apart and not counted.
 */
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const USER = 'user@contoso.example';
const USER_MAIL = 'uma.home@personal.example';
const ADMIN = 'admin@contoso.example';
const ADMIN_MAIL = 'ada.home@personal.example';
const ADMIN_PHONE = '+15555550101';

async function withHarness(
  fn: (h: ResetHarness) => Promise<void>,
  options?: Parameters<typeof createResetHarness>[0],
): Promise<void> {
  const h = await createResetHarness(options);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

function ok<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  assert.equal(r.ok, false, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.error;
}

async function start(h: ResetHarness, login: string): Promise<FlowHandle> {
  return ok(await h.reset.start(login, RC));
}

async function accountId(h: ResetHarness, login: string): Promise<string> {
  return (await h.store.directory.findAccountByLogin(login))!.id;
}

/** Audit events of one type and outcome. */
async function events(h: ResetHarness, type: string, outcome?: string) {
  return (await h.store.audit.list({ limit: 5000 })).filter(
    (e) => e.type === type && (outcome === undefined || e.outcome === outcome),
  );
}

function wrongFor(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/**
 * `n` live email-code flows of one account, each with its own code, as parallel starts (or a
 * release before "a new start ends the old ones") leave them: written straight to the store, so
 * the test does not depend on what `start` does with earlier flows.
 */
async function liveFlows(h: ResetHarness, login: string, n: number): Promise<{ handle: FlowHandle; code: string }[]> {
  const account = (await h.store.directory.findAccountByLogin(login))!;
  const now = h.clock.now();
  const out: { handle: FlowHandle; code: string }[] = [];
  for (let i = 0; i < n; i++) {
    const id = randomBytes(16).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const code = String(100_000 + ((i * 7919 + 12345) % 900_000));
    const flow: FlowRecord = {
      id,
      tenantId: account.tenantId,
      accountId: account.id,
      deliverable: true,
      login,
      gates: ['email'],
      passed: 0,
      state: 'email_code',
      bindingHash: h.keyring.hmac('flow-binding', `${id}.${secret}`),
      prevBindingHash: null,
      prevBindingUntil: null,
      maskedEmail: 'u•••@personal.example',
      createdAt: now,
      firstSentAt: now,
      lastSentAt: now,
      codesSent: 1,
      completedAt: null,
      ip: RC.ip,
      userAgent: RC.userAgent,
      version: 0,
    };
    await h.store.transaction(async (tx) => {
      await tx.flows.create(flow);
      await tx.flows.issueCode(
        {
          id: randomUUID(),
          flowId: id,
          channel: 'email',
          codeHash: h.keyring.hmac('code', `${id}:${code}`),
          linkHash: h.keyring.hmac('link', randomBytes(32).toString('base64url')),
          sentAt: now,
          expiresAt: now + 10 * MIN,
        },
        { supersede: false },
      );
    });
    out.push({ handle: { flowId: id, secret }, code });
  }
  return out;
}

/** Wrong codes spread over 10 live flows (sequentially or all at once): exactly 5 are evaluated. */
async function blockAcrossFlows(h: ResetHarness, parallel: boolean, label: string): Promise<void> {
  const flows = await liveFlows(h, USER, 10);
  const guesses = Array.from({ length: 50 }, (_, i) => flows[i % flows.length]!);
  const answers = parallel
    ? await Promise.all(guesses.map((f) => h.reset.submitCode(f.handle, wrongFor(f.code), RC)))
    : await guesses.reduce(
        async (acc, f) => [...(await acc), await h.reset.submitCode(f.handle, wrongFor(f.code), RC)],
        Promise.resolve([] as Awaited<ReturnType<typeof h.reset.submitCode>>[]),
      );
  const kinds = [...new Set(answers.map((a) => (a.ok ? 'ok' : a.error)))].sort();
  const id = await accountId(h, USER);
  const failures = await h.store.lockouts.countFailures(id, h.clock.now() - DAY);
  const mismatches = (await events(h, 'code.rejected', 'mismatch')).length;
  console.log(
    `[guard ${label}] 50 wrong codes over 10 flows: ${mismatches} compared (mismatch), ${failures} failures recorded; answers: ${kinds.join(', ')}`,
  );
  assert.equal(mismatches, 5, `exactly 5 wrong codes were evaluated (${label})`);
  assert.equal(failures, 5, `exactly 5 failures recorded in 24 h (${label})`);
  assert.equal((await events(h, 'account.self_service_blocked')).length, 1, 'one block');
  for (const a of answers) assert.ok(!a.ok, 'no wrong code passed');
  assert.deepEqual(kinds, ['invalid_code'], `every answer is the seed's Invalid Security Code (${label})`);
  // the block ended every flow of the account: the right codes are refused, none moves a flow
  for (const f of flows) {
    const right = await h.reset.submitCode(f.handle, f.code, RC);
    assert.equal(errorOf(right), 'invalid_code', `a correct code after the block is refused (${label})`);
    assert.equal((await h.store.flows.get(f.handle.flowId))?.state, 'expired', 'every flow in progress ended');
  }
  assert.equal(
    await h.store.lockouts.countFailures(id, h.clock.now() - DAY),
    5,
    'refused right codes were not evaluated',
  );
  // still within the 24 h: a fresh start's flow evaluates no code either (its email carries no code)
  h.clock.advance(23 * 60 * MIN);
  const fresh = await start(h, USER);
  assert.equal(errorOf(await h.reset.submitCode(fresh, '123456', RC)), 'invalid_code');
  assert.equal((await events(h, 'code.rejected', 'mismatch')).length, 5, 'still 5 evaluated within 24 h');
  assert.equal((await events(h, 'code.rejected', 'blocked')).length > 0, true, 'refused as blocked, not compared');
}

describe('a block stops guessing across every flow of the account (issue 9 item 1)', () => {
  test('10 live flows, 50 wrong codes spread over them one after another: exactly 5 evaluated in 24 h, every flow ended, right codes refused', () =>
    withHarness((h) => blockAcrossFlows(h, false, 'sqlite sequential')));

  test('10 live flows, 50 wrong codes in parallel on SQLite: exactly 5 evaluated, right codes refused', () =>
    withHarness((h) => blockAcrossFlows(h, true, 'sqlite parallel')));

  test('10 live flows, 50 wrong codes in parallel on PostgreSQL: exactly 5 evaluated, right codes refused', async () => {
    const db = await createPostgresDatabase({ migrated: true });
    try {
      await withHarness((h) => blockAcrossFlows(h, true, 'postgres parallel'), { databaseUrl: db.url });
    } finally {
      await db.drop();
    }
  });

  test('an unknown login is blocked alike: the same answers, step by step, as a real account with wrong codes', () =>
    withHarness(async (h) => {
      const trail = async (login: string) => {
        const handle = await start(h, login);
        const answers: string[] = [];
        for (let i = 0; i < 7; i++) {
          const r = await h.reset.submitCode(handle, '000000', RC);
          answers.push(r.ok ? 'ok' : r.error);
        }
        const view = await h.reset.view(handle);
        answers.push(view.ok ? view.value.state : view.error);
        return answers;
      };
      const real = await trail(USER);
      const unknown = await trail('nobody@contoso.example');
      assert.deepEqual(unknown, real);
      assert.deepEqual(real.slice(0, 7), Array(7).fill('invalid_code'), 'wrong codes, then blocked: the seed message');
      assert.equal(real.at(-1), 'flow_expired', 'the block ended the flow');
    }));

  test('wrong phone numbers count too: five of them start the block and end the flows', () =>
    withHarness(async (h) => {
      const flows = await liveFlows(h, USER, 6);
      h.clock.advance(MIN); // past the resend cooldown of the flows' first code
      for (let i = 0; i < 5; i++) {
        const phonePage = ok(await h.reset.usePhone(flows[i]!.handle, RC));
        const handle = { flowId: flows[i]!.handle.flowId, secret: phonePage.secret };
        ok(await h.reset.submitPhone(handle, `+1555555099${i}`, RC));
      }
      assert.equal((await events(h, 'account.self_service_blocked')).length, 1);
      assert.equal((await h.store.flows.get(flows[5]!.handle.flowId))?.state, 'expired', 'the other flow ended');
      assert.equal(errorOf(await h.reset.submitCode(flows[5]!.handle, flows[5]!.code, RC)), 'invalid_code');
    }));
});

describe('a blocked owner can still use the link (issue 9 item 2)', () => {
  async function blockUser(h: ResetHarness): Promise<void> {
    const flows = await liveFlows(h, USER, 1);
    for (let i = 0; i < 5; i++) await h.reset.submitCode(flows[0]!.handle, wrongFor(flows[0]!.code), RC);
    assert.equal((await events(h, 'account.self_service_blocked')).length, 1, 'blocked');
  }

  test('when a block starts the owner gets one notice at the login and the alternate email: what, until when, maybe not them, link or help', () =>
    withHarness(async (h) => {
      const before = (await h.messages()).length;
      await blockUser(h);
      // more wrong codes and phone numbers while blocked: no second notice
      const again = await start(h, USER);
      for (let i = 0; i < 5; i++) await h.reset.submitCode(again, '000000', RC);
      const notices = (await h.messages()).slice(before).filter((m) => m.template === 'reset.blocked');
      assert.deepEqual(notices.map((m) => m.to).sort(), [USER_MAIL, USER].sort(), 'one notice per registered address');
      const text = notices[0]!.text;
      assert.match(text, /too many wrong security codes/);
      assert.match(text, /until 27 Nov 2026, 02:00 UTC/, 'until when (24 h after the block started)');
      assert.match(text, /may not have been you/);
      assert.match(text, /https:\/\/reset\.example\.com\/reset\b/, 'how to reset with the link');
      assert.match(text, /help@contoso\.example/, 'how to get help');
      assert.doesNotMatch(text, /\b\d{6}\b/, 'no code in the notice');
    }));

  test('while blocked a start emails the link alone (no code), saying why; the link passes the email gate from the starting browser; codes stay refused', () =>
    withHarness(async (h) => {
      await blockUser(h);
      h.clock.advance(5 * MIN);
      const before = (await h.messages()).length;
      const handle = await start(h, USER);
      const sent = (await h.messages()).slice(before);
      assert.deepEqual(
        sent.map((m) => [m.template, m.to]),
        [['reset.blocked_link', USER_MAIL]],
      );
      const text = sent[0]!.text;
      assert.doesNotMatch(text, /\b\d{6}\b/, 'no code: codes are not evaluated while blocked');
      assert.match(text, /paused until 27 Nov 2026, 02:00 UTC/);
      assert.match(text, /may not have been you/);
      assert.match(text, /help@contoso\.example/);
      const token = await h.lastLinkToken(USER_MAIL);
      // another browser: refused, the link stays valid
      assert.equal(errorOf(await h.reset.consumeLink(token, null, RC)), 'wrong_browser');
      // a code typed in this flow is not evaluated
      assert.equal(errorOf(await h.reset.submitCode(handle, '123456', RC)), 'invalid_code');
      const passed = ok(await h.reset.consumeLink(token, handle, RC));
      assert.equal(passed.view.state, 'new_password');
      ok(await h.reset.setPassword({ flowId: handle.flowId, secret: passed.secret }, STRONG, STRONG, RC));
      const account = (await h.store.directory.findAccountByLogin(USER))!;
      assert.ok(await argon2Hasher.verify(account.passwordHash!, STRONG), 'the owner reset the password');
      assert.equal(await h.store.lockouts.blockedAt(account.id), null, 'a successful reset lifts the block');
    }));

  test('while blocked, "send a new code" sends a fresh link alone; the previous link stops working', () =>
    withHarness(async (h) => {
      await blockUser(h);
      const handle = await start(h, USER);
      const firstToken = await h.lastLinkToken(USER_MAIL);
      h.clock.advance(MIN);
      ok(await h.reset.resend(handle, RC));
      const sent = (await h.messages()).filter((m) => m.template === 'reset.blocked_link');
      assert.equal(sent.length, 2, 'a second link-only email');
      assert.doesNotMatch(sent[1]!.text, /\b\d{6}\b/, 'still no code');
      const secondToken = await h.lastLinkToken(USER_MAIL);
      assert.notEqual(secondToken, firstToken);
      assert.equal(
        errorOf(await h.reset.consumeLink(firstToken, handle, RC)),
        'code_superseded',
        'a newer email was sent',
      );
      assert.equal(ok(await h.reset.consumeLink(secondToken, handle, RC)).view.state, 'new_password');
    }));

  test('an administrator who passed the email gate by link is told text message codes are paused (no SMS is sent)', () =>
    withHarness(async (h) => {
      const flows = await liveFlows(h, ADMIN, 1);
      for (let i = 0; i < 5; i++) await h.reset.submitCode(flows[0]!.handle, wrongFor(flows[0]!.code), RC);
      const blockedAt = await h.store.lockouts.blockedAt(await accountId(h, ADMIN));
      assert.equal(blockedAt, T0);
      const handle = await start(h, ADMIN);
      const passed = ok(await h.reset.consumeLink(await h.lastLinkToken(ADMIN_MAIL), handle, RC));
      assert.equal(passed.view.state, 'phone_number');
      const r = await h.reset.submitPhone({ flowId: handle.flowId, secret: passed.secret }, ADMIN_PHONE, RC);
      assert.equal(errorOf(r), 'sms_paused');
      assert.equal(r.ok ? null : r.detail, String(T0 + DAY), 'until when');
      assert.equal((await h.messages()).filter((m) => m.channel === 'sms').length, 0, 'no text message');
    }));

  test('the email limit applies to link emails while blocked: at most 10 link emails per account per 10 minutes (notices apart)', () =>
    withHarness(async (h) => {
      h.clock.advance(11 * MIN); // the seeding notices fall out of the window
      await blockUser(h);
      for (let i = 0; i < 12; i++) await start(h, USER);
      const id = await accountId(h, USER);
      const count = (kind: 'code' | 'notice') =>
        h.store.flows.countMessages({ accountId: id, channel: 'email', kind, since: h.clock.now() - 10 * MIN });
      assert.equal(await count('code'), 10, 'link emails stay within the limit');
      // the block's notices (login and alternate email) are not counted against it (core/sending-limits.ts)
      assert.equal(await count('notice'), 2, 'the two block notices, outside the code limit');
      assert.ok((await h.messages()).some((m) => m.template === 'reset.blocked_link'));
    }));
});

describe('a rotated binding authorises nothing (issue 9 item 4)', () => {
  test('the previous binding value never sets the password, submits a code, passes a link or takes a step; it only shows the current page', () =>
    withHarness(async (h) => {
      // set the password
      const user = await start(h, USER);
      const step = ok(await h.reset.submitCode(user, await h.lastCode(USER_MAIL), RC));
      assert.equal(ok(await h.reset.view(user)).state, 'new_password', 'the previous value shows the current page');
      assert.equal(errorOf(await h.reset.setPassword(user, STRONG, STRONG, RC)), 'wrong_step');
      const account = (await h.store.directory.findAccountByLogin(USER))!;
      assert.equal(await argon2Hasher.verify(account.passwordHash!, STRONG), false, 'password not set');
      assert.equal((await h.store.flows.get(user.flowId))?.state, 'new_password');
      ok(await h.reset.setPassword({ flowId: user.flowId, secret: step.secret }, STRONG, STRONG, RC));

      // submit a code, take a step
      const admin = await start(h, ADMIN);
      const a1 = ok(await h.reset.submitCode(admin, await h.lastCode(ADMIN_MAIL), RC));
      const a1h = { flowId: admin.flowId, secret: a1.secret };
      const a2 = ok(await h.reset.submitPhone(a1h, ADMIN_PHONE, RC));
      const smsCode = await h.lastCode(ADMIN_PHONE);
      assert.equal(errorOf(await h.reset.submitCode(a1h, smsCode, RC)), 'wrong_step');
      assert.equal(errorOf(await h.reset.retypePhone(a1h, RC)), 'wrong_step');
      assert.equal(errorOf(await h.reset.resend(a1h, RC)), 'wrong_step');
      assert.equal(ok(await h.reset.view(a1h)).state, 'sms_code', 'shown the current page');
      assert.equal((await h.store.flows.get(admin.flowId))?.state, 'sms_code', 'nothing moved');
      ok(await h.reset.submitCode({ flowId: admin.flowId, secret: a2.secret }, smsCode, RC));

      // pass a link
      h.clock.advance(2 * MIN);
      const u2 = await start(h, 'admin2@contoso.example');
      const token = await h.lastLinkToken('bob.home@personal.example');
      const s1 = ok(await h.reset.usePhone(u2, RC));
      const s2 = ok(await h.reset.backToEmail({ flowId: u2.flowId, secret: s1.secret }, RC));
      const prev = { flowId: u2.flowId, secret: s1.secret };
      assert.equal(errorOf(await h.reset.consumeLink(token, prev, RC)), 'wrong_step');
      assert.equal((await h.store.flows.get(u2.flowId))?.state, 'email_code');
      assert.equal(
        ok(await h.reset.consumeLink(token, { flowId: u2.flowId, secret: s2.secret }, RC)).view.state,
        'phone_number',
      );
    }));
});

describe('an older code of the flow is told apart and not counted (issue 9 item 7, code check)', () => {
  test('typing a superseded code answers code_superseded with when the newer code was sent; no failure is counted, no block', () =>
    withHarness(async (h) => {
      const handle = await start(h, USER);
      const first = await h.lastCode(USER_MAIL);
      h.clock.advance(MIN);
      ok(await h.reset.resend(handle, RC));
      const second = await h.lastCode(USER_MAIL);
      assert.notEqual(first, second, 'two different codes (a one-in-a-million clash would make this test meaningless)');
      for (let i = 0; i < 8; i++) {
        const r = await h.reset.submitCode(handle, first, RC);
        assert.equal(errorOf(r), 'code_superseded');
        assert.equal(r.ok ? null : r.detail, String(T0 + MIN), 'when the newer code was sent');
      }
      assert.equal(await h.store.lockouts.countFailures(await accountId(h, USER), 0), 0, 'not a guess');
      assert.equal((await events(h, 'account.self_service_blocked')).length, 0);
      assert.equal(ok(await h.reset.submitCode(handle, second, RC)).view.state, 'new_password');
    }));

  test('the link of an older email, from the starting browser: code_superseded with when the newer email was sent; elsewhere the seed message', () =>
    withHarness(async (h) => {
      const handle = await start(h, USER);
      const firstToken = await h.lastLinkToken(USER_MAIL);
      h.clock.advance(MIN);
      ok(await h.reset.resend(handle, RC));
      const r = await h.reset.consumeLink(firstToken, handle, RC);
      assert.equal(errorOf(r), 'code_superseded');
      assert.equal(r.ok ? null : r.detail, String(T0 + MIN));
      assert.equal(errorOf(await h.reset.consumeLink(firstToken, null, RC)), 'invalid_code', 'no flow in this browser');
      assert.equal(await h.store.lockouts.countFailures(await accountId(h, USER), 0), 0, 'not counted');
      const newest = await h.lastLinkToken(USER_MAIL);
      assert.equal(ok(await h.reset.consumeLink(newest, handle, RC)).view.state, 'new_password');
    }));

  test('a code of another flow is a wrong code (counted), not a superseded one', () =>
    withHarness(async (h) => {
      const [a, b] = await liveFlows(h, USER, 2);
      assert.equal(errorOf(await h.reset.submitCode(a!.handle, b!.code, RC)), 'invalid_code');
      assert.equal(await h.store.lockouts.countFailures(await accountId(h, USER), 0), 1);
    }));
});
