/**
 * `npm run bench`: load benchmarks of sspr (SQLite; PostgreSQL + Redis) against Better Auth and
 * two ceilings, on loopback, bounded in time, written to bench/RESULTS.md. Not part of `npm test`.
 *
 * Knobs (environment): BENCH_DURATION seconds per run (10), BENCH_CONNECTIONS (50),
 * BENCH_TTC_RATE resets/s for time to code (200), BENCH_CAPTCHAS solutions per start run (15000),
 * BENCH_ONLY=baseline,sqlite,postgres,better-auth,enumeration,workers,delivery,flood (a subset; the report then goes to
 * bench/results/partial.md; `enumeration` alone times 1,000 interleaved starts per class of login
 * on SQLite and PostgreSQL + Redis; `workers` times starts with `serve --workers 1` and `2` on
 * PostgreSQL + Redis; `delivery` drains a queue of BENCH_DELIVERY_MESSAGES emails (20000) with one instance on
 * SQLite and on PostgreSQL + Redis; `flood` runs the bare-Fastify ceiling, then junk starts beside honest resets on SQLite and on
 * PostgreSQL + Redis), BENCH_FLOOD_DURATION seconds of flood (30), BENCH_FLOOD_CONNECTIONS (100), BENCH_FLOOD_CLIENTS
 * client addresses (1000), BENCH_FLOOD_HONEST_RATE honest resets/s (20), BENCH_FLOOD_PROOFS valid CAPTCHA proofs
 * for the junk (400 per second of flood), BENCH_FLOOD_ON=sqlite,postgres (the backends it floods), BENCH_ENUMERATION_ROUNDS (1000), BENCH_PROFILE=1 (servers run with --cpu-prof into bench/profiles/),
 * BENCH_PG_SOCKET=/var/run/postgresql (sspr reaches PostgreSQL through its Unix socket),
 * BENCH_SSPR_ROWS=start-existing (each sspr target runs its start (existing) row only: a quick
 * before/after, e.g. `BENCH_ONLY=postgres BENCH_SSPR_ROWS=start-existing BENCH_DURATION=5 BENCH_CAPTCHAS=3000`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { argon2Hasher } from '../src/adapters/crypto/argon2-hasher.ts';
import {
  closedLoop,
  withDatabaseCpu,
  QUIET_THRESHOLD,
  QUIET_WAIT_MS,
  startChild,
  startSmtpSink,
  type LoadResult,
} from './bench-kit.ts';
import { benchSspr, type BenchOptions, type TargetResult } from './sspr-target.ts';
import { benchBetterAuth } from './better-auth-target.ts';
import { benchEnumeration, type EnumerationResult } from './enumeration-target.ts';
import { benchWorkers, workersSection, type WorkersResult } from './workers-target.ts';
import { benchDelivery, deliverySection, type DeliveryResult } from './delivery-target.ts';
import { benchFlood, floodCeiling, floodSection, type FloodOptions, type FloodResult } from './flood-target.ts';
import type { FloodLoad } from './flood-client.ts';

const root = path.resolve(import.meta.dirname, '..');
const env = process.env;
const only = new Set(
  (env.BENCH_ONLY ?? 'baseline,sqlite,postgres,better-auth,enumeration,workers,delivery,flood')
    .split(',')
    .map((s) => s.trim()),
);
const enumerationRounds = Number(env.BENCH_ENUMERATION_ROUNDS ?? '1000');
const deliveryMessages = Number(env.BENCH_DELIVERY_MESSAGES ?? '20000');
const full = env.BENCH_ONLY === undefined;
const floodDurationS = Number(env.BENCH_FLOOD_DURATION ?? '30');
const flood: FloodOptions = {
  durationS: floodDurationS,
  connections: Number(env.BENCH_FLOOD_CONNECTIONS ?? '100'),
  clients: Number(env.BENCH_FLOOD_CLIENTS ?? '1000'),
  honestRate: Number(env.BENCH_FLOOD_HONEST_RATE ?? '20'),
  proofs: Number(env.BENCH_FLOOD_PROOFS ?? String(400 * floodDurationS)),
};
const durationS = Number(env.BENCH_DURATION ?? '10');
const connections = Number(env.BENCH_CONNECTIONS ?? '50');
const ttcRate = Number(env.BENCH_TTC_RATE ?? '200');
const captchas = Number(env.BENCH_CAPTCHAS ?? '15000');
const profileDir = path.join(root, 'bench', 'profiles');
const nodeFlags = env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
const started = Date.now();
const log = (line: string): void => {
  process.stdout.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
};

const options: BenchOptions = {
  root,
  durationS,
  connections,
  ttcRate,
  captchaPool: captchas,
  // every start run and the time-to-code run use accounts of their own
  accounts: captchas + Math.round(ttcRate * durationS) + 1_000,
  nodeFlags,
  log,
};

interface Argon2Bound {
  readonly cores: number;
  readonly msPerHash: number;
  /** cores ÷ time per hash */
  readonly boundPerSecond: number;
  /** hashes/s measured with `cores` hashes in flight */
  readonly measuredPerSecond: number;
}

