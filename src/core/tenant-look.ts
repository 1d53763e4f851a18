import { LOCALES, translate, type Locale, type MessageId, type UiLocale } from './i18n.ts';
import { normalizeDomain } from './login.ts';
import { err, ok, type Err, type Ok, type Result } from './result.ts';

/**
 * A tenant's look and words (issue 12, item 6): the name its people know it by, its logo, its
 * primary colour, the address (host) its people open sspr at, and an optional note on the start
 * page in each language. Pure: validation, WCAG contrast, and the first check of an uploaded logo
 * (size and magic bytes; decoding and re-encoding is an adapter's job). The sender name of its
 * emails and the help-desk contact live in the tenant policy (`senderName`, `helpdeskUrl`,
 * `helpdeskEmail`); `senderNameProblem` here is the one check of a sender name.
 */

export interface TenantLogo {
  /** Hex SHA-256 of the re-encoded PNG: its address (`/brand/<tenant>/logo-<hash>.png`), cached for ever. */
  readonly hash: string;
  readonly width: number;
  readonly height: number;
}

export interface TenantLook {
  /** The tenant's name as its people know it, e.g. "Contoso"; null: none shown. */
  readonly displayName: string | null;
  /** `#rrggbb` (lower case), checked for contrast; null: sspr's own colours. */
  readonly primaryColour: string | null;
  /** The host its people open sspr at (e.g. `reset.contoso.com`): how a page knows the tenant before any login is typed. */
  readonly host: string | null;
  /** A short note on the start page, per language (missing: none in that language). */
  readonly startNotes: Readonly<Partial<Record<Locale, string>>>;
  readonly logo: TenantLogo | null;
  /**
   * The tenant's default language: a page whose tenant is known (signed in, or from the address)
   * uses it when the person picked none and the browser asks for none sspr has; emails and SMS use
   * it when the account saved none and no page caused them. null: English.
   */
  readonly defaultLocale: Locale | null;
  /** The IANA time zone dates and times are shown in on its pages and emails (e.g. `Europe/Berlin`); null: UTC. */
  readonly timeZone: string | null;
}

export const EMPTY_LOOK: TenantLook = {
  displayName: null,
  primaryColour: null,
  host: null,
  startNotes: {},
  logo: null,
  defaultLocale: null,
  timeZone: null,
};

/** The time zone a tenant's dates are shown in: its own, else UTC. */
export function lookTimeZone(look: Pick<TenantLook, 'timeZone'> | null | undefined): string {
  return look?.timeZone ?? 'UTC';
}

export const DISPLAY_NAME_MAX = 80;
export const START_NOTE_MAX = 500;
export const SENDER_NAME_MAX = 64;
/** The largest logo upload accepted (before re-encoding). */
export const LOGO_MAX_BYTES = 256 * 1024;
/** The box a logo is fitted into (never enlarged). */
export const LOGO_BOX = { width: 480, height: 160 } as const;
/** WCAG 2.x AA for normal text. */
export const MIN_CONTRAST = 4.5;
/** The text colours a page puts on the primary colour: white, or the page's near-black. */
export const LIGHT_TEXT = '#ffffff';
export const DARK_TEXT = '#1a1a1a';

/** Why a value is refused, as a catalogue message: shown in the admin's language. */
export interface LookProblem {
  readonly id: MessageId;
  readonly params?: Readonly<Record<string, string | number>>;
}

/** A problem in words (English unless a locale is given). */
export function problemText(problem: LookProblem, locale: UiLocale = 'en'): string {
  return translate(locale, problem.id, problem.params);
}

const DISPLAY_NAME_PROBLEM: LookProblem = { id: 'admin.look.problem.displayName', params: { max: DISPLAY_NAME_MAX } };
const COLOUR_FORMAT_PROBLEM: LookProblem = { id: 'admin.look.problem.colourFormat' };
const HOST_PROBLEM: LookProblem = { id: 'admin.look.problem.host' };
const NOTE_PROBLEM: LookProblem = { id: 'admin.look.problem.note', params: { max: START_NOTE_MAX } };
const DEFAULT_LOCALE_PROBLEM: LookProblem = {
  id: 'admin.look.problem.defaultLocale',
  params: { locales: LOCALES.join(', ') },
};
const TIME_ZONE_PROBLEM: LookProblem = { id: 'admin.look.problem.timeZone' };

// ---- contrast (WCAG 2.x) ----------------------------------------------------------------------

