/**
 * Enumeration timing (issue 9, item 6): how long a reset start takes for each class of login —
 * an existing account, an unknown login, a disabled account, a blocked one (it gets the link
 * alone), one without an alternate email, one over its sending limit — measured against the
 * production build (`node dist/sspr.mjs serve`) through the JSON API, one request at a time, the
 * classes interleaved in a fresh random order every round, with pre-solved CAPTCHAs. The
 * deterministic check (the same statements for every class) is in test/attack/enumeration.test.ts;
 * this is what an attacker with a stopwatch on loopback would see.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { createApp } from '../src/compose.ts';
import { loadConfig } from '../src/config/load.ts';
import { percentile, type SmtpSink } from './bench-kit.ts';
import { API, captchaPool, ssprSetup, startSspr, type Backend, type BenchOptions } from './sspr-target.ts';

const DOMAIN = 'enum.bench.example';
export const ENUMERATION_CLASSES = [
  'existing',
  'unknown',
  'disabled',
  'blocked',
  'no method',
  'over the sending limit',
] as const;
type Klass = (typeof ENUMERATION_CLASSES)[number];
/** Accounts over their sending limit: each is started this many times before the run (and as many in it). */
const LIMITED_ACCOUNTS = 100;

export interface ClassTiming {
  readonly name: Klass;
  readonly n: number;
  readonly median: number;
  readonly p90: number;
  /** Answers other than 202 (none expected). */
  readonly failed: number;
}

export interface EnumerationResult {
  readonly label: string;
  readonly rounds: number;
  readonly warmup: number;
  readonly classes: readonly ClassTiming[];
  readonly notes: string[];
}

const prefix: Record<Klass, string> = {
  existing: 'e',
  unknown: 'x',
  disabled: 'd',
  blocked: 'b',
  'no method': 'n',
  'over the sending limit': 'l',
};
const loginOf = (k: Klass, i: number): string =>
  `${prefix[k]}${k === 'over the sending limit' ? i % LIMITED_ACCOUNTS : i}@${DOMAIN}`;

/** Seeds the tenant and `n` accounts of each class that has accounts (unknown logins have none). */
async function seed(env: Record<string, string>, n: number, altDomain: string): Promise<void> {
  const app = await createApp(loadConfig({ env }), { startWorker: false });
  try {
    await app.migrate();
    const tenant = await app.directory.createTenant({ name: 'Enumeration', domains: [DOMAIN], actor: 'bench' });
    if (!tenant.ok) throw new Error(`bench tenant: ${tenant.error}`);
    const now = Date.now();
    for (const k of ENUMERATION_CLASSES) {
      if (k === 'unknown') continue;
      const count = k === 'over the sending limit' ? LIMITED_ACCOUNTS : n;
      await app.store.transaction(async (tx) => {
        for (let i = 0; i < count; i++) {
          const id = app.random.uuid();
          const created = await tx.directory.createAccount({
            id,
            tenantId: tenant.value.id,
            login: loginOf(k, i),
            displayName: `Bench ${k} ${i}`,
            role: 'user',
            enabled: k !== 'disabled',
            passwordHash: null,
            mustChangePassword: false,
            now,
          });
          if (!created.ok) throw new Error(`bench account ${k} ${i}: ${created.error}`);
          if (k !== 'no method') await tx.directory.setMethod(id, 'email', `${prefix[k]}${i}@${altDomain}`, now, now);
          if (k === 'blocked') await tx.lockouts.block(id, now);
        }
      });
    }
  } finally {
    await app.close();
  }
}

/** A small seeded generator for the order of the classes in each round (the run can be replayed). */
function shuffler(seed: number): <T>(items: readonly T[]) => T[] {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return (items) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
}

export async function benchEnumeration(
  label: string,
  o: BenchOptions,
  sink: SmtpSink,
  backend: Backend,
  rounds: number,
  warmup = 50,
): Promise<EnumerationResult> {
  const notes: string[] = [];
  const setup = await ssprSetup(backend, sink.url);
  const { env, masterKey } = setup;
  const total = rounds + warmup;
  const altDomain = `enum${randomBytes(4).toString('hex')}.alt.bench.example`;
  await seed(env, total, altDomain);
  o.log(`${label}: seeded ${total} accounts per class`);
  const server = await startSspr(o, `sspr (${label}, enumeration)`, setup);
  try {
    const pool = await captchaPool(masterKey, LIMITED_ACCOUNTS * 10 + total * ENUMERATION_CLASSES.length);
    let p = 0;
    const start = async (login: string): Promise<[number, number]> => {
      const body = JSON.stringify({ login, altcha: pool[p++] });
      const t0 = performance.now();
      const res = await fetch(`${server.url}${API}/start`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      return [performance.now() - t0, res.status];
    };
    // the accounts over their limit: ten starts each first (10 emails per 10 minutes)
    for (let r = 0; r < 10; r++)
      for (let i = 0; i < LIMITED_ACCOUNTS; i++) await start(loginOf('over the sending limit', i));
    // other work on the machine slows every class alike, but widens the spread: say how busy it was
    notes.push(
      `load average when the timed starts began: ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores`,
    );
    const samples = new Map<Klass, number[]>(ENUMERATION_CLASSES.map((k) => [k, []]));
    const failed = new Map<Klass, number>(ENUMERATION_CLASSES.map((k) => [k, 0]));
    const shuffle = shuffler(0x5eed);
    for (let i = 0; i < total; i++) {
      for (const k of shuffle(ENUMERATION_CLASSES)) {
        const [ms, status] = await start(loginOf(k, i));
        if (status !== 202) failed.set(k, failed.get(k)! + 1);
        else if (i >= warmup) samples.get(k)!.push(ms);
      }
    }
    const classes = ENUMERATION_CLASSES.map((name) => {
      const s = samples.get(name)!;
      return { name, n: s.length, median: percentile(s, 50), p90: percentile(s, 90), failed: failed.get(name)! };
    });
    for (const c of classes)
      o.log(`${label}: ${c.name} median ${c.median.toFixed(3)} ms, p90 ${c.p90.toFixed(3)} ms (n=${c.n})`);
    if (classes.some((c) => c.failed > 0)) notes.push('some starts did not answer 202 (see the failed column)');
    return { label, rounds, warmup, classes, notes };
  } catch (error) {
    process.stderr.write(server.stderrTail());
    throw error;
  } finally {
    await server.stop();
  }
}
