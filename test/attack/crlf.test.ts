import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpListener, type ReceivedMail } from '../helpers/smtp-listener.ts';
import {
  api,
  apiStart,
  codeIn,
  errorCode,
  NEW_PASSWORD,
  startAttackServer,
  startSmsGateway,
  type AttackServer,
} from './attack-kit.ts';

/**
 * CR/LF injection into email headers (GUIDE §6): CR/LF (and other line breaks) in every field a
 * person or an administrator can type — login, code, phone, password, display names, alternate
 * email — never reaches an email header. Mail goes to a real SMTP listener and the raw headers
 * are inspected.
 */
const EVIL = 'attacker@evil.example';
const BREAKS = ['\r\n', '\n', '\r', '\r\n ', '\u2028', '\u0085'];

function injections(base: string): string[] {
  return BREAKS.flatMap((br) => [`${base}${br}Bcc: ${EVIL}`, `${base}${br}${br}body`, `${base}${br}`]);
}

/** The variants with something after the line break (a trailing break is trimmed away, harmlessly). */
function inside(base: string): string[] {
  return injections(base).filter((v) => v.trim() !== base);
}

function headerBlock(raw: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  return end === -1 ? raw : raw.slice(0, end);
}

/** Header lines with folded continuations joined. */
function headers(raw: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const line of headerBlock(raw).split(/\r\n/)) {
    if (/^[ \t]/.test(line) && out.length > 0) out[out.length - 1]!.value += line;
    else {
      const colon = line.indexOf(':');
      out.push({ name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1) });
    }
  }
  return out;
}

function assertCleanHeaders(mail: ReceivedMail, allowedTo: readonly string[]): void {
  const block = headerBlock(mail.raw);
  assert.equal(/\r(?!\n)|(?<!\r)\n/.test(block), false, 'no bare CR or LF in the header block');
  const list = headers(mail.raw);
  for (const h of list) {
    assert.match(h.name, /^[a-z0-9-]+$/, `header name ${JSON.stringify(h.name)}`);
    assert.equal(h.value.includes('evil.example'), false, `header ${h.name} carries injected text`);
  }
  for (const name of ['bcc', 'cc', 'reply-to', 'sender']) {
    assert.equal(
      list.some((h) => h.name === name),
      false,
      `no ${name} header`,
    );
  }
  for (const name of ['to', 'from', 'subject']) {
    assert.equal(list.filter((h) => h.name === name).length, 1, `exactly one ${name} header`);
  }
  assert.equal(mail.envelopeTo.length, 1, 'one envelope recipient');
  assert.ok(allowedTo.includes(mail.envelopeTo[0]!), `envelope recipient ${mail.envelopeTo[0]} is registered`);
  assert.deepEqual(mail.to, mail.envelopeTo, 'To header = envelope recipient');
}

async function refusedEverywhere(kit: AttackServer): Promise<void> {
  // login
  for (const login of injections('user@contoso.example')) {
    const res = await api(kit.server, 'POST', 'start', { body: { login, altcha: await kit.captcha() } });
    // a trailing line break is trimmed away (the same account); anything after it is refused
    const trailing = login.trim() === 'user@contoso.example';
    assert.equal(res.status, trailing ? 202 : 400, `login ${JSON.stringify(login)} → ${res.status}`);
    if (!trailing) assert.equal(errorCode(res), 'login_invalid', `login ${JSON.stringify(login)}`);
  }
}

