import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import {
  formatTime,
  LOCALES,
  negotiateLocale,
  negotiateLocaleFrom,
  pickPluralForm,
  pluralForms,
  PSEUDO_LOCALE,
  translate,
  type UiLocale,
} from '../../src/core/i18n.ts';
import { applyLookInput, checkTimeZone, EMPTY_LOOK, lookTimeZone } from '../../src/core/tenant-look.ts';

/** Issue 12: a tenant's default language and time zone; plural forms for the reset page's countdown. */

describe('tenant default language and time zone', () => {
  it('a time zone is an IANA name Intl knows; offsets, unknown names and junk are refused', () => {
    assert.deepEqual(checkTimeZone('Europe/Berlin'), { ok: true, value: 'Europe/Berlin' });
    assert.deepEqual(checkTimeZone(' America/Sao_Paulo '), { ok: true, value: 'America/Sao_Paulo' });
    assert.deepEqual(checkTimeZone('utc'), { ok: true, value: 'UTC' });
    for (const bad of ['', 'Mars/Olympus_Mons', '+01:00', 'Europe/Berlin; DROP', '../etc/passwd', 'x'.repeat(65)]) {
      assert.equal(checkTimeZone(bad).ok, false, bad);
    }
  });

  it('applyLookInput sets, refuses and clears both, naming each problem; absent fields stay', () => {
    const set = applyLookInput(EMPTY_LOOK, { defaultLocale: 'pt-BR', timeZone: 'Asia/Tokyo' });
    assert.ok(set.ok);
    assert.equal(set.value.defaultLocale, 'pt-BR');
    assert.equal(set.value.timeZone, 'Asia/Tokyo');
    assert.equal(lookTimeZone(set.value), 'Asia/Tokyo');
    assert.equal(lookTimeZone(EMPTY_LOOK), 'UTC');
    const kept = applyLookInput(set.value, { displayName: 'Contoso' });
    assert.ok(kept.ok);
    assert.equal(kept.value.defaultLocale, 'pt-BR', 'absent: kept');
    const bad = applyLookInput(set.value, { defaultLocale: 'pt', timeZone: 'Berlin' });
    assert.equal(bad.ok, false);
    assert.deepEqual('fields' in bad ? bad.fields.map((f) => f.field) : [], ['defaultLocale', 'timeZone']);
    assert.match('fields' in bad ? bad.fields[1]!.message : '', /IANA name/);
    const cleared = applyLookInput(set.value, { defaultLocale: '', timeZone: null });
    assert.ok(cleared.ok);
    assert.equal(cleared.value.defaultLocale, null);
    assert.equal(cleared.value.timeZone, null);
  });

  it('the tenant default comes after Accept-Language and before English', () => {
    assert.deepEqual(negotiateLocaleFrom({ acceptLanguage: 'fr', tenantDefault: 'de' }), {
      locale: 'fr',
      source: 'browser',
    });
    assert.deepEqual(negotiateLocaleFrom({ acceptLanguage: 'xx, tlh', tenantDefault: 'de' }), {
      locale: 'de',
      source: 'tenant',
    });
    assert.deepEqual(negotiateLocaleFrom({ tenantDefault: null }), { locale: 'en', source: 'default' });
    assert.equal(negotiateLocale({ picked: 'ja', saved: 'ar', acceptLanguage: 'fr', tenantDefault: 'de' }), 'ja');
    assert.equal(negotiateLocale({ saved: 'ar', acceptLanguage: 'fr', tenantDefault: 'de' }), 'ar');
  });

  it('times show the person’s language, the tenant’s time zone and the zone', () => {
    const at = '2025-01-15T17:52:07Z';
    assert.equal(formatTime(at, 'en', 'Europe/Berlin'), '18:52 CET');
    assert.equal(formatTime(at, 'de', 'Europe/Berlin'), '18:52 MEZ');
    assert.equal(formatTime(at, 'en', 'UTC', true), '17:52:07 UTC');
    assert.match(formatTime(at, 'ja', 'Asia/Tokyo'), /02:52 JST/);
  });
});

describe('plural forms of the countdown', () => {
  const ID = 'reset.common.expiresIn';

  it('Arabic: 3 and 5 take "few", 11 "many", 100 "other", 2 the dual', () => {
    assert.equal(translate('ar', ID, { minutes: 3 }), 'خلال 3 دقائق');
    assert.equal(translate('ar', ID, { minutes: 5 }), 'خلال 5 دقائق');
    assert.equal(translate('ar', ID, { minutes: 11 }), 'خلال 11 دقيقة');
    assert.equal(translate('ar', ID, { minutes: 100 }), 'خلال 100 دقيقة');
    assert.equal(translate('ar', ID, { minutes: 2 }), 'خلال دقيقتين');
    assert.match(translate('ar', 'reset.emailCode.whatNext', { minutes: 10 }), /لمدة 10 دقائق\./);
    assert.match(translate('ar', 'reset.emailCode.whatNext', { minutes: 15 }), /لمدة 15 دقيقة\./);
  });

  it('the forms the page embeds give what the server writes, for every locale and 2 to 150 minutes', () => {
    for (const locale of [...LOCALES, PSEUDO_LOCALE] as UiLocale[]) {
      const forms = pluralForms(locale, ID, 'minutes');
      for (let n = 2; n <= 150; n++) {
        assert.equal(
          pickPluralForm(forms, n, locale, 'minutes'),
          translate(locale, ID, { minutes: n }),
          `${locale} ${n}`,
        );
      }
    }
    assert.deepEqual(Object.keys(pluralForms('ar', ID, 'minutes')), ['zero', 'one', 'two', 'few', 'many', 'other']);
  });

  it('the page script (static/reset.js) picks the same Arabic forms with Intl.PluralRules', () => {
    const source = readFileSync(new URL('../../src/http/static/reset.js', import.meta.url), 'utf8');
    const forms = JSON.stringify(pluralForms('ar', ID, 'minutes'));
    for (const [minutes, expected] of [
      [3, 'خلال 3 دقائق'],
      [5, 'خلال 5 دقائق'],
      [11, 'خلال 11 دقيقة'],
      [100, 'خلال 100 دقيقة'],
    ] as const) {
      const left = { textContent: '' };
      const time = {
        // a deadline a little under `minutes` ahead: the script rounds up
        dataset: {
          deadline: String(Date.now() + minutes * 60_000 - 5_000),
          inForms: forms,
          inOne: 'ONE',
          inSoon: 'SOON',
        },
        parentElement: { querySelector: () => left },
      };
      const document = {
        documentElement: { lang: 'ar' },
        querySelectorAll: (selector: string) => (selector === 'time[data-deadline]' ? [time] : []),
      };
      const window = { setInterval: () => 0 };
      vm.runInNewContext(source, { document, window, Intl, JSON, Number, Date, Math });
      assert.equal(left.textContent, expected, `${minutes} minutes`);
    }
  });
});
