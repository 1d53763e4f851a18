/**
 * CPU per reset start on PostgreSQL + Redis, split by thread, after a warm-up: a quick
 * before/after of one change that a loaded machine disturbs less than the closed-loop rows of
 * `npm run bench` (which count the server's start-up JIT and its first connections in a 5 s row).
 *
 *   node --import tsx bench/start-cpu.ts [warm=800] [measured=2000] [connections=16]
 *
 * The production build (`node dist/sspr.mjs serve`) runs against a fresh database; `warm` starts
 * of existing accounts run first and their emails are delivered; then `measured` starts of
 * existing accounts, then as many of unknown logins. For each: the server's main thread (the
 * request path: HTTP, CAPTCHA, limiter, the start's statements), its other threads (the outbox
 * thread sending the emails, GC helpers, libuv's pool), both until every email of the run reached
 * the SMTP listener, and PostgreSQL's + Redis's CPU (bench-kit's dbCpuMeter), each per start, in ms.
 * BENCH_SSPR_FLAGS adds node flags to the server (e.g. `--cpu-prof --cpu-prof-dir=bench/profiles`).
 *
 * BENCH_COMPARE=<dir> (a second build, e.g. `node scripts/build.mjs --outdir dist-before` at the
 * commit before a change) runs that build too, on a database of its own, side by side with
 * dist/: each phase drives both at once with `connections` each, so both meet the same load
 * from the rest of the machine (a paired before/after on a shared machine).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { closedLoop, dbCpuMeter, startChild, startSmtpSink, withDatabaseCpu, type ChildServer } from './bench-kit.ts';
import {
  altDomainNow,
  API,
  buildOnce,
  captchaPool,
  seedAccounts,
  ssprSetup,
  type BenchOptions,
} from './sspr-target.ts';

const warm = Number(process.argv[2] ?? '800');
const measured = Number(process.argv[3] ?? '2000');
const connections = Number(process.argv[4] ?? '16');
const root = path.resolve(import.meta.dirname, '..');
const log = (line: string): void => void process.stdout.write(`${line}\n`);

/** CPU ms of each thread of `pid` (user + system), by thread id. */
function threadCpu(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

function split(
  pid: number,
  before: Map<number, number>,
  after: Map<number, number>,
): { main: number; other: number; busiest: number[] } {
  let main = 0;
  let other = 0;
  const others: number[] = [];
  for (const [tid, ms] of after) {
    const d = ms - (before.get(tid) ?? 0);
    if (tid === pid) main += d;
    else {
      other += d;
      others.push(d);
    }
  }
  return { main, other, busiest: others.sort((a, b) => b - a).slice(0, 3) };
}

interface Target {
  readonly label: string;
  readonly server: ChildServer;
  readonly sent: () => number;
  readonly pool: string[];
  p: number;
  account: number;
  unknown: number;
}

const compare = process.env.BENCH_COMPARE;
/** BENCH_BASE=<dir>: another build in place of dist/ (not rebuilt from the sources). */
const base = process.env.BENCH_BASE;
const builds = [{ label: base ?? 'dist', dir: base ?? 'dist' }, ...(compare ? [{ label: compare, dir: compare }] : [])];
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
const names = builds.map(() => `sspr_bench_${randomBytes(6).toString('hex')}`);
for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
const sink = await startSmtpSink();
const targets: Target[] = [];
try {
  if (base === undefined) buildOnce(root, log);
  for (const [i, build] of builds.entries()) {
    const name = names[i]!;
    const o: BenchOptions = {
      root,
      durationS: 600,
      connections,
      ttcRate: 0,
      captchaPool: 0,
      accounts: warm + measured,
      nodeFlags: [],
      log,
    };
    const setup = await ssprSetup(
      {
        dataDir: path.join('/tmp', name),
        databaseUrl: `postgres://postgres@127.0.0.1:5432/${name}`,
        redisUrl: 'redis://127.0.0.1:6379/0',
      },
      sink.url,
    );
    const domain = await seedAccounts(setup.env, o.accounts).then(() => altDomainNow());
    const flags = (process.env.BENCH_SSPR_FLAGS ?? '').split(' ').filter(Boolean);
    const server = await startChild(
      `sspr ${build.label}`,
      [...flags, `${build.dir}/sspr.mjs`, 'serve'],
      { ...process.env, ...setup.env, NODE_ENV: 'production' },
      { cwd: root, port: setup.port, readyTimeoutMs: 120_000 },
    );
    log(`${build.label}: server pid ${server.pid}`);
    const pool = await captchaPool(setup.masterKey, warm + 2 * measured);
    const target: Target = {
      label: build.label,
      server,
      // this server's emails: its accounts' alternate addresses, in a domain of their own
      sent: () => {
        let n = 0;
        for (let a = 0; a < target.account; a++) if (sink.received(`u${a}@${domain}`).length > 0) n++;
        return n;
      },
      pool,
      p: 0,
      account: 0,
      unknown: 0,
    };
    targets.push(target);
  }

  const run = async (phase: string, n: number, existing: boolean): Promise<void> => {
    await Promise.all(
      targets.map(async (t) => {
        const sent = existing ? t.account : 0;
        const t0 = threadCpu(t.server.pid);
        const db = dbCpuMeter();
        const r = await closedLoop<null>({
          name: phase,
          url: t.server.url,
          pid: t.server.pid,
          path: `${API}/start`,
          connections,
          durationS: 600,
          items: n,
          next: () => ({
            body: {
              login: existing ? `u${t.account++}@bench.example` : `nobody${t.unknown++}@bench.example`,
              altcha: t.pool[t.p++],
            },
            tag: null,
          }),
          expectStatus: 202,
        });
        const t1 = threadCpu(t.server.pid);
        if (existing) await sink.waitUntil(() => t.sent() - sent >= r.ok, 120_000);
        const t2 = threadCpu(t.server.pid);
        const dbMs = db.stop();
        const during = split(t.server.pid, t0, t1);
        const all = split(t.server.pid, t0, t2);
        const per = (x: number): string => (x / r.ok).toFixed(2);
        log(
          `${t.label} ${phase}: ${r.ok} ok, ${r.failed} failed, ${r.rps.toFixed(0)}/s, p99 ${r.p99} ms | per start, ms: ` +
            `main ${per(during.main)} (with delivery after ${per(all.main)}), other threads ${per(during.other)} ` +
            `(${per(all.other)}; busiest ${all.busiest.map(per).join(', ')}), process ${per(all.main + all.other)}` +
            (targets.length === 1 ? `, PostgreSQL + Redis ${per(dbMs)}` : ''),
        );
      }),
    );
  };
  await withDatabaseCpu(names[0]!, async () => {
    await run('warm-up (existing)', warm, true);
    await run('start (existing)', measured, true);
    await run('start (unknown)', measured, false);
  });
} finally {
  for (const t of targets) await t.server.stop();
  await sink.close();
  for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
