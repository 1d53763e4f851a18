import { rmSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/compose.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { loadConfig } from '../../src/config/load.ts';
import { setupDemo, type DemoOutcome } from '../../src/service/demo.ts';
import { copyMigratedSqlite } from './databases.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { Random } from '../../src/ports/random.ts';
import type { ComposedApp as App } from '../../src/compose.ts';

export interface TestApp {
  readonly app: App;
  /** The temp folder holding the SQLite file and the generated secret key. */
  readonly dataDir: string;
  /** Closes the App (idempotent) and removes the temp folder. */
  cleanup(): Promise<void>;
}

export interface TestAppOptions {
  /** A logger of your own, e.g. `createLogger(config, stream)` to capture log lines. */
  readonly logger?: Logger;
  /** Start the outbox worker (default false: tests drive it themselves). */
  readonly startWorker?: boolean;
  /** The App's clock (default the system clock): a `ManualClock` moves lifetimes and windows without waiting. */
  readonly clock?: Clock;
  /** The App's randomness (default crypto's): `sequenceRandom()` draws codes that never collide by chance. */
  readonly random?: Random;
  /**
   * The help desk's caller verification gate (default false here: the tests written before it
   * exercise the sensitive actions themselves; the caller verification tests pass true).
   */
  readonly callerVerification?: boolean;
  /** Sees each statement the store sends (round trips on PostgreSQL). */
  readonly onQuery?: (sql: string) => void;
  /**
   * SQLite: start from a copy of this folder's `sspr.db` and `secret.key` (those of a closed App,
   * e.g. one with the demo directory set up) instead of a freshly migrated database.
   */
  readonly seedDir?: string;
}

/**
 * A real App (SQLite file in a fresh temp folder, migrated, dev outbox, silent logs) for HTTP and
 * service tests. `overrides` are `SSPR_*` variables, e.g. `{ SSPR_PUBLIC_URL: 'https://x.test' }`;
 * nothing is read from the real environment.
 */
export async function createTestApp(
  overrides: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-app-'));
  let app: App | undefined;
  try {
    const config = loadConfig({ env: { SSPR_DATA_DIR: dataDir, SSPR_LOG_LEVEL: 'silent', ...overrides } });
    // SQLite: start from a migrated copy (migrate() below then applies nothing)
    if (options.seedDir !== undefined) {
      for (const file of ['sspr.db', 'secret.key'])
        await copyFile(path.join(options.seedDir, file), path.join(dataDir, file));
    } else if (overrides.SSPR_DATABASE_URL === undefined) await copyMigratedSqlite(path.join(dataDir, 'sspr.db'));
    app = await createApp(config, {
      logger: options.logger,
      startWorker: options.startWorker ?? false,
      clock: options.clock,
      random: options.random,
      callerVerification: options.callerVerification ?? false,
      ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    });
    await app.migrate();
  } catch (error) {
    await app?.close();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const ready = app;
  let closed = false;
  return {
    app: ready,
    dataDir,
    async cleanup() {
      if (!closed) {
        closed = true;
        await ready.close();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface DemoSeed {
  /** A closed App's folder (its `sspr.db` and `secret.key`): pass it as `seedDir`. */
  readonly dir: string;
  /** What setupDemo told. */
  readonly demo: DemoOutcome;
}

const demoSeeds = new Map<string, Promise<DemoSeed>>();

/**
 * The demo directory as `setupDemo(…, actor)` leaves it on an App with these settings (its notices
 * delivered when `deliver`), set up once per process: a kit that copies it (`seedDir`) saves the
 * ~25 ms of CPU of setting it up. Undefined, so the caller sets it up itself, for an App with its own
 * clock or randomness (the demo's times and passwords come from them), one that watches its
 * statements or logs or serves its metrics (which count the demo's messages in memory), PostgreSQL
 * and Redis.
 */
export async function demoSeed(
  settings: Record<string, string>,
  options: TestAppOptions,
  actor: string,
  deliver = false,
): Promise<DemoSeed | undefined> {
  if (
    options.clock ||
    options.random ||
    options.onQuery ||
    options.logger ||
    settings.SSPR_DATABASE_URL ||
    settings.SSPR_REDIS_URL ||
    settings.SSPR_METRICS_TOKEN
  )
    return undefined;
  const key = JSON.stringify([Object.entries(settings).sort(), actor, deliver]);
  let seed = demoSeeds.get(key);
  if (!seed) {
    seed = (async () => {
      const t = await createTestApp(settings);
      try {
        const demo = await setupDemo(t.app.directory, t.app.random, actor);
        if (deliver) for (let i = 0; i < 20; i++) if ((await t.app.outbox.runOnce()) === 0) break;
        await t.app.close(); // the last connection: the WAL is checkpointed into the file
        process.once('exit', () => rmSync(t.dataDir, { recursive: true, force: true }));
        return { dir: t.dataDir, demo };
      } catch (error) {
        await t.cleanup();
        throw error;
      }
    })();
    demoSeeds.set(key, seed);
  }
  return seed;
}

/**
 * Crypto randomness except `intBelow`, which draws distinct numbers in sequence: two codes of one
 * App never collide by chance, so a test can show that one code does not open another's flow.
 */
export function sequenceRandom(): Random {
  let n = 0;
  return { ...cryptoRandom, intBelow: (bound) => (123_457 * ++n) % bound };
}
