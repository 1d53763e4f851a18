import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOCALES, textDirection, translate } from '../../src/core/i18n.ts';
import {
  EMAIL_TEMPLATE_IDS,
  helpText,
  noticeName,
  noticePhrase,
  renderEmail,
  type EmailTemplateId,
  type EmailTemplateParams,
} from '../../src/core/message-templates.ts';

/**
 * Every email template in every locale (issue 12): the words come from the catalogues (a missing
 * key throws MissingMessageError in tests), every placeholder is filled, the HTML part carries the
 * locale's lang and dir, and nothing of the English is left in German.
 */

const when = '2025-03-04T09:05:00.000Z';
const until = '2025-03-04T09:20:00.000Z';

/** One set of parameters per template; a new template fails to compile here until it is added. */
const SAMPLES: { readonly [K in EmailTemplateId]: (help: string) => EmailTemplateParams<K> } = {
  'security-info.changed': (help) => ({
    displayName: 'Ada Lovelace',
    kind: 'phone',
    maskedValue: '••• ••• ••23',
    when,
    changedBy: 'directory',
    helpText: help,
    resetUrl: 'https://sspr.example/reset',
  }),
  'security-info.code': () => ({ displayName: 'Ada Lovelace', code: '482913', minutes: 10 }),
  'caller.code': () => ({ displayName: 'Ada Lovelace', code: '482913', minutes: 10 }),
  'reset.code': () => ({
    displayName: 'Ada Lovelace',
    code: '482913',
    link: 'https://sspr.example/reset/link?t=abc',
    minutes: 10,
    when,
  }),
  'reset.completed': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    when,
    ip: '192.0.2.7',
    helpText: help,
  }),
  'reset.blocked_link': (help) => ({
    displayName: 'Ada Lovelace',
    link: 'https://sspr.example/reset/link?t=abc',
    minutes: 1,
    when,
    until,
    helpText: help,
  }),
  'reset.blocked': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    when,
    until,
    resetUrl: 'https://sspr.example/reset',
    helpText: help,
  }),
  'reset.admin_notice': () => ({
    displayName: 'Avery Admin',
    adminLogin: 'ada@contoso.example',
    adminName: 'Ada Lovelace',
    when,
    ip: '192.0.2.7',
  }),
  'admin.reset_link': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    link: 'https://sspr.example/reset/assisted?t=abc',
    hours: 24,
    when,
    issuedBy: noticePhrase('email.phrase.support'),
    helpText: help,
  }),
  'admin.temp_password': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    when,
    hours: 1,
    helpText: help,
  }),
  'account.unlocked': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    when,
    ip: '192.0.2.7',
    by: noticePhrase('email.phrase.selfUnlock'),
    helpText: help,
  }),
  'admin.second_factor_reset': (help) => ({
    displayName: 'Avery Admin',
    login: 'admin@contoso.example',
    when,
    ip: '192.0.2.7',
    by: noticePhrase('email.phrase.support'),
    helpText: help,
  }),
  'console.recovery-code-used': (help) => ({
    displayName: 'Ada Lovelace',
    login: 'ada@contoso.example',
    when,
    ip: '192.0.2.7',
    left: 9,
    helpText: help,
  }),
  'admin.unlock_notice': () => ({
    displayName: 'Avery Admin',
    targetLogin: 'ada@contoso.example',
    targetName: 'Ada Lovelace',
    by: noticePhrase('email.phrase.apiKey', { keyId: 'k7' }),
    when,
    ip: '192.0.2.7',
  }),
  'admin.reset_notice': () => ({
    displayName: 'Avery Admin',
    targetLogin: 'ada@contoso.example',
    targetName: 'Ada Lovelace',
    what: noticePhrase('email.phrase.changedAfterSignin'),
    by: noticeName('Avery Admin (admin@contoso.example)'),
    when,
  }),
  'account.role_changed': () => ({
    displayName: 'Ada Lovelace',
    targetLogin: 'ada@contoso.example',
    targetName: 'Ada Lovelace',
    from: 'user',
    to: 'admin',
    by: noticePhrase('email.phrase.directorySync'),
    when,
  }),
  'admin.role_notice': () => ({
    displayName: 'Avery Admin',
    targetLogin: 'ada@contoso.example',
    targetName: 'Ada Lovelace',
    from: 'admin',
    to: 'user',
    by: noticePhrase('email.phrase.commandLine'),
    when,
  }),
  'admin.directory_notice': () => ({
    displayName: 'Avery Admin',
    what: noticePhrase('email.phrase.directoryConnected', { kind: 'ldap', urls: 'ldaps://ldap.contoso.example' }),
    by: noticePhrase('email.phrase.operatorCli'),
    when,
  }),
  'test.message': () => ({ when }),
  'help.admin_request': () => ({
    displayName: 'Avery Admin',
    requesterName: 'Ada Lovelace',
    requesterLogin: 'ada@contoso.example',
    reference: 'HR-7K2Q',
    when,
    consoleUrl: 'https://sspr.example/admin/requests',
  }),
  'help.received': () => ({ displayName: 'Ada Lovelace', reference: 'HR-7K2Q', when, routedTo: 'support' }),
  'help.outcome': () => ({
    displayName: 'Ada Lovelace',
    reference: 'HR-7K2Q',
    when,
    outcome: 'dismissed',
    by: noticePhrase('email.phrase.anAdmin'),
    reason: null,
  }),
};

