import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { SmtpMailer } from '../../src/adapters/mail/smtp-mailer.ts';
import { freePort } from '../helpers/free-port.ts';
import { startSmtpListener, type SmtpListener } from '../helpers/smtp-listener.ts';

const FROM = 'sspr <no-reply@sspr.example>';
/**
 * The timeout of the tests about what is sent (not about timing): 2 s was too short on a loaded CI
 * machine (the EHLO and STARTTLS tests failed once with every helper's browser running); the
 * timeout tests below keep their short ones.
 */
const PATIENT_MS = 15_000;
const TO = 'ada.lovelace@example.com';
const message = {
  to: TO,
  subject: 'Your security info changed',
  text: 'Hello Ada,\n\nplain part\n',
  html: '<!doctype html><p>Hello <strong>Ada</strong></p>',
};

describe('SmtpMailer against a real SMTP listener', () => {
  let smtp: SmtpListener;
  let mailer: SmtpMailer;

  before(async () => {
    smtp = await startSmtpListener();
    mailer = new SmtpMailer({ url: smtp.url, from: FROM, timeoutMs: PATIENT_MS });
  });
  after(async () => {
    await mailer.close();
    await smtp.close();
  });

  it('sends text and HTML parts with the configured From', async () => {
    const before = smtp.messages.length;
    const result = await mailer.send(message);
    assert.equal(result.ok, true);
    assert.ok(result.ok && typeof result.providerId === 'string' && result.providerId.length > 0);
    const mails = await smtp.waitFor(before + 1);
    const mail = mails[before];
    assert.ok(mail);
    assert.deepEqual(mail.envelopeTo, [TO]);
    assert.equal(mail.envelopeFrom, 'no-reply@sspr.example');
    assert.deepEqual(mail.to, [TO]);
    assert.equal(mail.from, '"sspr" <no-reply@sspr.example>');
    assert.equal(mail.subject, message.subject);
    assert.equal(mail.text, message.text);
    assert.match(mail.html ?? '', /<p>Hello <strong>Ada<\/strong><\/p>/);
    assert.match(mail.raw, /multipart\/alternative/);
  });

  it('an inline image travels inside the message as a related part the HTML shows by cid:', async () => {
    const png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#0b57d0' } })
      .png()
      .toBuffer();
    const cid = 'logo-0123456789abcdef@sspr';
    const before = smtp.messages.length;
    const result = await mailer.send({
      ...message,
      html: `<!doctype html><p><img src="cid:${cid}" alt="Contoso IT" width="40" height="20"></p>`,
      inlineImages: [{ cid, contentType: 'image/png', content: new Uint8Array(png), filename: 'logo.png' }],
    });
    assert.equal(result.ok, true);
    const mail = (await smtp.waitFor(before + 1))[before]!;
    assert.match(mail.raw, /multipart\/related/);
    assert.equal(mail.attachments.length, 1);
    const [image] = mail.attachments;
    assert.equal(image!.cid, cid);
    assert.equal(image!.contentType, 'image/png');
    assert.equal(image!.disposition, 'inline');
    assert.ok(image!.content.equals(png), 'the same PNG bytes');
    assert.ok(mail.html?.includes(`src="cid:${cid}"`), 'the HTML refers to it by cid');
    assert.equal(mail.text, message.text);
  });

  it('a 550 recipient rejection is permanent and its reason does not name the recipient', async () => {
    smtp.setRejectRecipients(true, 550);
    try {
      const before = smtp.messages.length;
      const result = await mailer.send(message);
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.retryable, false);
      assert.match(result.reason, /550/);
      assert.ok(!result.reason.includes(TO), result.reason);
      assert.ok(!result.reason.includes('ada.lovelace'), result.reason);
      assert.equal(smtp.messages.length, before);
    } finally {
      smtp.setRejectRecipients(false);
    }
  });

  it('a 450 recipient refusal is retryable', async () => {
    smtp.setRejectRecipients(true, 450);
    try {
      const result = await mailer.send(message);
      assert.ok(!result.ok);
      assert.equal(result.retryable, true);
      assert.match(result.reason, /450/);
      assert.ok(!result.reason.includes(TO), result.reason);
    } finally {
      smtp.setRejectRecipients(false);
    }
  });

  it('refuses a CR or LF in a header value, sending nothing', async () => {
    const before = smtp.messages.length;
    const connections = smtp.connections;
    for (const bad of [
      { ...message, subject: 'Hello\r\nBcc: victim@example.org' },
      { ...message, subject: 'Hello\nX-Injected: 1' },
      { ...message, to: 'ada@example.com\r\nBcc: victim@example.org' },
      { ...message, to: 'ada@example.com, victim@example.org' },
    ]) {
      const result = await mailer.send(bad);
      assert.ok(!result.ok);
      assert.equal(result.retryable, false);
      assert.match(result.reason, /^refused/);
      assert.ok(!result.reason.includes('victim'), result.reason);
    }
    assert.equal(smtp.messages.length, before);
    assert.equal(smtp.connections, connections, 'no connection was even opened');
  });

  it('server down is retryable; back up, the same mailer delivers again', async () => {
    await smtp.stop();
    const down = await mailer.send(message);
    assert.ok(!down.ok);
    assert.equal(down.retryable, true);
    assert.ok(!down.reason.includes(TO), down.reason);
    await smtp.restart();
    const before = smtp.messages.length;
    const up = await mailer.send(message);
    assert.equal(up.ok, true, JSON.stringify(up));
    await smtp.waitFor(before + 1);
  });

  it('marks every message as automatic: Auto-Submitted: auto-generated and X-Auto-Response-Suppress: All', async () => {
    const before = smtp.messages.length;
    assert.equal((await mailer.send(message)).ok, true);
    const mail = (await smtp.waitFor(before + 1))[before]!;
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
    assert.match(headers, /^Auto-Submitted: auto-generated$/m);
    assert.match(headers, /^X-Auto-Response-Suppress: All$/m);
  });

  it("a message's fromName replaces the From display name, never the address", async () => {
    const before = smtp.messages.length;
    assert.equal((await mailer.send({ ...message, fromName: 'Contoso IT' })).ok, true);
    assert.equal((await mailer.send({ ...message, fromName: null })).ok, true);
    const [named, plain] = (await smtp.waitFor(before + 2)).slice(before);
    assert.equal(named!.from, '"Contoso IT" <no-reply@sspr.example>');
    assert.equal(named!.envelopeFrom, 'no-reply@sspr.example');
    assert.equal(plain!.from, '"sspr" <no-reply@sspr.example>');
    const injected = await mailer.send({ ...message, fromName: 'IT\r\nBcc: victim@example.org' });
    assert.ok(!injected.ok);
    assert.equal(injected.retryable, false);
    assert.equal(smtp.messages.length, before + 2);
  });

  it('rejects a From with a line break at construction', () => {
    assert.throws(
      () => new SmtpMailer({ url: smtp.url, from: 'a <a@example.com>\r\nBcc: x@example.com' }),
      /line break/,
    );
  });
});

