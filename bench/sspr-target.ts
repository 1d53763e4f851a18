/**
 * sspr under load: seeds a directory, runs the production build (`node dist/sspr.mjs serve`, built
 * once per benchmark run) as a child process against it, and measures start reset (existing and
 * unknown accounts), verify code, set new password and time to code through the JSON API.
 */
import type { Agent } from 'node:http';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createChallenge, randomInt, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { createApp } from '../src/compose.ts';
import { loadConfig } from '../src/config/load.ts';
import { HkdfKeyring } from '../src/adapters/crypto/keyring.ts';
import {
  closedLoop,
  freePort,
  openLoop,
  percentile,
  startChild,
  type ChildServer,
  type LoadResult,
  type OpenLoopResult,
  type SmtpSink,
} from './bench-kit.ts';

export const API = '/api/v1/reset';
export const NEW_PASSWORD = 'violet tractor harbour pencil';
const TENANT_DOMAIN = 'bench.example';

export interface BenchOptions {
  readonly root: string;
  readonly durationS: number;
  readonly connections: number;
  readonly ttcRate: number;
  /** CAPTCHA solutions prepared for one closed-loop start run (it ends early when they run out). */
  readonly captchaPool: number;
  readonly accounts: number;
  /** Extra node flags for the server (e.g. --cpu-prof). */
  readonly nodeFlags: readonly string[];
  readonly log: (line: string) => void;
}

export interface TimeToCode extends OpenLoopResult {
  readonly rate: number;
  /** Mean time from queueing to sent as the server counts it (sspr_message_age_seconds), ms; NaN when not known. */
  readonly serverMeanAgeMs?: number;
  readonly received: number;
  readonly ttcP50: number;
  readonly ttcP99: number;
  readonly ttcMax: number;
}

export interface TargetResult {
  readonly label: string;
  readonly notes: string[];
  readonly startExisting: LoadResult;
  readonly startUnknown: LoadResult;
  readonly verify: LoadResult;
  readonly setPassword: LoadResult;
  readonly timeToCode: TimeToCode;
  readonly peakRssMb: number;
  readonly seedSeconds: number;
}

interface Flow {
  readonly account: number;
  flowId: string;
  secret: string;
  code: string | null;
}

const login = (i: number): string => `u${i}@${TENANT_DOMAIN}`;
/** Alternate emails get a domain of their own in each run, so that runs sharing the SMTP listener never mix. */
let altDomain = 'alt.bench.example';
const altEmail = (i: number): string => `u${i}@${altDomain}`;
/** The alternate emails' domain of the accounts seeded last (`seedAccounts`). */
export const altDomainNow = (): string => altDomain;

/** The production build (`npm run build`), once per benchmark run: the servers measured run what production runs. */
let built = false;
export function buildOnce(root: string, log: (line: string) => void): void {
  if (built) return;
  const out = execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, encoding: 'utf8' });
  for (const line of out.trimEnd().split('\n')) log(line);
  built = true;
}

/**
 * Creates the tenant (its domain `bench.example`) and `n` users `u<i>@bench.example`, each with a
 * verified alternate email (no password yet) in a domain new to this run, so that runs sharing
 * the SMTP listener never mix. Returns the seconds it took.
 */
export async function seedAccounts(env: Record<string, string>, n: number): Promise<number> {
  altDomain = `run${randomBytes(4).toString('hex')}.alt.bench.example`;
  const started = performance.now();
  const app = await createApp(loadConfig({ env }), { startWorker: false });
  try {
    await app.migrate();
    const tenant = await app.directory.createTenant({ name: 'Bench', domains: [TENANT_DOMAIN], actor: 'bench' });
    if (!tenant.ok) throw new Error(`bench tenant: ${tenant.error}`);
    const tenantId = tenant.value.id;
    const now = Date.now();
    const batch = 500;
    const batches: number[] = [];
    for (let from = 0; from < n; from += batch) batches.push(from);
    // a few transactions at once: PostgreSQL has a pool of connections (SQLite runs them in turn)
    const lanes = Array.from({ length: 4 }, async () => {
      for (let from = batches.shift(); from !== undefined; from = batches.shift()) await addBatch(from);
    });
    await Promise.all(lanes);
    async function addBatch(from: number): Promise<void> {
      await app.store.transaction(async (tx) => {
        for (let i = from; i < Math.min(n, from + batch); i++) {
          const id = app.random.uuid();
          const created = await tx.directory.createAccount({
            id,
            tenantId,
            login: login(i),
            displayName: `Bench User ${i}`,
            role: 'user',
            enabled: true,
            passwordHash: null,
            mustChangePassword: false,
            now,
          });
          if (!created.ok) throw new Error(`bench account ${i}: ${created.error}`);
          await tx.directory.setMethod(id, 'email', altEmail(i), now, now);
        }
      });
    }
  } finally {
    await app.close();
  }
  return (performance.now() - started) / 1000;
}

