/**
 * Server CPU per junk answer, kind by kind (issue 14: a junk start must cost as little as possible
 * before it touches the database). Starts the production build on SQLite with the flood's settings
 * (default per-IP limits, the generator trusted as the proxy), then runs the flood generator
 * (bench/flood-client.ts) with one kind of junk at a time and divides the server's CPU time
 * (user + system, from /proc) by the answers; last, valid proofs for unknown logins from four
 * addresses, which the per-IP limit refuses past their first 30 starts. CPU time, not answers per second: it holds on a
 * shared machine.
 *
 *   node --import tsx bench/junk-cost.ts [seconds per kind = 5] [connections = 20] [kinds, comma-separated]
 *
 * BENCH_PROFILE=1 writes the server's V8 CPU profile to bench/profiles/ (bench/profile-summary.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { processCpuMs, startSmtpSink } from './bench-kit.ts';
import type { FloodLoad } from './flood-client.ts';
import { ssprSetup, startSspr, type BenchOptions } from './sspr-target.ts';

// flood-client.ts's kinds (importing that module would run the generator here)
const JUNK_KINDS = ['missing proof', 'wrong proof', 'replayed proof', 'unknown login'] as const;
/** Valid proofs for unknown logins from 4 addresses only: past their first 30 starts, the per-IP limit refuses. */
const LIMITED = 'over the per-IP limit';
const seconds = Number(process.argv[2] ?? '5');
const connections = Number(process.argv[3] ?? '20');
const root = path.resolve(import.meta.dirname, '..');
const log = (line: string): void => void process.stdout.write(`${line}\n`);
const o: BenchOptions = {
  root,
  durationS: seconds,
  connections,
  ttcRate: 0,
  captchaPool: 0,
  accounts: 0,
  nodeFlags:
    process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'profiles')}`] : [],
  log,
};

function generate(url: string, masterKey: Buffer, what: string): Promise<FloodLoad> {
  const kind = what === LIMITED ? 'unknown login' : what;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/flood-client.ts'], {
    cwd: root,
    env: {
      ...process.env,
      FLOOD_URL: url,
      FLOOD_MODE: 'junk',
      FLOOD_ONLY: kind,
      FLOOD_DURATION_S: String(seconds),
      FLOOD_CONNECTIONS: String(connections),
      FLOOD_CLIENTS: what === LIMITED ? '4' : '1000',
      FLOOD_PROOFS: kind === 'unknown login' || kind === 'replayed proof' ? String(1500 * seconds) : '0',
      FLOOD_MASTER_KEY: masterKey.toString('base64'),
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') child.stdin.end('go\n');
      else if (line.startsWith('result ')) resolve(JSON.parse(line.slice(7)) as FloodLoad);
    });
    child.once('exit', (code) => reject(new Error(`generator exited (${code})`)));
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-junk-'));
const sink = await startSmtpSink();
try {
  const setup = await ssprSetup({ dataDir: dir }, sink.url, {
    SSPR_START_LIMIT_PER_IP: undefined,
    SSPR_VERIFY_LIMIT_PER_IP: undefined,
    SSPR_TRUST_PROXY: '127.0.0.1',
  });
  const server = await startSspr(o, 'sspr (junk cost)', setup);
  try {
    const kinds = process.argv[4] ? process.argv[4].split(',') : [...JUNK_KINDS, LIMITED];
    for (const kind of kinds) {
      const cpu0 = processCpuMs(server.pid);
      const load = await generate(server.url, setup.masterKey, kind);
      const cpuMs = processCpuMs(server.pid) - cpu0;
      const k = load.kinds[kind === LIMITED ? 'unknown login' : kind];
      log(
        `${kind.padEnd(15)} ${(cpuMs / Math.max(1, load.answeredTotal)).toFixed(3)} ms CPU/answer, ` +
          `${load.perSecond.toFixed(0)} answers/s, statuses ${JSON.stringify(k?.statuses ?? {})}`,
      );
    }
  } finally {
    await server.stop();
  }
} finally {
  await sink.close();
  rmSync(dir, { recursive: true, force: true });
}
