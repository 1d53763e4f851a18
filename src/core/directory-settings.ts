// A tenant's directory: where its passwords live. `builtin` is sspr's own store (the embedded
// default, no settings); `ldap` (OpenLDAP and other RFC 4511 servers) and `ad` (Active Directory,
// Samba AD) are the organisation's directory, reached with these settings. Pure: parsing,
// defaults and validation; reading the secret and the CA file is the adapter's job.
import { checkUserFilterTemplate } from './directory-rules.ts';
import { translate, type MessageId, type UiLocale } from './i18n.ts';
import { normalizeLogin } from './login.ts';
import { err, ok, type Err, type Ok } from './result.ts';

export type DirectoryKind = 'builtin' | 'ldap' | 'ad';
export const DIRECTORY_KINDS: readonly DirectoryKind[] = ['builtin', 'ldap', 'ad'];
export type ExternalKind = Exclude<DirectoryKind, 'builtin'>;

/**
 * Where a secret comes from: `env:NAME` (an environment variable of the sspr process) or
 * `file:/path` (a file's content, trailing newline removed). Only the reference is stored and
 * shown; the secret itself never is.
 */
export type SecretRef = `env:${string}` | `file:${string}`;

export interface DirectorySettings {
  readonly kind: ExternalKind;
  /** Tried in order: `ldaps://host:636` or `ldap://host:389` (with `startTls`). */
  readonly urls: readonly string[];
  readonly startTls: boolean;
  /** A PEM file with the CA that signs the servers' certificates; null: the system's CAs. */
  readonly caFile: string | null;
  /** The name the certificate carries when the URLs' host is not it (an IP address, `localhost`). */
  readonly tlsServerName: string | null;
  /** The service account sspr binds as to search, reset and unlock. */
  readonly bindDn: string;
  readonly bindPassword: SecretRef;
  readonly baseDn: string;
  /** A filter with `{login}` where the typed login goes (escaped per RFC 4515). */
  readonly userFilter: string;
  readonly attributes: {
    readonly login: string;
    readonly displayName: string;
    readonly email: string | null;
    readonly mobile: string | null;
  };
  /** Groups (DNs) whose members are administrators in sspr (AD: nested membership counts; protected accounts too). */
  readonly adminGroups: readonly string[];
  /** OpenLDAP: the default ppolicy entry, read when an account names none. */
  readonly passwordPolicyDn: string | null;
  /** An attribute and value that mark a disabled account (besides AD's userAccountControl and a ppolicy lock). */
  readonly disabledAttribute: { readonly name: string; readonly value: string } | null;
  /** The directory's email and mobile attributes seed sspr methods (verified) on sync. */
  readonly trustContactAttributes: boolean;
  readonly timeoutMs: number;
  readonly poolSize: number;
  /** Minutes between periodic syncs; 0: only `sspr directory sync`. */
  readonly syncIntervalMinutes: number;
  /** A login the check looks up (never changed). */
  readonly testLogin: string | null;
  /** Lab only: allow password operations over plain LDAP (warned in the log, the check and `sspr doctor`). */
  readonly allowInsecure: boolean;
}

/** What each kind fills in when a setting is not given. */
export const DIRECTORY_DEFAULTS: Readonly<Record<ExternalKind, Pick<DirectorySettings, 'userFilter' | 'attributes'>>> =
  {
    ldap: {
      userFilter: '(&(objectClass=inetOrgPerson)(uid={login}))',
      attributes: { login: 'uid', displayName: 'cn', email: 'mail', mobile: 'mobile' },
    },
    ad: {
      userFilter: '(&(objectCategory=person)(objectClass=user)(sAMAccountName={login}))',
      attributes: { login: 'sAMAccountName', displayName: 'displayName', email: 'mail', mobile: 'mobile' },
    },
  };

export const DIRECTORY_LIMITS = {
  timeoutMs: { min: 500, max: 60_000, default: 5_000 },
  poolSize: { min: 1, max: 16, default: 4 },
  syncIntervalMinutes: { min: 0, max: 7 * 24 * 60, default: 60 },
} as const;

/**
 * Environment variables that hold directory secrets may start with this (sspr's configuration
 * ignores them instead of refusing them as unknown settings); other `SSPR_` names are sspr's own.
 */
export const DIRECTORY_SECRET_ENV_PREFIX = 'SSPR_DIRECTORY_';

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/;
const URL_RE = /^ldaps?:\/\/[^\s/]+\/?$/i;
const ATTRIBUTE = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

export function isSecretRef(value: string): value is SecretRef {
  return SECRET_REF.test(value);
}

/** The id of a problem's words: `directory.settings.problem.<id>` in the catalogues. */
export type SettingsProblemId =
  Extract<MessageId, `directory.settings.problem.${string}`> extends `directory.settings.problem.${infer Id}`
    ? Id
    : never;

