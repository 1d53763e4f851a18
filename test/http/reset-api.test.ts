import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { INVALID_SECURITY_CODE, STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { buildServer } from '../../src/http/server.ts';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { DEMO_ACCOUNTS, setupDemo, type DemoAccountCreated } from '../../src/service/demo.ts';
import { captchaFromServer } from '../helpers/captcha.ts';
import { createTestApp, sequenceRandom } from '../helpers/test-app.ts';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/compose.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Random } from '../../src/ports/random.ts';

/**
 * The self-service reset through the JSON API (`/api/v1/reset/…`), with `inject()` against a real
 * App (SQLite in a temp folder, the demo tenant, the dev outbox): each code and link is read
 * from the message the App actually queued and delivered.
 */
const API = '/api/v1/reset';
const NEW_PASSWORD = 'violet tractor harbour pencil';
const demo = (role: 'global_admin' | 'admin' | 'user') => DEMO_ACCOUNTS.find((a) => a.role === role)!;
const USER = demo('user');
const ADMIN = demo('global_admin');
const ADMIN2 = demo('admin');

interface Handle {
  readonly flowId: string;
  readonly secret: string;
}
interface Flow {
  readonly flowId: string;
  readonly state: string;
  readonly step: number;
  readonly stepsTotal: number | null;
  readonly maskedEmail: string;
  readonly maskedPhone: string | null;
  readonly [key: string]: unknown;
}
interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly res: LightMyRequestResponse;
}

interface Kit {
  readonly app: App;
  readonly server: FastifyInstance;
  readonly passwords: ReadonlyMap<string, string>;
  call(method: 'GET' | 'POST', path: string, options?: { flow?: Handle | string; body?: unknown }): Promise<Answer>;
  captcha(): Promise<string>;
  start(login: string, extra?: Record<string, unknown>): Promise<{ handle: Handle; answer: Answer }>;
  /** The newest message to `to` on `channel`, after the outbox delivered what was queued. */
  newest(to: string, channel?: 'email' | 'sms'): Promise<{ text: string } | undefined>;
  code(to: string, channel?: 'email' | 'sms'): Promise<string>;
  linkToken(to: string): Promise<string>;
}

async function withKit(
  run: (kit: Kit) => Promise<void>,
  options: { logger?: Logger; random?: Random } = {},
): Promise<void> {
  const { logger, random } = options;
  const { app, cleanup } = await createTestApp(
    { SSPR_CAPTCHA_MAX_NUMBER: '1000', ...(logger ? { SSPR_LOG_LEVEL: 'trace' } : {}) },
    { logger, random },
  );
  let server: FastifyInstance | undefined;
  try {
    const seeded = await setupDemo(app.directory, app.random, 'test');
    const passwords = new Map(seeded.accounts.map((a: DemoAccountCreated) => [a.login, a.password]));
    server = await buildServer(app);
    await server.ready();
    const s = server;
    const kit: Kit = {
      app,
      server: s,
      passwords,
      async call(method, path, options = {}) {
        const headers: Record<string, string> = {};
        if (options.flow !== undefined)
          headers['x-flow-secret'] =
            typeof options.flow === 'string' ? options.flow : `${options.flow.flowId}.${options.flow.secret}`;
        const req: InjectOptions = { method, url: `${API}${path}`, headers };
        if (options.body !== undefined) req.payload = options.body as Record<string, unknown>;
        const res = await s.inject(req);
        return { status: res.statusCode, body: res.json<Record<string, unknown>>(), res };
      },
      async captcha() {
        return captchaFromServer(s, `${API}/challenge`);
      },
      async start(login, extra = {}) {
        const answer = await kit.call('POST', '/start', { body: { login, altcha: await kit.captcha(), ...extra } });
        assert.equal(answer.status, 202, `start ${login}: ${answer.res.body}`);
        return { handle: { flowId: String(answer.body.flowId), secret: String(answer.body.flowSecret) }, answer };
      },
      async newest(to, channel = 'email') {
        await app.outbox.runOnce();
        // the dev outbox lists the newest first
        return app.devOutbox!.list().find((m) => m.to === to && m.channel === channel);
      },
      async code(to, channel = 'email') {
        const m = (await kit.newest(to, channel))?.text.match(/\b(\d{6})\b/);
        assert.ok(m, `a code was sent to ${to} by ${channel}`);
        return m[1]!;
      },
      async linkToken(to) {
        const m = (await kit.newest(to))?.text.match(/\/reset\/link\?t=([A-Za-z0-9_-]+)/);
        assert.ok(m, `a link was sent to ${to}`);
        return m[1]!;
      },
    };
    await run(kit);
  } finally {
    await server?.close();
    await cleanup();
  }
}

