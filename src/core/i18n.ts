import { IntlMessageFormat } from 'intl-messageformat';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import en from '../../locales/en.json' with { type: 'json' };
import de from '../../locales/de.json' with { type: 'json' };
import fr from '../../locales/fr.json' with { type: 'json' };
import es from '../../locales/es.json' with { type: 'json' };
import ptBR from '../../locales/pt-BR.json' with { type: 'json' };
import ja from '../../locales/ja.json' with { type: 'json' };
import ar from '../../locales/ar.json' with { type: 'json' };

/**
 * Languages: which one a person gets, and the words in it. Pure (the catalogues are JSON modules
 * in `locales/`, read once when this module loads; no clock, no I/O). See docs/i18n.md.
 *
 * Messages are ICU MessageFormat (`{name}`, `{n, plural, one {# minute} other {# minutes}}`,
 * `{kind, select, email {…} other {…}}`), formatted by intl-messageformat with the platform's Intl.
 */

/** The languages people can pick, English first (the source of every message). */
export const LOCALES = ['en', 'de', 'fr', 'es', 'pt-BR', 'ja', 'ar'] as const;
export type Locale = (typeof LOCALES)[number];
/** Accented, lengthened English, generated from `en` at load: for finding text that skips the catalogue. */
export const PSEUDO_LOCALE = 'en-XA';
/** A locale a page can be rendered in: a real one, or the pseudo-locale (only when enabled). */
export type UiLocale = Locale | typeof PSEUDO_LOCALE;
export const DEFAULT_LOCALE: Locale = 'en';

/** Each language in its own words, for the language switcher. */
export const LOCALE_NAMES: Readonly<Record<UiLocale, string>> = {
  en: 'English',
  de: 'Deutsch',
  fr: 'Français',
  es: 'Español',
  'pt-BR': 'Português (Brasil)',
  ja: '日本語',
  ar: 'العربية',
  'en-XA': 'Ƥşéûðö',
};

/** The stable id of a message: every key of the English catalogue. */
export type MessageId = keyof typeof en;
export type MessageParams = Readonly<Record<string, string | number | Date>>;
/** `t('problem.invalid_code.title')`, `t('sms.reset.sms', { code, minutes })`. */
export type Translate = (id: MessageId, params?: MessageParams) => string;

const RTL: ReadonlySet<string> = new Set(['ar']);

/** `rtl` for right-to-left languages (Arabic), else `ltr`. */
export function textDirection(locale: UiLocale): 'ltr' | 'rtl' {
  return RTL.has(locale) ? 'rtl' : 'ltr';
}

export interface LocaleOptions {
  /** Whether the pseudo-locale may be chosen (a setting or a test enables it; never offered otherwise). */
  readonly pseudo?: boolean;
}

/** The locales offered in the switcher: the seven, plus the pseudo-locale when enabled. */
export function offeredLocales(options: LocaleOptions = {}): readonly UiLocale[] {
  return options.pseudo ? [...LOCALES, PSEUDO_LOCALE] : LOCALES;
}

/**
 * The supported locale a language tag stands for, or null: exact (case-insensitive) first, then
 * by its base language (`de-CH` → `de`, `pt` and `pt-PT` → `pt-BR`, `en-US` → `en`).
 */
export function matchLocale(tag: string | null | undefined, options: LocaleOptions = {}): UiLocale | null {
  if (typeof tag !== 'string') return null;
  const wanted = tag.trim().toLowerCase();
  if (wanted.length === 0 || wanted.length > 35) return null;
  const offered = offeredLocales(options);
  const exact = offered.find((l) => l.toLowerCase() === wanted);
  if (exact) return exact;
  if (wanted === PSEUDO_LOCALE.toLowerCase()) return null; // not enabled: not English either
  const base = wanted.split(/[-_]/)[0];
  return LOCALES.find((l) => l.toLowerCase().split('-')[0] === base) ?? null;
}

/**
 * The language tags of an `Accept-Language` header, best first (by q-value, then by order);
 * `q=0` and `*` are left out; malformed entries are skipped.
 */