/**
 * Pre-solved CAPTCHA payloads: challenges made with the server's own signing keys (derived from
 * the master key the benchmark gave it) whose counter is known, so the client-side search is
 * skipped while the server-side check (signature, derived key, single use) runs as usual.
 */
export async function captchaPool(masterKey: Buffer, n: number): Promise<string[]> {
  const keyring = new HkdfKeyring(masterKey);
  const hmacSignatureSecret = keyring.hmac('altcha', 'signature');
  const hmacKeySignatureSecret = keyring.hmac('altcha', 'key-signature');
  const expiresAt = Math.floor((Date.now() + 9 * 60_000) / 1000);
  const one = async (): Promise<string> => {
    const counter = randomInt(500, 1000);
    const challenge = await createChallenge({
      algorithm: 'SHA-256',
      cost: 1,
      counter,
      deriveKey,
      expiresAt,
      hmacSignatureSecret,
      hmacKeySignatureSecret,
    });
    // the search starts at the known counter, so it ends at once
    const solution = await solveChallenge({ challenge, deriveKey, counterStart: counter, timeout: 5_000 });
    if (!solution) throw new Error('bench: a pre-made CAPTCHA challenge did not solve at its own counter');
    return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  };
  // WebCrypto works in the thread pool: a few dozen at a time keep it busy
  const out: string[] = [];
  while (out.length < n) out.push(...(await Promise.all(Array.from({ length: Math.min(64, n - out.length) }, one))));
  return out;
}

/** Where an sspr server of the benchmark keeps its data: SQLite in `dataDir`, or PostgreSQL (+ Redis). */
export interface Backend {
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  readonly dataDir: string;
}

/** The environment of one sspr server, the master key it signs with and the port it will listen on. */
export interface SsprSetup {
  readonly env: Record<string, string>;
  readonly masterKey: Buffer;
  readonly port: number;
}

/**
 * What every sspr server of the benchmark runs with: its backend, a fresh master key, the SMTP
 * listener, no SMS, an easy CAPTCHA (`SSPR_CAPTCHA_MAX_NUMBER=1000`: the payloads are pre-solved
 * anyway), per-IP limits that count but never refuse, log level warn, plain http on loopback.
 * `extra` adds or overrides settings; an undefined value removes one (the server's default then holds).
 */
export async function ssprSetup(
  backend: Backend,
  smtpUrl: string,
  extra: Record<string, string | undefined> = {},
): Promise<SsprSetup> {
  const masterKey = randomBytes(32);
  const port = await freePort();
  const env: Record<string, string> = {
    SSPR_DATA_DIR: backend.dataDir,
    SSPR_SECRET_KEY: masterKey.toString('base64'),
    SSPR_SMTP_URL: smtpUrl,
    SSPR_SMS_PROVIDER: 'none',
    SSPR_CAPTCHA_MAX_NUMBER: '1000',
    SSPR_START_LIMIT_PER_IP: '1000000',
    SSPR_VERIFY_LIMIT_PER_IP: '1000000',
    SSPR_LOG_LEVEL: 'warn',
    // the benchmark talks plain http to the instance on loopback: a lab, not a deployment
    SSPR_ALLOW_INSECURE_PUBLIC_URL: 'true',
    SSPR_HOST: '127.0.0.1',
    SSPR_PORT: String(port),
    ...(backend.databaseUrl ? { SSPR_DATABASE_URL: backend.databaseUrl } : {}),
    ...(backend.redisUrl
      ? { SSPR_REDIS_URL: backend.redisUrl, SSPR_REDIS_KEY_PREFIX: `bench${randomBytes(4).toString('hex')}` }
      : {}),
  };
  for (const [key, value] of Object.entries(extra))
    if (value === undefined) delete env[key];
    else env[key] = value;
  return { env, masterKey, port };
}

/**
 * The production build (`node dist/sspr.mjs serve [args]`, built once) as a child process with
 * NODE_ENV=production, the benchmark's node flags (`BENCH_PROFILE`) and `BENCH_SSPR_FLAGS`.
 */
