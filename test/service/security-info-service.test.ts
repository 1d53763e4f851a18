import type { FlowHandle } from '../../src/service/reset-service.ts';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import type { Random } from '../../src/ports/random.ts';
import { DAY_MS } from '../../src/core/reset-policy.ts';
import type { TenantPolicy } from '../../src/core/directory-model.ts';
import { SecurityInfoService } from '../../src/service/security-info-service.ts';
import type { Authenticated } from '../../src/service/session-service.ts';
import { createResetHarness, RC, T0, type ResetHarness } from '../helpers/reset-harness.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const USER = 'user@contoso.example';
const OLD_MAIL = 'uma.home@personal.example';
const NEW_MAIL = 'uma.new@elsewhere.example';

interface Kit {
  readonly h: ResetHarness;
  readonly si: SecurityInfoService;
  /** A signed-in session of `login` (a real session row; the Authenticated value is read back from the store). */
  signIn(login: string, id?: string): Promise<Authenticated>;
  /** The Authenticated value again, with the account's methods as they are now. */
  refresh(auth: Authenticated): Promise<Authenticated>;
  woken: number;
}

async function withKit(
  fn: (k: Kit) => Promise<void>,
  options: { tenantPolicy?: Partial<TenantPolicy>; databaseUrl?: string; random?: Random } = {},
): Promise<void> {
  const h = await createResetHarness(options);
  const outbox = {
    wake() {
      kit.woken++;
    },
  };
  const si = new SecurityInfoService({
    store: h.store,
    keyring: h.keyring,
    random: options.random ?? cryptoRandom,
    clock: h.clock,
    outbox,
    policy: h.policy,
  });
  let sessions = 0;
  async function load(accountId: string, idHash: string): Promise<Authenticated> {
    const account = (await h.store.directory.getAccount(accountId))!;
    const tenant = (await h.store.directory.getTenant(account.tenantId))!;
    const session = (await h.store.directory.getSession(idHash))!;
    const methods = await h.store.directory.listMethods(account.id);
    const has = (kind: string) => methods.some((m) => m.kind === kind && m.verifiedAt !== null);
    return { account, tenant, session, methods: { email: has('email'), phone: has('phone') } };
  }
  const kit: Kit = {
    h,
    si,
    woken: 0,
    async signIn(login, id) {
      const account = (await h.store.directory.findAccountByLogin(login))!;
      const idHash = id ?? `session-${++sessions}`;
      const now = h.clock.now();
      await h.store.directory.createSession({
        idHash,
        accountId: account.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + DAY_MS * 400,
      });
      return load(account.id, idHash);
    },
    refresh: (auth) => load(auth.account.id, auth.session.idHash),
  };
  try {
    await fn(kit);
  } finally {
    await h.close();
  }
}

/** Distinct numbers below the bound, one after another (codes that never collide by chance). */
function sequence(): (bound: number) => number {
  let n = 0;
  return (bound) => (123_457 * ++n) % bound;
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.value;
}

function errorOf(r: { ok: boolean; error?: string }): string | undefined {
  assert.equal(r.ok, false, `expected a refusal, got ${JSON.stringify(r)}`);
  return r.error;
}

async function method(h: ResetHarness, login: string, kind: 'email' | 'phone') {
  const account = await h.store.directory.findAccountByLogin(login);
  return (await h.store.directory.listMethods(account!.id)).find((m) => m.kind === kind) ?? null;
}

async function events(h: ResetHarness, prefix: string) {
  return (await h.store.audit.list({ limit: 1000 })).reverse().filter((e) => e.type.startsWith(prefix));
}

