/**
 * The flood (issue 14, item 3): junk reset starts from many client addresses through a trusted
 * proxy, as fast as the load generator (bench/flood-client.ts, a child process) gets answers, while
 * honest resets run alongside at a fixed rate and their time to code is measured at the SMTP
 * listener. The server is the production build with the default per-IP limits and
 * `SSPR_TRUST_PROXY=127.0.0.1` (the generator plays the proxy: it sends each request's client
 * address in X-Forwarded-For). The ceiling is the same generator against a bare Fastify handler.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import {
  keptConnections,
  processCpuMs,
  startChild,
  waitForQuiet,
  QUIET_THRESHOLD,
  QUIET_WAIT_MS,
  type SmtpSink,
} from './bench-kit.ts';
import type { FloodLoad } from './flood-client.ts';
import {
  honestResets,
  seedAccounts,
  ssprSetup,
  startSspr,
  type Backend,
  type BenchOptions,
  type TimeToCode,
} from './sspr-target.ts';

/** The honest starts' kept connections (nginx's `keepalive 32` for an upstream). */
const HONEST_CONNECTIONS = 32;

export interface FloodOptions {
  readonly durationS: number;
  readonly connections: number;
  /** Client addresses the junk comes from. */
  readonly clients: number;
  /** Honest resets per second alongside. */
  readonly honestRate: number;
  /** Valid CAPTCHA proofs the generator prepares for its "unknown login" turns. */
  readonly proofs: number;
}

export interface FloodResult {
  readonly label: string;
  readonly junk: FloodLoad;
  readonly honest: TimeToCode;
  /** Honest starts not answered 202, or whose code email did not arrive. */
  readonly honestFailures: number;
  /** Server CPU (user + system) per junk answer during the flood, ms (the honest starts' share included). */
  readonly cpuMsPerJunk: number;
  readonly peakRssMb: number;
  readonly busyBefore: number;
}

/**
 * The generator as a child process: it makes its proofs, says `ready`, starts on `go`, says
 * `flooding` once the server has accepted all its connections (see flood-client.ts), and ends
 * with its result.
 */
async function generator(
  o: BenchOptions,
  env: Record<string, string>,
): Promise<{ go(): Promise<void>; result: Promise<FloodLoad> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/flood-client.ts'], {
    cwd: o.root,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4_000);
  });
  const lines = createInterface({ input: child.stdout });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let onFlooding: () => void = () => {};
  const flooding = new Promise<void>((resolve) => (onFlooding = resolve));
  const result = new Promise<FloodLoad>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line === 'flooding') onFlooding();
      else if (line.startsWith('result ')) resolve(JSON.parse(line.slice('result '.length)) as FloodLoad);
    });
    child.once('exit', (code) => reject(new Error(`flood generator exited (${code}) without a result:\n${stderr}`)));
  });
  await Promise.race([ready, result]);
  return {
    go: async () => {
      child.stdin.end('go\n');
      await Promise.race([flooding, result]);
    },
    result: result.finally(() => child.kill()),
  };
}

function generatorEnv(url: string, f: FloodOptions, mode: 'junk' | 'bare'): Record<string, string> {
  return {
    FLOOD_URL: url,
    FLOOD_MODE: mode,
    FLOOD_DURATION_S: String(f.durationS),
    FLOOD_CONNECTIONS: String(f.connections),
    FLOOD_CLIENTS: String(f.clients),
    FLOOD_PROOFS: String(f.proofs),
    // the junk goes on a little after the honest window, while its last codes are sent
    FLOOD_TAIL_S: mode === 'junk' ? '2' : '0',
  };
}

/** The ceiling: the same generator, same connections and time, against a bare Fastify handler. */
export async function floodCeiling(o: BenchOptions, f: FloodOptions): Promise<FloodLoad> {
  const server = await startChild(
    'baseline (flood ceiling)',
    ['--import', 'tsx', 'bench/baseline-server.ts'],
    process.env,
    {
      cwd: o.root,
    },
  );
  try {
    const gen = await generator(o, generatorEnv(server.url, f, 'bare'));
    await waitForQuiet(QUIET_THRESHOLD, QUIET_WAIT_MS);
    await gen.go();
    const load = await gen.result;
    o.log(`flood ceiling: bare Fastify ${load.perSecond.toFixed(0)} answers/s with ${f.connections} connections`);
    return load;
  } finally {
    await server.stop();
  }
}