export async function startSspr(
  o: BenchOptions,
  name: string,
  setup: SsprSetup,
  args: readonly string[] = [],
  readyTimeoutMs = 120_000,
): Promise<ChildServer> {
  buildOnce(o.root, o.log);
  const flags = (process.env.BENCH_SSPR_FLAGS ?? '').split(' ').filter(Boolean);
  return startChild(
    name,
    [...o.nodeFlags, ...flags, 'dist/sspr.mjs', 'serve', ...args],
    { ...process.env, ...setup.env, NODE_ENV: 'production' },
    { cwd: o.root, port: setup.port, readyTimeoutMs },
  );
}

/**
 * Closed-loop starts of unknown logins (`nobody<n>@<domain>`), one pre-solved CAPTCHA each, until
 * the pool or the time (`durationS`, default the options') runs out. Their CPU is the server's
 * (`pid`) when given.
 */
export function unknownStarts(
  o: BenchOptions,
  server: { readonly url: string },
  pool: readonly string[],
  run: { readonly name: string; readonly pid?: number; readonly durationS?: number; readonly domain?: string },
): Promise<LoadResult> {
  let n = 0;
  return closedLoop<null>({
    name: run.name,
    url: server.url,
    ...(run.pid !== undefined ? { pid: run.pid } : {}),
    path: `${API}/start`,
    connections: o.connections,
    durationS: run.durationS ?? o.durationS,
    items: pool.length,
    next: () => {
      const i = n++;
      return {
        body: { login: `nobody${i}@${run.domain ?? TENANT_DOMAIN}`, altcha: pool[Math.min(i, pool.length - 1)] },
        tag: null,
      };
    },
    expectStatus: 202,
  });
}