/** Runs a step that must succeed; returns the handle with the rotated secret and the flow. */
async function step(kit: Kit, handle: Handle, path: string, body?: unknown): Promise<{ handle: Handle; flow: Flow }> {
  const answer = await kit.call('POST', path, { flow: handle, body: body ?? {} });
  assert.equal(answer.status, 200, `${path}: ${answer.res.body}`);
  assert.equal(typeof answer.body.flowSecret, 'string');
  return { handle: { flowId: handle.flowId, secret: String(answer.body.flowSecret) }, flow: answer.body.flow as Flow };
}

function assertError(answer: Answer, status: number, code: string, message?: string): void {
  assert.equal(answer.status, status, `status for ${code}: ${answer.res.body}`);
  const error = answer.body.error as { code: string; message: string; requestId: string };
  assert.equal(error.code, code);
  assert.equal(error.message, message ?? (STEP_PROBLEMS as Record<string, { message: string }>)[code]?.message);
  assert.equal(error.requestId, answer.res.headers['x-request-id']);
  assert.deepEqual(Object.keys(answer.body), ['error']);
  assert.equal(answer.res.headers['cache-control'], 'no-store');
  assert.match(String(answer.res.headers['content-type']), /^application\/json/);
}

async function passwordHashOf(app: App, login: string): Promise<string> {
  const account = await app.store.directory.findAccountByLogin(login);
  assert.ok(account?.passwordHash, `${login} has a password`);
  return account.passwordHash;
}

const DAY = 24 * 3_600_000;