describe('SmtpMailer greeting and TLS settings', () => {
  it('introduces itself with the configured EHLO name', async () => {
    const smtp = await startSmtpListener();
    const mailer = new SmtpMailer({ url: smtp.url, from: FROM, timeoutMs: PATIENT_MS, ehloName: 'reset.example.test' });
    try {
      assert.equal((await mailer.send(message)).ok, true);
      const [mail] = await smtp.waitFor(1);
      assert.equal(mail!.heloName, 'reset.example.test');
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('with requireTls, a server that offers no STARTTLS gets nothing (retryable), and without it the same server gets the message', async () => {
    const smtp = await startSmtpListener(); // plain SMTP: STARTTLS is neither offered nor accepted
    const strict = new SmtpMailer({ url: smtp.url, from: FROM, timeoutMs: PATIENT_MS, requireTls: true });
    const relaxed = new SmtpMailer({ url: smtp.url, from: FROM, timeoutMs: PATIENT_MS });
    try {
      const refused = await strict.send(message);
      assert.ok(!refused.ok, 'not sent in clear');
      assert.equal(refused.retryable, true);
      assert.match(refused.reason, /STARTTLS.*SSPR_SMTP_REQUIRE_TLS/);
      assert.equal(smtp.dataStarted, 0, 'no message data went over the connection');
      assert.equal((await relaxed.send(message)).ok, true);
      await smtp.waitFor(1);
    } finally {
      await strict.close();
      await relaxed.close();
      await smtp.close();
    }
  });
});

describe('SmtpMailer without an answering server', () => {
  it('connection refused is retryable', async () => {
    const port = await freePort();
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${port}`, from: FROM, timeoutMs: 1_000 });
    try {
      const result = await mailer.send(message);
      assert.ok(!result.ok);
      assert.equal(result.retryable, true);
      assert.match(result.reason, /^SMTP /);
      assert.ok(!result.reason.includes(TO));
    } finally {
      await mailer.close();
    }
  });

  it('a server that never greets times out, retryable', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    const mailer = new SmtpMailer({ url: `smtp://127.0.0.1:${address.port}`, from: FROM, timeoutMs: 200 });
    try {
      const started = Date.now();
      const result = await mailer.send(message);
      assert.ok(!result.ok);
      assert.equal(result.retryable, true);
      assert.match(result.reason, /ETIMEDOUT/);
      assert.ok(Date.now() - started < 5_000, 'the time limit applied');
    } finally {
      await mailer.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