async function argon2Bound(): Promise<Argon2Bound> {
  const cores = os.availableParallelism();
  for (let i = 0; i < 3; i++) await argon2Hasher.hash('warm up the hasher');
  const n = 30;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await argon2Hasher.hash(`password number ${i} for timing`);
  const msPerHash = (performance.now() - t0) / n;
  let done = 0;
  const until = performance.now() + 3_000;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: cores }, async () => {
      while (performance.now() < until) {
        await argon2Hasher.hash('concurrent hashing of one password');
        done++;
      }
    }),
  );
  return {
    cores,
    msPerHash,
    boundPerSecond: (cores * 1000) / msPerHash,
    measuredPerSecond: done / ((performance.now() - t1) / 1000),
  };
}

interface Baselines {
  readonly bare: LoadResult;
  readonly insert: LoadResult;
  readonly peakRssMb: number;
}

async function baselines(dir: string): Promise<Baselines> {
  const server = await startChild(
    'baseline',
    [...nodeFlags, '--import', 'tsx', 'bench/baseline-server.ts'],
    { ...env, BASE_DB: path.join(dir, 'baseline.db') },
    { cwd: root },
  );
  try {
    const bare = await closedLoop<null>({
      name: 'bare Fastify handler',
      url: server.url,
      pid: server.pid,
      method: 'GET',
      path: '/bare',
      connections,
      durationS,
      items: Infinity,
      next: () => ({ body: undefined, tag: null }),
      expectStatus: 200,
    });
    log(`baseline: bare Fastify ${bare.rps.toFixed(0)} req/s`);
    let n = 0;
    const insert = await closedLoop<null>({
      name: 'one SQLite insert',
      url: server.url,
      pid: server.pid,
      path: '/insert',
      connections,
      durationS,
      items: Infinity,
      next: () => ({ body: { n: n++ }, tag: null }),
      expectStatus: 200,
    });
    log(`baseline: one SQLite insert ${insert.rps.toFixed(0)} req/s`);
    return { bare, insert, peakRssMb: server.peakRssMb() };
  } finally {
    await server.stop();
  }
}

const adminUrl = 'postgres://postgres@127.0.0.1:5432/postgres';

async function withPostgres<T>(run: (databaseUrl: string) => Promise<T>): Promise<T> {
  const name = `sspr_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      // BENCH_PG_SOCKET=/var/run/postgresql: sspr reaches PostgreSQL through its Unix socket instead of TCP
      const socket = env.BENCH_PG_SOCKET;
      return await withDatabaseCpu(name, () =>
        run(
          socket
            ? `postgres://postgres@/${name}?host=${encodeURIComponent(socket)}`
            : `postgres://postgres@127.0.0.1:5432/${name}`,
        ),
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

function version(pkg: string): string {
  try {
    return (
      JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
    ).version;
  } catch {
    return '?';
  }
}

async function serverVersions(): Promise<{ postgres: string; redis: string }> {
  let postgres = '?';
  let redis = '?';
  try {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    postgres = String((await c.query('SHOW server_version')).rows[0]?.server_version ?? '?');
    await c.end();
  } catch {
    postgres = 'unreachable';
  }
  try {
    const r = new Redis('redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    redis = /redis_version:(\S+)/.exec(await r.info('server'))?.[1] ?? '?';
    r.disconnect();
  } catch {
    redis = 'unreachable';
  }
  return { postgres, redis };
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    });
    return dirty.trim() ? `${head} + uncommitted changes` : head;
  } catch {
    return '?';
  }
}

// ---- report ---------------------------------------------------------------------------------