export async function benchFlood(
  label: string,
  o: BenchOptions,
  sink: SmtpSink,
  backend: Backend,
  f: FloodOptions,
): Promise<FloodResult> {
  // the default per-IP limits (undefined: not set), the generator's address trusted as the proxy
  const metricsToken = randomBytes(24).toString('hex');
  const setup = await ssprSetup(backend, sink.url, {
    SSPR_START_LIMIT_PER_IP: undefined,
    SSPR_VERIFY_LIMIT_PER_IP: undefined,
    SSPR_TRUST_PROXY: '127.0.0.1',
    SSPR_METRICS_TOKEN: metricsToken,
  });
  const honestTotal = Math.round(f.honestRate * f.durationS);
  const seconds = await seedAccounts(setup.env, honestTotal);
  o.log(`${label} (flood): seeded ${honestTotal} accounts in ${seconds.toFixed(1)} s`);
  const server = await startSspr(o, `sspr (${label}, flood)`, setup);
  try {
    const gen = await generator(o, {
      ...generatorEnv(server.url, f, 'junk'),
      FLOOD_MASTER_KEY: setup.masterKey.toString('base64'),
    });
    const busyBefore = await waitForQuiet(QUIET_THRESHOLD, QUIET_WAIT_MS);
    // The honest resets start once the flood is steady: the generator opens its connections all
    // at once, and the server, busy, accepts one per event-loop turn (libuv ≥ 1.45), so for the
    // first seconds a new honest connection would wait in the accept queue behind the flood's
    // own (a bench artifact: a proxy keeps its upstream connections open).
    // ... and over a pool of connections opened before the flood, as a proxy's upstream pool
    const agent = await keptConnections(server.url, HONEST_CONNECTIONS);
    await gen.go();
    const cpu0 = processCpuMs(server.pid);
    const honest = await honestResets(server, sink, {
      masterKey: setup.masterKey,
      accounts: Array.from({ length: honestTotal }, (_, i) => i),
      rate: f.honestRate,
      durationS: f.durationS,
      // honest people come from addresses of their own, through the same proxy
      client: (i) => `100.64.${i >> 8}.${i & 255}`,
      metricsToken,
      onStart: () => {},
      agent,
    });
    agent.destroy();
    const junk = await gen.result;
    const cpuMs = processCpuMs(server.pid) - cpu0;
    const honestFailures = Math.max(honest.sent - honest.ok, honest.sent - honest.received);
    const result: FloodResult = {
      label,
      junk,
      honest,
      honestFailures,
      cpuMsPerJunk: cpuMs / Math.max(1, junk.answered),
      peakRssMb: server.peakRssMb(),
      busyBefore,
    };
    o.log(
      `${label} (flood): junk ${junk.perSecond.toFixed(0)} answers/s (${junk.failed} failed; its ${f.connections} connections all answered after ${junk.warmupS.toFixed(1)} s), honest time to code ` +
        `p50 ${honest.ttcP50.toFixed(1)} ms p99 ${honest.ttcP99.toFixed(1)} ms (server's mean queued-to-sent ` +
        `${honest.serverMeanAgeMs?.toFixed(1) ?? '–'} ms; start answered p50 ${honest.p50.toFixed(1)} ms p99 ` +
        `${honest.p99.toFixed(1)} ms, slowest ${honest.slowest.map((x) => `${x.ms.toFixed(0)} ms at ${x.at.toFixed(1)} s`).join(', ')}; junk p50 ${junk.p50} ms p99 ${junk.p99} ms, CPU ${result.cpuMsPerJunk.toFixed(2)} ms/junk), ${honestFailures} honest failures ` +
        `(${honest.sent} sent, answers ${JSON.stringify(honest.statuses)}, ${honest.received} emails), ` +
        `peak RSS ${result.peakRssMb.toFixed(0)} MiB`,
    );
    // failures: what the server said about them
    if (honestFailures > 0 || junk.failed > 0) process.stderr.write(server.stderrTail());
    return result;
  } catch (error) {
    process.stderr.write(server.stderrTail());
    throw error;
  } finally {
    await server.stop();
  }
}