export function parseAcceptLanguage(header: string | null | undefined): string[] {
  if (typeof header !== 'string' || header.length > 1000) return [];
  const entries: { tag: string; q: number; index: number }[] = [];
  header.split(',').forEach((part, index) => {
    const [rawTag, ...params] = part.trim().split(';');
    const tag = (rawTag ?? '').trim();
    if (!/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(tag)) return;
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=\s*([0-9](?:\.[0-9]{0,3})?)\s*$/.exec(param);
      if (m) q = Math.min(1, Number(m[1]));
    }
    if (q > 0) entries.push({ tag, q, index });
  });
  return entries.sort((a, b) => b.q - a.q || a.index - b.index).map((e) => e.tag);
}

export interface LocaleChoice extends LocaleOptions {
  /** The language the person picked (the `sspr_lang` cookie). */
  readonly picked?: string | null;
  /** The language saved on the signed-in person's account (never looked up from a typed login). */
  readonly saved?: string | null;
  readonly acceptLanguage?: string | null;
  /** The tenant's default language, when the tenant is known from the address. */
  readonly tenantDefault?: string | null;
}

/**
 * Which language a page (and the messages it causes) is in: the language the person picked →
 * the one saved on their account (signed in only) → the browser's `Accept-Language` → the
 * tenant's default → English. It takes no account lookup, so it cannot reveal whether one exists.
 */
export function negotiateLocale(choice: LocaleChoice): UiLocale {
  return negotiateLocaleFrom(choice).locale;
}

/** Where a negotiated language came from: `default` is English for want of any other. */
export type LocaleSource = 'picked' | 'saved' | 'browser' | 'tenant' | 'default';

/** `negotiateLocale`, with which step chose the language. */
export function negotiateLocaleFrom(choice: LocaleChoice): { locale: UiLocale; source: LocaleSource } {
  const options = { pseudo: choice.pseudo === true };
  const picked = matchLocale(choice.picked, options);
  if (picked) return { locale: picked, source: 'picked' };
  const saved = matchLocale(choice.saved, options);
  if (saved) return { locale: saved, source: 'saved' };
  for (const tag of parseAcceptLanguage(choice.acceptLanguage)) {
    const found = matchLocale(tag, options);
    if (found) return { locale: found, source: 'browser' };
  }
  const tenant = matchLocale(choice.tenantDefault, options);
  if (tenant) return { locale: tenant, source: 'tenant' };
  return { locale: DEFAULT_LOCALE, source: 'default' };
}

/**
 * The language of an email or SMS: the one saved on the account, else the language of the page
 * (or API request) that caused it, else the tenant's default, else English.
 */
export function messageLocale(choice: {
  readonly saved?: string | null;
  readonly page?: UiLocale | null;
  readonly tenantDefault?: string | null;
}): UiLocale {
  return matchLocale(choice.saved) ?? choice.page ?? matchLocale(choice.tenantDefault) ?? DEFAULT_LOCALE;
}

// ---- catalogues ------------------------------------------------------------------------------

type Catalogue = Readonly<Record<string, string>>;

const REAL_CATALOGUES: Readonly<Record<Locale, Catalogue>> = {
  en,
  de,
  fr,
  es,
  'pt-BR': ptBR,
  ja,
  ar,
};

/** Parses a message the way `t()` does (tags are plain text: our messages carry no markup). */
export function parseMessage(message: string): MessageFormatElement[] {
  return parse(message, { ignoreTag: true });
}

const ACCENTS: Readonly<Record<string, string>> = Object.fromEntries(
  [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].map((c, i) => [
    c,
    [...'áƀçðéƒĝĥîĵķļɱñöþǫŕšţûṽŵẋýžÅƁÇÐÉƑĜĤÎĴĶĻṀÑÖÞǪŔŠŢÛṼŴẊÝŽ'][i]!,
  ]),
);
const FILLER = [...'ŀöŕéɱ îþšûɱ ðöļöŕ šîţ áɱéţ '];

function accent(text: string): string {
  return [...text].map((c) => ACCENTS[c] ?? c).join('');
}

