/**
 * Pieces the benchmark shares: an SMTP listener that notes when each email was accepted, child
 * server processes with their peak RSS, a closed-loop load (autocannon, many connections, as
 * fast as the server answers) and an open-loop load (a fixed request rate, for time to code).
 * Everything talks to 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { SMTPServer } from 'smtp-server';
import autocannon from 'autocannon';

// ---- SMTP listener --------------------------------------------------------------------------

export interface ReceivedCode {
  /** performance.now() when the listener accepted the message (end of DATA). */
  readonly at: number;
  /** The first 6-digit code on a line of its own (or after "is:"), if any. */
  readonly code: string | null;
}

export interface SmtpSink {
  readonly url: string;
  /** Messages accepted, all recipients together. */
  count(): number;
  /** Messages accepted for one recipient, oldest first. */
  received(to: string): readonly ReceivedCode[];
  /** Resolves when `done()` holds or `timeoutMs` passed; returns whether it held. */
  waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

const CODE_LINE = /(?:^|\n)\s*(\d{6})\s*(?:\r?\n|$)/;

export async function startSmtpSink(): Promise<SmtpSink> {
  const byRecipient = new Map<string, ReceivedCode[]>();
  let total = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    banner: 'bench',
    // the listener's own cost, not the sender's: no reverse DNS of 127.0.0.1 per connection
    disableReverseLookup: true,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        if (size < 64 * 1024) chunks.push(c);
        size += c.length;
      });
      stream.on('end', () => {
        const at = performance.now();
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = raw.slice(Math.max(0, raw.indexOf('\r\n\r\n')));
        const code = CODE_LINE.exec(body.replace(/=\r\n/g, ''))?.[1] ?? null;
        for (const rcpt of session.envelope.rcptTo) {
          const to = rcpt.address.toLowerCase();
          let list = byRecipient.get(to);
          if (!list) byRecipient.set(to, (list = []));
          list.push({ at, code });
        }
        total++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    count: () => total,
    received: (to) => byRecipient.get(to.toLowerCase()) ?? [],
    async waitUntil(done, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      while (!done()) {
        if (performance.now() > deadline) return false;
        await sleep(50);
      }
      return true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---- child servers --------------------------------------------------------------------------

export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMb(): number;
  /** Current resident set size (VmRSS), in MiB. */
  rssMb(): number;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
  /** The last lines the process wrote to stderr (for failures). */
  stderrTail(): string;
}

/** Children still running: killed if the benchmark itself is interrupted. */
const live = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    for (const child of live) child.kill('SIGKILL');
    process.exit(130);
  });

function statusField(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m?.[1] ? Number(m[1]) / 1024 : Number.NaN;
}

