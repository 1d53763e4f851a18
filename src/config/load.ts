import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, envName, type Config, type ConfigKey } from './schema.ts';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `sspr cannot start: the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads the optional JSON config file; injectable for tests. */
  readonly readFile?: (file: string) => string;
  /** Values that win over everything (CLI flags). */
  readonly overrides?: Partial<Record<ConfigKey, string | number>>;
}

/**
 * Loads the configuration once: JSON file (`SSPR_CONFIG_FILE`), then `SSPR_*` variables, then
 * CLI overrides. Every problem is collected and reported at once, each with its key's name.
 * The result is frozen.
 */
export function loadConfig(sources: ConfigSources): Config {
  const { env } = sources;
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  const file = env.SSPR_CONFIG_FILE;
  if (file) {
    try {
      const parsed: unknown = JSON.parse((sources.readFile ?? ((f) => readFileSync(f, 'utf8')))(file));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('it is not a JSON object');
      for (const [k, v] of Object.entries(parsed)) {
        if (k in configSchema) raw[k] = v;
        else problems.push(`${file}: unknown key "${k}"${didYouMean(k, Object.keys(configSchema))}`);
      }
    } catch (e) {
      problems.push(`SSPR_CONFIG_FILE (${file}): cannot be read as JSON: ${(e as Error).message}`);
    }
  }
  const known = new Set(Object.keys(configSchema).map(envName));
  known.add('SSPR_CONFIG_FILE');
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SSPR_')) continue;
    // a tenant directory's secret (docs/directories.md), read by name from the settings, not a setting
    if (name.startsWith('SSPR_DIRECTORY_')) continue;
    if (!known.has(name)) {
      problems.push(`${name}: unknown setting${didYouMean(name, [...known])} (every setting: docs/configuration.md)`);
      continue;
    }
    if (name !== 'SSPR_CONFIG_FILE' && value !== undefined) raw[name.slice(5).toLowerCase()] = value;
  }
  for (const [k, v] of Object.entries(sources.overrides ?? {})) if (v !== undefined) raw[k] = v;

  const values: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(configSchema)) {
    const result = s.schema.safeParse(raw[key]);
    if (result.success) values[key] = result.data;
    else
      problems.push(
        `${envName(key)}: ${result.error.issues.map((i) => i.message).join('; ')} (got ${s.secret ? '<hidden>' : JSON.stringify(raw[key])})`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const production = env.NODE_ENV === 'production';
  const port = values.port as number;
  values.public_url = (
    (values.public_url as string | undefined) ?? defaultPublicUrl(values.host as string, port)
  ).replace(/\/+$/, '');
  values.database_url =
    (values.database_url as string | undefined) ?? `sqlite:${path.join(values.data_dir as string, 'sspr.db')}`;
  values.sms_provider = (values.sms_provider as string | undefined) ?? (production ? 'none' : 'dev');
  values.production = production;

  if (production) {
    if (!values.smtp_url)
      problems.push(
        'SSPR_SMTP_URL: required when NODE_ENV=production (the dev outbox is off in production), e.g. smtps://user:pass@mail.example.com:465',
      );
    if (!values.secret_key)
      problems.push('SSPR_SECRET_KEY: required when NODE_ENV=production; generate one with: openssl rand -base64 32');
    if ((values.public_url as string).startsWith('http:') && !values.allow_insecure_public_url)
      problems.push(
        `SSPR_PUBLIC_URL: must be an https:// address when NODE_ENV=production (got ${JSON.stringify(values.public_url)}${raw.public_url === undefined ? ', the default' : ''}). ` +
          'Over plain http browsers drop the __Host- cookies that bind a reset to its browser and do not run the CAPTCHA, so nobody could reset. ' +
          'Set it to the https address of your TLS reverse proxy, e.g. SSPR_PUBLIC_URL=https://reset.example.com (for a lab without TLS only: SSPR_ALLOW_INSECURE_PUBLIC_URL=true).',
      );
    if (values.sms_provider === 'dev')
      problems.push('SSPR_SMS_PROVIDER: "dev" is not available when NODE_ENV=production; use twilio, webhook or none');
  }
  if (values.sms_provider === 'twilio') {
    for (const k of ['twilio_account_sid', 'twilio_auth_token', 'twilio_from'] as const) {
      if (!values[k]) problems.push(`${envName(k)}: required when SSPR_SMS_PROVIDER=twilio`);
    }
  }
  if (values.sms_provider === 'webhook' && !values.sms_webhook_url)
    problems.push('SSPR_SMS_WEBHOOK_URL: required when SSPR_SMS_PROVIDER=webhook');
  if ((values.outbox_backoff_max_ms as number) < (values.outbox_backoff_base_ms as number)) {
    problems.push('SSPR_OUTBOX_BACKOFF_MAX_MS: must not be less than SSPR_OUTBOX_BACKOFF_BASE_MS');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(values) as Config;
}

/**
 * The public URL when none is set: the address `sspr serve` prints, so that the banner and the links
 * in emails name the same host (cookies are per host: a link to `localhost` does not continue a reset
 * started on `127.0.0.1`). A wildcard listen address becomes the loopback address.
 */
export function defaultPublicUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** ` (did you mean X?)` when a known name is close to `name` (a typo), else nothing. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toUpperCase(), k.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  const bare = name.replace(/^SSPR_/i, '').length;
  return best !== null && bestDistance <= Math.max(2, Math.ceil(bare / 3)) ? ` (did you mean ${best}?)` : '';
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The resolved configuration as printable lines, secrets masked. */
export function describeConfig(config: Config): string[] {
  return (Object.keys(configSchema) as ConfigKey[]).map((key) => {
    const v = config[key];
    const s = configSchema[key];
    let shown: string;
    if (v === undefined) shown = '(not set)';
    else if ('secret' in s && s.secret) shown = maskSecret(key, String(v));
    else shown = String(v);
    return `${envName(key)}=${shown}`;
  });
}

function maskSecret(key: string, value: string): string {
  if (key.endsWith('_url') && URL.canParse(value)) {
    const u = new URL(value);
    if (u.password) u.password = '****';
    return u.toString();
  }
  return '****';
}