/**
 * One problem: the setting it names (as sent: `urls`, `bindDn`…, never translated) and its words
 * as a catalogue message, for the CLI (English), the console and the API (the reader's language).
 */
export interface SettingsProblem {
  readonly field: string;
  readonly id: SettingsProblemId;
  readonly params?: Readonly<Record<string, string>>;
}

/** Refused settings: `detail` is every problem in English, one per line (`field: words`). */
export type SettingsInvalid = Err<'invalid_directory_settings'> & { readonly problems: readonly SettingsProblem[] };

/** `{ field, id, params }`. */
export function settingsProblem(
  field: string,
  id: SettingsProblemId,
  params?: Readonly<Record<string, string>>,
): SettingsProblem {
  return params ? { field, id, params } : { field, id };
}

/** A problem's words in a language (English unless given), without the setting's name. */
export function settingsProblemWords(problem: SettingsProblem, locale: UiLocale = 'en'): string {
  return translate(locale, `directory.settings.problem.${problem.id}`, problem.params);
}

/** `field: words`, the setting's name as sent and the words in a language (English unless given). */
export function settingsProblemLine(problem: SettingsProblem, locale: UiLocale = 'en'): string {
  return `${problem.field}: ${settingsProblemWords(problem, locale)}`;
}

/** The refusal naming these problems (`detail`: their English lines). */
export function settingsInvalid(problems: readonly SettingsProblem[]): SettingsInvalid {
  return {
    ...err('invalid_directory_settings', problems.map((p) => settingsProblemLine(p)).join('\n')),
    problems,
  } as SettingsInvalid;
}

/**
 * Parses settings given as a plain object (the admin API's JSON, the CLI's flags, the console's
 * form, the stored JSON). Fills defaults per kind; refuses what cannot work, naming each problem.
 */
export function parseDirectorySettings(input: unknown): Ok<DirectorySettings> | SettingsInvalid {
  const problems: SettingsProblem[] = [];
  const problem = (field: string, id: SettingsProblemId, params?: Readonly<Record<string, string>>) =>
    problems.push(settingsProblem(field, id, params));
  const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (name: string): string | null => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') {
      problem(name, 'text');
      return null;
    }
    return v.trim();
  };
  const num = (name: string, limits: { min: number; max: number; default: number }): number => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return limits.default;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < limits.min || n > limits.max) {
      problem(name, 'wholeNumber', { min: String(limits.min), max: String(limits.max) });
      return limits.default;
    }
    return n;
  };
  const bool = (name: string): boolean => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return false;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'on' || v === '1') return true;
    if (v === 'false' || v === 'off' || v === '0') return false;
    problem(name, 'boolean');
    return false;
  };
  const list = (name: string): string[] => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return [];
    const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\n,]+/) : null;
    if (!items || items.some((i) => typeof i !== 'string')) {
      problem(name, 'list');
      return [];
    }
    return (items as string[]).map((i) => i.trim()).filter((i) => i !== '');
  };

  const kind = str('kind');
  if (kind !== 'ldap' && kind !== 'ad') {
    return settingsInvalid([settingsProblem('kind', 'kind')]);
  }
  const defaults = DIRECTORY_DEFAULTS[kind];
  // AD's DNs contain commas: admin groups are one per line, or an array
  const adminGroupsRaw = o['adminGroups'];
  const adminGroups =
    typeof adminGroupsRaw === 'string'
      ? adminGroupsRaw
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s !== '')
      : list('adminGroups');
  const urls = list('urls');
  if (urls.length === 0) problem('urls', 'urlsMissing');
  for (const u of urls) if (!URL_RE.test(u)) problem('urls', 'urlFormat', { url: u });
  const startTls = bool('startTls');
  const allowInsecure = bool('allowInsecure');
  if (!allowInsecure && !startTls && urls.some((u) => u.toLowerCase().startsWith('ldap://'))) {
    problem('urls', 'urlsPlain');
  }
  const bindDn = str('bindDn');
  if (!bindDn) problem('bindDn', 'bindDn');
  const bindPassword = str('bindPassword');
  if (!bindPassword || !isSecretRef(bindPassword)) {
    problem('bindPassword', 'bindPassword');
  } else if (/^env:SSPR_/.test(bindPassword) && !bindPassword.startsWith(`env:${DIRECTORY_SECRET_ENV_PREFIX}`)) {
    problem('bindPassword', 'bindPasswordSspr', { prefix: DIRECTORY_SECRET_ENV_PREFIX });
  }
  const baseDn = str('baseDn');
  if (!baseDn) problem('baseDn', 'baseDn');
  const userFilter = str('userFilter') ?? defaults.userFilter;
  const filterCheck = checkUserFilterTemplate(userFilter);
  // `{login}` is a word of the filter, not a placeholder of the message: it goes in as an argument
  if (filterCheck === 'no_placeholder') problem('userFilter', 'userFilterPlaceholder', { placeholder: '{login}' });
  if (filterCheck === 'not_a_filter') problem('userFilter', 'userFilterSyntax', { example: '(uid={login})' });
  const attr = (name: string, fallback: string | null, required: boolean): string | null => {
    const v = str(name);
    if (v === null) return fallback;
    if (v === '-' && !required) return null;
    if (!ATTRIBUTE.test(v)) problem(name, 'attribute');
    return v;
  };
  const attributes = {
    login: attr('loginAttribute', defaults.attributes.login, true) ?? defaults.attributes.login,
    displayName: attr('displayNameAttribute', defaults.attributes.displayName, true) ?? defaults.attributes.displayName,
    email: attr('emailAttribute', defaults.attributes.email, false),
    mobile: attr('mobileAttribute', defaults.attributes.mobile, false),
  };
  const disabledRaw = str('disabledAttribute');
  let disabledAttribute: DirectorySettings['disabledAttribute'] = null;
  if (disabledRaw) {
    const m = /^([A-Za-z][A-Za-z0-9-]*)=(.+)$/.exec(disabledRaw);
    if (m && m[1] && m[2]) disabledAttribute = { name: m[1], value: m[2] };
    else problem('disabledAttribute', 'disabledAttribute');
  }
  const settings: DirectorySettings = {
    kind,
    urls,
    startTls,
    caFile: str('caFile'),
    tlsServerName: str('tlsServerName'),
    bindDn: bindDn ?? '',
    bindPassword: (bindPassword ?? 'env:') as SecretRef,
    baseDn: baseDn ?? '',
    userFilter,
    attributes,
    adminGroups,
    passwordPolicyDn: str('passwordPolicyDn'),
    disabledAttribute,
    trustContactAttributes: bool('trustContactAttributes'),
    timeoutMs: num('timeoutMs', DIRECTORY_LIMITS.timeoutMs),
    poolSize: num('poolSize', DIRECTORY_LIMITS.poolSize),
    syncIntervalMinutes: num('syncIntervalMinutes', DIRECTORY_LIMITS.syncIntervalMinutes),
    testLogin: str('testLogin'),
    allowInsecure,
  };
  const caFile = settings.caFile;
  if (caFile !== null && !caFile.startsWith('/')) problem('caFile', 'caFile');
  if (problems.length > 0) return settingsInvalid(problems);
  return ok(settings);
}