export async function startChild(
  name: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: {
    readonly cwd: string;
    readonly readyTimeoutMs?: number;
    /**
     * The port the child listens on, when the benchmark chose it (`freePort`): readiness is then
     * `/healthz` answering, not a banner on stdout (a production sspr logs its banner at info, and
     * the benchmark runs it at warn).
     */
    readonly port?: number;
  },
): Promise<ChildServer> {
  const child: ChildProcess = spawn(process.execPath, [...args], {
    cwd: options.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-8_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${options.readyTimeoutMs ?? 60_000} ms:\n${stderr}`)),
      options.readyTimeoutMs ?? 60_000,
    );
    child.stdout?.on('data', (c: Buffer) => {
      stdout = (stdout + c.toString('utf8')).slice(-8_000);
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    if (options.port !== undefined) {
      const url = `http://127.0.0.1:${options.port}`;
      const poll = async (): Promise<void> => {
        for (;;) {
          try {
            const res = await fetch(`${url}/healthz`);
            await res.arrayBuffer();
            clearTimeout(timer);
            resolve(url);
            return;
          } catch {
            await sleep(100);
          }
        }
      };
      void poll();
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it listened:\n${stdout}\n${stderr}`));
    });
  });
  const pid = child.pid ?? 0;
  let lastPeak = 0;
  const peakRssMb = (): number => {
    try {
      lastPeak = statusField(pid, 'VmHWM');
    } catch {
      // the process is gone: keep the last reading
    }
    return lastPeak;
  };
  return {
    name,
    pid,
    url,
    peakRssMb,
    rssMb: () => statusField(pid, 'VmRSS'),
    async stop() {
      peakRssMb();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    stderrTail: () => stderr,
  };
}

// ---- closed-loop load (autocannon) ----------------------------------------------------------

export interface LoadItem<T> {
  readonly headers?: Record<string, string>;
  readonly body: unknown;
  /** Handed back to `onResponse` with the answer. */
  readonly tag: T;
}

export interface LoadResult {
  readonly name: string;
  /** Answers with the expected status. */
  readonly ok: number;
  /** Answers with another status, and connection errors/timeouts. */
  readonly failed: number;
  readonly seconds: number;
  /** `ok` per second. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly connections: number;
  /** Why the run ended: its time was up, or it ran out of prepared items (flows, CAPTCHA solutions). */
  readonly ended: 'time' | 'items';
  readonly statuses: Record<string, number>;
  /** A few answers with another status than expected, for the report. */
  readonly unexpected?: readonly string[];
  /** Share of the cores busy (other processes, the server finishing earlier work) just before the run. */
  readonly busyBefore: number;
  /** CPU time the server process used per successful request (user + system, all its threads), ms. */
  readonly cpuMsPerOk: number;
  /**
   * CPU time PostgreSQL (the measured database's backends and PostgreSQL's own processes) and Redis
   * used per successful request, ms (`dbCpuMeter`). NaN where no database is measured.
   */
  readonly dbCpuMsPerOk?: number;
}

/** Runs wait for a quiet machine: below this share of the cores busy, for at most `QUIET_WAIT_MS`. */
export const QUIET_THRESHOLD = Number(process.env.BENCH_QUIET ?? '0.15');
export const QUIET_WAIT_MS = Number(process.env.BENCH_QUIET_WAIT_S ?? '15') * 1000;

/**
 * Autocannon against `url + path` with `connections` connections for at most `durationS`
 * seconds, each request built from the next item (`next()` returns null when none is left: the
 * run then ends after the requests it already has). Pipelining 1: each connection has one
 * request in flight, so `onResponse` gets the tag of the request it answers.
 */
/** CPU time (user + system, all threads) a process used so far, ms. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;

/** The PostgreSQL database the benchmark's server uses now (`withDatabaseCpu`): its backends count as its CPU. */
let measuredDatabase: string | null = null;

/** While `run` runs, `dbCpuMeter` counts the backends of database `name` (and PostgreSQL's own processes, and Redis). */
export async function withDatabaseCpu<T>(name: string, run: () => Promise<T>): Promise<T> {
  measuredDatabase = name;
  try {
    return await run();
  } finally {
    measuredDatabase = null;
  }
}

/**
 * CPU time PostgreSQL and Redis use while the meter runs (user + system, ms): the backends of the
 * measured database (`withDatabaseCpu`; other databases' backends are other work on the machine),
 * PostgreSQL's own processes (checkpointer, WAL writer, autovacuum…) and every `redis-server`,
 * sampled every 100 ms from /proc (a backend that ends between two samples loses its last
 * 100 ms). The postmaster's pid comes from BENCH_PG_PID_FILE (default
 * /var/run/postgresql/15-main.pid). `stop()` is NaN when no database is measured.
 */
export function dbCpuMeter(): { stop(): number } {
  const database = measuredDatabase;
  if (database === null) return { stop: () => Number.NaN };
  let pm = Number.NaN;
  try {
    pm = Number(
      readFileSync(process.env.BENCH_PG_PID_FILE ?? '/var/run/postgresql/15-main.pid', 'utf8').split('\n')[0],
    );
  } catch {
    return { stop: () => Number.NaN };
  }
  // pid → [ticks when first seen (0 for a process born during the run), ticks now]
  const seen = new Map<number, [number, number]>();
  let first = true;
  const sample = (): void => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ppid = Number(f[1]);
        if (comm !== 'redis-server' && ppid !== pm) continue;
        if (ppid === pm) {
          // a backend: `postgres: <cluster>: <user> <database> <client> <state>`; others name their role
          const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').split(': ').at(-1)!.split(' ');
          const backend =
            !/^(checkpointer|background|walwriter|autovacuum|logical|archiver|stats|walsender|walreceiver)/.test(
              words[0]!,
            );
          if (backend && words[1] !== database) continue;
        }
        const ticks = Number(f[11]) + Number(f[12]);
        const known = seen.get(pid);
        if (known) known[1] = ticks;
        else seen.set(pid, [first ? ticks : 0, ticks]);
      } catch {
        // the process ended meanwhile
      }
    }
    first = false;
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let ticks = 0;
      for (const [from, to] of seen.values()) ticks += to - from;
      return (ticks * 1000) / CLOCK_TICKS;
    },
  };
}

export async function closedLoop<T>(o: {
  readonly name: string;
  /** The server's pid, to measure its CPU time per request. */
  readonly pid?: number;
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly path: string;
  readonly connections: number;
  readonly durationS: number;
  /** How many items there are (Infinity: as many as time allows). */
  readonly items: number;
  readonly next: () => LoadItem<T>;
  readonly expectStatus: number;
  readonly onResponse?: (tag: T, status: number, body: string) => void;
}): Promise<LoadResult> {
  if (o.items < 1) {
    // nothing to send (the run that prepares the items failed): an empty result, not a crash
    return {
      name: o.name,
      ok: 0,
      failed: 0,
      seconds: 0,
      rps: 0,
      p50: Number.NaN,
      p99: Number.NaN,
      connections: o.connections,
      ended: 'items',
      statuses: {},
      busyBefore: Number.NaN,
      cpuMsPerOk: Number.NaN,
    };
  }
  const busyBefore = await waitForQuiet(QUIET_THRESHOLD, QUIET_WAIT_MS);
  const statuses: Record<string, number> = {};
  let ok = 0;
  let last: LoadItem<T> | null = null;
  // autocannon needs at least one request per connection
  const connections = Number.isFinite(o.items) ? Math.min(o.connections, Math.floor(o.items)) : o.connections;
  const amount = Number.isFinite(o.items) ? Math.floor(o.items) : undefined;
  const samples: string[] = [];
  const cpuBefore = o.pid ? processCpuMs(o.pid) : Number.NaN;
  const dbMeter = dbCpuMeter();
  const started = performance.now();
  let lastAnswer = started;
  let timedOut = false;
  const request: autocannon.Request = {
    method: o.method ?? 'POST',
    path: o.path,
    setupRequest(req, context) {
      const item = o.next();
      last = item;
      context.tag = item.tag;
      return {
        ...req,
        headers: { 'content-type': 'application/json', ...item.headers },
        body: item.body === undefined ? undefined : JSON.stringify(item.body),
      };
    },
    onResponse(status, body, context) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      lastAnswer = performance.now();
      if (status === o.expectStatus) ok++;
      else if (samples.length < 3) samples.push(`${status} ${String(body ?? '').slice(0, 200)}`);
      o.onResponse?.(context.tag as T, status, String(body ?? ''));
    },
  };
  const instance = autocannon({
    url: o.url,
    connections,
    pipelining: 1,
    timeout: 30,
    ...(amount !== undefined ? { amount } : { duration: o.durationS }),
    requests: [request],
  });
  const stopTimer = setTimeout(() => {
    timedOut = true;
    instance.stop();
  }, o.durationS * 1000);
  const result = await instance;
  clearTimeout(stopTimer);
  void last;
  if (samples.length > 0)
    process.stderr.write(`${o.name}: unexpected answers ${JSON.stringify(statuses)}, e.g. ${samples.join(' | ')}\n`);
  const seconds = Math.max(0.001, (lastAnswer - started) / 1000);
  const cpuMsPerOk = o.pid && ok > 0 ? (processCpuMs(o.pid) - cpuBefore) / ok : Number.NaN;
  const dbCpuMsPerOk = ok > 0 ? dbMeter.stop() / ok : (dbMeter.stop(), Number.NaN);
  const failed = result.non2xx + result.errors + result.timeouts + (result['2xx'] - ok);
  return {
    name: o.name,
    ok,
    failed: Math.max(0, failed),
    seconds,
    rps: ok / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    connections,
    ended: amount === undefined || timedOut ? 'time' : 'items',
    statuses,
    unexpected: samples,
    busyBefore,
    cpuMsPerOk,
    dbCpuMsPerOk,
  };
}

// ---- open-loop load (fixed rate) ------------------------------------------------------------

export interface OpenLoopResult {
  readonly busyBefore: number;
  /** Server CPU time per successful start, including sending its email, ms. */
  readonly cpuMsPerOk: number;
  /** PostgreSQL's and Redis's CPU time per successful start (`dbCpuMeter`), ms. */
  readonly dbCpuMsPerOk?: number;
  readonly sent: number;
  readonly ok: number;
  readonly seconds: number;
  /** Latency of the HTTP answers, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Answers by HTTP status; `error` counts requests that got none (connection refused or reset). */
  readonly statuses: Record<string, number>;
  /** The five slowest answers: when they left (s after the first) and how long they took (ms). */
  readonly slowest: readonly { readonly at: number; readonly ms: number }[];
}

/**
 * Sends `rate` requests per second for `durationS` seconds whatever the answers' latency (so a
 * slow server does not slow the load down), each built by `build(i)`; `onSent(i, t)` gets the
 * time each request left.
 */
/**
 * A pool of `n` kept-alive connections to `url`, opened now (n requests to /healthz at once) and
 * never more: a request finding them all busy waits for one, as behind a reverse proxy with an
 * upstream keep-alive pool (nginx's `keepalive 32`), instead of connecting anew. Under a flood the
 * server accepts one new connection per event-loop turn (libuv ≥ 1.45), so each new connection of
 * an honest client would wait a turn or more in the accept queue: a cost of the bench's separate
 * honest client, not of a proxy that multiplexes honest and junk requests over the same connections.
 */
export async function keptConnections(url: string, n: number): Promise<http.Agent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n, maxFreeSockets: n, scheduling: 'fifo' });
  await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<void>((resolve, reject) => {
          http
            .get(`${url}/healthz`, { agent }, (res) => {
              res.resume();
              res.once('end', resolve);
            })
            .once('error', reject);
        }),
    ),
  );
  const open = Object.values(agent.freeSockets).reduce((a, list) => a + (list?.length ?? 0), 0);
  if (open < n) throw new Error(`bench: ${open} of ${n} kept connections open`);
  return agent;
}

/** POST `body` as JSON over `agent`'s connections; resolves to the status once the answer is read. */
function postOver(agent: http.Agent, url: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

export async function openLoop(o: {
  readonly url: string;
  /** Send over these kept connections (`keptConnections`) instead of fetch's pool. */
  readonly agent?: http.Agent;
  readonly pid?: number;
  readonly path: string;
  readonly rate: number;
  readonly durationS: number;
  readonly build: (i: number) => { body: unknown; headers?: Record<string, string> };
  readonly expectStatus: number;
  readonly onSent: (i: number, at: number) => void;
  /** false: start at once, on a busy machine (a load that runs beside another on purpose); "busy before" is then NaN. */
  readonly waitQuiet?: boolean;
}): Promise<OpenLoopResult> {
  const busyBefore = o.waitQuiet === false ? Number.NaN : await waitForQuiet(QUIET_THRESHOLD, QUIET_WAIT_MS);
  const total = Math.round(o.rate * o.durationS);
  const cpuBefore = o.pid ? processCpuMs(o.pid) : Number.NaN;
  const dbMeter = dbCpuMeter();
  const latencies: number[] = [];
  const timed: { at: number; ms: number }[] = [];
  const statuses: Record<string, number> = {};
  const inFlight: Promise<void>[] = [];
  let ok = 0;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.rate) + 1);
    while (sent < due) {
      const i = sent++;
      const { body, headers } = o.build(i);
      const t = performance.now();
      o.onSent(i, t);
      const allHeaders = { 'content-type': 'application/json', ...headers };
      const status: Promise<number> = o.agent
        ? postOver(o.agent, `${o.url}${o.path}`, allHeaders, JSON.stringify(body))
        : fetch(`${o.url}${o.path}`, { method: 'POST', headers: allHeaders, body: JSON.stringify(body) }).then(
            async (res) => {
              await res.arrayBuffer();
              return res.status;
            },
          );
      inFlight.push(
        status.then(
          (code) => {
            latencies.push(performance.now() - t);
            timed.push({ at: (t - started) / 1000, ms: performance.now() - t });
            statuses[code] = (statuses[code] ?? 0) + 1;
            if (code === o.expectStatus) ok++;
          },
          () => {
            statuses.error = (statuses.error ?? 0) + 1;
          },
        ),
      );
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  await sleep(500); // the last emails leave
  return {
    busyBefore,
    cpuMsPerOk: o.pid && ok > 0 ? (processCpuMs(o.pid) - cpuBefore) / ok : Number.NaN,
    dbCpuMsPerOk: ok > 0 ? dbMeter.stop() / ok : (dbMeter.stop(), Number.NaN),
    sent,
    ok,
    seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    slowest: timed.sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
}

// ---- other load on the machine --------------------------------------------------------------

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Share of all cores busy over `ms` (0–1), whatever is running. */
export async function cpuBusy(ms = 1_000): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total > a.total ? (b.busy - a.busy) / (b.total - a.total) : 0;
}

/**
 * Waits (at most `maxWaitMs`) until the machine is quiet — less than `threshold` of the cores busy
 * over one second — so that a run does not measure someone else's work. Returns the last reading.
 */
export async function waitForQuiet(threshold: number, maxWaitMs: number): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  let busy = await cpuBusy();
  while (busy > threshold && performance.now() < deadline) busy = await cpuBusy();
  return busy;
}

// ---- small things ---------------------------------------------------------------------------

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/** A TCP port free on 127.0.0.1 right now (for a child server the benchmark starts next). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
