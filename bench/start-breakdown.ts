/**
 * Where one reset start spends its time, in one process, without sockets or a load generator:
 * the API route through Fastify's `inject`, with every SQLite statement timed inside
 * better-sqlite3, and the CAPTCHA check, the SQL limiter and the service call timed on their own.
 * Sequential, so the numbers are per request on one core. Run:
 *
 *   node --import tsx bench/start-breakdown.ts [requests=2000]
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { MemoryLimiter } from '../src/adapters/memory-limiter.ts';
import { SqlLimiter } from '../src/adapters/sql-limiter.ts';
import { buildServer } from '../src/http/server.ts';
import { createTestApp } from '../test/helpers/test-app.ts';
import { captchaPool } from './sspr-target.ts';

const N = Number(process.argv[2] ?? '2000');

// time every statement better-sqlite3 runs, by its SQL text
const statements = new Map<string, { n: number; us: number }>();
{
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
  for (const method of ['run', 'all', 'get']) {
    const original = proto[method] as (...a: unknown[]) => unknown;
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const t0 = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const key = this.source.replace(/\s+/g, ' ').slice(0, 100);
        const e = statements.get(key) ?? { n: 0, us: 0 };
        e.n++;
        e.us += (performance.now() - t0) * 1000;
        statements.set(key, e);
      }
    };
  }
  probe.close();
}

const masterKey = randomBytes(32);
const t = await createTestApp({
  SSPR_SECRET_KEY: masterKey.toString('base64'),
  SSPR_START_LIMIT_PER_IP: '1000000',
  SSPR_CAPTCHA_MAX_NUMBER: '1000',
  SSPR_SMS_PROVIDER: 'none',
});
const tenant = await t.app.directory.createTenant({ name: 'Bench', domains: ['bench.example'], actor: 'bench' });
if (!tenant.ok) throw new Error(tenant.error);
const accounts = N + 300;
await t.app.store.transaction(async (tx) => {
  for (let i = 0; i < accounts; i++) {
    const id = t.app.random.uuid();
    const now = Date.now();
    await tx.directory.createAccount({
      id,
      tenantId: tenant.value.id,
      login: `u${i}@bench.example`,
      displayName: `User ${i}`,
      role: 'user',
      enabled: true,
      passwordHash: null,
      mustChangePassword: false,
      now,
    });
    await tx.directory.setMethod(id, 'email', `u${i}@alt.example`, now, now);
  }
});
const server = await buildServer(t.app);

// pre-solved CAPTCHA payloads signed with the app's keys (the search itself is the client's cost)
const payloads = await captchaPool(masterKey, 3 * (N + 300));
let p = 0;

async function measure(name: string, n: number, fn: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < 100; i++) await fn(-1 - i);
  statements.clear();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const cpu = process.cpuUsage(cpu0);
  const sqlUs = [...statements.values()].reduce((a, s) => a + s.us, 0) / n;
  const count = [...statements.values()].reduce((a, s) => a + s.n, 0) / n;
  console.log(
    `${name.padEnd(34)} wall ${(((performance.now() - t0) * 1000) / n).toFixed(0).padStart(5)} µs, ` +
      `CPU ${((cpu.user + cpu.system) / n).toFixed(0).padStart(5)} µs, ` +
      `${count.toFixed(1)} statements taking ${sqlUs.toFixed(0)} µs inside SQLite`,
  );
}

async function apiStart(login: string, i: number): Promise<void> {
  const r = await server.inject({
    method: 'POST',
    url: '/api/v1/reset/start',
    payload: { login, altcha: payloads[p++ % payloads.length] },
    remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
  if (r.statusCode !== 202) throw new Error(`${r.statusCode} ${r.body}`);
}

/** A junk start (the flood's kinds, bench/flood-client.ts): asserts it is refused with `expect`. */
async function apiJunk(body: Record<string, string>, i: number, expect: number): Promise<void> {
  const r = await server.inject({
    method: 'POST',
    url: '/api/v1/reset/start',
    payload: body,
    remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
  });
  if (r.statusCode !== expect) throw new Error(`${r.statusCode} ${r.body}`);
}
const foreign = await captchaPool(randomBytes(32), 50);

console.log(`one process, ${N} sequential requests each (SQLite file, dev outbox; no email is sent)\n`);
await measure('junk: no CAPTCHA proof', N, (i) => apiJunk({ login: `j${i}@bench.example` }, i, 400));
await measure('junk: not a proof', N, (i) => apiJunk({ login: `j${i}@bench.example`, altcha: 'not-a-proof' }, i, 400));
await measure('junk: proof signed by another key', N, (i) =>
  apiJunk({ login: `j${i}@bench.example`, altcha: foreign[Math.abs(i) % foreign.length]! }, i, 400),
);
const used = payloads.slice(0, 100);
p = 100;
for (const [i, altcha] of used.entries()) await apiJunk({ login: `warm${i}@bench.example`, altcha }, i, 202);
await measure('junk: replayed proof', N, (i) =>
  apiJunk({ login: `j${i}@bench.example`, altcha: used[Math.abs(i) % used.length]! }, i, 400),
);
const replayStatements = [...statements].sort((a, b) => b[1].us - a[1].us);
await measure('API start, unknown account', N, (i) => apiStart(`nobody${i + 200}@bench.example`, i + 200));
const unknownStatements = [...statements].sort((a, b) => b[1].us - a[1].us);
await measure('API start, existing account', N, (i) => apiStart(`u${i + 200}@bench.example`, i + 200));
const existingStatements = [...statements].sort((a, b) => b[1].us - a[1].us);
await measure('  ResetService.start (existing)', 300, async (i) => {
  await t.app.reset.start(`u${(i + 300 + accounts) % accounts}@bench.example`, { ip: '10.9.9.9', userAgent: 'x' });
});
await measure('  captcha.check', N, async () => {
  if (!t.app.captcha.check(payloads[p++ % payloads.length] as string)) throw new Error('captcha');
});
const sqlLimiter = new SqlLimiter(t.app.store);
await measure('  SqlLimiter.consume (SQLite)', N, async (i) => {
  await sqlLimiter.consume(`ip:${i % 500}`, 1_000_000, 600_000);
});
const memoryLimiter = new MemoryLimiter();
await measure('  MemoryLimiter.consume', N, async (i) => {
  await memoryLimiter.consume(`ip:${i % 500}`, 1_000_000, 600_000);
});

for (const [title, list] of [
  ['replayed proof', replayStatements],
  ['unknown account', unknownStatements],
  ['existing account', existingStatements],
] as const) {
  console.log(`\nstatements of one API start (${title}): runs per start, µs per start inside SQLite`);
  for (const [sqlText, s] of list)
    console.log(`${(s.n / N).toFixed(1).padStart(5)} ${(s.us / N).toFixed(1).padStart(7)}  ${sqlText}`);
}
await server.close();
await t.cleanup();
