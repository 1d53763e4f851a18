import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/compose.ts';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp-listener.ts';
import {
  api,
  codeIn,
  csrfIn,
  header,
  linkTokenIn,
  PageClient,
  startAttackServer,
  startSmsGateway,
  type AttackServer,
  type SmsGateway,
} from './attack-kit.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';

/**
 * No secret in the logs (GUIDE §6, preamble): complete user and admin resets through the pages and
 * the API, logging at `trace` into memory, then every line is scanned for every code, link token,
 * flow secret, cookie value, CSRF token, CAPTCHA payload and password (old and new). Mail goes to
 * a real SMTP listener and SMS to a local webhook gateway, so there is no dev outbox (whose
 * `devText` field shows message texts on purpose in development): then no line may contain a
 * code at all.
 */

class Secrets {
  readonly values = new Map<string, string>();
  readonly codes = new Set<string>();
  add(kind: string, value: string | null | undefined): void {
    if (value && value.length >= 6) this.values.set(value, kind);
  }
  code(value: string): string {
    this.codes.add(value);
    return value;
  }
  handle(h: FlowHandle | null): void {
    if (!h) return;
    this.add('flow secret', h.secret);
    this.add('X-Flow-Secret', header(h));
  }
  jar(browser: PageClient): void {
    for (const [name, value] of browser.jar) this.add(`cookie ${name}`, value);
    this.handle(browser.flow());
  }
}

interface Rig {
  readonly kit: AttackServer;
  readonly smtp: SmtpListener;
  readonly gateway: SmsGateway;
  readonly secrets: Secrets;
}

async function lastMailTo(rig: Rig, to: string): Promise<string> {
  await rig.kit.deliver();
  const mail = rig.smtp.messages.findLast((m) => m.envelopeTo[0] === to);
  assert.ok(mail, `a mail to ${to}`);
  return mail.text;
}

async function lastSmsTo(rig: Rig, to: string): Promise<string> {
  await rig.kit.deliver();
  const sms = rig.gateway.messages.findLast((m) => m.to === to);
  assert.ok(sms, `an SMS to ${to}`);
  return sms.body;
}

/** Pages; one gate (user) by code, or two gates (admin) by link then SMS. */
async function pagesReset(rig: Rig, login: string, newPassword: string): Promise<void> {
  const { kit, secrets } = rig;
  const spec = kit.account(login);
  secrets.add('old password', spec.password);
  secrets.add('new password', newPassword);
  const browser = new PageClient(kit.server, { 'user-agent': 'log-test-browser' });
  const step = async (path: string, fields: Record<string, string> = {}) => {
    const page = await browser.get('/reset/flow');
    const csrf = csrfIn(page.body);
    secrets.add('csrf token', csrf);
    const res = await browser.post(path, { ...fields, _csrf: csrf });
    secrets.jar(browser);
    return res;
  };
  const start = await browser.get('/reset');
  secrets.add('csrf token', csrfIn(start.body));
  await browser.start(kit, login);
  secrets.jar(browser);
  const text = await lastMailTo(rig, spec.email);
  const code = secrets.code(codeIn(text));
  const token = linkTokenIn(text);
  secrets.add('link token', token);
  assert.equal((await step('/reset/flow/code', { code: code === '000000' ? '111111' : '000000' })).statusCode, 400);
  if (spec.role === 'user') {
    assert.equal((await step('/reset/flow/code', { code })).statusCode, 303);
  } else {
    const page = await browser.get(`/reset/link?t=${token}`);
    const res = await browser.post('/reset/link', { t: token, _csrf: csrfIn(page.body) });
    secrets.jar(browser);
    assert.equal(res.statusCode, 303);
    assert.equal((await step('/reset/flow/phone', { phone: spec.phone })).statusCode, 303);
    const sms = secrets.code(codeIn(await lastSmsTo(rig, spec.phone)));
    assert.equal((await step('/reset/flow/code', { code: sms })).statusCode, 303);
  }
  // the old password first (refused as reused), then a mismatch, then the new one
  assert.equal(
    (await step('/reset/flow/password', { password: spec.password, confirm: spec.password })).statusCode,
    400,
  );
  assert.equal(
    (await step('/reset/flow/password', { password: newPassword, confirm: `${newPassword}x` })).statusCode,
    400,
  );
  assert.equal((await step('/reset/flow/password', { password: newPassword, confirm: newPassword })).statusCode, 303);
  assert.match((await browser.get('/reset/flow')).body, /Your password was changed/);
  await kit.deliver();
}