const HEX_COLOUR = /^#[0-9a-f]{6}$/;

/** Relative luminance of `#rrggbb` (WCAG 2.x: sRGB channels linearised, 0.2126 R + 0.7152 G + 0.0722 B). */
export function relativeLuminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** (L1 + 0.05) / (L2 + 0.05), the lighter over the darker: 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

export interface ColourChoice {
  readonly colour: string;
  /** The text colour a page uses on it: whichever of white and near-black contrasts more. */
  readonly text: string;
  readonly ratio: number;
}

/** The ratio rounded down to one decimal, as people read it (4.49 is not 4.5). */
export function ratioText(ratio: number): string {
  return `${(Math.floor(ratio * 10) / 10).toFixed(1)}:1`;
}

/**
 * `#rrggbb` (or `#RRGGBB`) with the better of white and near-black text on it, accepted only when
 * that text reaches 4.5:1; otherwise a message with both ratios and which way to move the colour.
 */
export function checkPrimaryColour(input: string): Result<ColourChoice, 'colour_invalid' | 'colour_contrast'> {
  const verdict = judgeColour(input);
  if ('problem' in verdict) return err(verdict.error, problemText(verdict.problem));
  return ok(verdict);
}

/** The colour's choice of text, or why it is refused (with both ratios and which way to move). */
export function judgeColour(
  input: string,
): ColourChoice | { readonly error: 'colour_invalid' | 'colour_contrast'; readonly problem: LookProblem } {
  const colour = input.trim().toLowerCase();
  if (!HEX_COLOUR.test(colour)) return { error: 'colour_invalid', problem: COLOUR_FORMAT_PROBLEM };
  const light = contrastRatio(colour, LIGHT_TEXT);
  const dark = contrastRatio(colour, DARK_TEXT);
  const best = light >= dark ? { text: LIGHT_TEXT, ratio: light } : { text: DARK_TEXT, ratio: dark };
  if (best.ratio >= MIN_CONTRAST) return { colour, ...best };
  return {
    error: 'colour_contrast',
    problem: {
      id: light >= dark ? 'admin.look.problem.colourDarker' : 'admin.look.problem.colourLighter',
      params: { colour, white: ratioText(light), dark: ratioText(dark) },
    },
  };
}

// ---- words ------------------------------------------------------------------------------------

/** Control and format characters (CR, LF, NUL, bidi overrides, zero-width…). */
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** The same, but a note may keep its line breaks. */
const CONTROL_EXCEPT_NEWLINE = /[\p{Cf}\u2028\u2029]|(?![\n])\p{Cc}/u;

/** A display name: 1–80 characters after trimming, no control characters. */
export function checkDisplayName(input: string): Result<string, 'display_name_invalid'> {
  const value = input.normalize('NFC').trim();
  if (value.length === 0 || [...value].length > DISPLAY_NAME_MAX || CONTROL.test(value)) {
    return err('display_name_invalid', problemText(DISPLAY_NAME_PROBLEM));
  }
  return ok(value);
}

/**
 * Why a sender name (the From display name of the tenant's emails) is refused, or null: at most
 * 64 characters, no line breaks or other control characters, no `"`, `<`, `>`, `@` or `\` (each
 * could change what a mail program reads as the address).
 */
