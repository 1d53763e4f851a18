import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DevOutbox } from '../../src/adapters/mail/dev-outbox.ts';
import type { Logger } from '../../src/ports/logger.ts';

function captureLogger(lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (a: object | string, b?: string): void => {
        if (typeof a === 'string') lines.push({ level, obj: { ...bindings }, msg: a });
        else lines.push({ level, obj: { ...bindings, ...(a as Record<string, unknown>) }, msg: b });
      };
    return {
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

describe('DevOutbox', () => {
  it('records email and SMS newest first and prints the text in devText at info', async () => {
    const lines: Parameters<typeof captureLogger>[0] = [];
    let t = 1_000;
    const outbox = new DevOutbox(captureLogger(lines), { now: () => t++ });
    const email = await outbox
      .mailer()
      .send({ to: 'ada@example.com', subject: 'Code', text: 'Your code is 123456', html: '<p>123456</p>' });
    const sms = await outbox.sms().send({ to: '+447700900123', body: 'Code 654321' });
    assert.equal(email.ok, true);
    assert.equal(sms.ok, true);

    const list = outbox.list();
    assert.equal(list.length, 2);
    assert.deepEqual(
      list.map((e) => ({ channel: e.channel, to: e.to, subject: e.subject, text: e.text, html: e.html, at: e.at })),
      [
        { channel: 'sms', to: '+447700900123', subject: null, text: 'Code 654321', html: null, at: 1_001 },
        {
          channel: 'email',
          to: 'ada@example.com',
          subject: 'Code',
          text: 'Your code is 123456',
          html: '<p>123456</p>',
          at: 1_000,
        },
      ],
    );
    assert.ok(email.ok && email.providerId === list[1]?.id);

    assert.equal(lines.length, 2);
    assert.ok(lines.every((l) => l.level === 'info'));
    assert.equal(lines[0]?.obj.devText, 'Your code is 123456');
    assert.equal(lines[1]?.obj.devText, 'Code 654321');
    assert.equal(lines[0]?.obj.component, 'dev-outbox');
    assert.match(lines[0]?.msg ?? '', /dev outbox: email to ada@example\.com: Code/);
  });

  it('keeps only the last 500 entries', async () => {
    const outbox = new DevOutbox(captureLogger([]));
    const sms = outbox.sms();
    for (let i = 0; i < 503; i++) await sms.send({ to: '+447700900123', body: `message ${i}` });
    const list = outbox.list();
    assert.equal(list.length, 500);
    assert.equal(list[0]?.text, 'message 502');
    assert.equal(list[499]?.text, 'message 3');
  });

  it('list() is a snapshot', async () => {
    const outbox = new DevOutbox(captureLogger([]));
    const before = outbox.list();
    await outbox.mailer().send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' });
    assert.equal(before.length, 0);
    assert.equal(outbox.list().length, 1);
  });
});