describe('security info service (SQLite, injected clock)', () => {
  test('changing the alternate email: code to the NEW address (HMAC only), wrong code refused, right code stores it verified; old addresses notified; audited as self', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const auth = await k.signIn(USER);
      const pending = value(
        await si.startChange(
          auth,
          'email',
          `  ${NEW_MAIL.toUpperCase().replace('ELSEWHERE.EXAMPLE', 'Elsewhere.Example')}`,
          RC,
        ),
      );
      assert.equal(pending.kind, 'email');
      assert.equal(pending.purpose, 'change');
      assert.equal(pending.maskedValue, 'U••••@elsewhere.example');
      assert.equal(pending.expiresAt, T0 + 10 * MIN);
      assert.equal(k.woken, 1, 'the outbox worker is woken after the commit');
      const sent = (await h.messages()).filter((m) => m.template === 'security-info.code');
      assert.equal(sent.length, 1);
      assert.equal(
        sent[0]!.to,
        'UMA.NEW@elsewhere.example',
        'the new address, as typed (local part kept, domain lower-cased)',
      );
      assert.equal(sent[0]!.channel, 'email');
      const code = /\b(\d{6})\b/.exec(sent[0]!.text)![1]!;
      assert.doesNotMatch(sent[0]!.subject ?? '', /\d{6}/, 'no code in the subject');
      const row = await h.store.securityInfo.livePending(auth.account.id, 'email');
      assert.ok(row);
      assert.match(row.codeHash, /^[0-9a-f]{64}$/);
      assert.ok(!row.codeHash.includes(code), 'only an HMAC of the code is stored');
      assert.equal(row.sessionHash, auth.session.idHash, 'bound to the session');

      assert.equal(errorOf(await si.confirm(auth, 'email', '12 34', RC)), 'code_malformed');
      const wrong = code === '000000' ? '000001' : '000000';
      assert.equal(errorOf(await si.confirm(auth, 'email', wrong, RC)), 'invalid_code');
      assert.equal((await method(h, USER, 'email'))!.value, OLD_MAIL, 'nothing changed yet');

      h.clock.advance(MIN);
      const done = value(await si.confirm(auth, 'email', code.slice(0, 3) + ' ' + code.slice(3), RC));
      assert.equal(done.changed, true);
      assert.equal(done.purpose, 'change');
      assert.equal(done.usableFrom, T0 + MIN + 24 * HOUR, 'a replacement cools off for 24 h');
      const stored = await method(h, USER, 'email');
      assert.equal(stored!.value, 'UMA.NEW@elsewhere.example');
      assert.equal(stored!.verifiedAt, T0 + MIN);
      assert.equal(errorOf(await si.confirm(auth, 'email', code, RC)), 'invalid_code', 'single use');

      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.deepEqual(
        notices.map((m) => m.to).sort(),
        [OLD_MAIL, USER].sort(),
        'the old alternate email and the login',
      );
      assert.equal(done.noticesQueued, 2);
      assert.match(notices[0]!.text, /U••••@elsewhere\.example/);
      assert.match(notices[0]!.text, /made while signed in to your account/);
      assert.match(notices[0]!.text, /If you do not recognise this change/);
      assert.match(notices[0]!.text, /help@contoso\.example/, "the tenant's help desk");
      assert.doesNotMatch(notices[0]!.text, /uma\.new/i, 'the notice shows the new value masked only');

      const audit = await events(h, 'security_info.');
      assert.deepEqual(
        audit.map((e) => `${e.type}:${e.outcome}`),
        [
          'security_info.code_sent:queued',
          'security_info.rejected:mismatch',
          'security_info.confirmed:ok',
          'security_info.changed:ok',
          'security_info.rejected:no_pending',
        ],
      );
      for (const e of audit) {
        assert.equal(e.actor, 'self');
        assert.equal(e.accountId, auth.account.id);
        assert.equal(e.ip, RC.ip);
        assert.ok(!JSON.stringify(e.details).includes(code), 'no code in the audit log');
        assert.ok(!JSON.stringify(e.details).toLowerCase().includes('uma.new'), 'values masked in the audit log');
      }
      const changed = audit.find((e) => e.type === 'security_info.changed')!;
      assert.equal(changed.details.previous, 'u••••@personal.example');
      assert.equal(changed.details.coolingOffUntil, T0 + MIN + 24 * HOUR);
    }));

  test('cooling-off: a just-changed email gets no reset code, the old one is gone, and the reset shows the same pages as for an unknown login; usable from exactly 24 h later', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const auth = await k.signIn(USER);
      value(await si.startChange(auth, 'email', NEW_MAIL, RC));
      const code = await h.lastCode(NEW_MAIL);
      const done = value(await si.confirm(auth, 'email', code, RC));
      const before = (await h.messages()).length;

      const handle = value(await h.reset.start(USER, RC));
      const unknown = value(await h.reset.start('nobody@contoso.example', RC));
      assert.equal(
        (await h.messages()).length,
        before,
        'no reset message to anyone: not the new address, not the old one',
      );
      const requested = (await events(h, 'reset.requested')).map((e) => e.outcome);
      assert.deepEqual(requested, ['no_methods', 'not_found'], 'a cooling-off method counts as not registered');
      const view = value(await h.reset.view(handle));
      const decoy = value(await h.reset.view(unknown));
      const shape = (v: typeof view) => ({
        ...v,
        flowId: '',
        maskedEmail: v.maskedEmail.replace(/^.(••••@).*$/, '$1'),
      });
      assert.deepEqual(shape(view), shape(decoy), 'the same page as for an unknown login');
      assert.notEqual(view.maskedEmail, 'u••••@elsewhere.example', 'the new address is not revealed');
      // the code page answers the same for a code that never was sent
      assert.equal(errorOf(await h.reset.submitCode(handle, '123456', RC)), 'invalid_code');
      assert.equal(errorOf(await h.reset.submitCode(unknown, '123456', RC)), 'invalid_code');

      h.clock.set(done.usableFrom! - 1);
      value(await h.reset.start(USER, RC));
      assert.equal(
        (await h.messages()).filter((m) => m.template === 'reset.code').length,
        0,
        '1 ms before: still nothing',
      );
      h.clock.set(done.usableFrom!);
      value(await h.reset.start(USER, RC));
      const codes = (await h.messages()).filter((m) => m.template === 'reset.code');
      assert.deepEqual(
        codes.map((m) => m.to),
        [NEW_MAIL],
        'from the end of the cooling-off the new address gets the reset code',
      );
    }));

  test('a first registration (no previous method) is usable for a reset at once; a phone change cools off and hides the number on the reset pages', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const auth = await k.signIn('emailless@contoso.example');
      value(await si.startChange(auth, 'email', 'pat.first@personal.example', RC));
      const done = value(await si.confirm(auth, 'email', await h.lastCode('pat.first@personal.example'), RC));
      assert.equal(done.usableFrom, null, 'no cooling-off for a first registration');
      const notices = (await h.messages()).filter((m) => m.template === 'security-info.changed');
      assert.deepEqual(
        notices.map((m) => m.to),
        ['emailless@contoso.example'],
        'only the login: there was no old alternate email',
      );
      value(await h.reset.start('emailless@contoso.example', RC));
      assert.equal(
        (await h.messages()).filter((m) => m.template === 'reset.code').at(-1)?.to,
        'pat.first@personal.example',
      );

      // an admin changes their phone: the SMS code goes to the new number, the notice to the login and the alternate email
      const admin = await k.signIn('admin@contoso.example');
      value(await si.startChange(admin, 'phone', '+44 7700 900123', RC));
      const sms = (await h.messages()).filter((m) => m.template === 'security-info.sms');
      assert.equal(sms.length, 1);
      assert.equal(sms[0]!.channel, 'sms');
      assert.equal(sms[0]!.to, '+447700900123');
      const changed = value(await si.confirm(admin, 'phone', await h.lastCode('+447700900123'), RC));
      assert.ok(changed.usableFrom !== null && changed.usableFrom > h.clock.now());
      const adminNotices = (await h.messages()).filter(
        (m) => m.template === 'security-info.changed' && m.text.includes('mobile phone number'),
      );
      assert.deepEqual(adminNotices.map((m) => m.to).sort(), ['ada.home@personal.example', 'admin@contoso.example']);
      // two-gate admin reset: the email gate passes, then the phone counts as not registered
      let handle: FlowHandle = value(await h.reset.start('admin@contoso.example', RC));
      const step = value(await h.reset.submitCode(handle, await h.lastCode('ada.home@personal.example'), RC));
      handle = { flowId: handle.flowId, secret: step.secret };
      assert.equal(step.view.state, 'phone_number');
      assert.equal(step.view.maskedPhone, null, 'the cooling-off phone is not shown');
      value(await h.reset.submitPhone(handle, '+447700900123', RC));
      assert.equal((await h.messages()).filter((m) => m.template === 'reset.sms').length, 0, 'no SMS to it');
    }));

  test('attempts: 5 wrong entries kill the code (counted before the compare, also in parallel); expiry after 10 minutes', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const auth = await k.signIn(USER);
      value(await si.startChange(auth, 'email', NEW_MAIL, RC));
      const code = await h.lastCode(NEW_MAIL);
      const wrong = code === '999999' ? '999998' : '999999';
      const results = await Promise.all(Array.from({ length: 8 }, () => si.confirm(auth, 'email', wrong, RC)));
      assert.ok(results.every((r) => !r.ok && r.error === 'invalid_code'));
      assert.equal(
        (await h.store.securityInfo.livePending(auth.account.id, 'email'))!.attempts,
        5,
        'never more than 5',
      );
      assert.equal(errorOf(await si.confirm(auth, 'email', code, RC)), 'invalid_code', 'the right code is dead too');
      const outcomes = (await events(h, 'security_info.rejected')).map((e) => e.outcome);
      assert.deepEqual(outcomes, [...Array(5).fill('mismatch'), ...Array(4).fill('attempts_exhausted')]);

      // a fresh code expires at sent + 10 min (valid 1 ms before)
      h.clock.advance(MIN);
      value(await si.resend(auth, 'email', RC));
      const fresh = await h.lastCode(NEW_MAIL);
      h.clock.advance(10 * MIN);
      assert.equal(errorOf(await si.confirm(auth, 'email', fresh, RC)), 'invalid_code', 'expired');
      assert.equal((await method(h, USER, 'email'))!.value, OLD_MAIL);
      h.clock.advance(MIN);
      value(await si.resend(auth, 'email', RC));
      const last = await h.lastCode(NEW_MAIL);
      h.clock.advance(10 * MIN - 1);
      value(await si.confirm(auth, 'email', last, RC));
    }));

  test('bound to the session: another session of the same person cannot see or confirm the pending change', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const laptop = await k.signIn(USER);
      const phone = await k.signIn(USER);
      value(await si.startChange(laptop, 'email', NEW_MAIL, RC));
      const code = await h.lastCode(NEW_MAIL);
      assert.equal(await si.pending(phone, 'email'), null);
      assert.ok(await si.pending(laptop, 'email'));
      assert.equal(errorOf(await si.confirm(phone, 'email', code, RC)), 'invalid_code');
      assert.equal(errorOf(await si.resend(phone, 'email', RC)), 'nothing_pending');
      value(await si.confirm(laptop, 'email', code, RC));
    }));

  test('resend: 60 s cooldown (also against starting over), a resend kills the previous code, at most 3 codes', () =>
    withKit(
      async (k) => {
        const { h, si } = k;
        const auth = await k.signIn(USER);
        value(await si.startChange(auth, 'email', NEW_MAIL, RC));
        const first = await h.lastCode(NEW_MAIL);
        const soon = await si.resend(auth, 'email', RC);
        assert.equal(errorOf(soon), 'resend_too_soon');
        assert.equal(soon.waitMs, MIN);
        h.clock.advance(30_000);
        const restart = await si.startChange(auth, 'email', 'other@elsewhere.example', RC);
        assert.equal(errorOf(restart), 'resend_too_soon', 'typing another value does not skip the cooldown');
        assert.equal(restart.waitMs, 30_000);
        h.clock.advance(30_000);
        const view = value(await si.resend(auth, 'email', RC));
        assert.equal(view.codesLeft, 1);
        const second = await h.lastCode(NEW_MAIL);
        assert.notEqual(second, first, 'codes drawn in sequence (the test random) differ');
        assert.equal(errorOf(await si.confirm(auth, 'email', first, RC)), 'invalid_code', 'the previous code is dead');
        h.clock.advance(MIN);
        value(await si.resend(auth, 'email', RC));
        h.clock.advance(MIN);
        assert.equal(errorOf(await si.resend(auth, 'email', RC)), 'too_many_codes');
        value(await si.confirm(auth, 'email', await h.lastCode(NEW_MAIL), RC));
      },
      { random: { ...cryptoRandom, intBelow: sequence() } },
    ));

  test('refusals: malformed values, the login as alternate email, the same value again, SMS countries outside the allowlist', () =>
    withKit(
      async (k) => {
        const { h, si } = k;
        const auth = await k.signIn(USER);
        assert.equal(errorOf(await si.startChange(auth, 'email', 'not an email', RC)), 'email_invalid');
        assert.equal(
          errorOf(await si.startChange(auth, 'email', 'a@b.example\r\nBcc: x@y.example', RC)),
          'email_invalid',
        );
        assert.equal(errorOf(await si.startChange(auth, 'phone', '07700 900123', RC)), 'phone_invalid');
        assert.equal(errorOf(await si.startChange(auth, 'email', 'User@Contoso.Example', RC)), 'email_is_login');
        assert.equal(errorOf(await si.startChange(auth, 'email', OLD_MAIL, RC)), 'method_unchanged');
        assert.equal(errorOf(await si.startChange(auth, 'phone', '+44 7700 900123', RC)), 'phone_country_not_allowed');
        assert.equal((await h.messages()).length, 0, 'nothing sent');
        value(await si.startChange(auth, 'phone', '+1 555 555 0199', RC));
        assert.equal((await h.messages()).length, 1);
      },
      { tenantPolicy: { smsCountries: ['+1'] } },
    ));

  test('tenant SMS budget (2 a day): the 2nd registration text of the tenant goes out, the 3rd is refused as sending_limit (audited tenant_sms_budget), and texts go again a day later', () =>
    withKit(
      async (k) => {
        const { h, si } = k;
        const texts = async () => (await h.messages()).filter((m) => m.channel === 'sms').map((m) => m.to);
        const overBudget = async () =>
          (await events(h, 'security_info.code_sent')).filter((e) => e.outcome === 'tenant_sms_budget').length;
        assert.deepEqual(await texts(), [], 'seeding sent no text');
        value(await si.startChange(await k.signIn('admin@contoso.example'), 'phone', '+1 555 555 0191', RC));
        // the 2nd (= the budget), by another account: the budget is the tenant's, not the account's
        h.clock.advance(MIN);
        value(await si.startChange(await k.signIn(USER), 'phone', '+1 555 555 0192', RC));
        assert.deepEqual(await texts(), ['+15555550191', '+15555550192']);
        assert.equal(await overBudget(), 0);
        // the 3rd: refused (this account sent none of its own 5 a day)
        h.clock.advance(MIN);
        const third = await k.signIn('admin2@contoso.example');
        assert.equal(errorOf(await si.startChange(third, 'phone', '+1 555 555 0193', RC)), 'sending_limit');
        assert.deepEqual(await texts(), ['+15555550191', '+15555550192'], 'no third text');
        assert.equal(await overBudget(), 1, 'audited as security_info.code_sent / tenant_sms_budget');
        assert.equal((await method(h, 'admin2@contoso.example', 'phone'))?.value, '+15555550102', 'number unchanged');
        // the window is the last 24 h: 1 ms after the first text left it, there is room for one
        h.clock.advance(DAY_MS - 2 * MIN + 1);
        value(await si.startChange(await k.refresh(third), 'phone', '+1 555 555 0193', RC));
        assert.deepEqual(await texts(), ['+15555550191', '+15555550192', '+15555550193']);
      },
      { tenantPolicy: { smsDailyBudget: 2 } },
    ));

  test('re-confirmation: prompted once per session when a method is older than reconfirmDays; confirming renews it without a notice and keeps a running cooling-off', () =>
    withKit(async (k) => {
      const { h, si } = k;
      const account = await h.store.directory.findAccountByLogin(USER);
      await h.store.directory.setMethod(account!.id, 'email', OLD_MAIL, T0 - 181 * DAY_MS, T0 - 181 * DAY_MS);
      await h.store.directory.setMethod(account!.id, 'phone', '+15555550103', T0 - 179 * DAY_MS, T0 - 179 * DAY_MS);
      const auth = await k.signIn(USER);
      const overview = await si.overview(auth);
      assert.deepEqual(overview.reconfirm, ['email'], '181 days: due; 179 days: not yet');
      assert.equal(overview.email!.maskedValue, 'u••••@personal.example');
      assert.equal(overview.phone!.maskedValue, '••• ••• ••03');
      assert.equal(await si.promptReconfirm(auth, RC), true);
      assert.equal(await si.promptReconfirm(auth, RC), false, 'once per session');
      const other = await k.signIn(USER);
      assert.equal(await si.promptReconfirm(other, RC), true, 'a new session is prompted again');

      const pending = value(await si.startReconfirm(auth, 'email', RC));
      assert.equal(pending.purpose, 'reconfirm');
      const code = await h.lastCode(OLD_MAIL);
      h.clock.advance(MIN);
      const done = value(await si.confirm(auth, 'email', code, RC));
      assert.equal(done.changed, false);
      assert.equal(done.noticesQueued, 0);
      assert.equal(done.usableFrom, null);
      assert.equal((await method(h, USER, 'email'))!.verifiedAt, T0 + MIN);
      assert.equal((await h.messages()).filter((m) => m.template === 'security-info.changed').length, 0);
      assert.deepEqual((await si.overview(auth)).reconfirm, []);
      assert.equal(await si.promptReconfirm(await k.signIn(USER), RC), false, 'nothing due any more');
      assert.equal(
        errorOf(await si.startReconfirm(await k.signIn('emailless@contoso.example'), 'email', RC)),
        'nothing_pending',
      );

      // change the phone (cooling-off), then re-confirm it: the cooling-off keeps running
      h.clock.advance(MIN);
      value(await si.startChange(auth, 'phone', '+15555550177', RC));
      const changed = value(await si.confirm(auth, 'phone', await h.lastCode('+15555550177'), RC));
      h.clock.advance(MIN);
      value(await si.startReconfirm(auth, 'phone', RC));
      const again = value(await si.confirm(auth, 'phone', await h.lastCode('+15555550177'), RC));
      assert.equal(again.usableFrom, changed.usableFrom);
      assert.equal((await si.overview(auth)).phone!.usableFrom, changed.usableFrom);
    }));
});

describe('security info service (PostgreSQL)', () => {
  test('change, cooling-off in the reset flow, prompt once per session', () =>
    withMigratedPostgresDatabase((databaseUrl) =>
      withKit(
        async (k) => {
          const { h, si } = k;
          const auth = await k.signIn(USER);
          value(await si.startChange(auth, 'email', NEW_MAIL, RC));
          const code = await h.lastCode(NEW_MAIL);
          const results = await Promise.all(Array.from({ length: 3 }, () => si.confirm(auth, 'email', code, RC)));
          assert.equal(results.filter((r) => r.ok).length, 1, 'exactly one parallel confirmation wins');
          value(await h.reset.start(USER, RC));
          assert.equal((await h.messages()).filter((m) => m.template === 'reset.code').length, 0);
          h.clock.advance(24 * HOUR);
          value(await h.reset.start(USER, RC));
          assert.equal((await h.messages()).filter((m) => m.template === 'reset.code').at(-1)?.to, NEW_MAIL);
          h.clock.advance(181 * DAY_MS);
          const later = await k.signIn(USER);
          assert.equal(await si.promptReconfirm(later, RC), true);
          assert.equal(await si.promptReconfirm(later, RC), false);
        },
        { databaseUrl },
      ),
    ));
});