function render(id: EmailTemplateId, locale: (typeof LOCALES)[number]) {
  const params = SAMPLES[id](helpText({ helpdeskEmail: 'help@contoso.example', helpdeskUrl: null }, locale));
  return renderEmail(id, params as never, locale);
}

/** The paragraphs of the text part that are words (not a code, a value or a link set apart). */
function paragraphs(text: string): string[] {
  return text
    .trimEnd()
    .split('\n\n')
    .filter((p) => !p.startsWith('    '));
}

describe('every email template in every locale', () => {
  it('covers every template', () => {
    assert.deepEqual([...EMAIL_TEMPLATE_IDS].sort(), Object.keys(SAMPLES).sort());
  });

  for (const id of EMAIL_TEMPLATE_IDS) {
    it(`${id}: all 7 locales render from the catalogues, placeholders filled, lang and dir set`, () => {
      const en = render(id, 'en');
      for (const locale of LOCALES) {
        const m = render(id, locale);
        for (const part of [m.subject, m.text, m.html]) {
          assert.doesNotMatch(part, /[{}]/, `${id} ${locale}: an unfilled placeholder`);
          assert.doesNotMatch(part, /undefined|null|\[object/, `${id} ${locale}: a missing parameter`);
        }
        assert.ok(m.subject.length > 0 && m.text.length > 0);
        assert.match(m.html, new RegExp(`<html lang="${locale}" dir="${textDirection(locale)}">`));
        if (locale === 'en') continue;
        assert.notEqual(m.subject, en.subject, `${id} ${locale}: the subject is still English`);
        const theirs = paragraphs(m.text);
        const english = paragraphs(en.text);
        assert.equal(theirs.length, english.length, `${id} ${locale}: same paragraphs as English`);
        theirs.forEach((p, i) => assert.notEqual(p, english[i], `${id} ${locale}: paragraph ${i} is still English`));
      }
    });
  }

  it('German: dates in German with the zone, role names, known phrases and plurals translated', () => {
    const role = render('admin.role_notice', 'de');
    assert.match(role.text, /^Hallo Avery Admin,/);
    assert.match(role.text, /von Administrator zu Benutzer geändert/);
    assert.match(role.text, /4\. März 2025, 09:05 UTC/);
    const link = render('admin.reset_link', 'de');
    assert.match(link.text, /Am 4\. März 2025, 09:05 UTC hat der Technische Support einen einmaligen Link/);
    assert.match(link.text, /läuft in 24 Stunden ab/);
    const temp = render('admin.temp_password', 'de');
    assert.match(temp.text, /Es gilt 1 Stunde,/);
    const outcome = render('help.outcome', 'de');
    assert.match(outcome.text, /Ein Administrator Ihrer Organisation: Ihre Anfrage wurde ohne Änderung geschlossen\./);
    assert.match(outcome.text, /Angegebener Grund: \(keiner\)/);
    assert.match(render('security-info.changed', 'de').subject, /^Mobilnummer für das Zurücksetzen/);
    assert.equal(render('test.message', 'de').subject, translate('de', 'email.test.message.subject'));
  });

  it('Arabic: right to left, the code and addresses kept as given', () => {
    const m = render('help.admin_request', 'ar');
    assert.match(m.html, /<html lang="ar" dir="rtl">/);
    assert.match(m.text, /HR-7K2Q/);
    assert.match(m.text, /ada@contoso\.example/);
  });

  it('English stays word for word as before', () => {
    const m = render('reset.blocked', 'en');
    assert.equal(m.subject, 'Password reset codes paused for your account');
    assert.match(
      m.text,
      /On 4 Mar 2025, 09:05 UTC, too many wrong security codes were typed to reset the password of ada@contoso\.example\./,
    );
    const outcome = render('help.outcome', 'en');
    assert.match(
      outcome.text,
      /An administrator of your organisation closed your request without changing anything\. The reason given: \(none\)/,
    );
    const role = render('admin.role_notice', 'en');
    assert.match(role.text, /changed the role of Ada Lovelace \(ada@contoso\.example\) from admin to user\./);
  });
});
