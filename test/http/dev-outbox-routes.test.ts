import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DevOutboxEntry } from '../../src/ports/messaging.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { createTestServer } from './server-kit.ts';

const HTML = { accept: 'text/html' };

test('development: /dev/outbox.json and /dev/outbox list what the dev outbox kept, newest first', async () => {
  const clock = new ManualClock();
  const t = await createTestServer({}, { clock });
  try {
    assert.ok(t.app.devOutbox, 'the test App is a development App with a dev outbox');
    const empty = await t.server.inject({ url: '/dev/outbox.json' });
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(empty.json(), { messages: [] });
    const emptyPage = await t.server.inject({ url: '/dev/outbox', headers: HTML });
    assert.match(emptyPage.body, /No messages yet/);

    const sent = await t.app.mailer.send({
      to: 'ada@example.test',
      subject: 'Your code <b>bold</b>',
      text: 'Your code is 042424',
      html: '<p>Your code is <strong>042424</strong></p><script>alert("x")</script><img src=x onerror=alert(1)>',
    });
    assert.equal(sent.ok, true);
    clock.advance(5); // distinct times
    assert.ok(t.app.sms, 'the dev SMS sender is on');
    await t.app.sms.send({ to: '+447700900123', body: 'Code 777888' });

    const json = await t.server.inject({ url: '/dev/outbox.json' });
    assert.equal(json.statusCode, 200);
    assert.equal(json.headers['cache-control'], 'no-store');
    const { messages } = json.json<{ messages: DevOutboxEntry[] }>();
    assert.equal(messages.length, 2);
    assert.deepEqual(
      messages.map((m) => [m.channel, m.to]),
      [
        ['sms', '+447700900123'],
        ['email', 'ada@example.test'],
      ],
    );
    assert.equal(messages[1]?.text, 'Your code is 042424');
    assert.deepEqual(
      messages.map((m) => m.at),
      [clock.now(), clock.now() - 5],
      'each stamped with the App clock',
    );

    const page = await t.server.inject({ url: '/dev/outbox', headers: HTML });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html; charset=utf-8/);
    const body = page.body;
    assert.match(body, /<meta http-equiv="refresh" content="5"\/>/);
    assert.ok(body.indexOf('+447700900123') < body.indexOf('ada@example.test'), 'newest first');
    for (const shown of [
      'Your code is 042424',
      'Code 777888',
      'Your code &lt;b>bold&lt;/b>',
      '&lt;script>alert(&quot;x&quot;)&lt;/script>',
      'SMS',
      'Email',
    ]) {
      assert.ok(body.includes(shown), `shows ${shown}`);
    }
    assert.match(body, /<time datetime="\d{4}-\d\d-\d\dT/);
    assert.doesNotMatch(body, /<script|<strong>|<img|<b>bold/i, 'message HTML is never injected raw');
  } finally {
    await t.close();
  }
});

test('with SMTP configured and SMS off, the dev outbox routes do not exist', async () => {
  const t = await createTestServer({ SSPR_SMTP_URL: 'smtp://127.0.0.1:2525', SSPR_SMS_PROVIDER: 'none' });
  try {
    assert.equal(t.app.devOutbox, null);
    for (const url of ['/dev/outbox', '/dev/outbox.json']) {
      const res = await t.server.inject({ url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found');
    }
  } finally {
    await t.close();
  }
});

test('in production the dev outbox routes do not exist', async () => {
  const t = await createTestServer({
    NODE_ENV: 'production',
    SSPR_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    SSPR_SMTP_URL: 'smtp://127.0.0.1:2525',
    SSPR_PUBLIC_URL: 'https://reset.example.test',
  });
  try {
    assert.equal(t.app.config.production, true);
    assert.equal(t.app.devOutbox, null);
    for (const url of ['/dev/outbox', '/dev/outbox.json'])
      assert.equal((await t.server.inject({ url })).statusCode, 404, url);
  } finally {
    await t.close();
  }
});