test('CRLF: line breaks in login, code, phone, password and display names never reach an email header', async () => {
  const smtp = await startSmtpListener();
  const gateway = await startSmsGateway();
  let kit: AttackServer | undefined;
  try {
    kit = await startAttackServer({
      SSPR_SMTP_URL: smtp.url,
      SSPR_SMS_PROVIDER: 'webhook',
      SSPR_SMS_WEBHOOK_URL: gateway.url,
      SSPR_START_LIMIT_PER_IP: '1000',
    });
    const admin = kit.account('admin@contoso.example');
    const registered = kit.accounts.flatMap((a) => [a.login, a.email]);

    // display names and alternate emails with line breaks, set through the directory service
    let n = 0;
    for (const displayName of injections('Eve')) {
      const added = await kit.app.directory.addUser({
        login: `eve${n++}@contoso.example`,
        displayName,
        role: 'user',
        actor: 'attack',
      });
      if (/[\r\n]/.test(displayName.trim()))
        assert.equal(added.ok, false, `display name ${JSON.stringify(displayName)} refused`);
      else if (added.ok)
        console.log(
          `[crlf] note: display name ${JSON.stringify(displayName)} was accepted as ${JSON.stringify(added.value.displayName)}`,
        );
    }
    for (const value of [
      ...injections('uma.other@personal.example'),
      `uma@personal.example, ${EVIL}`,
      `uma@personal.example;${EVIL}`,
      `"x" <${EVIL}>`,
    ]) {
      const set = await kit.app.directory.setMethod({
        login: 'user@contoso.example',
        kind: 'email',
        value,
        actor: 'attack',
      });
      if (/[\r\n\u2028\u0085,;<]/.test(value.trimEnd())) {
        assert.equal(set.ok, false, `alternate email ${JSON.stringify(value)} refused`);
      }
    }
    const mailed = (
      await kit.app.store.directory.listMethods(
        (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!.id,
      )
    )
      .filter((m) => m.kind === 'email')
      .map((m) => m.value);
    for (const value of mailed)
      assert.equal(/[\r\n,;<>\s]/.test(value), false, `stored email ${JSON.stringify(value)}`);
    registered.push(...mailed);

    await refusedEverywhere(kit);

    // a complete admin reset with line breaks tried at every step
    const { handle: h0 } = await apiStart(kit, `${admin.login}\r\n`);
    let handle = h0;
    await kit.deliver();
    const emailMail = (await smtp.waitFor(1)).findLast((m) => m.envelopeTo[0] === admin.email);
    assert.ok(emailMail, 'the admin’s code email arrived');
    const code = codeIn(emailMail.text);
    for (const bad of inside(code)) {
      const res = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: bad } });
      assert.equal(res.status, 400, `code ${JSON.stringify(bad)}`);
    }
    let res = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code } });
    assert.equal(res.status, 200, res.res.body);
    handle = { ...handle, secret: String(res.body.flowSecret) };
    for (const bad of inside(admin.phone)) {
      const r = await api(kit.server, 'POST', 'flow/phone', { flow: handle, body: { phone: bad } });
      assert.equal(r.status, 400, `phone ${JSON.stringify(bad)} → ${r.status}`);
    }
    res = await api(kit.server, 'POST', 'flow/phone', { flow: handle, body: { phone: admin.phone } });
    assert.equal(res.status, 200, res.res.body);
    handle = { ...handle, secret: String(res.body.flowSecret) };
    await kit.deliver();
    const sms = gateway.messages.findLast((m) => m.to === admin.phone);
    assert.ok(sms, 'the SMS reached the gateway');
    res = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: codeIn(sms.body) } });
    assert.equal(res.status, 200, res.res.body);
    handle = { ...handle, secret: String(res.body.flowSecret) };
    // (not EVIL: "example" would make it a "personal" password for this tenant)
    const password = `${NEW_PASSWORD}\r\nBcc: mallory@evil.zz\r\n\r\nhi`;
    res = await api(kit.server, 'POST', 'flow/password', { flow: handle, body: { password, confirm: password } });
    assert.equal(res.status, 200, `a password may hold any character: ${res.res.body}`);
    await kit.deliver();
    // code email + completion notices (login, alternate email) + notice to the other admin
    const mails = await smtp.waitFor(4);
    assert.ok(
      mails.some((m) => /Administrator password reset/.test(m.subject)),
      'the admin notice was sent',
    );
    for (const mail of mails) assertCleanHeaders(mail, registered);
    for (const mail of mails) {
      assert.equal(mail.raw.includes(EVIL), false, 'the injected address appears nowhere');
      assert.equal(mail.raw.includes('evil.zz'), false, 'the password appears nowhere');
    }
  } finally {
    await kit?.close();
    await gateway.close();
    await smtp.close();
  }
});
