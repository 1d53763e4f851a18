import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createPostgresDatabase, type TestPostgresDatabase } from '../helpers/databases.ts';
import { startSmtpListener, type SmtpListener, type ReceivedMail } from '../helpers/smtp-listener.ts';
import { OUTBOX_DEFAULT_BATCH } from '../../src/service/outbox-worker.ts';
import {
  call,
  captchas,
  codeIn,
  countRedisKeys,
  errorCode,
  flushRedisPrefix,
  keyPrefix,
  NEW_PASSWORD,
  secretKey,
  seedDirectory,
  SHARED_REDIS,
  sleep,
  start,
  startInstance,
  type Handle,
  type Instance,
} from './scale-kit.ts';

/**
 * Two real `sspr serve` processes on different ports sharing one PostgreSQL database, the shared
 * Redis (under a key prefix of this run) and one SMTP listener: any instance serves any step,
 * attempt limits hold across them, every message goes out exactly once, and a kill -9 loses
 * nothing and leaves no half-reset account.
 */

let db: TestPostgresDatabase;
let smtp: SmtpListener;
let sql: pg.Client;
let a: Instance;
let b: Instance;
const prefix = keyPrefix();
const metricsToken = randomBytes(16).toString('hex');
let env: Record<string, string>;

before(async () => {
  db = await createPostgresDatabase();
  smtp = await startSmtpListener();
  await seedDirectory(db.url, 2, 0);
  env = {
    SSPR_DATABASE_URL: db.url,
    SSPR_REDIS_URL: SHARED_REDIS,
    SSPR_REDIS_KEY_PREFIX: prefix,
    SSPR_SMTP_URL: smtp.url,
    SSPR_SMS_PROVIDER: 'none',
    SSPR_SECRET_KEY: secretKey(),
    SSPR_PUBLIC_URL: 'https://reset.example.test',
    SSPR_START_LIMIT_PER_IP: '1000000',
    SSPR_VERIFY_LIMIT_PER_IP: '1000000',
    // a killed instance's claims lapse after 4 s (a send starts only while 2 s of its claim are left)
    SSPR_OUTBOX_CLAIM_MS: '4000',
    SSPR_SHUTDOWN_TIMEOUT_MS: '5000',
    SSPR_METRICS_TOKEN: metricsToken,
  };
  [a, b] = await Promise.all([startInstance('a', env), startInstance('b', env)]);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

after(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await sql?.end();
  await smtp?.close();
  await db?.drop();
  await flushRedisPrefix(SHARED_REDIS, prefix);
});

function mailsTo(address: string): ReceivedMail[] {
  return smtp.messages.filter((m) => m.envelopeTo.includes(address));
}

async function codeFor(address: string, timeoutMs = 10_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mail = mailsTo(address).at(-1);
    if (mail) return codeIn(mail.text);
    if (Date.now() > until) throw new Error(`no message reached ${address} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await sleep(20);
  }
}

/** A gauge of an instance, read from its /metrics. */
async function gauge(instance: Instance, name: string): Promise<number> {
  const res = await fetch(`${instance.url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${instance.name}'s /metrics: ${text}`);
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  assert.ok(value !== undefined, `${name} in ${instance.name}'s /metrics`);
  return Number(value);
}

/**
 * Waits until nothing more can go out: no reset.code message is waiting or being sent in the
 * database, and then the outbox worker of every instance in `instances` has nothing in hand
 * (`sspr_outbox_worker_busy` 0). A message done in the database is never claimed again, so the
 * only send that could still reach the SMTP server is one a worker holds: read after the
 * database, an idle worker holds none. The cross-process "drained" signal instead of a sleep
 * past the claim time.
 */
async function drained(instances: readonly Instance[], timeoutMs = 20_000): Promise<void> {
  await waitUntil(
    'the outbox drained and every worker idle',
    async () => {
      const open = await sql.query<{ n: string }>(
        `select count(*) as n from outbox where template = 'reset.code' and status in ('pending', 'sending')`,
      );
      if (Number(open.rows[0]!.n) > 0) return false;
      for (const instance of instances) if ((await gauge(instance, 'sspr_outbox_worker_busy')) !== 0) return false;
      return true;
    },
    timeoutMs,
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? NaN;
}

test('a flow started on A continues on B and finishes on A; the limits live in the shared Redis', async () => {
  const handle = await start(a.url, 'u0@scale.example');
  const code = await codeFor('alt0@mail.example');
  const verified = await call(b.url, 'POST', 'flow/code', { flow: handle, body: { code } });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal((verified.body.flow as { state: string }).state, 'new_password');
  const next: Handle = { flowId: handle.flowId, secret: String(verified.body.flowSecret) };
  const done = await call(a.url, 'POST', 'flow/password', {
    flow: next,
    body: { password: NEW_PASSWORD, confirm: NEW_PASSWORD },
  });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  assert.equal((done.body.flow as { state: string }).state, 'completed');
  const row = await sql.query<{ password_hash: string | null }>(
    `select password_hash from accounts where login = 'u0@scale.example'`,
  );
  assert.ok(row.rows[0]?.password_hash, 'the password was set');
  assert.ok((await countRedisKeys(SHARED_REDIS, prefix)) > 0, 'the start and verify limits were counted in Redis');
});

test('wrong codes spread over A and B kill the code at 5', async () => {
  const handle = await start(b.url, 'u1@scale.example');
  const right = await codeFor('alt1@mail.example');
  const wrong = (i: number): string => String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0');
  for (let i = 0; i < 5; i++) {
    const target = i % 2 === 0 ? a : b;
    const answer = await call(target.url, 'POST', 'flow/code', { flow: handle, body: { code: wrong(i) } });
    assert.equal(answer.status, 400, `wrong code ${i + 1} on ${target.name}`);
    assert.equal(errorCode(answer), 'invalid_code');
  }
  const late = await call(b.url, 'POST', 'flow/code', { flow: handle, body: { code: right } });
  assert.equal(late.status, 400);
  assert.equal(errorCode(late), 'invalid_code', 'the right code no longer works after 5 wrong ones');
  const late2 = await call(a.url, 'POST', 'flow/code', { flow: handle, body: { code: right } });
  assert.equal(errorCode(late2), 'invalid_code', 'on either instance');
  const codes = await sql.query<{ attempts: number }>(`select attempts from flow_codes where flow_id = $1`, [
    handle.flowId,
  ]);
  assert.equal(codes.rows[0]?.attempts, 5, 'exactly 5 attempts were counted');
});

test('under load (200 resets over A and B) every message is delivered exactly once', async () => {
  const n = 200;
  await seedDirectory(db.url, n, 100);
  const logins = Array.from({ length: n }, (_, i) => `u${100 + i}@scale.example`);
  const solved = await captchas(a.url, n);
  const startedAt = new Map<string, number>();
  const t0 = Date.now();
  await pool(logins, 20, async (login, i) => {
    startedAt.set(login, Date.now());
    await start(i % 2 === 0 ? a.url : b.url, login, solved[i]);
  });
  const startsMs = Date.now() - t0;
  const addresses = logins.map((_, i) => `alt${100 + i}@mail.example`);
  await waitUntil(`${n} messages delivered`, () => addresses.every((x) => mailsTo(x).length > 0), 30_000);
  const deliveredMs = Date.now() - t0;
  // a duplicate would be a send still held by a worker (its claim lapsed and taken again): wait until none holds one
  await drained([a, b]);
  const counts = addresses.map((x) => mailsTo(x).length);
  assert.deepEqual(
    counts.filter((c) => c !== 1),
    [],
    'each recipient got exactly one message',
  );
  const latencies = logins
    .map((login, i) => mailsTo(addresses[i]!)[0]!.receivedAt - startedAt.get(login)!)
    .sort((x, y) => x - y);
  const rows = await sql.query<{ status: string; n: string }>(
    `select status, count(*) as n from outbox where template = 'reset.code' and account_id in
       (select id from accounts where login = any($1)) group by status`,
    [logins],
  );
  assert.deepEqual(
    rows.rows.map((r) => [r.status, Number(r.n)]),
    [['sent', n]],
    'every outbox row is sent, once',
  );
  console.log(
    `[scale] ${n} starts over 2 instances (20 in parallel, CAPTCHAs solved beforehand) in ${startsMs} ms; ` +
      `all delivered after ${deliveredMs} ms; start→SMTP latency p50 ${percentile(latencies, 0.5)} ms, ` +
      `p95 ${percentile(latencies, 0.95)} ms, max ${latencies.at(-1)} ms (poll interval 1000 ms)`,
  );
});

test('kill -9 of A mid-load: B delivers what A held, nothing is lost, no account is half-reset', async () => {
  const n = 120;
  const resets = 30;
  await seedDirectory(db.url, n, 300);
  await seedDirectory(db.url, resets, 600);
  // 30 flows ready for their new password (codes verified before the load)
  const ready: { login: string; handle: Handle }[] = [];
  await pool(
    Array.from({ length: resets }, (_, i) => i),
    10,
    async (i) => {
      const login = `u${600 + i}@scale.example`;
      const handle = await start(b.url, login);
      const code = await codeFor(`alt${600 + i}@mail.example`);
      const v = await call(b.url, 'POST', 'flow/code', { flow: handle, body: { code } });
      assert.equal(v.status, 200);
      ready.push({ login, handle: { flowId: handle.flowId, secret: String(v.body.flowSecret) } });
    },
  );

  const logins = Array.from({ length: n }, (_, i) => `u${300 + i}@scale.example`);
  const solved = await captchas(b.url, 2 * n);
  smtp.setDataDelay(25); // sends take a while: A holds claims when it dies
  const before = smtp.messages.length;
  let killedAt = 0;
  let passwordsSent = 0;
  let passwordsAnswered = 0;
  const killer = (async () => {
    await waitUntil(
      'some of the load delivered and the first password change answered',
      () => smtp.messages.length - before >= 10 && passwordsAnswered >= 1,
      20_000,
    );
    killedAt = Date.now();
    await a.kill9();
  })();
  let retried = 0;
  const loadStarts = pool(logins, 16, async (login, i) => {
    if (i % 2 === 0 && killedAt === 0) {
      try {
        await start(a.url, login, solved[i]);
        return;
      } catch {
        retried++; // A died under this request: the client tries again elsewhere
      }
    }
    await start(b.url, login, solved[n + i]);
  });
  const passwords = pool(ready, 30, async ({ handle }, i) => {
    await sleep(i * 10);
    passwordsSent++;
    try {
      const r = await call(a.url, 'POST', 'flow/password', {
        flow: handle,
        body: { password: NEW_PASSWORD, confirm: NEW_PASSWORD },
        timeoutMs: 10_000,
      });
      passwordsAnswered++;
      return r.status;
    } catch {
      return 0; // the connection died with A
    }
  });
  await killer;
  await loadStarts;
  const statuses = await passwords;

  // every reset.code message of the load is sent in the end (B takes A's lapsed claims), but for
  // the code of a start that A committed and then died before answering: the client's retry on B
  // started anew, which replaced that code, and a replaced code is dropped, never delivered
  await waitUntil(
    'every queued message sent or dropped as replaced',
    async () => {
      const r = await sql.query<{ n: string }>(
        `select count(*) as n from outbox where status not in ('sent', 'expired') and template = 'reset.code'`,
      );
      return Number(r.rows[0]!.n) === 0;
    },
    20_000,
  );
  const droppedLive = await sql.query<{ n: string }>(
    `select count(*) as n from outbox o join flow_codes c on c.id = o.code_id
      where o.template = 'reset.code' and o.status = 'expired' and c.superseded_at is null`,
  );
  assert.equal(Number(droppedLive.rows[0]!.n), 0, 'only replaced codes were dropped');
  // B's sends of what A held end before the count (A is gone: nothing of it is in flight any more)
  await drained([b]);
  smtp.setDataDelay(0);
  const addresses = new Set(logins.map((_, i) => `alt${300 + i}@mail.example`));
  const outcome = await sql.query<{ status: string; n: string }>(
    `select status, count(*) as n from outbox where template = 'reset.code' and account_id in
       (select id from accounts where login = any($1)) group by status`,
    [logins],
  );
  const count = (status: string): number => Number(outcome.rows.find((r) => r.status === status)?.n ?? 0);
  const received = smtp.messages.filter((m) => m.envelopeTo.some((t) => addresses.has(t)));
  const distinct = new Set(received.map((m) => `${m.envelopeTo.join(',')}|${codeIn(m.text)}`));
  // a message A handed to the SMTP server just before dying, whose code the client's retry then
  // replaced, was received and yet is recorded as dropped: so between "sent" and "sent + dropped"
  assert.ok(
    distinct.size >= count('sent') && distinct.size <= count('sent') + count('expired'),
    `every message marked sent reached the SMTP server: ${distinct.size} received, ${count('sent')} sent, ${count('expired')} dropped as replaced`,
  );
  for (const address of addresses) assert.ok(mailsTo(address).length >= 1, `${address} got its code`);
  const duplicates = received.length - distinct.size;
  // A records a batch's outcomes together (outbox-batch.ts): what it sent of the batch it held at
  // the kill is not marked sent, and B sends it again (docs/architecture.md: at most one batch)
  assert.ok(
    duplicates <= OUTBOX_DEFAULT_BATCH,
    `duplicates only for A's batch in hand at the kill (at most ${OUTBOX_DEFAULT_BATCH}): ${duplicates}`,
  );

  // all or nothing for every reset that was in flight
  const consistent = await sql.query<{
    login: string;
    hash: boolean;
    state: string;
    changed: string;
    notices: string;
  }>(
    `select a.login, a.password_hash is not null as hash, f.state,
            (select count(*) from audit_events e where e.account_id = a.id and e.type = 'password.changed') as changed,
            (select count(*) from outbox o where o.account_id = a.id and o.template = 'reset.completed') as notices
       from accounts a join flows f on f.account_id = a.id
      where a.login = any($1)`,
    [ready.map((r) => r.login)],
  );
  let completed = 0;
  for (const row of consistent.rows) {
    const done = row.hash;
    assert.equal(row.state === 'completed', done, `${row.login}: flow state matches the password`);
    assert.equal(Number(row.changed), done ? 1 : 0, `${row.login}: audit matches`);
    assert.equal(Number(row.notices) > 0, done, `${row.login}: notice queued with the change`);
    if (done) completed++;
  }
  statuses.forEach((s, i) => {
    if (s === 200)
      assert.ok(consistent.rows.find((r) => r.login === ready[i]!.login)?.hash, 'a 200 is a completed reset');
  });
  console.log(
    `[scale] kill -9 of A (${passwordsSent} password changes sent by then): ${retried} starts retried on B, ` +
      `${received.length} messages for ${distinct.size} queued (${duplicates} duplicate(s) from sends in flight), ` +
      `password resets in flight: ${statuses.filter((s) => s === 200).length} answered 200, ` +
      `${statuses.filter((s) => s === 0).length} cut off; ${completed}/${resets} completed, the rest untouched`,
  );

  // A comes back and serves again
  a = await startInstance('a2', env);
  const handle = await start(a.url, 'u1@scale.example');
  assert.ok(handle.flowId, 'the restarted instance serves');
});
