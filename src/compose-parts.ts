import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Config } from './config/schema.ts';
import type { Logger } from './ports/logger.ts';
import type { Keyring } from './ports/keyring.ts';
import type { BackoffPolicy } from './core/outbox-policy.ts';
import { HkdfKeyring } from './adapters/crypto/keyring.ts';
import { LOG_REDACT_PATHS } from './http/log-redaction.ts';
import { prettyDestination } from './adapters/pretty-log.ts';

/*
 * The parts of the composition root that the outbox thread (src/outbox-thread-main.ts) wires
 * too: the logger, the keyring and the outbox worker's settings, from the same configuration.
 */

/**
 * The logger: pino with the redaction paths, writing to `destination` (default stdout). JSON lines,
 * except when `config.production` is false (development): then one readable line per event
 * (`prettyDestination`). Without `production` (tests capturing lines) it is JSON.
 */
export function createLogger(
  config: Pick<Config, 'log_level'> & Partial<Pick<Config, 'production'>>,
  destination?: NodeJS.WritableStream,
): Logger {
  const options = { level: config.log_level, redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' } };
  if (config.production === false) return pino(options, prettyDestination(destination ?? process.stdout));
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The master key: from configuration, or (development only) generated once into
 * `<data_dir>/secret.key` with mode 0600 so that restarts keep codes and sessions valid.
 */
export function resolveMasterKey(config: Config): Uint8Array {
  if (config.secret_key) return Buffer.from(config.secret_key, 'base64');
  if (config.production) throw new Error('SSPR_SECRET_KEY is required in production');
  const file = path.join(config.data_dir, 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(config.data_dir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

/** The outbox retry policy from configuration: time horizons (codes until they expire, notices for `outbox_notice_horizon_ms`). */
export function outboxPolicy(
  config: Pick<
    Config,
    'outbox_backoff_base_ms' | 'outbox_backoff_max_ms' | 'outbox_max_attempts' | 'outbox_notice_horizon_ms'
  >,
): BackoffPolicy {
  return {
    baseMs: config.outbox_backoff_base_ms,
    maxMs: config.outbox_backoff_max_ms,
    noticeHorizonMs: config.outbox_notice_horizon_ms,
    maxAttempts: config.outbox_max_attempts,
  };
}

/**
 * What an OutboxWorker takes from configuration, the same in process and on the outbox thread:
 * the retry policy, the poll and claim times, and the public URL (a tenant with its own address
 * gets its emails' links there).
 */
export function outboxSettings(config: Config): {
  readonly policy: BackoffPolicy;
  readonly pollMs: number;
  readonly claimMs: number;
  readonly publicUrl: string;
} {
  return {
    policy: outboxPolicy(config),
    pollMs: config.outbox_poll_ms,
    claimMs: config.outbox_claim_ms,
    publicUrl: config.public_url,
  };
}

/** The keyring: the master key, and the previous ones (`secret_key_previous`) still accepted. */
export function keyringFrom(config: Config): Keyring {
  const previousKeys = (config.secret_key_previous ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0)
    .map((k) => Buffer.from(k, 'base64'));
  return new HkdfKeyring(resolveMasterKey(config), previousKeys);
}
