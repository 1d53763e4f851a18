/**
 * `sspr serve --workers N` on PostgreSQL + Redis: starts per second with 1 and 2 workers, the same
 * closed loop and production build as the other runs. Starts name unknown logins (the same work as
 * an existing account's start by design, minus the email the outbox then sends), so the run
 * measures the request path spread over processes. CPU and peak RSS are the whole process tree's
 * (the primary and its workers).
 */
import { readFileSync } from 'node:fs';
import { processCpuMs, type LoadResult, type SmtpSink } from './bench-kit.ts';
import { captchaPool, ssprSetup, startSspr, unknownStarts, type Backend, type BenchOptions } from './sspr-target.ts';

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
  backend: Backend & { readonly databaseUrl: string; readonly redisUrl: string },
  counts: readonly number[] = [1, 2],
): Promise<WorkersResult[]> {
  const results: WorkersResult[] = [];
  for (const workers of counts) {
    const setup = await ssprSetup(backend, sink.url);
    const server = await startSspr(o, `sspr --workers ${workers}`, setup, ['--workers', String(workers)]);
    try {
      // logins of a domain no tenant has
      const domain = 'unknown.bench.example';
      // warm-up (not measured): every worker listening, its JIT and pools warm
      const warm = await captchaPool(setup.masterKey, Math.min(2_000, o.captchaPool));
      await unknownStarts(o, server, warm, { name: 'warm-up', durationS: Math.min(3, o.durationS), domain });
      const pool = await captchaPool(setup.masterKey, o.captchaPool);
      const pids = tree(server.pid);
      const cpuBefore = cpuOf(pids);
      const start = await unknownStarts(o, server, pool, {
        name: `start reset, ${workers} worker${workers > 1 ? 's' : ''}`,
        domain,
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
