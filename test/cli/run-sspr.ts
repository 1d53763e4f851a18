import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';

/** Runs the real `sspr` command (`node bin/sspr.js …`) as a child process, as an operator would. */
export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/sspr.js');

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Extra environment; the base is a clean one (no inherited SSPR_* variables). */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to standard input, which is then closed (closed empty when absent). */
  readonly input?: string;
  readonly timeoutMs?: number;
}

export function baseEnv(dataDir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.tmpdir(),
    NODE_ENV: 'test',
    SSPR_DATA_DIR: dataDir,
    SSPR_LOG_LEVEL: 'silent',
  };
}

export function spawnSspr(dataDir: string, args: readonly string[], options: RunOptions = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...baseEnv(dataDir), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function sspr(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const child = spawnSspr(dataDir, args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`sspr ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`),
      );
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Asserts the exit code, showing the output when it differs. */
export function assertExit(r: Run, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}, expected ${code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

/** A refused command: exit 1, exactly one line on stderr naming the error code, nothing on stdout. */
export function assertRefused(r: Run, errorCode: string, what: string): string {
  assertExit(r, 1, what);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^error: .+\\(${errorCode}\\)$`), what);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  return lines[0]!;
}

export function tempDataDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Every row of every table of the SQLite database in the data dir: two equal fingerprints mean
 * the commands in between changed nothing at all (no account, method, outbox message or audit event).
 */
export function dbFingerprint(dataDir: string): string {
  const file = path.join(dataDir, 'sspr.db');
  if (!existsSync(file)) return '(no database)';
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' order by name")
      .pluck()
      .all() as string[];
    const dump: Record<string, unknown[]> = {};
    for (const t of tables) {
      dump[t] = db
        .prepare(`select * from "${t}"`)
        .all()
        .map((row) => JSON.stringify(row))
        .sort();
    }
    return JSON.stringify(dump);
  } finally {
    db.close();
  }
}

/** Runs `tasks` at most `limit` at a time (each is a child process: keep the machine responsive). */
export async function inBatches<T extends readonly (() => Promise<unknown>)[]>(
  limit: number,
  tasks: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const results: unknown[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results as { -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> };
}

/** Polls `probe` every 100 ms until it returns a value; fails after `timeoutMs`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A started `sspr serve`: its output so far, its address once it listens, and a stop by SIGTERM. */
export interface Serving {
  stdout(): string;
  stderr(): string;
  /** The `http://127.0.0.1:<port>` of the listening line, once the whole banner is out (fails if serve exits first). */
  listening(timeoutMs?: number): Promise<string>;
  /** SIGTERM, then the exit (SIGKILL and a failure after 10 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function watchServe(child: ChildProcess): Serving {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin!.end();
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    listening: (timeoutMs = 30_000) =>
      until('the listening line', timeoutMs, async () => {
        if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}\n${stdout}\n${stderr}`);
        const m = /sspr is listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (!m) return undefined;
        // the whole banner, not its first chunk: a pipe may deliver the listening line before the lines after it
        const lineStart = stdout.lastIndexOf('\n', m.index) + 1;
        const json = stdout[lineStart] === '{';
        const complete = json ? stdout.indexOf('\n', m.index) !== -1 : /^Stop with Ctrl\+C\.$/m.test(stdout);
        return complete ? m[1] : undefined;
      }),
    async stop() {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const [code, signal] = await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`serve did not stop within 10 s of SIGTERM\n${stderr}`));
          }, 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      return { code, signal };
    },
  };
}
