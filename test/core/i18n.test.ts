import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  catalogue,
  COMPILED_MESSAGES_KEPT,
  compiledMessagesKept,
  formatDateTime,
  LOCALES,
  matchLocale,
  messageArguments,
  MissingMessageError,
  negotiateLocale,
  offeredLocales,
  parseAcceptLanguage,
  PSEUDO_LOCALE,
  textDirection,
  translate,
  translator,
  type LocaleChoice,
  type MessageId,
  type MessageParams,
  type UiLocale,
} from '../../src/core/i18n.ts';

/** A value for each argument of a message, by how the message uses it. */
export function sampleParams(message: string): MessageParams {
  const params: Record<string, string | number | Date> = {};
  for (const [name, kind] of messageArguments(message)) {
    params[name] =
      kind === 'plural' || kind === 'number' ? 3 : kind === 'date' || kind === 'time' ? new Date(0) : `«${name}»`;
  }
  return params;
}

const EN = catalogue('en');
const IDS = Object.keys(EN) as MessageId[];

describe('negotiateLocale', () => {
  const table: readonly (readonly [string, LocaleChoice, UiLocale])[] = [
    ['nothing known: English', {}, 'en'],
    ['tenant default when the browser says nothing', { tenantDefault: 'fr' }, 'fr'],
    ['Accept-Language beats the tenant default', { acceptLanguage: 'de', tenantDefault: 'fr' }, 'de'],
    ['saved on the account beats Accept-Language', { saved: 'ja', acceptLanguage: 'de' }, 'ja'],
    ['picked (cookie) beats saved', { picked: 'ar', saved: 'ja', acceptLanguage: 'de' }, 'ar'],
    ['an unknown picked value is ignored', { picked: 'xx', acceptLanguage: 'es' }, 'es'],
    ['q-values order the header', { acceptLanguage: 'fr;q=0.5, ja;q=0.9, de;q=0.1' }, 'ja'],
    ['q=0 means not wanted', { acceptLanguage: 'ja;q=0, es;q=0.2' }, 'es'],
    ['a region falls back to its language: de-CH → de', { acceptLanguage: 'de-CH' }, 'de'],
    ['pt → pt-BR', { acceptLanguage: 'pt' }, 'pt-BR'],
    ['pt-PT → pt-BR', { acceptLanguage: 'pt-PT,en;q=0.1' }, 'pt-BR'],
    ['en-US → en', { acceptLanguage: 'en-US,de;q=0.9' }, 'en'],
    ['case does not matter', { acceptLanguage: 'PT-br' }, 'pt-BR'],
    ['an unsupported language is skipped', { acceptLanguage: 'sv, nl;q=0.9, ar;q=0.1' }, 'ar'],
    ['* and garbage are skipped', { acceptLanguage: '*, ;;;, 12, fr;q=abc' }, 'fr'],
    ['nothing supported: tenant default', { acceptLanguage: 'sv', tenantDefault: 'es' }, 'es'],
    ['an unknown tenant default: English', { acceptLanguage: 'sv', tenantDefault: 'klingon' }, 'en'],
    ['the pseudo-locale is not chosen unless enabled', { picked: 'en-XA', acceptLanguage: 'de' }, 'de'],
    ['the pseudo-locale when enabled', { picked: 'en-XA', pseudo: true }, 'en-XA'],
  ];
  for (const [name, choice, expected] of table) {
    it(name, () => assert.equal(negotiateLocale(choice), expected));
  }

  it('takes no account: the same inputs give the same answer, whoever typed which login', () => {
    // the choice has no login or account argument at all; saved comes only from a signed-in session
    assert.equal(negotiateLocale.length, 1);
    assert.deepEqual(Object.keys({ picked: 1, saved: 1, acceptLanguage: 1, tenantDefault: 1, pseudo: 1 }).sort(), [
      'acceptLanguage',
      'picked',
      'pseudo',
      'saved',
      'tenantDefault',
    ]);
  });

  it('parses Accept-Language in order of preference', () => {
    assert.deepEqual(parseAcceptLanguage('en-GB;q=0.8, fr, de;q=0.9, x;q=0'), ['fr', 'de', 'en-GB']);
    assert.deepEqual(parseAcceptLanguage(undefined), []);
    assert.deepEqual(parseAcceptLanguage('a'.repeat(2000)), []);
  });

  it('matches tags exactly, then by base language', () => {
    assert.equal(matchLocale('ar-EG'), 'ar');
    assert.equal(matchLocale('ja-JP'), 'ja');
    assert.equal(matchLocale('zh'), null);
    assert.equal(matchLocale(''), null);
    assert.equal(matchLocale('en-XA'), null, 'without the setting, en-XA stands for nothing');
    assert.equal(matchLocale('en-XA', { pseudo: true }), 'en-XA');
  });

  it('offers the seven locales, and the pseudo-locale only when enabled', () => {
    assert.deepEqual(offeredLocales(), LOCALES);
    assert.deepEqual(offeredLocales({ pseudo: true }), [...LOCALES, PSEUDO_LOCALE]);
  });
});