/** The settings as a flat object `parseDirectorySettings` reads back (stored JSON, the API, the form). */
export function directorySettingsInput(s: DirectorySettings): Record<string, unknown> {
  return {
    kind: s.kind,
    urls: [...s.urls],
    startTls: s.startTls,
    caFile: s.caFile,
    tlsServerName: s.tlsServerName,
    bindDn: s.bindDn,
    bindPassword: s.bindPassword,
    baseDn: s.baseDn,
    userFilter: s.userFilter,
    loginAttribute: s.attributes.login,
    displayNameAttribute: s.attributes.displayName,
    emailAttribute: s.attributes.email ?? '-',
    mobileAttribute: s.attributes.mobile ?? '-',
    adminGroups: [...s.adminGroups],
    passwordPolicyDn: s.passwordPolicyDn,
    disabledAttribute: s.disabledAttribute ? `${s.disabledAttribute.name}=${s.disabledAttribute.value}` : null,
    trustContactAttributes: s.trustContactAttributes,
    timeoutMs: s.timeoutMs,
    poolSize: s.poolSize,
    syncIntervalMinutes: s.syncIntervalMinutes,
    testLogin: s.testLogin,
    allowInsecure: s.allowInsecure,
  };
}

/**
 * The sspr login of a directory account: the login attribute's value when it is already an
 * address (userPrincipalName, mail), else that value at the tenant's first domain
 * (`alice` → `alice@example.com`). Null when it cannot be one (no domain).
 */
export function ssprLoginOf(directoryLogin: string, domains: readonly string[]): string | null {
  const value = directoryLogin.trim();
  if (value === '') return null;
  const domain = domains[0];
  const login = value.includes('@') ? normalizeLogin(value) : domain ? normalizeLogin(`${value}@${domain}`) : null;
  return login?.ok ? login.value : null;
}

/**
 * What goes into the directory's filter for an sspr login: the whole login when the directory
 * keeps addresses (its login attribute's values have an `@`), else the part before the `@`.
 */
export function directoryLoginOf(ssprLogin: string, settings: Pick<DirectorySettings, 'attributes'>): string {
  const addressAttributes = ['userprincipalname', 'mail'];
  if (addressAttributes.includes(settings.attributes.login.toLowerCase())) return ssprLogin;
  const at = ssprLogin.lastIndexOf('@');
  return at > 0 ? ssprLogin.slice(0, at) : ssprLogin;
}