export function senderNameProblem(name: string): string | null {
  if (name.length === 0 || [...name].length > SENDER_NAME_MAX || CONTROL.test(name) || /[<>@"\\]/.test(name)) {
    return `Enter a sender name of at most ${SENDER_NAME_MAX} characters without line breaks, quotes, < > @ or \\.`;
  }
  return null;
}

/** A start-page note: at most 500 characters (line breaks kept as \n), no other control characters. */
export function checkStartNote(input: string): Result<string, 'note_invalid'> {
  const value = input.normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if ([...value].length > START_NOTE_MAX || CONTROL_EXCEPT_NEWLINE.test(value)) {
    return err('note_invalid', problemText(NOTE_PROBLEM));
  }
  return ok(value);
}

/** A host: a domain name like `reset.contoso.com` (lower case, no port, no trailing dot). */
export function checkHost(input: string): Result<string, 'host_invalid'> {
  const r = normalizeDomain(input);
  if (!r.ok || !/^[a-z0-9.-]+$/.test(r.value)) {
    return err('host_invalid', problemText(HOST_PROBLEM));
  }
  return ok(r.value);
}

/** A default language: one of LOCALES, exactly (`pt-BR`, not `pt`). */
export function checkDefaultLocale(input: string): Result<Locale, 'default_locale_invalid'> {
  const locale = LOCALES.find((l) => l === input.trim());
  return locale ? ok(locale) : err('default_locale_invalid', problemText(DEFAULT_LOCALE_PROBLEM));
}

/**
 * An IANA time zone name (`Europe/Berlin`, `America/Sao_Paulo`, `UTC`) that Intl knows, kept as
 * Intl resolves it (`utc` → `UTC`). Offsets (`+01:00`), unknown names and anything over 64
 * characters are refused.
 */
export function checkTimeZone(input: string): Result<string, 'time_zone_invalid'> {
  const name = input.trim();
  if (name.length === 0 || name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) {
    return err('time_zone_invalid', problemText(TIME_ZONE_PROBLEM));
  }
  try {
    return ok(new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone);
  } catch {
    return err('time_zone_invalid', problemText(TIME_ZONE_PROBLEM));
  }
}

// ---- an update --------------------------------------------------------------------------------

/** What an administrator sends: absent fields stay as they are; null or '' clears one. */
export interface LookInput {
  readonly displayName?: string | null;
  readonly primaryColour?: string | null;
  readonly host?: string | null;
  /** Per locale; a locale absent stays, null or '' removes its note. */
  readonly startNotes?: Readonly<Record<string, string | null>>;
  /** One of LOCALES; null or '' clears it (English). */
  readonly defaultLocale?: string | null;
  /** An IANA time zone name; null or '' clears it (UTC). */
  readonly timeZone?: string | null;
}

export interface LookFieldError {
  readonly field: string;
  /** In English (the API's words, the audit trail). */
  readonly message: string;
  /** The same as a catalogue message, for the admin's language. */
  readonly problem: LookProblem;
}
export type LookInvalid = Err<'look_invalid'> & { readonly fields: readonly LookFieldError[] };

function fieldError(field: string, problem: LookProblem): LookFieldError {
  return { field, message: problemText(problem), problem };
}

/** Pure: the look with `input` applied, or every problem found at once. The logo is not changed here. */
export function applyLookInput(current: TenantLook, input: LookInput): Ok<TenantLook> | LookInvalid {
  const problems: LookFieldError[] = [];
  let { displayName, primaryColour, host, defaultLocale, timeZone } = current;
  const notes: Partial<Record<Locale, string>> = { ...current.startNotes };
  const blank = (v: string | null | undefined) => v === null || (typeof v === 'string' && v.trim() === '');

  if (input.displayName !== undefined) {
    if (blank(input.displayName)) displayName = null;
    else {
      const r = checkDisplayName(input.displayName!);
      if (r.ok) displayName = r.value;
      else problems.push(fieldError('displayName', DISPLAY_NAME_PROBLEM));
    }
  }
  if (input.primaryColour !== undefined) {
    if (blank(input.primaryColour)) primaryColour = null;
    else {
      const r = judgeColour(input.primaryColour!);
      if ('problem' in r) problems.push(fieldError('primaryColour', r.problem));
      else primaryColour = r.colour;
    }
  }
  if (input.host !== undefined) {
    if (blank(input.host)) host = null;
    else {
      const r = checkHost(input.host!);
      if (r.ok) host = r.value;
      else problems.push(fieldError('host', HOST_PROBLEM));
    }
  }
  if (input.defaultLocale !== undefined) {
    if (blank(input.defaultLocale)) defaultLocale = null;
    else {
      const r = checkDefaultLocale(input.defaultLocale!);
      if (r.ok) defaultLocale = r.value;
      else problems.push(fieldError('defaultLocale', DEFAULT_LOCALE_PROBLEM));
    }
  }
  if (input.timeZone !== undefined) {
    if (blank(input.timeZone)) timeZone = null;
    else {
      const r = checkTimeZone(input.timeZone!);
      if (r.ok) timeZone = r.value;
      else problems.push(fieldError('timeZone', TIME_ZONE_PROBLEM));
    }
  }
  for (const [key, value] of Object.entries(input.startNotes ?? {})) {
    const locale = LOCALES.find((l) => l === key);
    if (!locale) {
      problems.push(
        fieldError(`startNotes.${key.slice(0, 20)}`, {
          id: 'admin.look.problem.noteLocale',
          params: { locales: LOCALES.join(', ') },
        }),
      );
      continue;
    }
    if (blank(value)) {
      delete notes[locale];
      continue;
    }
    const r = checkStartNote(value!);
    if (r.ok) notes[locale] = r.value;
    else problems.push(fieldError(`startNotes.${locale}`, NOTE_PROBLEM));
  }
  if (problems.length > 0) return { ...err('look_invalid'), fields: problems };
  return ok({ displayName, primaryColour, host, startNotes: notes, logo: current.logo, defaultLocale, timeZone });
}

/** Which fields differ (for the audit trail: names only, the words are not secrets but need not be copied). */
export function changedLookFields(before: TenantLook, after: TenantLook): string[] {
  const changed: string[] = [];
  if (before.displayName !== after.displayName) changed.push('displayName');
  if (before.primaryColour !== after.primaryColour) changed.push('primaryColour');
  if (before.host !== after.host) changed.push('host');
  if (before.defaultLocale !== after.defaultLocale) changed.push('defaultLocale');
  if (before.timeZone !== after.timeZone) changed.push('timeZone');
  for (const l of LOCALES) if (before.startNotes[l] !== after.startNotes[l]) changed.push(`startNotes.${l}`);
  if (before.logo?.hash !== after.logo?.hash) changed.push('logo');
  return changed;
}

// ---- logo upload: the first check -------------------------------------------------------------

export type LogoFormat = 'png' | 'jpeg';
export type LogoError = 'logo_empty' | 'logo_too_large' | 'logo_not_image';

/** Why an upload is refused, as catalogue messages (the console shows them in the admin's language). */
export const LOGO_PROBLEMS: Readonly<Record<LogoError, LookProblem>> = {
  logo_empty: { id: 'admin.look.problem.logoEmpty' },
  logo_too_large: { id: 'admin.look.problem.logoTooLarge', params: { max: LOGO_MAX_BYTES / 1024 } },
  logo_not_image: { id: 'admin.look.problem.logoNotImage' },
};

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * What an upload claims to be, from its first bytes (never from a file name or Content-Type):
 * PNG or JPEG, at most 256 KiB. Anything else (SVG, GIF, WebP, HTML…) is refused here; the
 * adapter then decodes it, which refuses what only looks like one.
 */
export function sniffLogo(bytes: Uint8Array): Result<LogoFormat, LogoError> {
  if (bytes.length === 0) return err('logo_empty', problemText(LOGO_PROBLEMS.logo_empty));
  if (bytes.length > LOGO_MAX_BYTES) {
    return err('logo_too_large', problemText(LOGO_PROBLEMS.logo_too_large));
  }
  if (bytes.length >= 8 && PNG_MAGIC.every((b, i) => bytes[i] === b)) return ok('png');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return ok('jpeg');
  return err('logo_not_image', problemText(LOGO_PROBLEMS.logo_not_image));
}

/** The box a logo of `width`×`height` is shown in: fitted into 480×160, never enlarged. */
export function fitLogo(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, LOGO_BOX.width / width, LOGO_BOX.height / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The same-origin stylesheet of a tenant's colour: custom properties only, from validated values. */
export function lookStylesheet(look: Pick<TenantLook, 'primaryColour'>): string {
  if (!look.primaryColour) return '';
  const choice = checkPrimaryColour(look.primaryColour);
  if (!choice.ok) return '';
  const { colour, text } = choice.value;
  // only where the colour is a background with its own text on it: links and outlined buttons
  // keep sspr's colours, which are checked against the page's background
  return (
    `:root{--brand:${colour};--brand-fg:${text}}\n` +
    `.site-header{background:var(--brand);color:var(--brand-fg)}\n` +
    `.site-header .brand,.site-header .tagline,.site-header a{color:var(--brand-fg)}\n` +
    `button:not(.secondary),.button:not(.secondary),.skip-link{background:var(--brand);color:var(--brand-fg);border-color:var(--brand)}\n`
  );
}

// ---- emails -----------------------------------------------------------------------------------

const EMAIL_HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeEmailHtml = (s: string) => s.replace(/[&<>"']/g, (c) => EMAIL_HTML_ESCAPES[c] ?? c);

/** Where composeEmail (core/message-templates.ts) opens the message's column. */
const EMAIL_COLUMN = '<div style="max-width:560px">\n';

/** The box a logo is shown in at the top of an email (half the page's: small screens, preview panes). */
export const EMAIL_LOGO_BOX = { width: 240, height: 80 } as const;

/** A logo in an email: the inline image's content id and the size it is shown at. */
export interface EmailLogo {
  readonly cid: string;
  readonly width: number;
  readonly height: number;
}

/**
 * The inline image of a tenant's logo in its emails: its content id (from the PNG's hash: the same
 * logo, the same id) and its size fitted into EMAIL_LOGO_BOX, never enlarged.
 */
export function emailLogo(logo: TenantLogo): EmailLogo {
  const scale = Math.min(1, EMAIL_LOGO_BOX.width / logo.width, EMAIL_LOGO_BOX.height / logo.height);
  return {
    cid: `logo-${logo.hash.slice(0, 32)}@sspr`,
    width: Math.max(1, Math.round(logo.width * scale)),
    height: Math.max(1, Math.round(logo.height * scale)),
  };
}

/**
 * A tenant's email with its name on top: the first line of the text part, and a band in the
 * tenant's colour (with the text colour its contrast check chose) at the top of the HTML part.
 * With a logo, the band shows the logo (`cid:`, an inline image the caller attaches; `alt` is
 * the display name, so a mail program that shows no images shows the name) instead of the name.
 * Without a display name or a logo the email is unchanged.
 */
export function brandEmail<T extends { readonly text: string; readonly html: string }>(
  email: T,
  look: Pick<TenantLook, 'displayName' | 'primaryColour'>,
  logo: EmailLogo | null = null,
): T {
  if (!look.displayName && !logo) return email;
  const colour = look.primaryColour ? checkPrimaryColour(look.primaryColour) : null;
  const band = colour?.ok
    ? `background:${colour.value.colour};color:${colour.value.text};padding:12px 16px;`
    : 'padding:0;';
  const name = escapeEmailHtml(look.displayName ?? '');
  const content = logo
    ? `<img src="cid:${escapeEmailHtml(logo.cid)}" alt="${name}" width="${logo.width}" height="${logo.height}" style="display:block;border:0;max-width:100%;height:auto">`
    : name;
  const heading = `<p style="margin:0 0 16px;${band}font-weight:700;font-size:18px">${content}</p>\n`;
  const at = email.html.indexOf(EMAIL_COLUMN);
  const html =
    at === -1
      ? email.html
      : email.html.slice(0, at + EMAIL_COLUMN.length) + heading + email.html.slice(at + EMAIL_COLUMN.length);
  const text = look.displayName ? `${look.displayName}\n\n${email.text}` : email.text;
  return { ...email, text, html };
}

/** The base of a tenant's links on its own address: `https://<host>` and the path of `publicUrl` (sspr behind a prefix). */
export function tenantBaseUrl(publicUrl: string, host: string): string {
  let path = '';
  try {
    path = new URL(publicUrl).pathname.replace(/\/+$/, '');
  } catch {
    // not a URL: no path
  }
  return `https://${host}${path}`;
}

/**
 * The links of a tenant's email on its own address: every link that starts with `publicUrl`
 * (SSPR_PUBLIC_URL) is moved to `https://<host>` with the same path, so the person lands on the
 * pages in the tenant's look, except the reset link (`/reset/link?t=…`). That one belongs to the
 * browser that started the reset (its flow cookie is host-only), which may have been at the shared
 * address: it is built on the address the reset ran at when it is queued (service/reset/
 * code-sender.ts) and left as it is here. No host: the email is unchanged. Only `publicUrl` links
 * are touched (never a link the email merely quotes).
 */
export function linksOnTenantHost<T extends { readonly text: string; readonly html: string }>(
  email: T,
  publicUrl: string,
  host: string | null,
): T {
  if (!host) return email;
  let base: URL;
  try {
    base = new URL(publicUrl);
  } catch {
    return email;
  }
  const path = base.pathname.replace(/\/+$/, '');
  const from = `${base.origin}${path}`;
  const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // `from` as a whole (not a longer host or path), and not the browser-bound reset link
  const link = new RegExp(`${escaped}(?!/reset/link(?:[?#/"'<>\\s]|$))(?=[/?#"'<>)\\]\\s]|$)`, 'g');
  const to = tenantBaseUrl(publicUrl, host);
  const text = email.text.replace(link, to);
  const html = email.html.replace(link, to);
  return text === email.text && html === email.html ? email : { ...email, text, html };
}

/** The From display name of a tenant's emails: its sender name, else its display name when that is safe in a header. */
export function emailSenderName(senderName: string | null, displayName: string | null): string | null {
  if (senderName) return senderName;
  return displayName && senderNameProblem(displayName) === null ? displayName : null;
}
