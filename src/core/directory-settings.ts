// A tenant's directory: where its passwords live. `builtin` is sspr's own store (the embedded
// default, no settings); `ldap` (OpenLDAP and other RFC 4511 servers) and `ad` (Active Directory,
// Samba AD) are the organisation's directory, reached with these settings. Pure: parsing,
// defaults and validation; reading the secret and the CA file is the adapter's job.
import { checkUserFilterTemplate } from './directory-rules.ts';
import { normalizeLogin } from './login.ts';
import { err, ok, type Result } from './result.ts';

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

/** One problem per line, naming the setting, for the CLI, the console and the API. */
export type SettingsProblem = string;

/**
 * Parses settings given as a plain object (the admin API's JSON, the CLI's flags, the console's
 * form, the stored JSON). Fills defaults per kind; refuses what cannot work, naming each problem.
 */
export function parseDirectorySettings(input: unknown): Result<DirectorySettings, 'invalid_directory_settings'> {
  const problems: SettingsProblem[] = [];
  const o = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const str = (name: string): string | null => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return null;
    if (typeof v !== 'string') {
      problems.push(`${name}: must be text`);
      return null;
    }
    return v.trim();
  };
  const num = (name: string, limits: { min: number; max: number; default: number }): number => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return limits.default;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
    if (!Number.isInteger(n) || n < limits.min || n > limits.max) {
      problems.push(`${name}: a whole number from ${limits.min} to ${limits.max}`);
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
    problems.push(`${name}: true or false`);
    return false;
  };
  const list = (name: string): string[] => {
    const v = o[name];
    if (v === undefined || v === null || v === '') return [];
    const items = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\n,]+/) : null;
    if (!items || items.some((i) => typeof i !== 'string')) {
      problems.push(`${name}: a list of text values`);
      return [];
    }
    return (items as string[]).map((i) => i.trim()).filter((i) => i !== '');
  };

  const kind = str('kind');
  if (kind !== 'ldap' && kind !== 'ad') {
    return err('invalid_directory_settings', 'kind: ldap or ad (builtin has no settings)');
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
  if (urls.length === 0) problems.push('urls: at least one ldaps:// or ldap:// URL');
  for (const u of urls)
    if (!URL_RE.test(u)) problems.push(`urls: "${u}" is not ldaps://host[:port] or ldap://host[:port]`);
  const startTls = bool('startTls');
  const allowInsecure = bool('allowInsecure');
  if (!allowInsecure && !startTls && urls.some((u) => u.toLowerCase().startsWith('ldap://'))) {
    problems.push(
      'urls: ldap:// sends passwords in clear text; use ldaps://, or set startTls (allowInsecure is for a lab only)',
    );
  }
  const bindDn = str('bindDn');
  if (!bindDn) problems.push('bindDn: the service account’s DN');
  const bindPassword = str('bindPassword');
  if (!bindPassword || !isSecretRef(bindPassword)) {
    problems.push('bindPassword: env:VARIABLE or file:/absolute/path (the password itself is never stored)');
  } else if (/^env:SSPR_/.test(bindPassword) && !bindPassword.startsWith(`env:${DIRECTORY_SECRET_ENV_PREFIX}`)) {
    problems.push(
      `bindPassword: SSPR_ variables are sspr’s own settings; name it ${DIRECTORY_SECRET_ENV_PREFIX}… or without the SSPR_ prefix, e.g. env:LDAP_BIND_PASSWORD`,
    );
  }
  const baseDn = str('baseDn');
  if (!baseDn) problems.push('baseDn: where the accounts are, e.g. ou=people,dc=example,dc=com');
  const userFilter = str('userFilter') ?? defaults.userFilter;
  const filterCheck = checkUserFilterTemplate(userFilter);
  if (filterCheck === 'no_placeholder') problems.push('userFilter: must contain {login}, where the typed login goes');
  if (filterCheck === 'not_a_filter')
    problems.push('userFilter: not an LDAP filter (balanced parentheses, e.g. (uid={login}))');
  const attr = (name: string, fallback: string | null, required: boolean): string | null => {
    const v = str(name);
    if (v === null) return fallback;
    if (v === '-' && !required) return null;
    if (!ATTRIBUTE.test(v)) problems.push(`${name}: an attribute name`);
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
    else problems.push('disabledAttribute: name=value, e.g. employeeType=disabled');
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
  if (caFile !== null && !caFile.startsWith('/')) problems.push('caFile: an absolute path to a PEM file');
  if (problems.length > 0) return err('invalid_directory_settings', problems.join('\n'));
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
