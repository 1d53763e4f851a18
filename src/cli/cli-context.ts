import { ConfigError, loadConfig } from '../config/load.ts';
import type { Config, ConfigKey } from '../config/schema.ts';
import type { App } from '../service/app.ts';
import { CliFailure, EXIT_CONFIG } from './cli-failure.ts';

/** What a command may touch of the process: injectable, so nothing reads globals directly. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
}

export const print = (ctx: CliContext, line = ''): void => void ctx.stdout.write(line + '\n');
export const warn = (ctx: CliContext, line: string): void => void ctx.stderr.write(line + '\n');

/** Loads the configuration; every problem is reported at once and the exit code is 2. */
export function loadCliConfig(ctx: CliContext, overrides: Partial<Record<ConfigKey, string | number>> = {}): Config {
  try {
    return loadConfig({ env: ctx.env, overrides });
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new CliFailure(EXIT_CONFIG, [
        ...e.message.split('\n'),
        'Fix the settings above (environment variables or SSPR_CONFIG_FILE), then check with: sspr config check',
      ]);
    }
    throw e;
  }
}

/**
 * Runs a one-shot command against the database: loads the configuration, opens the app (no
 * message worker; logs to stderr so stdout stays clean for `--json`), migrates (idempotent), runs
 * `fn`, and closes everything so the process can exit.
 */
export async function withApp<T>(ctx: CliContext, fn: (app: App) => Promise<T>): Promise<T> {
  const config = loadCliConfig(ctx);
  const app = await openApp(config, ctx);
  try {
    await app.migrate();
    return await fn(app);
  } finally {
    await app.close();
  }
}

/**
 * Opens the app for a one-shot command: no message worker, logs on stderr. The composition root
 * (every adapter) is loaded only now, so `--help` and `config check` stay quick.
 */
export async function openApp(config: Config, ctx: CliContext): Promise<App> {
  const { createApp, createLogger } = await import('../compose.ts');
  return createApp(config, { logger: createLogger(config, ctx.stderr) });
}

/** The actor recorded in audit events for everything done through the CLI. */
export const CLI_ACTOR = 'cli';