describe('text direction', () => {
  it('is rtl for Arabic only', () => {
    for (const l of [...LOCALES, PSEUDO_LOCALE] as UiLocale[]) {
      assert.equal(textDirection(l), l === 'ar' ? 'rtl' : 'ltr', l);
    }
  });
});

describe('catalogues', () => {
  it('every locale has every key of English, and no other', () => {
    for (const locale of LOCALES) {
      const keys = Object.keys(catalogue(locale));
      assert.deepEqual(
        IDS.filter((id) => !keys.includes(id)),
        [],
        `missing from ${locale}`,
      );
      assert.deepEqual(
        keys.filter((k) => !Object.hasOwn(EN, k)),
        [],
        `only in ${locale}`,
      );
    }
  });

  it('every translation keeps the placeholders of the English message, used the same way', () => {
    for (const locale of LOCALES) {
      for (const id of IDS) {
        const expected = [...messageArguments(EN[id]!)].sort();
        const actual = [...messageArguments(catalogue(locale)[id]!)].sort();
        assert.deepEqual(actual, expected, `${locale} ${id}`);
      }
    }
  });

  it('every message of every locale formats with its arguments', () => {
    for (const locale of [...LOCALES, PSEUDO_LOCALE] as UiLocale[]) {
      const t = translator(locale);
      for (const id of IDS) {
        const out = t(id, sampleParams(EN[id]!));
        assert.ok(out.trim().length > 0, `${locale} ${id}`);
        assert.doesNotMatch(out, /\{|\}/, `${locale} ${id}: an unfilled placeholder or a quoting slip: ${out}`);
      }
    }
  });

  it('keeps the seed wording verbatim in English', () => {
    assert.equal(translate('en', 'problem.invalid_code.title'), 'Invalid Security Code');
    assert.equal(
      translate('en', 'problem.invalid_code.message'),
      'This security code you entered does not match the code we sent, or it has expired. To start a new password reset request, click here.',
    );
  });

  it('the "click here" words of every locale are inside its invalid-code message (they become the link)', () => {
    for (const locale of LOCALES) {
      const t = translator(locale);
      assert.ok(
        t('problem.invalid_code.message').includes(t('problem.invalid_code.linkText')),
        `${locale}: ${t('problem.invalid_code.linkText')}`,
      );
    }
  });

  it('plurals follow each language', () => {
    assert.match(translate('de', 'sms.reset.sms', { code: '1', minutes: 1 }), /1 Minute\./);
    assert.match(translate('de', 'sms.reset.sms', { code: '1', minutes: 10 }), /10 Minuten\./);
    assert.match(translate('ar', 'sms.reset.sms', { code: '1', minutes: 2 }), /دقيقتين/);
    assert.match(translate('ar', 'sms.reset.sms', { code: '1', minutes: 5 }), /دقائق/);
  });

  it('fails on a missing argument and on an unknown key', () => {
    assert.throws(() => translate('de', 'sms.reset.sms', { code: '1' }));
    assert.throws(() => translate('de', 'no.such.key' as MessageId), MissingMessageError);
  });
});

describe('pseudo-locale', () => {
  it('accents, lengthens by about a third and brackets every message, placeholders untouched', () => {
    const t = translator(PSEUDO_LOCALE);
    const title = t('problem.invalid_code.title');
    assert.match(title, /^\[Îñṽáļîð Šéçûŕîţý Çöðé .+\]$/);
    for (const id of IDS) {
      const en = translate('en', id, sampleParams(EN[id]!));
      const pseudo = t(id, sampleParams(EN[id]!));
      assert.notEqual(pseudo, en, id);
      const words = (text: string) => text.replace(/«[a-zA-Z]+»/g, '').length; // the placeholders' values are not lengthened
      assert.ok(words(pseudo) >= words(en) * 1.3, `${id}: ${pseudo}`);
      assert.doesNotMatch(pseudo.replace(/«[a-zA-Z]+»/g, ''), /[a-zA-Z]{3,}/, `${id} kept plain words: ${pseudo}`);
    }
    assert.match(t('sms.reset.sms', { code: '004211', minutes: 10 }), /004211/);
  });
});