function letters(elements: readonly MessageFormatElement[]): number {
  let n = 0;
  for (const el of elements) {
    if (el.type === TYPE.literal) n += el.value.length;
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      n += Math.max(0, ...Object.values(el.options).map((o) => letters(o.value)));
    }
  }
  return n;
}

function accentAll(elements: readonly MessageFormatElement[]): MessageFormatElement[] {
  return elements.map((el) => {
    if (el.type === TYPE.literal) return { ...el, value: accent(el.value) };
    if (el.type === TYPE.plural || el.type === TYPE.select) {
      const options = Object.fromEntries(
        Object.entries(el.options).map(([k, o]) => [k, { ...o, value: accentAll(o.value) }]),
      );
      return { ...el, options };
    }
    return el;
  });
}

/**
 * The pseudo-locale's form of an English message: letters accented, about 35% longer, in
 * brackets (`[Ŕéšéţ ýöûŕ ƥášššŵöŕð ŀöŕéɱ îþš]`), placeholders untouched. A text on a page that
 * is not like this did not come from the catalogue; one cut off at the end overflows its box.
 */
export function pseudoLocalize(message: string): MessageFormatElement[] {
  const elements = parseMessage(message);
  const extra = Math.ceil(letters(elements) * 0.35);
  const padding = Array.from({ length: extra }, (_, i) => FILLER[i % FILLER.length]).join('');
  return [
    { type: TYPE.literal, value: '[' },
    ...accentAll(elements),
    { type: TYPE.literal, value: `${extra > 0 ? ' ' : ''}${padding.trimEnd()}]` },
  ];
}

/** A locale's messages as written (for the pseudo-locale: the English ones, which it transforms). */
export function catalogue(locale: UiLocale): Catalogue {
  return locale === PSEUDO_LOCALE ? REAL_CATALOGUES.en : REAL_CATALOGUES[locale];
}

let englishForMissing = false;

/**
 * Production only: a message missing from a locale's catalogue is shown in English instead of
 * failing the page. Off by default, so tests and development fail on a missing key.
 */
export function fallBackToEnglish(enabled: boolean): void {
  englishForMissing = enabled;
}

/**
 * How many compiled messages are kept, the most recently used. Each holds its parsed form and the
 * Intl formatters (~2.2 KiB); every message of every language compiled is ~11,600 of them, 25 MiB,
 * which a long-running instance would reach as people use its pages in every language. 2,000
 * cover the pages in use (a page uses a few dozen messages); one evicted is compiled again (~0.1 ms).
 */
export const COMPILED_MESSAGES_KEPT = 2_000;

/** Compiled messages by locale and id, least recently used first (a Map keeps insertion order). */
const formats = new Map<string, IntlMessageFormat>();

/** TESTS: how many compiled messages are kept now. */
export function compiledMessagesKept(): number {
  return formats.size;
}

function compiled(locale: UiLocale, id: string): IntlMessageFormat | null {
  const key = `${locale}\u0000${id}`;
  const cached = formats.get(key);
  if (cached) {
    // most recently used: to the end
    formats.delete(key);
    formats.set(key, cached);
    return cached;
  }
  const source = catalogue(locale)[id];
  if (source === undefined) return null;
  const intlLocale = locale === PSEUDO_LOCALE ? 'en' : locale;
  const format = new IntlMessageFormat(
    locale === PSEUDO_LOCALE ? pseudoLocalize(source) : source,
    intlLocale,
    undefined,
    { ignoreTag: true },
  );
  formats.set(key, format);
  if (formats.size > COMPILED_MESSAGES_KEPT) formats.delete(formats.keys().next().value!);
  return format;
}

export class MissingMessageError extends Error {
  constructor(
    readonly locale: string,
    readonly id: string,
  ) {
    super(`message "${id}" is missing from the ${locale} catalogue`);
    this.name = 'MissingMessageError';
  }
}

/** Formats one message; throws MissingMessageError (or English, in production) when it is missing. */
export function translate(locale: UiLocale, id: MessageId, params?: MessageParams): string {
  const format = compiled(locale, id) ?? (englishForMissing ? compiled(DEFAULT_LOCALE, id) : null);
  if (!format) throw new MissingMessageError(locale, id);
  const out = format.format(params);
  return typeof out === 'string' ? out : String(out);
}