/** The report's section: the flood per backend against the ceiling of the same run, and its targets. */
export function floodSection(results: readonly FloodResult[], ceiling: FloodLoad | null, f: FloodOptions): string {
  if (results.length === 0) return '';
  const n = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const share = (r: FloodResult): number => (ceiling ? r.junk.perSecond / ceiling.perSecond : Number.NaN);
  const kinds = (r: FloodResult): string =>
    Object.entries(r.junk.kinds)
      .filter(([, k]) => k.sent > 0)
      .map(
        ([name, k]) =>
          `${name} ${k.sent} (${Object.entries(k.statuses)
            .map(([status, count]) => `${status}: ${count}`)
            .join(', ')})`,
      )
      .join('; ');
  const yes = (met: boolean): string => (met ? 'yes' : '**no**');
  return [
    '',
    `## Flood of junk starts (${n(f.durationS)} s, ${f.clients} client addresses through a trusted proxy, ${f.honestRate} honest resets/s alongside)`,
    '',
    `A load generator (a child process of its own, autocannon, ${f.connections} connections, closed loop: as fast as answers come) sends ` +
      '`POST /api/v1/reset/start` in turn with no CAPTCHA proof, a wrong one (signed with another key, or not a proof at all), ' +
      'a replayed one (a valid proof it sent before) and a valid proof for an unknown login of the tenant (pre-solved: the ' +
      'proof of work a bot would pay is not counted), each from one of the client addresses in X-Forwarded-For. The server is the production build with the default per-IP limits and `SSPR_TRUST_PROXY=127.0.0.1`. ' +
      `Meanwhile the benchmark process sends ${f.honestRate} honest starts per second (an open loop, existing accounts, valid proofs, an address of their own each) ` +
      'and times each from the request leaving to the SMTP listener accepting its code email. ' +
      'Junk answers/s counts every HTTP answer (a refusal is an answer) once the flood is steady (every one of its connections has had an answer; ' +
      'a busy server accepts one new connection per event-loop turn, so they trickle in for a few seconds), and the honest resets start then; ' +
      'failed counts 5xx, connection errors and timeouts. ' +
      `The ceiling is the same generator against a bare Fastify handler (\`GET /bare\`) in the same run${ceiling ? `: **${n(ceiling.perSecond)} answers/s**` : ''}.`,
    '',
    '| backend | junk answers/s | of the ceiling | junk p50 / p99 ms | junk failed | server CPU ms/junk | honest time to code p50 / p99 ms | honest failures | peak RSS MiB |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.label} | ${n(r.junk.perSecond)} | ${n(100 * share(r))}% | ${n(r.junk.p50)} / ${n(r.junk.p99)} | ${r.junk.failed} | ` +
        `${n(r.cpuMsPerJunk, 2)} | ${n(r.honest.ttcP50, 1)} / ${n(r.honest.ttcP99, 1)} | ${r.honestFailures} of ${r.honest.sent} | ${n(r.peakRssMb)} |`,
    ),
    '',
    ...results.map(
      (r) =>
        `- ${r.label}: junk sent and answered by kind: ${kinds(r)}.` +
        (r.junk.proofsRanOut ? ' The valid proofs ran out: later "unknown login" turns sent replays.' : '') +
        ` ${n(100 * r.busyBefore)}% of the cores busy before.`,
    ),
    '',
    '| backend | target | result | met |',
    '| --- | --- | --- | --- |',
    ...results.flatMap((r) => [
      `| ${r.label} | honest time to code p99 ≤ 1 s during the flood | ${n(r.honest.ttcP99, 1)} ms | ${yes(r.honest.ttcP99 <= 1000)} |`,
      `| ${r.label} | 0 honest failures | ${r.honestFailures} | ${yes(r.honestFailures === 0)} |`,
      `| ${r.label} | junk answered ≥ 50% of the bare-Fastify ceiling | ${n(100 * share(r))}% | ${ceiling ? yes(share(r) >= 0.5) : '–'} |`,
      `| ${r.label} | peak RSS ≤ 200 MiB | ${n(r.peakRssMb)} MiB | ${yes(r.peakRssMb <= 200)} |`,
    ]),
    '',
  ].join('\n');
}
