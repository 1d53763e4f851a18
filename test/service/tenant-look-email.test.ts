import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_LOOK } from '../../src/core/tenant-look.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { startSmtpListener } from '../helpers/smtp-listener.ts';
import { createTestApp } from '../helpers/test-app.ts';

/**
 * Every email of a tenant carries its look (issue 12, item 6): the display name as the From
 * display name when no sender name is set, and on top of the text and HTML parts (in the
 * tenant's colour in HTML); a display name that could break a From header stays out of it.
 */
test("a tenant's display name is the sender name of its emails and their first line (text and HTML)", async () => {
  const smtp = await startSmtpListener();
  const t = await createTestApp({ SSPR_SMTP_URL: smtp.url, SSPR_MAIL_FROM: 'Password reset <no-reply@sspr.example>' });
  try {
    const { app } = t;
    await setupDemo(app.directory, app.random, 'test'); // queues twelve notices to the demo accounts
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    assert.equal(tenant.policy.senderName, null);
    const saved = await app.store.looks.saveLook(
      tenant.id,
      { ...EMPTY_LOOK, displayName: 'Contoso <IT> & Co', primaryColour: '#ffcc00' },
      app.clock.now(),
    );
    assert.ok(saved.ok);
    // one message with a header-unsafe display name: From keeps the configured name
    await app.outbox.runOnce();
    const first = await smtp.waitFor(12);
    for (const mail of first) {
      assert.equal(mail.from, '"Password reset" <no-reply@sspr.example>', 'unsafe in a header: not used');
      assert.match(mail.text, /^Contoso <IT> & Co\r?\n\r?\n/);
      assert.match(
        mail.html ?? '',
        /<div style="max-width:560px">\s*<p style="margin:0 0 16px;background:#ffcc00;color:#1a1a1a;padding:12px 16px;font-weight:700;font-size:18px">Contoso &lt;IT&gt; &amp; Co<\/p>/,
      );
    }
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});

test('a safe display name becomes the From name (no colour: a plain heading)', async () => {
  const smtp = await startSmtpListener();
  const t = await createTestApp({ SSPR_SMTP_URL: smtp.url, SSPR_MAIL_FROM: 'Password reset <no-reply@sspr.example>' });
  try {
    const { app } = t;
    await setupDemo(app.directory, app.random, 'test');
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    await app.store.looks.saveLook(tenant.id, { ...EMPTY_LOOK, displayName: 'Contoso IT' }, app.clock.now());
    await app.outbox.runOnce();
    const mails = await smtp.waitFor(12);
    for (const mail of mails) {
      assert.equal(mail.from, '"Contoso IT" <no-reply@sspr.example>');
      assert.match(mail.text, /^Contoso IT\r?\n/);
      assert.doesNotMatch(mail.html ?? '', /background:/, 'no colour: a plain heading');
    }
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});