export async function benchSspr(
  label: string,
  o: BenchOptions,
  sink: SmtpSink,
  backend: Backend,
): Promise<TargetResult> {
  const notes: string[] = [];
  const metricsToken = randomBytes(24).toString('hex');
  const setup = await ssprSetup(backend, sink.url, { SSPR_METRICS_TOKEN: metricsToken });
  const { env, masterKey } = setup;

  const seedSeconds = await seedAccounts(env, o.accounts);
  o.log(`${label}: seeded ${o.accounts} accounts in ${seedSeconds.toFixed(1)} s`);

  const server = await startSspr(o, `sspr (${label})`, setup);
  try {
    let cursor = 0;
    const takeAccount = (): number => {
      const i = cursor++;
      if (i >= o.accounts) throw new Error(`bench: ${o.accounts} accounts are not enough; raise BENCH_ACCOUNTS`);
      return i;
    };

    // ---- start reset, existing accounts (their flows feed verify and set password) ----
    const pool = await captchaPool(masterKey, o.captchaPool);
    const flows: Flow[] = [];
    let p = 0;
    const startExisting = await closedLoop<number>({
      name: 'start reset (existing)',
      url: server.url,
      pid: server.pid,
      path: `${API}/start`,
      connections: o.connections,
      durationS: o.durationS,
      items: pool.length,
      next: () => {
        const i = Math.min(cursor, o.accounts - 1);
        if (cursor < o.accounts) cursor++;
        return { body: { login: login(i), altcha: pool[Math.min(p++, pool.length - 1)] }, tag: i };
      },
      expectStatus: 202,
      onResponse(account, status, body) {
        if (status !== 202) return;
        const b = JSON.parse(body) as { flowId: string; flowSecret: string };
        flows.push({ account, flowId: b.flowId, secret: b.flowSecret, code: null });
      },
    });
    o.log(
      `${label}: start (existing) ${startExisting.rps.toFixed(0)} req/s, p99 ${startExisting.p99} ms, ` +
        `server CPU ${startExisting.cpuMsPerOk.toFixed(2)} ms per start` +
        (backend.databaseUrl ? `, PostgreSQL + Redis CPU ${startExisting.dbCpuMsPerOk?.toFixed(2)} ms per start` : ''),
    );
    if (process.env.BENCH_SSPR_ROWS === 'start-existing') {
      // the start row alone (a quick before/after of one change): the other rows repeat it
      notes.push('BENCH_SSPR_ROWS=start-existing: only the start (existing) row ran; the other rows repeat it');
      const timeToCode = { ...startExisting, rate: 0, received: 0, ttcP50: NaN, ttcP99: NaN, ttcMax: NaN };
      return {
        label,
        notes,
        startExisting,
        startUnknown: startExisting,
        verify: startExisting,
        setPassword: startExisting,
        timeToCode: timeToCode as unknown as TimeToCode,
        peakRssMb: server.peakRssMb(),
        seedSeconds,
      };
    }

    // every code reaches the SMTP listener before the next run, so the runs do not overlap
    const drainStarted = performance.now();
    const pendingAtEnd = flows.filter((f) => sink.received(altEmail(f.account)).length === 0).length;
    const drained = await sink.waitUntil(
      () => flows.every((f) => sink.received(altEmail(f.account)).length > 0),
      120_000,
    );
    if (!drained) notes.push('some code emails of the start run had not arrived 120 s later');
    const drainS = (performance.now() - drainStarted) / 1000;
    o.log(
      `${label}: ${pendingAtEnd} of ${flows.length} code emails were still queued at the end; sent in ${drainS.toFixed(1)} s`,
    );
    for (const f of flows) f.code = sink.received(altEmail(f.account))[0]?.code ?? null;
    const withCode = flows.filter((f) => f.code !== null);

    // BENCH_SSPR_ROWS=starts-ttc: the two start rows and time to code (verify and set password repeat the start row)
    const startsAndTtc = process.env.BENCH_SSPR_ROWS === 'starts-ttc';
    if (startsAndTtc)
      notes.push('BENCH_SSPR_ROWS=starts-ttc: verify and set password did not run; their rows repeat the start row');
    const { verify, setPassword } = startsAndTtc
      ? { verify: startExisting, setPassword: startExisting }
      : await verifyAndSet();
    async function verifyAndSet(): Promise<{ verify: LoadResult; setPassword: LoadResult }> {
      // ---- verify code ----
      let v = 0;
      const verified: Flow[] = [];
      const verify = await closedLoop<Flow>({
        name: 'verify code',
        url: server.url,
        pid: server.pid,
        path: `${API}/flow/code`,
        connections: o.connections,
        durationS: o.durationS,
        items: withCode.length,
        next: () => {
          const f = withCode[Math.min(v++, withCode.length - 1)] as Flow;
          return { headers: { 'x-flow-secret': `${f.flowId}.${f.secret}` }, body: { code: f.code }, tag: f };
        },
        expectStatus: 200,
        onResponse(f, status, body) {
          if (status !== 200) return;
          f.secret = (JSON.parse(body) as { flowSecret: string }).flowSecret;
          verified.push(f);
        },
      });
      o.log(`${label}: verify ${verify.rps.toFixed(0)} req/s, p99 ${verify.p99} ms`);

      // ---- set new password ----
      let s = 0;
      const setPassword = await closedLoop<Flow>({
        name: 'set new password',
        url: server.url,
        pid: server.pid,
        path: `${API}/flow/password`,
        connections: o.connections,
        durationS: o.durationS,
        items: verified.length,
        next: () => {
          const f = verified[Math.min(s++, verified.length - 1)] as Flow;
          return {
            headers: { 'x-flow-secret': `${f.flowId}.${f.secret}` },
            body: { password: NEW_PASSWORD, confirm: NEW_PASSWORD },
            tag: f,
          };
        },
        expectStatus: 200,
      });
      o.log(`${label}: set password ${setPassword.rps.toFixed(0)} req/s, p99 ${setPassword.p99} ms`);
      return { verify, setPassword };
    }

    // ---- start reset, unknown accounts ----
    const startUnknown = await unknownStarts(o, server, await captchaPool(masterKey, o.captchaPool), {
      name: 'start reset (unknown)',
      pid: server.pid,
    });
    o.log(
      `${label}: start (unknown) ${startUnknown.rps.toFixed(0)} req/s, p99 ${startUnknown.p99} ms, ` +
        `server CPU ${startUnknown.cpuMsPerOk.toFixed(2)} ms per start` +
        (backend.databaseUrl ? `, PostgreSQL + Redis CPU ${startUnknown.dbCpuMsPerOk?.toFixed(2)} ms per start` : ''),
    );

    // ---- time to code at a fixed rate ----
    // the notices of the set-password run go out first
    await waitForQuiet(sink, 30_000);
    const total = Math.round(o.ttcRate * o.durationS);
    const timeToCode = await honestResets(server, sink, {
      masterKey,
      accounts: Array.from({ length: total }, () => takeAccount()),
      rate: o.ttcRate,
      durationS: o.durationS,
      metricsToken,
    });
    o.log(
      `${label}: time to code p50 ${timeToCode.ttcP50.toFixed(1)} ms, p99 ${timeToCode.ttcP99.toFixed(1)} ms, ` +
        `server CPU ${timeToCode.cpuMsPerOk.toFixed(2)} ms per start` +
        (backend.databaseUrl ? `, PostgreSQL + Redis CPU ${timeToCode.dbCpuMsPerOk?.toFixed(2)} ms per start` : ''),
    );
    if (timeToCode.received < total)
      notes.push(`time to code: ${total - timeToCode.received} of ${total} emails missing`);

    const peakRssMb = server.peakRssMb();
    return { label, notes, startExisting, startUnknown, verify, setPassword, timeToCode, peakRssMb, seedSeconds };
  } catch (error) {
    process.stderr.write(server.stderrTail());
    throw error;
  } finally {
    await server.stop();
  }
}

