import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * The one configuration schema. Every key has a type, a default, a unit where it has one, and a
 * description; `docs/configuration.md` is generated from this file (`npm run docs:config`) and a
 * test fails when it is stale. Keys are read from `SSPR_<KEY>` environment variables or from a
 * JSON config file (`SSPR_CONFIG_FILE`); the environment wins.
 */
export interface KeySpec<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly description: string;
  readonly unit?: string;
  /** Shown masked by `sspr config check` and never logged. */
  readonly secret?: boolean;
  /** Text for the docs when the default is computed at load time. */
  readonly defaultDoc?: string;
  readonly example?: string;
}

const spec = <S extends z.ZodType>(s: KeySpec<S>): KeySpec<S> => s;
const ms = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
/** A yes/no setting: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`) in the environment, a boolean in the file. */
const bool = (dflt: boolean) => z.union([z.boolean(), z.stringbool()]).default(dflt);

/** Entries of an `SSPR_TRUST_PROXY` list that are neither an address, a CIDR range nor a named range. */
export function invalidProxyEntries(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && !isProxyEntry(s));
}

function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4; // a netmask, e.g. 10.0.0.0/255.0.0.0
}

const optionalUrl = (protocols: RegExp, what: string) =>
  optionalString.refine((v) => v === undefined || (URL.canParse(v) && protocols.test(new URL(v).protocol)), {
    message: `must be a ${what} URL`,
  });

