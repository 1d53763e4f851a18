/**
 * `sspr serve --workers N` on PostgreSQL + Redis: starts per second with 1 and 2 workers, the same
 * closed loop and production build as the other runs. Starts name unknown logins (the same work as
 * an existing account's start by design, minus the email the outbox then sends), so the run
 * measures the request path spread over processes. CPU and peak RSS are the whole process tree's
 * (the primary and its workers).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { closedLoop, freePort, processCpuMs, startChild, type LoadResult, type SmtpSink } from './bench-kit.ts';
import { API, buildOnce, captchaPool, type BenchOptions } from './sspr-target.ts';

export interface WorkersResult {
  readonly workers: number;
  readonly start: LoadResult;
  /** CPU of the primary and every worker per answered start, ms. */
  readonly cpuMsPerStart: number;
  /** Sum of the peak RSS (VmHWM) of the primary and its workers, MiB. */
  readonly peakRssMb: number;
}

/** The pid and its children's pids (one level: the cluster's workers). */
function tree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return [pid, ...children.map(Number)];
  } catch {
    return [pid];
  }
}

function peakRssMb(pids: readonly number[]): number {
  let sum = 0;
  for (const pid of pids) {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      sum += m?.[1] ? Number(m[1]) / 1024 : 0;
    } catch {
      // gone
    }
  }
  return sum;
}

const cpuOf = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + (processCpuMs(pid) || 0), 0);

export async function benchWorkers(
  o: BenchOptions,
  sink: SmtpSink,
  backend: { readonly databaseUrl: string; readonly redisUrl: string; readonly dataDir: string },
  counts: readonly number[] = [1, 2],
): Promise<WorkersResult[]> {
  buildOnce(o.root, o.log);
  const results: WorkersResult[] = [];
  for (const workers of counts) {
    const masterKey = randomBytes(32);
    const port = await freePort();
    const env: Record<string, string> = {
      SSPR_DATA_DIR: backend.dataDir,
      SSPR_SECRET_KEY: masterKey.toString('base64'),
      SSPR_SMTP_URL: sink.url,
      SSPR_SMS_PROVIDER: 'none',
      SSPR_CAPTCHA_MAX_NUMBER: '1000',
      SSPR_START_LIMIT_PER_IP: '1000000',
      SSPR_VERIFY_LIMIT_PER_IP: '1000000',
      SSPR_LOG_LEVEL: 'warn',
      SSPR_ALLOW_INSECURE_PUBLIC_URL: 'true',
      SSPR_HOST: '127.0.0.1',
      SSPR_PORT: String(port),
      SSPR_DATABASE_URL: backend.databaseUrl,
      SSPR_REDIS_URL: backend.redisUrl,
      SSPR_REDIS_KEY_PREFIX: `bench${randomBytes(4).toString('hex')}`,
    };
    const server = await startChild(
      `sspr --workers ${workers}`,
      [...o.nodeFlags, 'dist/sspr.mjs', 'serve', '--workers', String(workers)],
      { ...process.env, ...env, NODE_ENV: 'production' },
      { cwd: o.root, port, readyTimeoutMs: 120_000 },
    );
    try {
      let n = 0;
      const body = (pool: readonly string[]) => () => ({
        body: { login: `nobody${n}@unknown.bench.example`, altcha: pool[Math.min(n++, pool.length - 1)] },
        tag: null,
      });
      // warm-up (not measured): every worker listening, its JIT and pools warm
      const warm = await captchaPool(masterKey, Math.min(2_000, o.captchaPool));
      await closedLoop<null>({
        name: 'warm-up',
        url: server.url,
        path: `${API}/start`,
        connections: o.connections,
        durationS: Math.min(3, o.durationS),
        items: warm.length,
        next: body(warm),
        expectStatus: 202,
      });
      const pool = await captchaPool(masterKey, o.captchaPool);
      n = 0;
      const pids = tree(server.pid);
      const cpuBefore = cpuOf(pids);
      const start = await closedLoop<null>({
        name: `start reset, ${workers} worker${workers > 1 ? 's' : ''}`,
        url: server.url,
        path: `${API}/start`,
        connections: o.connections,
        durationS: o.durationS,
        items: pool.length,
        next: body(pool),
        expectStatus: 202,
      });
      const cpuMsPerStart = start.ok > 0 ? (cpuOf(pids) - cpuBefore) / start.ok : Number.NaN;
      const result = { workers, start, cpuMsPerStart, peakRssMb: peakRssMb(tree(server.pid)) };
      o.log(
        `workers=${workers}: ${start.rps.toFixed(0)} starts/s, p50 ${start.p50} ms, p99 ${start.p99} ms, ` +
          `${cpuMsPerStart.toFixed(2)} ms CPU/start, peak RSS ${result.peakRssMb.toFixed(0)} MiB (${pids.length} processes)`,
      );
      results.push(result);
    } finally {
      await server.stop();
    }
  }
  return results;
}

/** The report's section: one row per worker count, scaling against 1 worker. */
export function workersSection(results: readonly WorkersResult[]): string {
  if (results.length === 0) return '';
  const one = results.find((r) => r.workers === 1)?.start.rps ?? Number.NaN;
  const rows = results.map(
    (r) =>
      `| ${r.workers} | ${r.start.rps.toFixed(0)} | ${(r.start.rps / one).toFixed(2)}× | ${r.start.p50} | ${r.start.p99} | ` +
      `${r.cpuMsPerStart.toFixed(2)} | ${r.peakRssMb.toFixed(0)} | ${r.start.failed} |`,
  );
  return [
    '',
    '## Several processes per host (`sspr serve --workers N`, PostgreSQL + Redis)',
    '',
    'Closed-loop starts (unknown logins: the same work as an existing account by design, no email sent) against the production build with N workers on one port. CPU and peak RSS are summed over the primary and its workers.',
    '',
    '| workers | starts/s | vs 1 worker | p50 ms | p99 ms | CPU ms/start (all processes) | peak RSS MiB (sum) | failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