const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const ratio = (a: number, b: number): string => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(1)}×` : '–');

function row(r: LoadResult, base?: LoadResult): string {
  const end = r.ended === 'items' ? ' (ran out of prepared items)' : '';
  return `| ${r.name} | ${f0(r.rps)} | ${f1(r.p50)} | ${f1(r.p99)} | ${r.ok} | ${r.failed} | ${f1(r.seconds)}${end} | ${f2(r.cpuMsPerOk)} | ${f0(100 * r.busyBefore)}% | ${base ? ratio(r.rps, base.rps) : ''} |`;
}

interface Target {
  readonly what: string;
  readonly target: string;
  readonly got: string;
  readonly met: boolean | null;
}

function targetsFor(t: TargetResult, ba: TargetResult | null, argon: Argon2Bound | null): Target[] {
  const out: Target[] = [];
  const baStart = ba?.startExisting.rps ?? 0;
  out.push({
    what: 'start reset throughput',
    target: '≥ 5× Better Auth request-password-reset',
    got: ba
      ? `${ratio(t.startExisting.rps, baStart)} (${f0(t.startExisting.rps)} vs ${f0(baStart)} req/s)`
      : 'no Better Auth run',
    met: ba ? t.startExisting.rps >= 5 * baStart : null,
  });
  out.push({
    what: `start reset p99 at ${t.startExisting.connections} connections`,
    target: '≤ 20 ms',
    got: `${f1(t.startExisting.p99)} ms`,
    met: t.startExisting.p99 <= 20,
  });
  const baVerify = ba?.verify.rps ?? 0;
  out.push({
    what: 'verify code throughput',
    target: '≥ 8× Better Auth check-verification-otp',
    got: ba ? `${ratio(t.verify.rps, baVerify)} (${f0(t.verify.rps)} vs ${f0(baVerify)} req/s)` : 'no Better Auth run',
    met: ba ? t.verify.rps >= 8 * baVerify : null,
  });
  out.push({
    what: 'set password throughput',
    target: '≥ 90% of the argon2id bound',
    got: argon
      ? `${f0((100 * t.setPassword.rps) / argon.boundPerSecond)}% (${f0(t.setPassword.rps)} of ${f0(argon.boundPerSecond)}/s)`
      : '–',
    met: argon ? t.setPassword.rps >= 0.9 * argon.boundPerSecond : null,
  });
  out.push({
    what: `time to code p99 at ${t.timeToCode.rate} resets/s`,
    target: '≤ 250 ms',
    got: `${f1(t.timeToCode.ttcP99)} ms`,
    met: t.timeToCode.ttcP99 <= 250,
  });
  out.push({ what: 'peak RSS', target: '≤ 200 MB', got: `${f0(t.peakRssMb)} MiB`, met: t.peakRssMb <= 200 });
  return out;
}

function report(data: {
  readonly command: string;
  readonly machine: Record<string, string>;
  readonly versions: Record<string, string>;
  readonly argon: Argon2Bound | null;
  readonly base: Baselines | null;
  readonly targets: readonly TargetResult[];
  readonly ba: TargetResult | null;
  readonly enumeration: readonly EnumerationResult[];
  readonly seconds: number;
}): string {
  const L: string[] = [];
  L.push('# Benchmark results', '');
  L.push(
    `Produced by \`${data.command}\` on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC in ${f0(data.seconds)} s. ` +
      'Regenerate with the same command; do not edit by hand.',
    '',
  );
  L.push('## Machine and versions', '');
  for (const [k, v] of Object.entries(data.machine)) L.push(`- ${k}: ${v}`);
  L.push(
    `- versions: ${Object.entries(data.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
  );
  L.push('## How it is measured', '');
  L.push(
    `- Every server is a child process on 127.0.0.1, driven by autocannon (closed loop: ${connections} connections, pipelining 1, ` +
      `at most ${durationS} s per run) from the benchmark process on the same machine, which shares the cores with it. ` +
      'req/s counts answers with the expected status only; p50/p99 are autocannon latencies in ms. ' +
      '"server CPU ms/req" is the CPU time (user + system, every thread, from /proc/<pid>/stat) the server used during the run divided by the successful requests: ' +
      'it includes the emails the server sent meanwhile and is far less sensitive to other load on the machine than req/s.',
    '- sspr runs as `node dist/sspr.mjs serve` (the production build) with NODE_ENV=production, log level `warn`, a real SMTP listener (smtp-server, in the benchmark process), ' +
      '`SSPR_START_LIMIT_PER_IP` and `SSPR_VERIFY_LIMIT_PER_IP` at 1,000,000 (so the per-IP limits count but never refuse) and `SSPR_CAPTCHA_MAX_NUMBER=1000`.',
    "- CAPTCHA: each start carries a pre-solved ALTCHA payload (challenges signed with the server's keys, counter known). " +
      'The client-side proof-of-work cost is excluded; the server-side check (signature, derived key, single-use record in the database) is included.',
    '- start reset (existing): one distinct seeded account per request, each with a verified alternate email, so every request queues a real code email. ' +
      'Verify code uses the flows and codes (read at the SMTP listener) of that run, one flow per request; set new password uses the flows verify passed. ' +
      'A run that ends with "ran out of prepared items" used every flow before its time was up.',
    "- start reset (unknown): logins of the seeded tenant's domain that match no account.",
    `- time to code: an open-loop load of ${ttcRate} starts/s for ${durationS} s (fresh accounts), from the moment the request leaves the client ` +
      'to the moment the SMTP listener accepts the email (end of DATA).',
    '- Better Auth: `better-auth` email-OTP plugin (request-password-reset, check-verification-otp, reset-password) on SQLite through better-sqlite3 ' +
      '(WAL, same pragmas as sspr), rate limiter off, telemetry off, other options at their defaults (OTP stored in plain text, scrypt password hash); ' +
      'its `sendVerificationOTP` hook sends through nodemailer (pool of 4, like sspr) to the same SMTP listener without awaiting it. ' +
      'Its reset-password checks the OTP and sets the password in one call, so "verify" is check-verification-otp and "set password" is reset-password.',
    '- Ceilings: a bare Fastify handler, and one better-sqlite3 insert per request (same pragmas), each as a child process.',
    "- argon2id bound: cores ÷ time per hash, with sspr's parameters (m = 19 MiB, t = 2, p = 1), measured in the benchmark process before the servers run.",
    '- Peak RSS: VmHWM of each server process from /proc/<pid>/status, read before it stops.',
    `- Before each run the benchmark waits (up to ${QUIET_WAIT_MS / 1000} s) until less than ${f0(100 * QUIET_THRESHOLD)}% of the cores are busy; ` +
      '"busy before" is the share it last measured (other processes on the machine, or the server still sending the previous run\'s emails). ' +
      'A high value means the run shared the machine and its numbers are low.',
    '',
  );

  if (data.argon || data.base) {
    L.push('## Ceilings', '');
    L.push(
      '| run | req/s | p50 ms | p99 ms | ok | failed | seconds | server CPU ms/req | busy before | |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    if (data.base) L.push(row(data.base.bare), row(data.base.insert));
    L.push('');
    if (data.base) L.push(`Peak RSS of the ceiling server: ${f0(data.base.peakRssMb)} MiB.`, '');
    if (data.argon)
      L.push(
        `argon2id: ${f1(data.argon.msPerHash)} ms per hash on one thread; bound ${data.argon.cores} cores ÷ ${f1(data.argon.msPerHash)} ms = ` +
          `**${f0(data.argon.boundPerSecond)} hashes/s**; measured with ${data.argon.cores} hashes in flight: ${f0(data.argon.measuredPerSecond)} hashes/s.`,
        '',
      );
  }

  const all = [...data.targets, ...(data.ba ? [data.ba] : [])];
  for (const t of all) {
    const isBa = t === data.ba;
    L.push(`## ${t.label}`, '');
    L.push(
      `| run | req/s | p50 ms | p99 ms | ok | failed | seconds | server CPU ms/req | busy before | ${isBa ? '' : 'vs Better Auth'} |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    const ba = isBa ? undefined : (data.ba ?? undefined);
    L.push(
      row(t.startExisting, ba?.startExisting),
      row(t.startUnknown, ba?.startUnknown),
      row(t.verify, ba?.verify),
      row(t.setPassword, ba?.setPassword),
    );
    L.push('');
    const c = t.timeToCode;
    L.push(
      `Time to code at ${c.rate} resets/s: p50 **${f1(c.ttcP50)} ms**, p99 **${f1(c.ttcP99)} ms**, max ${f1(c.ttcMax)} ms ` +
        `(${c.received} of ${c.sent} emails; HTTP answers p50 ${f1(c.p50)} ms, p99 ${f1(c.p99)} ms; ` +
        (c.serverMeanAgeMs !== undefined
          ? `mean queued-to-sent as the server counts it ${f1(c.serverMeanAgeMs)} ms; `
          : '') +
        `server CPU ${f1(c.cpuMsPerOk)} ms per start with its email; ${f0(100 * c.busyBefore)}% busy before)` +
        (ba ? `; Better Auth p99 ${f1(ba.timeToCode.ttcP99)} ms.` : '.'),
      '',
    );
    L.push(
      `Peak RSS of the server: **${f0(t.peakRssMb)} MiB**.${t.seedSeconds > 0 ? ` Seeding took ${f1(t.seedSeconds)} s.` : ''}`,
      '',
    );
    for (const n of t.notes) L.push(`- note: ${n}`);
    if (t.notes.length > 0) L.push('');
  }

  if (data.enumeration.length > 0) {
    L.push('## Enumeration timing', '');
    L.push(
      'A reset start for each class of login, one request at a time through the JSON API of the production build, ' +
        'the classes in a fresh (seeded) random order every round, after warm-up rounds that are not counted; ' +
        'each start carries a pre-solved CAPTCHA and a distinct login of its class (the accounts over their sending limit: ' +
        `100 accounts started ten times each beforehand). Times are client-side, request sent to answer read, in ms; ` +
        'Δ is the difference from an existing account. The emails of the existing and blocked classes go out meanwhile ' +
        '(the outbox worker runs in the same process), as they would for an attacker. ' +
        'The deterministic check — the same statements, in the same order, for every class — is `test/attack/enumeration.test.ts`.',
      '',
    );
    for (const e of data.enumeration) {
      L.push(`### ${e.label}: ${e.rounds} interleaved starts per class (${e.warmup} warm-up rounds)`, '');
      L.push('| class | n | median ms | p90 ms | Δ median ms | Δ p90 ms | failed |');
      L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
      const ref = e.classes.find((c) => c.name === 'existing');
      for (const c of e.classes) {
        const dm = ref ? c.median - ref.median : Number.NaN;
        const dp = ref ? c.p90 - ref.p90 : Number.NaN;
        const sign = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
        L.push(
          `| ${c.name} | ${c.n} | ${c.median.toFixed(3)} | ${c.p90.toFixed(3)} | ${sign(dm)} | ${sign(dp)} | ${c.failed} |`,
        );
      }
      L.push('');
      for (const n of e.notes) L.push(`- note: ${n}`);
      if (e.notes.length > 0) L.push('');
    }
  }

  if (data.targets.length > 0) {
    L.push('## Targets', '');
    L.push('| backend | what | target | result | met |', '| --- | --- | --- | --- | --- |');
    for (const t of data.targets)
      for (const x of targetsFor(t, data.ba, data.argon))
        L.push(
          `| ${t.label} | ${x.what} | ${x.target} | ${x.got} | ${x.met === null ? '–' : x.met ? 'yes' : '**no**'} |`,
        );
    L.push('');
  }
  return L.join('\n');
}