export const configSchema = {
  host: spec({ schema: z.string().min(1).default('127.0.0.1'), description: 'Address the HTTP server listens on.' }),
  port: spec({
    schema: z.coerce.number().int().min(0).max(65535).default(3000),
    description: 'TCP port the HTTP server listens on (0 picks a free one).',
  }),
  workers: spec({
    schema: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).default(1),
    description:
      '`sspr serve` processes on this host, all on the one port (node:cluster): a primary starts them, restarts one that dies and drains them all on SIGTERM. `auto`: one per CPU core. Limits, the outbox and every flow are shared through the database (or Redis) as between instances; above 1 the in-process dev outbox and an in-memory SQLite database are refused. See docs/operations.md.',
    example: 'auto',
  }),
  heap_growth_percent: spec({
    schema: z.coerce.number().int().min(0).max(300).default(50),
    unit: '%',
    description:
      "How far V8 lets the old generation grow past what survived its last full collection before it collects again (`--heap-growing-percent`, set by `sspr serve`). 50: to 1.5x, which kept the benchmark's peak RSS 10-35 MiB lower for about twice the collection time (~3% more of the run). 0: V8's own choice, which on a host with 16 GiB or more goes up to 4x. A `--heap-growing-percent` in NODE_OPTIONS wins. See docs/operations.md (Memory).",
    example: '0',
  }),
  public_url: spec({
    schema: optionalUrl(/^https?:$/, 'http(s)'),
    description:
      "The address people reach sspr at. Every link in an email is built from it, never from the request's Host header. HSTS is sent when it is https.",
    defaultDoc: '`http://127.0.0.1:<port>` (the address `sspr serve` prints; required, and https, in production)',
    example: 'https://reset.example.com',
  }),
  allow_insecure_public_url: spec({
    schema: bool(false),
    description:
      'Lab use only: let NODE_ENV=production start with an `http://` public URL. Without it such a start is refused, because browsers drop the `__Host-` cookies that bind a reset to its browser and run the CAPTCHA only in a secure context over plain http to a non-local address: nobody could reset. A warning is logged at every start while it is set.',
  }),
  pseudo_locale: spec({
    schema: bool(false),
    description:
      'Offer the pseudo-locale `en-XA` (accented, about 35% longer English) in the language switcher, for finding words that do not come from the message catalogues and text that overflows its box. For testing and translation reviews; never for people.',
  }),
  data_dir: spec({
    schema: z.string().min(1).default('./data'),
    description: 'Folder for the embedded SQLite database and the generated secret key file.',
  }),
  database_url: spec({
    schema: optionalString.refine((v) => v === undefined || /^(postgres(ql)?:\/\/|sqlite:)/.test(v), {
      message: 'must start with postgres://, postgresql:// or sqlite:',
    }),
    description:
      'Database. `postgres://user@host:5432/db` for PostgreSQL, `sqlite:/path/file.db` for SQLite. Empty: SQLite at `<data_dir>/sspr.db` (WAL mode).',
    defaultDoc: 'sqlite:<data_dir>/sspr.db',
    secret: true,
  }),
  secret_key: spec({
    schema: optionalString.refine((v) => v === undefined || Buffer.from(v, 'base64').length >= 32, {
      message: 'must be at least 32 bytes, base64-encoded (generate one with: openssl rand -base64 32)',
    }),
    description:
      'Master key (base64, ≥ 32 bytes) for the HMAC of codes, tokens and session ids and for sealing queued messages. Keep it outside the database. Empty in development: generated once into `<data_dir>/secret.key`. Required in production.',
    secret: true,
  }),
  secret_key_previous: spec({
    schema: optionalString.refine(
      (v) => v === undefined || v.split(',').every((k) => Buffer.from(k.trim(), 'base64').length >= 32),
      { message: 'must be a comma-separated list of base64 keys of at least 32 bytes each' },
    ),
    description:
      'Keys that SSPR_SECRET_KEY replaced, newest first (comma-separated, base64). Codes, links, flows, sessions, API keys and queued messages made under them keep working until they expire, so a key can be rotated without breaking resets in progress. Remove a key once everything made under it has expired (at most the session and API-key lifetimes).',
    secret: true,
  }),
  smtp_url: spec({
    schema: optionalUrl(/^smtps?:$/, 'smtp:// or smtps://'),
    description:
      'SMTP server for email, e.g. `smtps://user:pass@mail.example.com:465` or `smtp://mail.example.com:587` (STARTTLS when offered). Empty in development: email goes to the dev outbox. Required in production.',
    secret: true,
    example: 'smtp://127.0.0.1:2525',
  }),
  mail_from: spec({
    schema: z.string().min(3).default('sspr <no-reply@localhost>'),
    description:
      "From header of every email. A tenant's sender name (tenant policy `senderName`) replaces the display name, never the address.",
  }),
  smtp_ehlo_name: spec({
    schema: optionalString.refine(
      (v) => v === undefined || /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}))$/.test(v),
      {
        message: 'must be a host name (e.g. reset.example.com) or an address literal in brackets',
      },
    ),
    description:
      "Name sspr gives itself in the SMTP greeting (EHLO/HELO). Mail servers and spam filters compare it with the sending address's reverse DNS: set it to that name. Empty: the machine's host name.",
    example: 'reset.example.com',
  }),
  smtp_require_tls: spec({
    schema: bool(false),
    description:
      'With an `smtp://` URL, send only after STARTTLS: a mail server that does not offer it is refused (the message is retried) instead of being sent in clear. `smtps://` is always encrypted.',
  }),
  sms_provider: spec({
    schema: z.enum(['dev', 'twilio', 'webhook', 'none']).optional(),
    description:
      'Where text messages go: `twilio`, `webhook` (a JSON POST to `sms_webhook_url`), `dev` (the dev outbox) or `none` (SMS disabled).',
    defaultDoc: '`dev` in development, `none` in production',
  }),
  twilio_account_sid: spec({ schema: optionalString, description: 'Twilio Account SID (AC…).' }),
  twilio_auth_token: spec({ schema: optionalString, description: 'Twilio auth token.', secret: true }),
  twilio_from: spec({
    schema: optionalString,
    description: 'Twilio sender: an E.164 number or a Messaging Service SID (MG…).',
  }),
  twilio_base_url: spec({
    schema: z.url().default('https://api.twilio.com'),
    description: 'Twilio API base URL (change only to point at a test double).',
  }),
  sms_webhook_url: spec({
    schema: optionalUrl(/^https?:$/, 'http(s)'),
    description: 'URL that receives `{"to": "+447700900123", "body": "…"}` as a JSON POST.',
  }),
  sms_webhook_token: spec({
    schema: optionalString,
    description: 'Bearer token sent with each webhook request.',
    secret: true,
  }),
  sms_timeout_ms: spec({
    schema: ms(100, 60_000, 10_000),
    unit: 'ms',
    description: 'Time limit of one SMS provider request.',
  }),
  outbox_poll_ms: spec({
    schema: ms(50, 60_000, 1_000),
    unit: 'ms',
    description: 'Fallback poll interval of the message worker (it is also woken right after each commit).',
  }),
  outbox_max_attempts: spec({
    schema: z.coerce.number().int().min(0).max(100_000).default(0),
    description:
      'Optional cap on tries per message; `0` (the default) means none: retrying is bounded by time instead (a code until it expires, a notice for `outbox_notice_horizon_ms`). A message is marked failed when the mail server refuses it for good or its time is up.',
  }),
  outbox_notice_horizon_ms: spec({
    schema: ms(3_600_000, 30 * 86_400_000, 72 * 3_600_000),
    unit: 'ms',
    description:
      'How long a notice (password changed, method changed, block started, …) is retried while the mail server or SMS provider fails, counted from when it was queued (default 72 hours). Codes are retried until they expire.',
  }),
  outbox_backoff_base_ms: spec({
    schema: ms(10, 600_000, 1_000),
    unit: 'ms',
    description: 'First retry delay; doubles at each try, with jitter.',
  }),
  outbox_backoff_max_ms: spec({
    schema: ms(10, 3_600_000, 300_000),
    unit: 'ms',
    description:
      'Longest retry delay (the backoff stops doubling here): after an outage, delivery resumes within this time.',
  }),
  outbox_thread: spec({
    schema: bool(true),
    description:
      '`sspr serve` with SMTP delivers the outbox from a worker thread of its own (its own database connection, its own event loop), so a flood of requests never holds codes back. false: deliver on the thread that answers requests.',
  }),
  outbox_claim_ms: spec({
    schema: ms(1_000, 3_600_000, 60_000),
    unit: 'ms',
    description: 'How long a worker holds a message it is sending before another worker may take it over.',
  }),
  log_level: spec({
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    description: 'Log level (pino). Secrets are redacted at every level.',
  }),
  shutdown_timeout_ms: spec({
    schema: ms(100, 120_000, 10_000),
    unit: 'ms',
    description: 'On SIGTERM/SIGINT, how long to wait for requests and message sends in flight.',
  }),
  code_ttl_ms: spec({
    schema: ms(1_000, 3_600_000, 600_000),
    unit: 'ms',
    description:
      'How long a security code and an email link stay valid after they are sent (the seed article: 10 minutes).',
  }),
  flow_ttl_ms: spec({
    schema: ms(1_000, 86_400_000, 3_600_000),
    unit: 'ms',
    description:
      'How long a whole reset may take, counted from the first message sent; resends never extend it (the seed article: 60 minutes).',
  }),
  resend_cooldown_ms: spec({
    schema: ms(0, 600_000, 60_000),
    unit: 'ms',
    description: 'Wait between two codes sent in one reset.',
  }),
  session_idle_ms: spec({
    schema: ms(60_000, 86_400_000, 1_800_000),
    unit: 'ms',
    description: 'A signed-in session ends after this long without a request.',
  }),
  session_absolute_ms: spec({
    schema: ms(60_000, 7 * 86_400_000, 43_200_000),
    unit: 'ms',
    description: 'A signed-in session ends at the latest this long after sign-in.',
  }),
  start_limit_per_ip: spec({
    schema: z.coerce.number().int().min(1).max(1_000_000).default(30),
    description:
      'Password resets one client IP address may start per 10 minutes (behind a proxy, set trust_proxy so the real client address is used).',
  }),
  captcha_max_number: spec({
    schema: z.coerce.number().int().min(1_000).max(10_000_000).default(100_000),
    description:
      'Proof-of-work difficulty of the CAPTCHA on /reset (the ALTCHA search space; ~0.1–0.5 s on a phone at the default). Lower it only for tests.',
  }),
  trust_proxy: spec({
    schema: optionalString.refine((v) => v === undefined || invalidProxyEntries(v).length === 0, {
      message:
        'must be a comma-separated list of IP addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8), or loopback, linklocal, uniquelocal',
    }),
    description:
      'Comma-separated addresses/CIDRs of reverse proxies whose X-Forwarded-For is believed (also `loopback`, `linklocal`, `uniquelocal`). Empty: the header is ignored.',
    example: '127.0.0.1,10.0.0.0/8',
  }),
  metrics_token: spec({
    schema: optionalString.refine((v) => v === undefined || v.length >= 16, {
      message: 'must be at least 16 characters (generate one with: openssl rand -hex 24)',
    }),
    description:
      'Bearer token a Prometheus scraper must send (`Authorization: Bearer <token>`) to read `/metrics`. Empty: `/metrics` is not served (404).',
    secret: true,
  }),
  redis_url: spec({
    schema: optionalUrl(/^rediss?:$/, 'redis:// or rediss://'),
    description:
      'Redis for the rate limits shared by several instances (scale-out mode, with PostgreSQL). Empty: limits are counted in the database (the `rate_limits` table), so they are shared by every instance on it and survive restarts. When Redis is unreachable, starting a reset uses tighter in-process limits and checking a code answers 503 until it is back.',
    secret: true,
    example: 'redis://127.0.0.1:6379/0',
  }),
  redis_key_prefix: spec({
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits and _ . : - only (at most 64)')
      .default('sspr'),
    description: 'Prefix of every Redis key sspr writes (lets several deployments share one Redis).',
  }),
  verify_limit_per_ip: spec({
    schema: z.coerce.number().int().min(1).max(1_000_000).default(300),
    description:
      'Security codes one client IP address may submit per 10 minutes, counted across all instances (each code also dies after 5 wrong entries). With Redis configured and unreachable, code checks answer 503 rather than go uncounted.',
  }),
  purge_interval_ms: spec({
    schema: ms(0, 86_400_000, 600_000),
    unit: 'ms',
    description:
      'How often `sspr serve` deletes expired data (flows, codes, sent messages, sessions, old failure records) in small batches; 0 turns it off (run `sspr purge` instead). With several instances, one purges at a time.',
  }),
  retention_ms: spec({
    schema: ms(86_400_000, 3_650 * 86_400_000, 7 * 86_400_000),
    unit: 'ms',
    description:
      'How long finished reset flows (with their codes) and delivered, failed or expired messages are kept for support questions before the purge deletes them. Audit events have their own retention (`audit_retention_ms`).',
  }),
  audit_retention_ms: spec({
    schema: ms(0, 36_500 * 86_400_000, 0),
    unit: 'ms',
    description:
      "How long audit events are kept; 0 (the default) keeps them for ever. Older events leave the start of each tenant's hash chain in the purge, which leaves a checkpoint signed with a key from the keyring so `sspr audit verify` still checks what remains.",
  }),
} as const;

export type ConfigKey = keyof typeof configSchema;
type Out<K extends ConfigKey> = z.output<(typeof configSchema)[K]['schema']>;

/** The resolved, frozen configuration. Computed fields are filled in by `loadConfig`. */
export type Config = { readonly [K in ConfigKey]: Out<K> } & {
  readonly production: boolean;
  readonly public_url: string;
  readonly database_url: string;
  readonly sms_provider: 'dev' | 'twilio' | 'webhook' | 'none';
};

export const envName = (key: string): string => `SSPR_${key.toUpperCase()}`;