/**
 * Time to code: an open loop of `rate` starts per second for `durationS` s, one seeded account
 * each (`accounts`, as many as the run sends), from the request leaving to the SMTP listener
 * accepting the code email. `client(i)` names the client address of start i (X-Forwarded-For,
 * for a server behind a trusted proxy). With the metrics token, the server's own mean queued-to-sent.
 */
export async function honestResets(
  server: ChildServer,
  sink: SmtpSink,
  run: {
    readonly masterKey: Buffer;
    readonly accounts: readonly number[];
    readonly rate: number;
    readonly durationS: number;
    readonly metricsToken?: string;
    readonly client?: (i: number) => string;
    /** Called just before the first start leaves; given, the load does not wait for a quiet machine. */
    readonly onStart?: () => void;
    /** The starts go over these kept connections (bench-kit's `keptConnections`), not fetch's pool. */
    readonly agent?: Agent;
  },
): Promise<TimeToCode> {
  const total = Math.round(run.rate * run.durationS);
  if (run.accounts.length < total) throw new Error(`bench: ${total} accounts needed, ${run.accounts.length} given`);
  const pool = await captchaPool(run.masterKey, total);
  const sentAt = new Array<number>(total).fill(Number.NaN);
  const ageBefore = run.metricsToken ? await messageAge(server.url, run.metricsToken) : null;
  const load = await openLoop({
    url: server.url,
    pid: server.pid,
    path: `${API}/start`,
    ...(run.agent ? { agent: run.agent } : {}),
    rate: run.rate,
    durationS: run.durationS,
    build: (i) => ({
      body: { login: login(run.accounts[i] as number), altcha: pool[i] },
      ...(run.client ? { headers: { 'x-forwarded-for': run.client(i) } } : {}),
    }),
    expectStatus: 202,
    onSent: (i, at) => {
      if (i === 0) run.onStart?.();
      sentAt[i] = at;
    },
    ...(run.onStart ? { waitQuiet: false } : {}),
  });
  const accounts = run.accounts.slice(0, total);
  await sink.waitUntil(() => accounts.every((a) => sink.received(altEmail(a)).length > 0), 30_000);
  const ttc: number[] = [];
  accounts.forEach((a, i) => {
    const got = sink.received(altEmail(a))[0];
    if (got) ttc.push(got.at - (sentAt[i] as number));
  });
  const ageAfter = run.metricsToken ? await messageAge(server.url, run.metricsToken) : null;
  return {
    ...load,
    rate: run.rate,
    ...(ageBefore && ageAfter
      ? { serverMeanAgeMs: (1000 * (ageAfter.sum - ageBefore.sum)) / (ageAfter.count - ageBefore.count) }
      : {}),
    received: ttc.length,
    ttcP50: percentile(ttc, 50),
    ttcP99: percentile(ttc, 99),
    ttcMax: percentile(ttc, 100),
  };
}

/** Sum and count of sspr_message_age_seconds for sent email, from the server's /metrics. */
async function messageAge(url: string, token: string): Promise<{ sum: number; count: number }> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  const value = (name: string): number => {
    const m = new RegExp(`^${name}\\{channel="email",outcome="sent"\\} (\\S+)$`, 'm').exec(text);
    return m?.[1] ? Number(m[1]) : 0;
  };
  return { sum: value('sspr_message_age_seconds_sum'), count: value('sspr_message_age_seconds_count') };
}

/** Waits until the SMTP listener got nothing new for half a second. */
async function waitForQuiet(sink: SmtpSink, timeoutMs: number): Promise<void> {
  let seen = -1;
  let since = performance.now();
  await sink.waitUntil(() => {
    const n = sink.count();
    if (n !== seen) {
      seen = n;
      since = performance.now();
    }
    return performance.now() - since > 500;
  }, timeoutMs);
}