/**
 * A message with its simple `{name}` placeholders left in (formatted with each argument as its own
 * `{name}`), for code that fills them with nodes (`fillNodes`) or later (`formatText`). Only for
 * messages without plurals or selects.
 */
export function messageTemplate(t: Translate, id: MessageId): string {
  const source = catalogue('en')[id];
  const params: Record<string, string> = {};
  if (source !== undefined) for (const name of messageArguments(source).keys()) params[name] = `{${name}}`;
  return t(id, params);
}

/** The `t` of one locale: `translator('de')('problem.invalid_code.title')`. */
export function translator(locale: UiLocale): Translate {
  return (id, params) => translate(locale, id, params);
}

/**
 * A point in time for a person: their language, the tenant's time zone, the zone shown
 * (`4 Mar 2025, 09:05 UTC`, `4. März 2025, 10:05 MEZ`). English keeps sspr's day-month-year form
 * with three-letter months (`Sep`, where Intl's en-GB says `Sept`). `numeric` (for text
 * messages: no month names, so no letters outside the GSM alphabet): `04/03/2025, 09:05 UTC`.
 * An unparsable value is shown as given.
 */
export function formatDateTime(
  at: string | number | Date,
  locale: UiLocale = 'en',
  timeZone = 'UTC',
  style: 'medium' | 'numeric' = 'medium',
): string {
  const t = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(t)) return String(at);
  // shown to the minute: in UTC every instant of one minute reads the same, and the emails of a
  // busy minute (each start's code email names its time) reuse the last answer instead of Intl's
  if (timeZone !== 'UTC') return formatDateTimeOnce(t, locale, timeZone, style);
  const key = `${Math.floor(t / 60_000)}\u0000${locale}\u0000${style}`;
  if (lastUtc?.key !== key) lastUtc = { key, text: formatDateTimeOnce(t, locale, timeZone, style) };
  return lastUtc.text;
}
/** The last UTC answer of formatDateTime, by minute, locale and style. */
let lastUtc: { readonly key: string; readonly text: string } | null = null;