/** The JSON API; one gate (user) by code, or two gates (admin) by link then SMS. */
async function apiReset(rig: Rig, login: string, oldPassword: string, newPassword: string): Promise<void> {
  const { kit, secrets } = rig;
  const spec = kit.account(login);
  secrets.add('old password', oldPassword);
  secrets.add('new password', newPassword);
  const start = await api(kit.server, 'POST', 'start', {
    body: { login, altcha: await kit.captcha() },
    headers: { 'user-agent': 'log-test-client' },
  });
  assert.equal(start.status, 202);
  let handle: FlowHandle = { flowId: String(start.body.flowId), secret: String(start.body.flowSecret) };
  secrets.handle(handle);
  const call = async (path: string, body: unknown, expect = 200) => {
    const res = await api(kit.server, 'POST', path, { flow: handle, body });
    assert.equal(res.status, expect, `${path}: ${res.res.body}`);
    if (res.status === 200) {
      handle = { ...handle, secret: String(res.body.flowSecret) };
      secrets.handle(handle);
    }
  };
  const text = await lastMailTo(rig, spec.email);
  const code = secrets.code(codeIn(text));
  const token = linkTokenIn(text);
  secrets.add('link token', token);
  await call('flow/code', { code: code === '000000' ? '111111' : '000000' }, 400);
  if (spec.role === 'user') await call('flow/code', { code });
  else {
    await call('link', { token });
    await call('flow/phone', { phone: spec.phone });
    await call('flow/code', { code: secrets.code(codeIn(await lastSmsTo(rig, spec.phone))) });
  }
  await call('flow/password', { password: oldPassword, confirm: oldPassword }, 400);
  await call('flow/password', { password: newPassword, confirm: newPassword });
  await kit.deliver();
}

test('log secrets: complete user and admin resets (pages and API) log no code, token, secret, cookie, CAPTCHA payload or password', async () => {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l.length > 0));
      callback();
    },
  });
  const smtp = await startSmtpListener();
  const gateway = await startSmsGateway();
  let kit: AttackServer | undefined;
  try {
    const logger = createLogger({ log_level: 'trace' }, stream);
    const base = await startAttackServer(
      { SSPR_SMTP_URL: smtp.url, SSPR_SMS_PROVIDER: 'webhook', SSPR_SMS_WEBHOOK_URL: gateway.url },
      { logger },
    );
    kit = base;
    assert.equal(base.app.devOutbox, null, 'no dev outbox in this configuration');
    const secrets = new Secrets();
    // every CAPTCHA payload solved for this test is a secret too
    const recording: AttackServer = {
      ...base,
      captcha: async () => {
        const payload = await base.captcha();
        secrets.add('captcha payload', payload);
        return payload;
      },
    };
    const rig: Rig = { kit: recording, smtp, gateway, secrets };

    await pagesReset(rig, 'user@contoso.example', 'marble lantern orchard violin');
    await pagesReset(rig, 'admin2@contoso.example', 'copper meadow falcon whisper');
    await apiReset(
      rig,
      'admin@contoso.example',
      base.account('admin@contoso.example').password,
      'quiet river basalt comet',
    );
    await apiReset(rig, 'user@contoso.example', 'marble lantern orchard violin', 'amber glacier tundra piano');

    // the listener got the mails, and logging really happened
    assert.ok(smtp.messages.length >= 10, `mails sent (${smtp.messages.length})`);
    assert.ok(lines.length > 50, `log lines written (${lines.length})`);
    assert.ok(
      lines.some((l) => l.includes('/reset/flow/code')),
      'request lines of the steps are in the log',
    );
    const leaks: string[] = [];
    for (const [i, line] of lines.entries()) {
      for (const [value, kind] of secrets.values) {
        if (line.includes(value))
          leaks.push(`line ${i}: ${kind} ${JSON.stringify(value.slice(0, 12))}… in ${line.slice(0, 300)}`);
      }
      for (const code of secrets.codes) {
        if (new RegExp(`(?<![0-9.])${code}(?![0-9])`).test(line))
          leaks.push(`line ${i}: code ${code} in ${line.slice(0, 300)}`);
      }
      if (line.includes('devText')) leaks.push(`line ${i}: devText without a dev outbox`);
    }
    console.log(
      `[log-secrets] scanned ${lines.length} lines for ${secrets.values.size} secrets and ${secrets.codes.size} codes: ${leaks.length} leaks`,
    );
    assert.deepEqual(leaks, [], 'no secret in any log line');
  } finally {
    await kit?.close();
    await gateway.close();
    await smtp.close();
  }
});
