import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EMPTY_LOOK } from '../../src/core/tenant-look.ts';
import { buildServer } from '../../src/http/server.ts';
import type { StoredLogo } from '../../src/ports/tenant-look-store.ts';
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
      assert.equal(mail.attachments.length, 0, 'no logo: nothing attached');
    }
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});

/** A tenant logo as the look service stores it: a PNG and its SHA-256. */
async function storedLogo(width: number, height: number): Promise<StoredLogo> {
  const png = new Uint8Array(
    await sharp({ create: { width, height, channels: 3, background: '#0b57d0' } })
      .png()
      .toBuffer(),
  );
  return { png, width, height, hash: createHash('sha256').update(png).digest('hex') };
}

test('the logo is inside each email: an inline PNG the HTML shows by cid:, alt the display name, fitted for mail', async () => {
  const smtp = await startSmtpListener();
  const t = await createTestApp({ SSPR_SMTP_URL: smtp.url, SSPR_MAIL_FROM: 'Password reset <no-reply@sspr.example>' });
  try {
    const { app } = t;
    await setupDemo(app.directory, app.random, 'test');
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    await app.store.looks.saveLook(
      tenant.id,
      { ...EMPTY_LOOK, displayName: 'Contoso IT', primaryColour: '#0b57d0' },
      app.clock.now(),
    );
    const logo = await storedLogo(480, 120); // the largest the look service keeps: shown at 240×60
    await app.store.looks.setLogo(tenant.id, logo, app.clock.now());
    await app.outbox.runOnce();
    const mails = await smtp.waitFor(12);
    for (const mail of mails) {
      assert.match(mail.raw, /multipart\/related/);
      assert.equal(mail.attachments.length, 1, 'one inline image');
      const [image] = mail.attachments;
      assert.equal(image!.contentType, 'image/png');
      assert.equal(image!.disposition, 'inline');
      assert.ok(image!.content.equals(Buffer.from(logo.png)), 'the stored PNG, byte for byte');
      assert.match(image!.cid ?? '', /^logo-[0-9a-f]{32}@sspr$/);
      const html = mail.html ?? '';
      assert.ok(
        html.includes(
          `<img src="cid:${image!.cid}" alt="Contoso IT" width="240" height="60" style="display:block;border:0;max-width:100%;height:auto">`,
        ),
        html.slice(0, 600),
      );
      assert.match(html, /<p style="margin:0 0 16px;background:#0b57d0;color:#ffffff;padding:12px 16px;[^"]*"><img /);
      assert.doesNotMatch(html, /<img[^>]+src="(?!cid:)/, 'no image from a URL');
      assert.doesNotMatch(html, /https?:\/\/[^"\s]*\/brand\//, 'no remote logo address');
      assert.match(mail.text, /^Contoso IT\r?\n\r?\n/, 'the text part still starts with the name');
    }
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});

test('the dev outbox keeps the logo and shows it as a data: URL (a small logo is never enlarged)', async () => {
  const t = await createTestApp();
  try {
    const { app } = t;
    assert.ok(app.devOutbox, 'a development App');
    await setupDemo(app.directory, app.random, 'test');
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    await app.store.looks.saveLook(tenant.id, { ...EMPTY_LOOK, displayName: 'Contoso IT' }, app.clock.now());
    const logo = await storedLogo(64, 64); // small: never enlarged
    await app.store.looks.setLogo(tenant.id, logo, app.clock.now());
    await app.outbox.runOnce();
    const emails = app.devOutbox.list().filter((m) => m.channel === 'email');
    assert.ok(emails.length > 0);
    for (const m of emails) {
      assert.equal(m.images.length, 1);
      const [image] = m.images;
      assert.equal(image!.dataUrl, `data:image/png;base64,${Buffer.from(logo.png).toString('base64')}`);
      assert.ok(m.html?.includes(`<img src="cid:${image!.cid}" alt="Contoso IT" width="64" height="64"`));
    }
    const server = await buildServer(app, { logger: false });
    try {
      const page = await server.inject({ url: '/dev/outbox', headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 200);
      assert.ok(
        page.body.includes(`<img src="data:image/png;base64,${Buffer.from(logo.png).toString('base64')}"`),
        'the page shows the logo',
      );
    } finally {
      await server.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('a tenant with its own address gets its emails’ links there (https, same path), not on SSPR_PUBLIC_URL', async () => {
  const smtp = await startSmtpListener();
  const t = await createTestApp({ SSPR_SMTP_URL: smtp.url, SSPR_PUBLIC_URL: 'https://sspr.example.test' });
  try {
    const { app } = t;
    await setupDemo(app.directory, app.random, 'test'); // notices with a link to /reset
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    await app.store.looks.saveLook(tenant.id, { ...EMPTY_LOOK, host: 'reset.contoso.example' }, app.clock.now());
    await app.outbox.runOnce();
    const mails = await smtp.waitFor(12);
    const contoso = (await app.store.outbox.list({ limit: 100 })).filter((m) => m.tenantId === tenant.id);
    assert.equal(contoso.length, mails.length, 'every notice is Contoso’s');
    let links = 0;
    for (const mail of mails) {
      for (const part of [mail.text, mail.html ?? '']) {
        assert.doesNotMatch(part, /sspr\.example\.test/, 'no link on the shared address');
        links += (part.match(/https:\/\/reset\.contoso\.example\/reset\b/g) ?? []).length;
      }
    }
    assert.ok(links >= mails.length, `links on the tenant's address (${links})`);
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});
