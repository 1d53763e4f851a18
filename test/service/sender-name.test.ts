import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { parsePolicyInput } from '../../src/service/admin-service.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { startSmtpListener } from '../helpers/smtp-listener.ts';
import { createTestApp } from '../helpers/test-app.ts';

test("a tenant's sender name is the From display name of its emails, sent with Auto-Submitted and the EHLO name", async () => {
  const smtp = await startSmtpListener();
  const t = await createTestApp({
    SSPR_SMTP_URL: smtp.url,
    SSPR_MAIL_FROM: 'Password reset <no-reply@sspr.example>',
    SSPR_SMTP_EHLO_NAME: 'reset.example.test',
  });
  try {
    const { app } = t;
    await setupDemo(app.directory, app.random, 'test'); // queues six notices to the demo accounts
    const tenant = await app.store.directory.findTenantByName('Contoso Demo');
    assert.ok(tenant);
    const policy = parsePolicyInput(tenant.policy, { senderName: '  Contoso   IT ' });
    assert.ok(policy.ok);
    assert.equal(policy.value.senderName, 'Contoso IT');
    assert.ok(await app.store.directory.updateTenantPolicy(tenant.id, policy.value, app.clock.now()));

    while ((await app.outbox.runOnce()) > 0);
    // the demo's pre-fills: 3 accounts × 2 methods × (login address, alternate email)
    const mails = await smtp.waitFor(12);
    assert.equal(mails.length, 12);
    for (const mail of mails) {
      assert.equal(mail.from, '"Contoso IT" <no-reply@sspr.example>');
      assert.equal(mail.envelopeFrom, 'no-reply@sspr.example');
      assert.match(mail.raw, /^Auto-Submitted: auto-generated\r?$/m);
      assert.equal(mail.heloName, 'reset.example.test');
    }
  } finally {
    await t.cleanup();
    await smtp.close();
  }
});

test('the sender name policy field: trimmed, empty means the default, nothing that looks like an address', () => {
  const parse = (senderName: string) => parsePolicyInput(DEFAULT_TENANT_POLICY, { senderName });
  assert.equal(DEFAULT_TENANT_POLICY.senderName, null);
  const named = parse('Contoso IT Service Desk');
  assert.ok(named.ok);
  assert.equal(named.value.senderName, 'Contoso IT Service Desk');
  const cleared = parsePolicyInput({ ...DEFAULT_TENANT_POLICY, senderName: 'Old' }, { senderName: ' ' });
  assert.ok(cleared.ok);
  assert.equal(cleared.value.senderName, null);
  for (const bad of ['helpdesk@contoso.example', 'IT <it@x.example>', 'say "hi"', 'bell\u0007', 'x'.repeat(65)]) {
    const r = parse(bad);
    assert.ok(!r.ok, bad);
    assert.equal(r.error, 'policy_invalid');
    assert.ok('fields' in r);
    assert.equal(r.fields[0]?.field, 'senderName');
  }
});
