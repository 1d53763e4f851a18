import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { runCli } from '../../src/cli/run-cli.ts';

/**
 * Runs `sspr` commands as an operator would. One-shot commands run IN PROCESS through `runCli` (the
 * function `bin/sspr.js` calls: argv, environment, stdin, stdout and stderr are injected), so a test
 * pays no process start and no TypeScript compile per command. `serve`, which needs a process of its
 * own (signals, a listening socket, a clean exit), runs as a child: the production build
 * (`node <bundle>`), built once per test process.
 */
export const ROOT = path.resolve(import.meta.dirname, '../..');

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

/** A stream that keeps what is written to it (synchronously: `text` is complete once `write` returns). */
class Capture extends Writable {
  text = '';
  readonly isTTY = false;
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    done();
  }
}

/** The tail of the in-process commands: one runs at a time. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs one command line in this process and resolves with its exit code and output. Commands run
 * one at a time, in call order, as separate processes would if started one after the other: two at
 * once share one event loop, and one waiting synchronously for the other's SQLite lock would hold
 * the lock's owner still. Refuses a `serve` that starts listening (it would keep running here):
 * start a server with `spawnServe`.
 */
export function sspr(dataDir: string, args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const run = queue.then(() => runInProcess(dataDir, args, options));
  queue = run.catch(() => undefined);
  return run;
}

async function runInProcess(dataDir: string, args: readonly string[], options: RunOptions): Promise<Run> {
  const stdout = new Capture();
  const stderr = new Capture();
  const input = options.input ?? '';
  const stdin = Readable.from(input === '' ? [] : [Buffer.from(input, 'utf8')]);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    runCli(args, {
      env: { ...baseEnv(dataDir), ...options.env },
      // the CLI reads and writes streams only (isTTY false: no prompt); the casts stand for the process's streams
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: stdout as unknown as NodeJS.WriteStream,
      stderr: stderr as unknown as NodeJS.WriteStream,
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `sspr ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout.text}\nstderr: ${stderr.text}`,
            ),
          ),
        timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  if (args[0] === 'serve' && code === 0)
    throw new Error('sspr serve started listening in the test process: use spawnServe');
  return { code, signal: null, stdout: stdout.text, stderr: stderr.text };
}

let bundle: string | undefined;

/**
 * The production build (`scripts/build.mjs`) in a folder under dist/ (the bundle imports its npm
 * packages from the project's node_modules, found from there), built on first use and removed when
 * this process exits.
 */
export function builtBundle(): string {
  if (bundle) return bundle;
  const dist = path.join(ROOT, 'dist');
  mkdirSync(dist, { recursive: true });
  const outdir = mkdtempSync(path.join(dist, 'test-build-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--outdir', path.relative(ROOT, outdir)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(built.status, 0, `build exit ${built.status}\nstdout: ${built.stdout}\nstderr: ${built.stderr}`);
  bundle = path.join(outdir, 'sspr.mjs');
  return bundle;
}

/** Starts `node <bundle> serve …` (plain node, clean environment) and watches it. */
export function spawnServe(dataDir: string, args: readonly string[], options: RunOptions = {}): Serving {
  const child = spawn(process.execPath, [builtBundle(), 'serve', ...args], {
    cwd: ROOT,
    env: { ...baseEnv(dataDir), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return watchServe(child);
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

/**
 * Runs `tasks` one after the other and returns their results in order. The commands run in this
 * process and share one event loop: two at once on one SQLite file could wait on each other's lock.
 */
export async function inSequence<T extends readonly (() => Promise<unknown>)[]>(
  tasks: readonly [...T],
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const results: unknown[] = [];
  for (const task of tasks) results.push(await task());
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