describe('formatDateTime', () => {
  const at = '2025-03-04T09:05:00.000Z';
  it('writes English as before, day month year, with the zone', () => {
    assert.equal(formatDateTime(at, 'en'), '4 Mar 2025, 09:05 UTC');
  });
  it("uses the person's language and the tenant's time zone, and names the zone", () => {
    assert.equal(formatDateTime(at, 'de', 'Europe/Berlin'), '4. März 2025, 10:05 MEZ');
    assert.match(formatDateTime(at, 'ja', 'Asia/Tokyo'), /2025年3月4日 18:05 JST/);
    assert.match(formatDateTime(Date.parse(at), 'fr'), /4 mars 2025.*09:05 UTC/);
  });
  it('shows an unparsable value as given', () => {
    assert.equal(formatDateTime('soon', 'de'), 'soon');
  });
  it('the UTC answer reused within a minute is the one for that minute, locale and style', () => {
    const t = Date.parse('2025-03-04T09:05:00.000Z');
    assert.equal(formatDateTime(t + 59_999, 'en'), '4 Mar 2025, 09:05 UTC');
    assert.equal(formatDateTime(t + 60_000, 'en'), '4 Mar 2025, 09:06 UTC');
    assert.equal(formatDateTime(t + 60_001, 'en', 'UTC', 'numeric'), '04/03/2025, 09:06 UTC');
    assert.match(formatDateTime(t + 60_002, 'fr'), /4 mars 2025.*09:06 UTC/);
    assert.equal(formatDateTime(t + 60_003, 'en'), '4 Mar 2025, 09:06 UTC');
    assert.equal(formatDateTime(t - 1, 'en'), '4 Mar 2025, 09:04 UTC');
    assert.equal(formatDateTime(t + 60_004, 'de', 'Europe/Berlin'), '4. März 2025, 10:06 MEZ');
  });
});

describe('counts take the plural forms of the language', () => {
  it('Arabic days and password counts: one, two, few (3–10), many (11–99), other', () => {
    const history = (count: number) => translate('ar', 'reset.newPassword.directoryHistory', { count });
    assert.equal(history(1), 'ألا تكون كلمة المرور الأخيرة.');
    assert.match(history(2), /آخر كلمتي مرور/);
    assert.match(history(5), /آخر 5 كلمات مرور/);
    assert.match(history(11), /آخر 11 كلمة مرور/);
    const days = (n: number) => translate('ar', 'admin.insights.resets.none', { days: n });
    assert.match(days(2), /آخر يومين\./);
    assert.match(days(7), /آخر 7 أيام\./);
    assert.match(days(30), /آخر 30 يومًا\./);
  });

  it('English and German say "last password" and "last day" for one', () => {
    assert.equal(translate('en', 'reset.newPassword.directoryHistory', { count: 1 }), 'not your last password.');
    assert.equal(
      translate('en', 'reset.newPassword.directoryHistory', { count: 3 }),
      'not one of your last 3 passwords.',
    );
    assert.equal(translate('en', 'admin.insights.failures.none', { days: 1 }), 'No failures in the last day.');
    assert.equal(
      translate('de', 'admin.insights.resets.none', { days: 30 }),
      'Kein Zurücksetzen in den letzten 30 Tagen.',
    );
  });
});

describe('compiled messages', () => {
  it(`keeps at most ${COMPILED_MESSAGES_KEPT} (the most recently used); one evicted formats the same again`, () => {
    const params = { n: 3, minutes: 10, name: 'Ada', code: '012345', time: '10:00', when: new Date(0) };
    const all = LOCALES.flatMap((locale) =>
      Object.keys(catalogue(locale)).map((id) => ({ locale, id: id as MessageId })),
    );
    assert.ok(all.length > 2 * COMPILED_MESSAGES_KEPT, `${all.length} messages in the catalogues`);
    const first = all[0]!;
    const before = translate(first.locale, first.id, params);
    const kept: number[] = [];
    for (const { locale, id } of all) {
      try {
        translate(locale, id, params);
      } catch {
        // a message that needs other parameters still compiled, which is what counts here
      }
      kept.push(compiledMessagesKept());
    }
    assert.equal(Math.max(...kept), COMPILED_MESSAGES_KEPT, 'never more than the bound');
    // the first message was evicted long ago: compiled again, the same text
    assert.equal(translate(first.locale, first.id, params), before);
    assert.equal(compiledMessagesKept(), COMPILED_MESSAGES_KEPT);
  });
});