test('a user resets the password through the API; the new password verifies and the old one does not', () =>
  withKit(async (kit) => {
    const oldPassword = kit.passwords.get(USER.login)!;
    const { handle, answer } = await kit.start(USER.login);
    assert.equal(answer.res.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(answer.body).sort(), ['flow', 'flowId', 'flowSecret']);
    const flow = answer.body.flow as Flow;
    assert.equal(flow.flowId, handle.flowId);
    assert.equal(flow.state, 'email_code');
    assert.equal(flow.stepsTotal, null, 'the total is not shown before the first gate');
    assert.notEqual(flow.maskedEmail, USER.email, 'the email is masked');

    const viewed = await kit.call('GET', '/flow', { flow: handle });
    assert.equal(viewed.status, 200);
    assert.deepEqual(viewed.body, { flow });

    const afterCode = await step(kit, handle, '/flow/code', { code: await kit.code(USER.email) });
    assert.notEqual(afterCode.handle.secret, handle.secret, 'the secret rotates');
    assert.equal(afterCode.flow.state, 'new_password');
    assert.deepEqual([afterCode.flow.step, afterCode.flow.stepsTotal], [1, 1], 'a user has one gate');

    assertError(
      await kit.call('POST', '/flow/password', {
        flow: afterCode.handle,
        body: { password: NEW_PASSWORD, confirm: `${NEW_PASSWORD}!` },
      }),
      400,
      'password_mismatch',
    );
    assertError(
      await kit.call('POST', '/flow/password', {
        flow: afterCode.handle,
        body: { password: 'short', confirm: 'short' },
      }),
      400,
      'password_too_short',
    );
    const done = await step(kit, afterCode.handle, '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(done.flow.state, 'completed');

    const hash = await passwordHashOf(kit.app, USER.login);
    assert.equal(await kit.app.hasher.verify(hash, NEW_PASSWORD), true, 'the new password verifies');
    assert.equal(await kit.app.hasher.verify(hash, oldPassword), false, 'the old password no longer does');
    assertError(await kit.call('GET', '/flow', { flow: done.handle }), 410, 'flow_completed');
    assertError(
      await kit.call('POST', '/flow/code', { flow: done.handle, body: { code: '123456' } }),
      410,
      'flow_completed',
    );
  }));

test('a user passes the gate with a code from the authenticator app through the API (use-authenticator, then code)', () =>
  withKit(async (kit) => {
    // an app registered for the user: the secret sealed at rest, confirmed at an old step
    const account = (await kit.app.store.directory.findAccountByLogin(USER.login))!;
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    await kit.app.store.authenticators.createPending({
      id: 'app-1',
      accountId: account.id,
      secretSealed: kit.app.keyring.seal(secret),
      sessionHash: 'no-session',
      createdAt: kit.app.clock.now() - DAY,
    });
    // confirmed a day ago, before the email and phone were verified: no cooling-off holds it back
    await kit.app.store.authenticators.confirm('app-1', 1, kit.app.clock.now() - DAY);
    const { handle, answer } = await kit.start(USER.login);
    assert.equal((answer.body.flow as Flow).canUseAuthenticator, true);
    const app = await step(kit, handle, '/flow/use-authenticator');
    assert.equal(app.flow.state, 'totp_code');
    assert.equal(app.flow.canUsePhone, true);
    const wrong = totpCodeAt(secret, kit.app.clock.now()) === '000000' ? '111111' : '000000';
    assertError(await kit.call('POST', '/flow/code', { flow: app.handle, body: { code: wrong } }), 400, 'invalid_code');
    const passed = await step(kit, app.handle, '/flow/code', { code: totpCodeAt(secret, kit.app.clock.now()) });
    assert.equal(passed.flow.state, 'new_password');
    const done = await step(kit, passed.handle, '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(done.flow.state, 'completed');
  }));

test('an administrator passes both gates through the API: email code, phone number, SMS code, password', () =>
  withKit(async (kit) => {
    const oldPassword = kit.passwords.get(ADMIN.login)!;
    let { handle } = await kit.start(ADMIN.login);
    assert.equal(await kit.newest(ADMIN.phone, 'sms'), undefined, 'no SMS before the email gate');
    assertError(
      await kit.call('POST', '/flow/phone', { flow: handle, body: { phone: ADMIN.phone } }),
      400,
      'wrong_step',
    );

    let r = await step(kit, handle, '/flow/code', { code: await kit.code(ADMIN.email) });
    handle = r.handle;
    assert.equal(r.flow.state, 'phone_number');
    assert.deepEqual([r.flow.step, r.flow.stepsTotal], [2, 2]);
    assert.equal(typeof r.flow.maskedPhone, 'string', 'the masked phone is shown after the email gate');
    assert.ok(!String(r.flow.maskedPhone).includes(ADMIN.phone.slice(2, 8)), 'the phone is masked');

    assertError(
      await kit.call('POST', '/flow/phone', { flow: handle, body: { phone: 'not a number' } }),
      400,
      'phone_invalid',
    );
    r = await step(kit, handle, '/flow/phone', { phone: ADMIN.phone });
    handle = r.handle;
    assert.equal(r.flow.state, 'sms_code');
    const sms = await kit.code(ADMIN.phone, 'sms');

    r = await step(kit, handle, '/flow/code', { code: sms });
    handle = r.handle;
    assert.equal(r.flow.state, 'new_password');
    r = await step(kit, handle, '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    assert.equal(r.flow.state, 'completed');

    const hash = await passwordHashOf(kit.app, ADMIN.login);
    assert.equal(await kit.app.hasher.verify(hash, NEW_PASSWORD), true);
    assert.equal(await kit.app.hasher.verify(hash, oldPassword), false);
    const notice = await kit.newest(ADMIN2.login);
    assert.ok(notice, 'the other administrator is told');
  }));

test('the email link works only with the X-Flow-Secret of its own flow; elsewhere 403 and the link stays valid', () =>
  withKit(async (kit) => {
    const { handle } = await kit.start(ADMIN.login);
    const token = await kit.linkToken(ADMIN.email);
    const other = (await kit.start(ADMIN2.login)).handle;
    const unknown = (await kit.start('nobody@contoso.example')).handle;

    for (const flow of [other, unknown, undefined, 'garbage']) {
      assertError(await kit.call('POST', '/link', { flow, body: { token } }), 403, 'wrong_browser');
    }
    assertError(
      await kit.call('POST', '/link', { flow: handle, body: { token: 'x'.repeat(43) } }),
      400,
      'invalid_code',
      INVALID_SECURITY_CODE.message,
    );
    assert.equal(((await kit.call('GET', '/flow', { flow: other })).body.flow as Flow).state, 'email_code');

    const r = await step(kit, handle, '/link', { token });
    assert.equal(r.flow.state, 'phone_number', 'the link passed the email gate');
    assert.notEqual(r.handle.secret, handle.secret);
    assertError(
      await kit.call('POST', '/link', { flow: r.handle, body: { token } }),
      400,
      'invalid_code',
      INVALID_SECURITY_CODE.message,
    );
  }));

test("a wrong or malformed code: 400 invalid_code with the seed's message, code_malformed for non-digits", () =>
  withKit(async (kit) => {
    const { handle } = await kit.start(USER.login);
    const right = await kit.code(USER.email);
    const wrong = right === '000000' ? '000001' : '000000';
    const answer = await kit.call('POST', '/flow/code', { flow: handle, body: { code: wrong } });
    assertError(answer, 400, 'invalid_code', INVALID_SECURITY_CODE.message);
    assert.equal(
      INVALID_SECURITY_CODE.message,
      'This security code you entered does not match the code we sent, or it has expired. To start a new password reset request, click here.',
    );
    assertError(await kit.call('POST', '/flow/code', { flow: handle, body: { code: 'abc' } }), 400, 'code_malformed');
    // a code sent as a JSON number is not a code (leading zeros would be lost): rejected, field named
    const numeric = await kit.call('POST', '/flow/code', { flow: handle, body: { code: 123456 } });
    assertError(numeric, 400, 'invalid_request', 'The field "code" must be a string.');
    // an unknown account's flow gets the same answer
    const ghost = (await kit.start('nobody@contoso.example')).handle;
    assertError(
      await kit.call('POST', '/flow/code', { flow: ghost, body: { code: right } }),
      400,
      'invalid_code',
      INVALID_SECURITY_CODE.message,
    );
    assert.equal((await step(kit, handle, '/flow/code', { code: right })).flow.state, 'new_password');
  }));

test('the rotated secret is required: the previous one works for 30 s after a step, then 404', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  await withKit(async (kit) => {
    const { handle } = await kit.start(USER.login);
    const first = await kit.code(USER.email);

    // resend is not a step: it keeps the secret (and answers with it); 429 within the cooldown
    const tooSoon = await kit.call('POST', '/flow/resend', { flow: handle, body: {} });
    assertError(tooSoon, 429, 'resend_too_soon');
    assert.ok(Number(tooSoon.res.headers['retry-after']) >= 1, 'Retry-After on resend');
    t.mock.timers.tick(61_000);
    const resent = await step(kit, handle, '/flow/resend', { email: 'attacker@evil.example' });
    assert.equal(resent.handle.secret, handle.secret);
    const code = await kit.code(USER.email);
    assert.notEqual(code, first, 'a new code was sent to the same address');
    assert.equal(await kit.newest('attacker@evil.example'), undefined);

    const next = await step(kit, handle, '/flow/code', { code });
    assert.equal((await kit.call('GET', '/flow', { flow: handle })).status, 200, 'old secret within the grace');
    t.mock.timers.tick(30_000);
    assertError(await kit.call('GET', '/flow', { flow: handle }), 404, 'flow_not_found');
    assertError(
      await kit.call('POST', '/flow/password', {
        flow: handle,
        body: { password: NEW_PASSWORD, confirm: NEW_PASSWORD },
      }),
      404,
      'flow_not_found',
    );
    const current = await kit.call('GET', '/flow', { flow: next.handle });
    assert.equal(current.status, 200);
    assert.equal((current.body.flow as Flow).state, 'new_password');

    // the whole flow expires 60 minutes after it started: 410
    t.mock.timers.tick(60 * 60_000);
    assertError(await kit.call('GET', '/flow', { flow: next.handle }), 410, 'flow_expired');
  });
});

test('a missing or garbled X-Flow-Secret answers 404 flow_not_found on every flow route', () =>
  withKit(async (kit) => {
    const { handle } = await kit.start(USER.login);
    const other = (await kit.start(ADMIN2.login)).handle;
    const bad: (string | undefined)[] = [
      undefined,
      '',
      'garbage',
      handle.flowId,
      `${handle.flowId}.`,
      `.${handle.secret}`,
      `${handle.flowId}.${handle.secret}x`,
      `${handle.flowId}.${other.secret}`,
      `${other.flowId}.${handle.secret}`,
      `${handle.flowId}.${handle.secret}.${handle.secret}`,
      ` ${handle.flowId} . ${handle.secret}`,
      `${handle.flowId}.${'A'.repeat(43)}`,
      `${'x'.repeat(500)}.${handle.secret}`,
      `${handle.flowId}:${handle.secret}`,
    ];
    const routes: [method: 'GET' | 'POST', path: string, body?: unknown][] = [
      ['GET', '/flow'],
      ['POST', '/flow/code', { code: '123456' }],
      ['POST', '/flow/resend', {}],
      ['POST', '/flow/use-phone', {}],
      ['POST', '/flow/back-to-email', {}],
      ['POST', '/flow/retype-phone', {}],
      ['POST', '/flow/phone', { phone: USER.phone }],
      ['POST', '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD }],
    ];
    for (const [method, path, body] of routes) {
      for (const flow of bad) {
        const answer = await kit.call(method, path, { flow, body });
        assert.equal(answer.status, 404, `${method} ${path} with ${JSON.stringify(flow)}: ${answer.res.body}`);
        assertError(answer, 404, 'flow_not_found');
      }
    }
    // the real flow did not move
    const still = await kit.call('GET', '/flow', { flow: handle });
    assert.equal((still.body.flow as Flow).state, 'email_code');
  }));

test('start: a bad, replayed or missing CAPTCHA is refused with 400; a malformed login with login_invalid', () =>
  withKit(async (kit) => {
    const codeMails = async () => {
      await kit.app.outbox.runOnce();
      return kit.app.devOutbox!.list().filter((m) => m.to === USER.email && /\b\d{6}\b/.test(m.text)).length;
    };
    const before = await codeMails();
    const payload = await kit.captcha();
    const first = await kit.call('POST', '/start', { body: { login: USER.login, altcha: payload } });
    assert.equal(first.status, 202);
    const replay = await kit.call('POST', '/start', { body: { login: USER.login, altcha: payload } });
    assertError(replay, 400, 'captcha_failed');

    const decoded = JSON.parse(Buffer.from(await kit.captcha(), 'base64').toString()) as {
      solution: { derivedKey: string };
    };
    const k = decoded.solution.derivedKey;
    decoded.solution.derivedKey = (k[0] === '0' ? '1' : '0') + k.slice(1);
    const tampered = Buffer.from(JSON.stringify(decoded)).toString('base64');
    for (const altcha of ['', 'not-base64-json', tampered]) {
      assertError(await kit.call('POST', '/start', { body: { login: USER.login, altcha } }), 400, 'captcha_failed');
    }
    const missing = await kit.call('POST', '/start', { body: { login: USER.login } });
    assertError(missing, 400, 'invalid_request', 'The field "altcha" is required.');
    const tooLong = await kit.call('POST', '/start', { body: { login: USER.login, altcha: 'x'.repeat(9_000) } });
    assertError(tooLong, 400, 'invalid_request', 'The field "altcha" is too long.');

    const badLogin = await kit.call('POST', '/start', {
      body: { login: 'no spaces allowed', altcha: await kit.captcha() },
    });
    assertError(badLogin, 400, 'login_invalid');
    assert.equal(await codeMails(), before + 1, 'only the good start sent a code');
  }));

test('identity fields smuggled into bodies are ignored: the flow is the one of X-Flow-Secret', () =>
  withKit(
    async (kit) => {
      const admin = await kit.app.store.directory.findAccountByLogin(ADMIN.login);
      assert.ok(admin, 'the demo admin exists');
      const smuggled = {
        accountId: admin.id,
        tenantId: admin.tenantId,
        email: 'attacker@evil.example',
        phone: '+15555550199',
        login: ADMIN.login,
        flowId: 'x'.repeat(22),
        to: 'attacker@evil.example',
      };
      // start: the login typed decides; the other fields change nothing
      const started = await kit.start(USER.login, { ...smuggled, login: USER.login });
      const userFlow = started.answer.body.flow as Flow;
      const adminFlow = (await kit.start(ADMIN.login)).handle;
      await kit.app.outbox.runOnce();
      assert.deepEqual(
        kit.app.devOutbox!.list().filter((m) => m.to === 'attacker@evil.example' || m.to === smuggled.phone),
        [],
      );
      assert.ok(await kit.newest(USER.email), 'the code went to the user’s own address');

      // the administrator's code does not open the user's flow, whatever the body claims (the App
      // draws codes in sequence: the two never collide by chance, so this is checked every run)
      const adminCode = await kit.code(ADMIN.email);
      const userCode = await kit.code(USER.email);
      assert.notEqual(adminCode, userCode, 'two codes drawn in sequence differ');
      assertError(
        await kit.call('POST', '/flow/code', { flow: started.handle, body: { code: adminCode, ...smuggled } }),
        400,
        'invalid_code',
        INVALID_SECURITY_CODE.message,
      );
      const r = await step(kit, started.handle, '/flow/code', { code: userCode, ...smuggled });
      assert.equal(r.flow.state, 'new_password', 'a user flow (one gate), not the admin’s (two)');
      assert.equal(r.flow.maskedEmail, userFlow.maskedEmail, 'the destination is unchanged');

      // the administrator's flow: the SMS goes to the number on file only
      const a = await step(kit, adminFlow, '/flow/code', { code: adminCode, ...smuggled });
      const b = await step(kit, a.handle, '/flow/phone', { ...smuggled, phone: ADMIN.phone });
      assert.equal(b.flow.state, 'sms_code');
      assert.ok(await kit.newest(ADMIN.phone, 'sms'), 'the SMS went to the number on file');
      assert.equal(await kit.newest(smuggled.phone, 'sms'), undefined);

      // the password lands on the user's account, not the one named in the body
      const adminHashBefore = await passwordHashOf(kit.app, ADMIN.login);
      await step(kit, r.handle, '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD, ...smuggled });
      assert.equal(await kit.app.hasher.verify(await passwordHashOf(kit.app, USER.login), NEW_PASSWORD), true);
      assert.equal(await passwordHashOf(kit.app, ADMIN.login), adminHashBefore);
    },
    { random: sequenceRandom() },
  ));

test('start answers an existing and an unknown login alike: same status, keys, value types and headers', () =>
  withKit(async (kit) => {
    /** The answer with ids, secrets, masks and times replaced by their type. */
    const shape = (value: unknown, key = ''): unknown => {
      if (Array.isArray(value)) return value.map((v) => shape(v));
      if (value !== null && typeof value === 'object')
        return Object.fromEntries(
          Object.entries(value as Record<string, unknown>)
            .sort(([x], [y]) => x.localeCompare(y))
            .map(([k, v]) => [k, shape(v, k)]),
        );
      if (['flowId', 'flowSecret', 'maskedEmail', 'expiresAt', 'resendAvailableAt'].includes(key))
        return `<${value === null ? 'null' : typeof value}>`;
      return value;
    };
    const headerNames = (a: Answer) =>
      Object.keys(a.res.headers)
        .filter((h) => !['date', 'x-request-id', 'content-length'].includes(h))
        .sort()
        .map((h) => [h, a.res.headers[h]]);

    const answers: Answer[] = [];
    for (const login of [USER.login, ADMIN.login, 'nobody@contoso.example', 'someone@elsewhere.example']) {
      answers.push((await kit.start(login)).answer);
    }
    const [known] = answers;
    for (const other of answers.slice(1)) {
      assert.equal(other.status, known!.status);
      assert.deepEqual(shape(other.body), shape(known!.body));
      assert.deepEqual(headerNames(other), headerNames(known!));
      assert.match(String((other.body.flow as Flow).maskedEmail), /^[^@]+@[^@]+$/, 'a plausible mask');
    }
  }));

test('bodies: JSON only, small, unknown routes 404 in JSON, validation errors name the field without echoing it', () =>
  withKit(async (kit) => {
    const { handle } = await kit.start(USER.login);
    const h = `${handle.flowId}.${handle.secret}`;
    const form = await kit.server.inject({
      method: 'POST',
      url: `${API}/flow/code`,
      headers: { 'x-flow-secret': h, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'code=123456',
    });
    assert.equal(form.statusCode, 415);
    const text = await kit.server.inject({
      method: 'POST',
      url: `${API}/flow/code`,
      headers: { 'x-flow-secret': h, 'content-type': 'text/plain' },
      payload: '{"code":"123456"}',
    });
    assert.equal(text.statusCode, 415);
    const big = await kit.call('POST', '/flow/code', { flow: handle, body: { code: '1', pad: 'x'.repeat(5_000) } });
    assert.equal(big.status, 413);
    const broken = await kit.server.inject({
      method: 'POST',
      url: `${API}/flow/code`,
      headers: { 'x-flow-secret': h, 'content-type': 'application/json' },
      payload: '{"code":',
    });
    assert.equal(broken.statusCode, 400);
    const proto = await kit.server.inject({
      method: 'POST',
      url: `${API}/flow/code`,
      headers: { 'x-flow-secret': h, 'content-type': 'application/json' },
      payload: '{"code":"123456","__proto__":{"x":1}}',
    });
    assert.equal(proto.statusCode, 400);

    const secretValue = 'hunter2-very-secret-value';
    const wrongType = await kit.call('POST', '/flow/password', {
      flow: handle,
      body: { password: secretValue, confirm: ['x', secretValue] },
    });
    assertError(wrongType, 400, 'invalid_request', 'The field "confirm" must be a string.');
    assert.ok(!wrongType.res.body.includes(secretValue), 'the value is never echoed');
    const notObject = await kit.server.inject({
      method: 'POST',
      url: `${API}/flow/password`,
      headers: { 'x-flow-secret': h, 'content-type': 'application/json' },
      payload: '"just a string"',
    });
    assertError(
      { status: notObject.statusCode, body: notObject.json(), res: notObject },
      400,
      'invalid_request',
      'The request body must be a JSON object.',
    );

    const missing = await kit.call('GET', '/nowhere');
    assert.equal(missing.status, 404);
    assert.equal((missing.body.error as { code: string }).code, 'not_found');
    assert.equal(((await kit.call('GET', '/flow', { flow: handle })).body.flow as Flow).state, 'email_code');
  }));

test('moving between steps: use-phone, retype-phone, back-to-email, and wrong_step where a move is not allowed', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
  await withKit(async (kit) => {
    const { handle } = await kit.start(USER.login);
    // a one-gate user may choose the phone instead of the email
    let r = await step(kit, handle, '/flow/use-phone');
    assert.equal(r.flow.state, 'phone_number');
    assert.equal(r.flow.canGoBackToEmail, true);
    const early = await kit.call('POST', '/flow/phone', { flow: r.handle, body: { phone: USER.phone } });
    assertError(early, 429, 'resend_too_soon');
    assert.ok(Number(early.res.headers['retry-after']) >= 1, 'Retry-After on phone');
    t.mock.timers.tick(61_000);
    r = await step(kit, r.handle, '/flow/phone', { phone: USER.phone });
    assert.equal(r.flow.state, 'sms_code');
    assert.ok(await kit.newest(USER.phone, 'sms'), 'the SMS went to the number on file');
    r = await step(kit, r.handle, '/flow/retype-phone');
    assert.equal(r.flow.state, 'phone_number');
    r = await step(kit, r.handle, '/flow/back-to-email');
    assert.equal(r.flow.state, 'email_code');
    assertError(await kit.call('POST', '/flow/retype-phone', { flow: r.handle, body: {} }), 400, 'wrong_step');
    assertError(await kit.call('POST', '/flow/back-to-email', { flow: r.handle }), 400, 'wrong_step');

    // an administrator cannot skip the email gate
    const admin = (await kit.start(ADMIN.login)).handle;
    const phoneFirst = await step(kit, admin, '/flow/use-phone');
    t.mock.timers.tick(61_000);
    const after = await step(kit, phoneFirst.handle, '/flow/phone', { phone: ADMIN.phone });
    assert.equal(after.flow.state, 'sms_code', 'the same page as for a user');
    assert.equal(await kit.newest(ADMIN.phone, 'sms'), undefined, 'but no SMS before the email gate');
  });
});

test('logs never carry the X-Flow-Secret, a flow secret, a code, a link token or a password', async () => {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ log_level: 'trace' }, sink);
  const secrets: string[] = [NEW_PASSWORD];
  await withKit(
    async (kit) => {
      const { handle } = await kit.start(USER.login);
      secrets.push(handle.secret);
      const token = await kit.linkToken(USER.email);
      const code = await kit.code(USER.email);
      // a 6-digit code could turn up inside a timestamp by chance: look for it as a JSON string
      secrets.push(token, `"${code}"`);
      // a wrong code and a bad body are logged as rejections: still without the values
      await kit.call('POST', '/flow/code', { flow: handle, body: { code: code === '111111' ? '222222' : '111111' } });
      await kit.call('POST', '/flow/password', { flow: handle, body: { password: NEW_PASSWORD, confirm: 5 } });
      const r = await step(kit, handle, '/link', { token });
      secrets.push(r.handle.secret);
      await step(kit, r.handle, '/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
      // a handler that logged the request headers would have them redacted
      kit.app.log.info({ req: { headers: { 'x-flow-secret': `${handle.flowId}.${handle.secret}` } } }, 'headers');
    },
    { logger },
  );
  const lines = chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(
    lines.some((l) => String(l.url ?? (l.req as { url?: string } | undefined)?.url ?? '').startsWith(API)),
    'requests were logged',
  );
  const headerLine = lines.find((l) => l.msg === 'headers');
  assert.deepEqual(headerLine?.req, { headers: { 'x-flow-secret': '[redacted]' } });
  // the dev outbox logs message texts on purpose (development only): leave those lines out
  const text = lines
    .filter((l) => l.devText === undefined)
    .map((l) => JSON.stringify(l))
    .join('\n');
  for (const secret of secrets) assert.ok(!text.includes(secret), `a secret (${secret.length} chars) was logged`);
});
