import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeRecord, FlowRecord } from '../../src/ports/flow-store.ts';
import {
  codeIn,
  csrfIn,
  linkTokenIn,
  NEW_PASSWORD,
  newest,
  PageClient,
  startAttackServer,
  type AttackServer,
} from './attack-kit.ts';

/**
 * CSRF (GUIDE §6): every page POST with the `_csrf` token missing, made up, or taken from another
 * browser's session is refused with 403 and changes nothing: no flow started, flow record
 * unchanged, no attempt counted, token not consumed, password hash unchanged.
 */

async function requested(kit: AttackServer): Promise<number> {
  return (await kit.app.store.audit.list({ type: 'reset.requested', limit: 1000 })).length;
}

/** Another browser's valid token (a real token, for another CSRF secret). */
async function foreignToken(kit: AttackServer): Promise<string> {
  const other = new PageClient(kit.server);
  return csrfIn((await other.get('/reset')).body);
}

function badTokens(foreign: string): Record<string, string | undefined> {
  return { missing: undefined, empty: '', 'made up': 'AAAA-not-a-token-AAAA', "another browser's": foreign };
}

test('CSRF: POST /reset without a valid token is refused and starts nothing', async () => {
  const kit = await startAttackServer();
  try {
    const foreign = await foreignToken(kit);
    const browser = new PageClient(kit.server);
    await browser.get('/reset');
    for (const [what, token] of Object.entries(badTokens(foreign))) {
      const before = await requested(kit);
      const form: Record<string, string> = { login: 'user@contoso.example', altcha: await kit.captcha() };
      if (token !== undefined) form._csrf = token;
      const res = await browser.post('/reset', form);
      assert.equal(res.statusCode, 403, `${what} token → 403`);
      assert.equal(browser.flow(), null, `${what} token: no flow cookie`);
      assert.equal(await requested(kit), before, `${what} token: no flow was started`);
    }
    // with no CSRF cookie at all, even a real token is refused
    const bare = await kit.server.inject({
      method: 'POST',
      url: '/reset',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: new URLSearchParams({
        login: 'user@contoso.example',
        altcha: await kit.captcha(),
        _csrf: foreign,
      }).toString(),
    });
    assert.equal(bare.statusCode, 403, 'no CSRF cookie → 403');
    await kit.deliver();
    assert.equal(kit.outbox().length, 0, 'no message was sent');
    // the control: the same browser with its real token works
    await browser.start(kit, 'user@contoso.example');
  } finally {
    await kit.close();
  }
});

test('CSRF: step POSTs (code, resend, use-phone, phone, back-to-email, retype-phone, password, link) without a valid token change nothing', async () => {
  const kit = await startAttackServer({ SSPR_RESEND_COOLDOWN_MS: '0' });
  try {
    const user = kit.account('user@contoso.example');
    const account = await kit.app.store.directory.findAccountByLogin(user.login);
    assert.ok(account);
    const foreign = await foreignToken(kit);
    const browser = new PageClient(kit.server);
    await browser.start(kit, user.login);
    const handle = browser.flow();
    assert.ok(handle);
    await kit.deliver();
    const mail = newest(kit, user.email);
    const code = codeIn(mail.text);
    const token = linkTokenIn(mail.text);

    const snapshot = async () => ({
      flow: await kit.app.store.flows.get(handle.flowId),
      code: await kit.app.store.flows.liveCode(handle.flowId, 'email'),
      hash: (await kit.app.store.directory.getAccount(account.id))?.passwordHash,
      messages: kit.outbox().length,
    });
    const attempt = async (path: string, fields: Record<string, string>) => {
      for (const [what, bad] of Object.entries(badTokens(foreign))) {
        const before = await snapshot();
        const form = bad === undefined ? fields : { ...fields, _csrf: bad };
        const res = await browser.post(path, form);
        await kit.deliver();
        assert.equal(res.statusCode, 403, `${path} with ${what} token → 403 (got ${res.statusCode})`);
        assert.deepEqual(await snapshot(), before, `${path} with ${what} token changed something`);
      }
    };

    // email_code state
    await attempt('/reset/flow/code', { code });
    await attempt('/reset/flow/resend', {});
    await attempt('/reset/flow/use-phone', {});
    await attempt('/reset/link', { t: token });
    // phone_number state (reached with a real token), then sms_code
    assert.equal((await browser.step('/reset/flow/use-phone')).statusCode, 303);
    await attempt('/reset/flow/phone', { phone: user.phone });
    await attempt('/reset/flow/back-to-email', {});
    assert.equal((await browser.step('/reset/flow/back-to-email')).statusCode, 303);
    // new_password state
    assert.equal((await browser.step('/reset/flow/code', { code })).statusCode, 303, 'the code still works');
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'new_password');
    await attempt('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD });
    // the control: with its real token the browser finishes
    assert.equal(
      (await browser.step('/reset/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD })).statusCode,
      303,
    );
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'completed');
  } finally {
    await kit.close();
  }
});

test('CSRF: SMS-step POSTs (retype-phone, code) without a valid token change nothing', async () => {
  const kit = await startAttackServer({ SSPR_RESEND_COOLDOWN_MS: '0' });
  try {
    const user = kit.account('user@contoso.example');
    const foreign = await foreignToken(kit);
    const browser = new PageClient(kit.server);
    await browser.start(kit, user.login);
    const handle = browser.flow();
    assert.ok(handle);
    assert.equal((await browser.step('/reset/flow/use-phone')).statusCode, 303);
    assert.equal((await browser.step('/reset/flow/phone', { phone: user.phone })).statusCode, 303);
    await kit.deliver();
    const sms = codeIn(newest(kit, user.phone, 'sms').text);
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'sms_code');
    const smsState = async (): Promise<{ flow: FlowRecord | null; code: CodeRecord | null }> => ({
      flow: await kit.app.store.flows.get(handle.flowId),
      code: await kit.app.store.flows.liveCode(handle.flowId, 'sms'),
    });
    const attempts: [string, Record<string, string>][] = [
      ['/reset/flow/retype-phone', {}],
      ['/reset/flow/code', { code: sms }],
    ];
    for (const [path, fields] of attempts) {
      for (const [what, bad] of Object.entries(badTokens(foreign))) {
        const before = await smsState();
        const res = await browser.post(path, bad === undefined ? fields : { ...fields, _csrf: bad });
        assert.equal(res.statusCode, 403, `${path} with ${what} token`);
        assert.deepEqual(await smsState(), before, `${path} with ${what} token changed something`);
      }
    }
    assert.equal((await browser.step('/reset/flow/code', { code: sms })).statusCode, 303, 'the SMS code still works');
  } finally {
    await kit.close();
  }
});