function formatDateTimeOnce(t: number, locale: UiLocale, timeZone: string, style: 'medium' | 'numeric'): string {
  const english = locale === 'en' || locale === PSEUDO_LOCALE;
  if (english && style === 'medium') {
    const parts = Object.fromEntries(
      dateFormat('en-GB', timeZone, 'numeric')
        .formatToParts(new Date(t))
        .map((p) => [p.type, p.value]),
    );
    const month = EN_MONTHS[Number(parts.month) - 1] ?? parts.month;
    return `${Number(parts.day)} ${month} ${parts.year}, ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
  }
  return dateFormat(english ? 'en-GB' : locale, timeZone, style).format(new Date(t));
}

/**
 * A time of day for a person: their language, the tenant's time zone, the zone shown
 * (`18:52 CET`, `18:52 MEZ`, `18:52:07 UTC` with seconds), 24-hour clock.
 */
export function formatTime(
  at: string | number | Date,
  locale: UiLocale = 'en',
  timeZone = 'UTC',
  seconds = false,
): string {
  const t = at instanceof Date ? at.getTime() : typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(t)) return String(at);
  const intlLocale = locale === 'en' || locale === PSEUDO_LOCALE ? 'en-GB' : locale;
  const key = `${intlLocale}\u0000${timeZone}\u0000${seconds ? 'hms' : 'hm'}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(intlLocale, {
      hour: '2-digit',
      minute: '2-digit',
      ...(seconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'short',
    });
    dateFormats.set(key, f);
  }
  return f.format(new Date(t));
}

const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dateFormats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(locale: string, timeZone: string, style: 'medium' | 'numeric'): Intl.DateTimeFormat {
  const key = `${locale}\u0000${timeZone}\u0000${style}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      day: style === 'numeric' ? '2-digit' : 'numeric',
      month: style === 'numeric' ? '2-digit' : 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
      timeZoneName: 'short',
    });
    dateFormats.set(key, f);
  }
  return f;
}

/** Everything a page or a message needs to speak one language. */
export interface I18n {
  readonly locale: UiLocale;
  readonly dir: 'ltr' | 'rtl';
  readonly t: Translate;
  /** `formatDateTime` in this locale and the tenant's time zone. */
  readonly when: (at: string | number | Date) => string;
  /** `formatTime` (a time of day, with the zone) in this locale and the tenant's time zone. */
  readonly time: (at: string | number | Date, seconds?: boolean) => string;
  /** The IANA time zone dates are shown in (the tenant's; UTC when none). */
  readonly timeZone: string;
}

export function i18nFor(locale: UiLocale, timeZone = 'UTC'): I18n {
  return {
    locale,
    dir: textDirection(locale),
    t: translator(locale),
    when: (at) => formatDateTime(at, locale, timeZone),
    time: (at, seconds = false) => formatTime(at, locale, timeZone, seconds),
    timeZone,
  };
}

/**
 * The forms of a message with one plural argument at its top level, for a script that fills the
 * number in later (the reset page's countdown): `{ one: 'in {minutes} minute', few: …, other: … }`
 * keyed by the plural categories (and `=N` exact matches) the locale's message has, each with
 * `{arg}` where the number goes. The pseudo-locale's forms are its accented text.
 * `pickPluralForm` chooses one the way intl-messageformat does.
 */
export function pluralForms(locale: UiLocale, id: MessageId, arg: string): Record<string, string> {
  const source = catalogue(locale)[id];
  if (source === undefined) throw new MissingMessageError(locale, id);
  const elements = locale === PSEUDO_LOCALE ? pseudoLocalize(source) : parseMessage(source);
  const text = (els: readonly MessageFormatElement[]): string =>
    els
      .map((el) => {
        if (el.type === TYPE.literal) return el.value;
        if (el.type === TYPE.pound || (el.type === TYPE.argument && el.value === arg)) return `{${arg}}`;
        throw new Error(`${id}: only text, {${arg}} and # may stand beside the plural`);
      })
      .join('');
  const at = elements.findIndex((el) => el.type === TYPE.plural && el.value === arg);
  const plural = elements[at];
  if (!plural || plural.type !== TYPE.plural) throw new Error(`${id} has no plural of {${arg}}`);
  const before = text(elements.slice(0, at));
  const after = text(elements.slice(at + 1));
  return Object.fromEntries(
    Object.entries(plural.options).map(([key, option]) => [key, before + text(option.value) + after]),
  );
}

/** The form `pluralForms` gave for `n` in `locale`, the number written in: `=n`, else its plural category, else `other`. */
export function pickPluralForm(
  forms: Readonly<Record<string, string>>,
  n: number,
  locale: UiLocale,
  arg: string,
): string {
  const intlLocale = locale === PSEUDO_LOCALE ? 'en' : locale;
  const form = forms[`=${n}`] ?? forms[new Intl.PluralRules(intlLocale).select(n)] ?? forms.other ?? '';
  return form.split(`{${arg}}`).join(new Intl.NumberFormat(intlLocale).format(n));
}

/**
 * The names of a message's arguments, with how each is used (`plural`, `select`, `number`,
 * `date`, `time`, or `text`), nested options included: what every translation must keep.
 */
export function messageArguments(message: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (elements: readonly MessageFormatElement[]): void => {
    for (const el of elements) {
      if (el.type === TYPE.argument) found.set(el.value, found.get(el.value) ?? 'text');
      else if (el.type === TYPE.number) found.set(el.value, 'number');
      else if (el.type === TYPE.date) found.set(el.value, 'date');
      else if (el.type === TYPE.time) found.set(el.value, 'time');
      else if (el.type === TYPE.plural || el.type === TYPE.select) {
        found.set(el.value, el.type === TYPE.plural ? 'plural' : 'select');
        for (const option of Object.values(el.options)) walk(option.value);
      }
    }
  };
  walk(parseMessage(message));
  return found;
}