// ---- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-bench-'));
  if (nodeFlags.length > 0) mkdirSync(profileDir, { recursive: true });
  const sink = await startSmtpSink();
  const targets: TargetResult[] = [];
  let ba: TargetResult | null = null;
  let argon: Argon2Bound | null = null;
  let base: Baselines | null = null;
  const enumeration: EnumerationResult[] = [];
  let workers: WorkersResult[] = [];
  const delivery: DeliveryResult[] = [];
  const floods: FloodResult[] = [];
  let floodBare: FloodLoad | null = null;
  try {
    if (only.has('baseline')) {
      argon = await argon2Bound();
      log(`argon2id: ${argon.msPerHash.toFixed(1)} ms/hash, bound ${argon.boundPerSecond.toFixed(0)}/s`);
      base = await baselines(dir);
    }
    if (only.has('sqlite'))
      targets.push(await benchSspr('sspr (SQLite)', options, sink, { dataDir: path.join(dir, 'sqlite') }));
    if (only.has('better-auth')) ba = await benchBetterAuth(options, sink, path.join(dir, 'better-auth.db'));
    if (only.has('postgres'))
      targets.push(
        await withPostgres((databaseUrl) =>
          benchSspr('sspr (PostgreSQL + Redis)', options, sink, {
            dataDir: path.join(dir, 'postgres'),
            databaseUrl,
            redisUrl: 'redis://127.0.0.1:6379/0',
          }),
        ),
      );
    if (only.has('enumeration')) {
      enumeration.push(
        await benchEnumeration(
          'sspr (SQLite)',
          options,
          sink,
          { dataDir: path.join(dir, 'enumeration-sqlite') },
          enumerationRounds,
        ),
      );
      enumeration.push(
        await withPostgres((databaseUrl) =>
          benchEnumeration(
            'sspr (PostgreSQL + Redis)',
            options,
            sink,
            { dataDir: path.join(dir, 'enumeration-postgres'), databaseUrl, redisUrl: 'redis://127.0.0.1:6379/0' },
            enumerationRounds,
          ),
        ),
      );
    }
    if (only.has('workers'))
      workers = await withPostgres((databaseUrl) =>
        benchWorkers(options, sink, {
          dataDir: path.join(dir, 'workers'),
          databaseUrl,
          redisUrl: 'redis://127.0.0.1:6379/0',
        }),
      );
    if (only.has('delivery')) {
      const d = (r: DeliveryResult): void =>
        log(`delivery (${r.label}): ${r.perSecond.toFixed(0)} emails/s, peak RSS ${r.peakRssMb.toFixed(0)} MiB`);
      const sqlite = await benchDelivery(
        'sspr (SQLite)',
        options,
        { dataDir: path.join(dir, 'delivery-sqlite') },
        deliveryMessages,
      );
      d(sqlite);
      delivery.push(sqlite);
      const postgres = await withPostgres((databaseUrl) =>
        benchDelivery(
          'sspr (PostgreSQL + Redis)',
          options,
          { dataDir: path.join(dir, 'delivery-postgres'), databaseUrl, redisUrl: 'redis://127.0.0.1:6379/0' },
          deliveryMessages,
        ),
      );
      d(postgres);
      delivery.push(postgres);
    }
    if (only.has('flood')) {
      const on = new Set((env.BENCH_FLOOD_ON ?? 'sqlite,postgres').split(',').map((s) => s.trim()));
      floodBare = await floodCeiling(options, flood);
      if (on.has('sqlite'))
        floods.push(
          await benchFlood('sspr (SQLite)', options, sink, { dataDir: path.join(dir, 'flood-sqlite') }, flood),
        );
      if (on.has('postgres'))
        floods.push(
          await withPostgres((databaseUrl) =>
            benchFlood(
              'sspr (PostgreSQL + Redis)',
              options,
              sink,
              { dataDir: path.join(dir, 'flood-postgres'), databaseUrl, redisUrl: 'redis://127.0.0.1:6379/0' },
              flood,
            ),
          ),
        );
    }
  } finally {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const servers = await serverVersions();
  const text = report({
    command: full ? 'npm run bench' : `BENCH_ONLY=${env.BENCH_ONLY} npm run bench`,
    machine: {
      cores: `${os.availableParallelism()} (${os.cpus()[0]?.model ?? '?'})`,
      memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      commit: gitCommit(),
    },
    versions: {
      sspr: version('../'),
      fastify: version('fastify'),
      'better-auth': version('better-auth'),
      'better-sqlite3': version('better-sqlite3'),
      pg: version('pg'),
      ioredis: version('ioredis'),
      '@node-rs/argon2': version('@node-rs/argon2'),
      autocannon: version('autocannon'),
      PostgreSQL: servers.postgres,
      Redis: servers.redis,
    },
    argon,
    base,
    targets,
    ba,
    enumeration,
    seconds: (Date.now() - started) / 1000,
  });
  // what bounds the numbers, written by hand after reading a run and its profiles
  const analysis = path.join(root, 'bench', 'analysis.md');
  const notes = existsSync(analysis) ? `\n${readFileSync(analysis, 'utf8')}` : '';
  const out = full ? path.join(root, 'bench', 'RESULTS.md') : path.join(root, 'bench', 'results', 'partial.md');
  mkdirSync(path.dirname(out), { recursive: true });
  // RESULTS.md formatted like the rest of the repository (oxfmt with .oxfmtrc.json), so the format
  // check in the test command passes
  writeFileSync(
    out,
    text + workersSection(workers) + deliverySection(delivery) + floodSection(floods, floodBare, flood) + '\n' + notes,
  );
  // (bench/results/ is not checked: the partial report stays as written)
  if (full) {
    const formatted = spawnSync(path.join(root, 'node_modules', '.bin', 'oxfmt'), [out], {
      cwd: root,
      encoding: 'utf8',
    });
    if (formatted.status !== 0) log(`oxfmt could not format ${out}: ${formatted.stderr || formatted.stdout}`);
  }
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench', 'results', full ? 'latest.json' : 'partial.json'),
    JSON.stringify(
      { argon, base, targets, ba, enumeration, workers, delivery, flood: { floodBare, floods } },
      null,
      2,
    ) + '\n',
  );
  log(`wrote ${path.relative(root, out)}`);
}

await main();
