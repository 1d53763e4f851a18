import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { formatWhen } from '../../src/core/message-templates.ts';
import {
  assertDeadEndHelp,
  createPagesKit,
  h1,
  lastCode,
  lastLinkToken,
  solveCaptcha,
  TestBrowser,
  type PagesKit,
} from './reset-pages-kit.ts';

/**
 * Issue 9 items 2, 4 and 7 on the pages and the JSON API: an older code is told apart (with the
 * time of the newer one), a rotated cookie value only shows the current page, and a blocked
 * administrator who passed the email gate by link reaches a help page that says what happened.
 */
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';
const ADMIN = 'admin@contoso.example';
const ADMIN_EMAIL = 'admin@personal.example';
const ADMIN_PHONE = '+15555550101';
const FLOW_COOKIE = 'sspr_flow';

async function start(kit: PagesKit, browser: TestBrowser, login: string) {
  await browser.get('/reset');
  return browser.follow(await browser.post('/reset', { login, altcha: await solveCaptcha(kit.server) }));
}

function escaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&quot;');
}

test('an older code on the page: "Use the newest code" on the code page with the time the newer code was sent, and not counted; the API answers code_superseded', async () => {
  const kit = await createPagesKit({ SSPR_RESEND_COOLDOWN_MS: '0' });
  try {
    const b = new TestBrowser(kit.server);
    await start(kit, b, USER);
    const first = await lastCode(kit.app, USER_EMAIL);
    await b.follow(await b.post('/reset/flow/resend'));
    const second = await lastCode(kit.app, USER_EMAIL);
    assert.notEqual(first, second);
    const flowId = decodeURIComponent(b.cookies.get(FLOW_COOKIE)!).split('.')[0]!;
    const newest = (await kit.app.store.flows.liveCode(flowId, 'email'))!;
    const res = await b.post('/reset/flow/code', { code: first });
    assert.equal(res.statusCode, 400);
    assert.equal(h1(res.body), 'Check your email', 'shown on the code page, not a dead end');
    assert.ok(res.body.includes(STEP_PROBLEMS.code_superseded.title));
    assert.ok(
      res.body.includes(
        escaped(`replaced by a newer one, sent at ${formatWhen(new Date(newest.sentAt).toISOString())}`),
      ),
      'says when the newer code was sent',
    );
    const account = (await kit.app.store.directory.findAccountByLogin(USER))!;
    assert.equal(await kit.app.store.lockouts.countFailures(account.id, 0), 0, 'not counted as a wrong code');
    await b.get('/reset/flow');
    assert.equal((await b.post('/reset/flow/code', { code: second })).statusCode, 303, 'the newest code works');

    // the JSON API: the same code and words, with the time filled in
    const api = await kit.server.inject({
      method: 'POST',
      url: '/api/v1/reset/start',
      payload: { login: USER, altcha: await solveCaptcha(kit.server) },
    });
    assert.equal(api.statusCode, 202, api.body);
    const handle = `${api.json<{ flowId: string }>().flowId}.${api.json<{ flowSecret: string }>().flowSecret}`;
    const apiFirst = await lastCode(kit.app, USER_EMAIL);
    const resent = await kit.server.inject({
      method: 'POST',
      url: '/api/v1/reset/flow/resend',
      headers: { 'x-flow-secret': handle },
      payload: {},
    });
    assert.equal(resent.statusCode, 200, resent.body);
    const old = await kit.server.inject({
      method: 'POST',
      url: '/api/v1/reset/flow/code',
      headers: { 'x-flow-secret': handle },
      payload: { code: apiFirst },
    });
    assert.equal(old.statusCode, 400);
    const error = old.json<{ error: { code: string; message: string } }>().error;
    assert.equal(error.code, 'code_superseded');
    assert.match(error.message, /sent at \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC\./);
    assert.doesNotMatch(error.message, /\{time\}/);
  } finally {
    await kit.close();
  }
});

test('a rotated cookie value (double submit, back button) only shows the current page: it never sets the password', async () => {
  const kit = await createPagesKit();
  try {
    const b = new TestBrowser(kit.server);
    await start(kit, b, USER);
    const before = b.cookies.get(FLOW_COOKIE)!;
    const csrf = b.csrf();
    await b.follow(await b.post('/reset/flow/code', { code: await lastCode(kit.app, USER_EMAIL) }));
    assert.equal(h1(b.lastPage), 'Choose a new password');
    // a second tab still holding the previous cookie value
    const old = new TestBrowser(kit.server);
    for (const [k, v] of b.cookies) old.cookies.set(k, v);
    old.cookies.set(FLOW_COOKIE, before);
    const shown = await old.get('/reset/flow');
    assert.equal(shown.statusCode, 200);
    assert.equal(h1(shown.body), 'Choose a new password', 'the page the current value shows');
    const pw = 'violet tractor harbour pencil';
    const refused = await old.post('/reset/flow/password', { _csrf: csrf, password: pw, confirm: pw });
    assert.notEqual(refused.statusCode, 303, 'the previous value does not set the password');
    const account = (await kit.app.store.directory.findAccountByLogin(USER))!;
    assert.equal(await kit.app.hasher.verify(account.passwordHash!, pw), false);
    const flowId = decodeURIComponent(before).split('.')[0]!;
    assert.equal((await kit.app.store.flows.get(flowId))?.state, 'new_password', 'the flow did not move');
  } finally {
    await kit.close();
  }
});

test('a blocked administrator passes the email gate with the link, then a help page says text message codes are paused', async () => {
  const kit = await createPagesKit();
  try {
    // five wrong codes from someone else block the account
    const attacker = new TestBrowser(kit.server);
    await start(kit, attacker, ADMIN);
    const right = await lastCode(kit.app, ADMIN_EMAIL);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      await attacker.get('/reset/flow');
      await attacker.post('/reset/flow/code', { code: wrong });
    }
    const account = (await kit.app.store.directory.findAccountByLogin(ADMIN))!;
    const blockedAt = await kit.app.store.lockouts.blockedAt(account.id);
    assert.notEqual(blockedAt, null, 'blocked');

    // the owner starts: the email has the link, no code; the page words fit
    const owner = new TestBrowser(kit.server);
    const page = await start(kit, owner, ADMIN);
    assert.ok(page.body.includes('Open the link from the email in this browser'), 'the page mentions the link');
    const token = await lastLinkToken(kit.app, ADMIN_EMAIL);
    await owner.get(`/reset/link?t=${token}`);
    const passed = await owner.follow(await owner.post('/reset/link', { t: token }));
    assert.equal(h1(passed.body), 'Confirm your mobile phone', 'the email gate passed with the link');
    const res = await owner.post('/reset/flow/phone', { phone: ADMIN_PHONE });
    assert.equal(res.statusCode, 403);
    assert.equal(h1(res.body), STEP_PROBLEMS.sms_paused.title);
    assert.ok(
      res.body.includes(escaped(`paused until ${formatWhen(new Date(blockedAt! + 86_400_000).toISOString())}`)),
      'until when',
    );
    assertDeadEndHelp(res.body, 'sms paused');
    assert.match(res.body, /<a href="\/help"/, 'offers the help request');
  } finally {
    await kit.close();
  }
});
