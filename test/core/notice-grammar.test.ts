import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { translate, type Locale } from '../../src/core/i18n.ts';
import {
  noticeName,
  noticePhrase,
  renderEmail,
  type NoticePhraseId,
  type NoticeWords,
} from '../../src/core/message-templates.ts';

/**
 * Who acted, inserted into a notice (issue 12): the `email.phrase.*` words are nominative ("der
 * Technische Support", "ein Administrator Ihrer Organisation"), so no sentence may put them after
 * a preposition that wants another case ("von der Technische Support", "durch ein Administrator")
 * or that contracts with the article (Portuguese "por o" → "pelo"). Every notice that names who
 * acted is rendered with every phrase and a name, in German, French, Spanish and Portuguese.
 */

const when = '2025-03-04T09:05:00.000Z';
const help = 'Contact help@contoso.example.';

const WHO: readonly NoticePhraseId[] = [
  'email.phrase.support',
  'email.phrase.anAdmin',
  'email.phrase.apiKey',
  'email.phrase.commandLine',
  'email.phrase.directorySync',
  'email.phrase.operatorCli',
  'email.phrase.selfUnlock',
];
const BYS: readonly NoticeWords[] = [
  ...WHO.map((id) => noticePhrase(id, id === 'email.phrase.apiKey' ? { keyId: 'k7' } : undefined)),
  noticeName('Avery Admin (admin@contoso.example)'),
];

const target = { targetLogin: 'ada@contoso.example', targetName: 'Ada Lovelace' };

/** Every notice that names who acted, with `by` as given. */
function notices(by: NoticeWords, locale: Locale): string[] {
  const texts = [
    renderEmail(
      'account.unlocked',
      { displayName: 'Ada', login: 'ada@contoso.example', when, ip: '192.0.2.7', by, helpText: help },
      locale,
    ),
    renderEmail('admin.unlock_notice', { displayName: 'Avery', ...target, by, when, ip: '192.0.2.7' }, locale),
    ...(['linkSent', 'tempSet', 'passwordSet', 'changedAfterSignin', 'changedWithAdminLink'] as const).map((what) =>
      renderEmail(
        'admin.reset_notice',
        { displayName: 'Avery', ...target, what: noticePhrase(`email.phrase.${what}`), by, when },
        locale,
      ),
    ),
    renderEmail('account.role_changed', { displayName: 'Ada', ...target, from: 'user', to: 'admin', by, when }, locale),
    renderEmail('admin.role_notice', { displayName: 'Avery', ...target, from: 'admin', to: 'user', by, when }, locale),
    renderEmail(
      'admin.directory_notice',
      { displayName: 'Avery', what: noticePhrase('email.phrase.directoryChanged', { fields: 'urls' }), by, when },
      locale,
    ),
    renderEmail(
      'admin.reset_link',
      {
        displayName: 'Ada',
        login: 'ada@contoso.example',
        link: 'https://sspr.example/reset/assisted?t=abc',
        hours: 24,
        when,
        issuedBy: by,
        helpText: help,
      },
      locale,
    ),
  ];
  return texts.map((m) => m.text);
}

/** Prepositions before an inserted phrase that would need another case or a contraction. */
const WRONG: Readonly<Record<'de' | 'fr' | 'es' | 'pt-BR', RegExp>> = {
  de: /(?<!\p{L})(?:von|durch|mit|für|bei|aus|zu|nach)\s+(?:der|die|das|ein|eine|Ihnen)\s/iu,
  fr: /(?<!\p{L})(?:de|à)\s+(?:le|les)\s/iu,
  es: /(?<!\p{L})(?:de|a)\s+el\s/iu,
  'pt-BR': /(?<!\p{L})(?:por|de|em|a)\s+(?:o|a|os|as)\s/iu,
};

function wordsOf(by: NoticeWords, locale: Locale): string {
  return 'name' in by ? by.name : translate(locale, by.phrase, by.params);
}

describe('who acted, inside notices: grammatical in every case', () => {
  for (const locale of ['de', 'fr', 'es', 'pt-BR'] as const) {
    it(`${locale}: no phrase follows a preposition that wants another case or a contraction`, () => {
      for (const by of BYS) {
        const words = wordsOf(by, locale);
        for (const text of notices(by, locale)) {
          const flat = text.replace(/\s+/g, ' ');
          const at = flat.toLowerCase().indexOf(words.toLowerCase());
          assert.ok(at >= 0, `${locale}: "${words}" inserted in:\n${flat}`);
          // the words just before the phrase, where a governing preposition would be
          const before = `${flat.slice(Math.max(0, at - 20), at)}${words.split(' ').slice(0, 2).join(' ')} `;
          assert.doesNotMatch(before, WRONG[locale], `${locale}: "${before}" in:\n${flat}`);
        }
      }
    });
  }

  it('German: the unlock and reset notices say who acted as "Ausgeführt von: …" (nominative), the phrases unchanged', () => {
    for (const by of BYS) {
      const words = wordsOf(by, 'de');
      const [unlocked, unlockNotice, ...rest] = notices(by, 'de').map((t) => t.replace(/\s+/g, ' '));
      for (const text of [unlocked!, unlockNotice!, ...rest.slice(0, 5)])
        assert.ok(text.includes(`Ausgeführt von: ${words}`), text);
      assert.doesNotMatch(`${unlocked} ${unlockNotice} ${rest.join(' ')}`, /von der |von ein |durch der |durch ein /);
    }
    const [self] = notices(noticePhrase('email.phrase.selfUnlock'), 'de');
    assert.match(
      self!.replace(/\s+/g, ' '),
      /im Verzeichnis Ihrer Organisation entsperrt \(IP-Adresse 192\.0\.2\.7\)\. Ausgeführt von: Sie selbst, nach den Sicherheitsprüfungen/,
    );
    const [, , linkSent] = notices(noticePhrase('email.phrase.support'), 'de');
    assert.match(
      linkSent!.replace(/\s+/g, ' '),
      /Für Ada Lovelace \(ada@contoso\.example\) wurde ein einmaliger Link zum Zurücksetzen gesendet \(am 4\. März 2025, 09:05 UTC\)\. Ausgeführt von: der Technische Support\./,
    );
    // as the subject, a nominative phrase agrees with "hat"
    const [, , , , , , , role] = notices(noticePhrase('email.phrase.anAdmin'), 'de');
    assert.match(role!.replace(/\s+/g, ' '), /hat ein Administrator Ihrer Organisation die Rolle/);
  });

  it('Portuguese: who acted is the subject of the unlock ("o suporte técnico desbloqueou"), never "por o"', () => {
    const [unlocked, notice] = notices(noticePhrase('email.phrase.support'), 'pt-BR').map((t) =>
      t.replace(/\s+/g, ' '),
    );
    assert.match(unlocked!, /, o suporte técnico desbloqueou a conta ada@contoso\.example/);
    assert.match(notice!, /, o suporte técnico desbloqueou no diretório a conta de administrador de Ada Lovelace/);
    const [self] = notices(noticePhrase('email.phrase.selfUnlock'), 'pt-BR');
    assert.match(
      self!.replace(/\s+/g, ' '),
      /você, após as verificações de segurança de uma redefinição de senha desbloqueou/,
    );
  });
});
