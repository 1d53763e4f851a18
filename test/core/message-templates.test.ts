import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMAIL_TEMPLATE_IDS,
  escapeHtml,
  formatWhen,
  isEmailTemplateId,
  isSmsTemplateId,
  renderEmail,
  renderSms,
  type SecurityInfoChangedParams,
} from '../../src/core/message-templates.ts';

const base: SecurityInfoChangedParams = {
  displayName: 'Ada Lovelace',
  kind: 'email',
  maskedValue: 'a••••@example.com',
  when: '2025-03-04T09:05:00.000Z',
  changedBy: 'you',
  helpText: 'Contact the IT help desk at help@example.com.',
};

describe('message templates', () => {
  it('security-info.changed says what changed, when, by whom, and what to do if it was not you', () => {
    const m = renderEmail('security-info.changed', base);
    assert.equal(m.subject, 'Alternate email address for password reset changed');
    assert.match(m.text, /^Hello Ada Lovelace,/);
    assert.match(m.text, /alternate email address used to reset your password was set to:/);
    assert.match(m.text, /a••••@example\.com/);
    assert.match(m.text, /4 Mar 2025, 09:05 UTC/);
    assert.match(m.text, /made while signed in to your account/);
    assert.match(m.text, /If you do not recognise this change/);
    assert.match(m.text, /Contact the IT help desk at help@example\.com\./);
    assert.doesNotMatch(m.text, /<[a-z]/i, 'the text part has no markup');
    assert.match(m.html, /<strong>a••••@example\.com<\/strong>/);
    assert.match(m.html, /Contact the IT help desk at help@example\.com\./);
  });

  it('names the phone and the administrator when they apply', () => {
    const m = renderEmail('security-info.changed', {
      ...base,
      kind: 'phone',
      maskedValue: '••• ••• ••23',
      changedBy: 'an administrator',
    });
    assert.equal(m.subject, 'Mobile phone number for password reset changed');
    assert.match(m.text, /mobile phone number used to reset your password/);
    assert.match(m.text, /made by an administrator/);
    assert.match(m.text, /••• ••• ••23/);
  });

  it('escapes every parameter in the HTML part', () => {
    const evil = '<script>alert("x")</script> & \'q\'';
    const m = renderEmail('security-info.changed', {
      ...base,
      displayName: evil,
      maskedValue: `<img src=x onerror=alert(1)>`,
      helpText: '<a href="javascript:alert(1)">help</a>',
      when: '<b>soon</b>',
    });
    assert.ok(!m.html.includes('<script>'), 'no raw <script> in the HTML');
    assert.ok(!m.html.includes('<img'), 'no raw <img> in the HTML');
    assert.ok(!m.html.includes('<a href'), 'no raw link in the HTML');
    assert.ok(!m.html.includes('<b>soon'), 'no raw markup from the time');
    assert.ok(m.html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;'));
    assert.ok(m.html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    // the text part carries the words as they are (it is never interpreted as markup)
    assert.ok(m.text.includes(evil));
  });

  it('keeps subjects and text messages on one line', () => {
    const m = renderEmail('test.message', { when: '2025-01-01T00:00:00Z\r\nBcc: x@example.com' });
    assert.ok(!/[\r\n]/.test(m.subject));
    const s = renderSms('test.message', { when: 'now\r\nmore' });
    assert.ok(!/[\r\n]/.test(s.body));
    assert.match(s.body, /now more/);
  });

  it('test.message exists for email and SMS', () => {
    const e = renderEmail('test.message', { when: '2025-06-30T23:59:00Z' });
    assert.equal(e.subject, 'sspr test email');
    assert.match(e.text, /30 Jun 2025, 23:59 UTC/);
    assert.match(e.html, /^<!doctype html>/);
    const s = renderSms('test.message', { when: '2025-06-30T23:59:00Z' });
    assert.match(s.body, /^sspr test message, sent 30 Jun 2025, 23:59 UTC/);
    assert.ok(s.body.length <= 160, 'fits one SMS segment');
  });

  it('knows its ids', () => {
    // features add templates; these must always be there, and every id has the `area.name` shape
    for (const id of ['reset.admin_notice', 'reset.code', 'reset.completed', 'security-info.changed', 'test.message']) {
      assert.ok(EMAIL_TEMPLATE_IDS.includes(id as (typeof EMAIL_TEMPLATE_IDS)[number]), id);
    }
    for (const id of EMAIL_TEMPLATE_IDS) assert.match(id, /^[a-z-]+\.[a-z_.-]+$/);
    assert.equal(isEmailTemplateId('security-info.changed'), true);
    assert.equal(isEmailTemplateId('toString'), false);
    assert.equal(isSmsTemplateId('test.message'), true);
    assert.equal(isSmsTemplateId('reset.sms'), true);
    assert.equal(isSmsTemplateId('security-info.changed'), false);
  });

  it('escapeHtml and formatWhen', () => {
    assert.equal(escapeHtml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
    assert.equal(formatWhen('2025-12-01T07:08:09Z'), '1 Dec 2025, 07:08 UTC');
    assert.equal(formatWhen('not a time'), 'not a time');
  });

  it('reset.code: code and link in the body, never in the subject; link only for http(s)', () => {
    const m = renderEmail('reset.code', {
      displayName: 'Ada',
      code: '049213',
      link: 'https://sspr.example/reset/link?t=abc_DEF-123&x=1',
      minutes: 10,
      when: '2025-03-04T09:05:00Z',
    });
    assert.equal(m.subject, 'Your password reset code');
    assert.ok(!m.subject.includes('049213'));
    assert.match(m.text, /\n {4}049213\n/);
    assert.match(m.text, /expire in 10 minutes/);
    assert.match(m.text, /If you did not ask for this, you can ignore this email/);
    assert.ok(!m.html.split('<body')[0]?.includes('049213'), 'not in the HTML head either');
    // the link survives intact in text, and escaped inside the href attribute
    assert.ok(m.text.includes('https://sspr.example/reset/link?t=abc_DEF-123&x=1'));
    assert.ok(m.html.includes('<a href="https://sspr.example/reset/link?t=abc_DEF-123&amp;x=1">'));

    const evil = renderEmail('reset.code', {
      displayName: 'A',
      code: '1',
      link: 'javascript:alert(1)',
      minutes: 1,
      when: 'x',
    });
    assert.ok(!evil.html.includes('javascript:'));
    assert.ok(!evil.text.includes('javascript:'));
    assert.match(evil.text, /expire in 1 minute\./);
    const spaced = renderEmail('reset.code', {
      displayName: 'A',
      code: '1',
      link: 'https://a.example/x" onclick="x',
      minutes: 1,
      when: 'x',
    });
    assert.ok(!spaced.html.includes('onclick'));
  });

  it('reset.sms fits one segment and keeps the code first', () => {
    const s = renderSms('reset.sms', { code: '004211', minutes: 10 });
    assert.match(s.body, /^004211 is your password reset code\. It expires in 10 minutes\./);
    assert.ok(s.body.length <= 160, `${s.body.length} characters`);
  });

  it('reset.completed and reset.admin_notice escape their parameters', () => {
    const done = renderEmail('reset.completed', {
      displayName: 'Ada',
      login: 'ada@corp.example',
      when: '2025-03-04T09:05:00Z',
      ip: '203.0.113.9',
      helpText: '<i>Call</i> the help desk.',
    });
    assert.equal(done.subject, 'Your password was changed');
    assert.match(
      done.text,
      /The password of ada@corp\.example was reset on 4 Mar 2025, 09:05 UTC \(from IP address 203\.0\.113\.9\)/,
    );
    assert.ok(done.html.includes('&lt;i&gt;Call&lt;/i&gt;'));
    const notice = renderEmail('reset.admin_notice', {
      displayName: 'Grace',
      adminLogin: 'root@corp.example',
      adminName: '<script>x</script>',
      when: '2025-03-04T09:05:00Z',
      ip: 'unknown',
    });
    assert.equal(notice.subject, 'Administrator password reset: root@corp.example');
    assert.ok(!notice.html.includes('<script>'));
    assert.ok(notice.html.includes('&lt;script&gt;x&lt;/script&gt; (root@corp.example)'));
  });
});
