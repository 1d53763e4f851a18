import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { api, PageClient, startAttackServer, type AttackServer } from './attack-kit.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';

/**
 * Account enumeration (GUIDE §2 "same response and timing whether or not the account exists"):
 * the answers for an existing account, an unknown login and a disabled account must be the same
 * after masking what is random by nature (ids, secrets, cookie values, request ids, dates) and
 * the masked email; and the time they take must not tell them apart.
 */

const EXISTING = 'user@contoso.example';
const UNKNOWN = 'nobody-here@contoso.example';
const DISABLED = 'disabled@contoso.example';

interface Snapshot {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

const MASKED_HEADERS: Readonly<Record<string, string>> = {
  date: '<date>',
  'x-request-id': '<request-id>',
  // derived from the body, which is compared byte for byte (the masked email's length varies)
  'content-length': '<length>',
};

/** The response with every nonce replaced by a placeholder. */
function snapshot(res: LightMyRequestResponse, nonces: readonly string[]): Snapshot {
  const requestId = String(res.headers['x-request-id'] ?? '');
  const csrf = [...res.body.matchAll(/name="_csrf"[^>]*value="([^"]+)"/g)].map((m) => m[1]!);
  // support references on dead ends are random for every account class
  const references = [...res.body.matchAll(/SUP-[A-Z0-9]{4}-[A-Z0-9]{4}/g)].map((m) => m[0]);
  const all = [...nonces, requestId, ...csrf, ...references]
    .filter((n) => n.length > 0)
    .sort((a, b) => b.length - a.length);
  const mask = (text: string): string => {
    let out = text;
    for (const n of all) out = out.split(n).join('<nonce>');
    return out
      .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z/g, '<iso-date>')
      .replace(/\b\d{13}\b/g, '<epoch-ms>')
      .replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, '<hh:mm>');
  };
  const headers = Object.entries(res.headers)
    .flatMap(([name, value]) =>
      Array.isArray(value) ? value.map((v) => [name, v] as const) : [[name, value] as const],
    )
    .map(([name, value]) => [name, MASKED_HEADERS[name] ?? mask(String(value))] as const)
    .sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  return { status: res.statusCode, headers, body: mask(res.body) };
}

function assertSame(label: string, snaps: Record<string, Snapshot>): void {
  const [firstName, first] = Object.entries(snaps)[0]!;
  for (const [name, snap] of Object.entries(snaps).slice(1)) {
    assert.equal(snap.status, first.status, `${label}: status ${name} vs ${firstName}`);
    assert.deepEqual(snap.headers, first.headers, `${label}: headers ${name} vs ${firstName}`);
    assert.equal(snap.body, first.body, `${label}: body ${name} vs ${firstName}`);
  }
}

async function addDisabled(kit: AttackServer): Promise<void> {
  const added = await kit.app.directory.addUser({
    login: DISABLED,
    displayName: 'Dee Disabled',
    role: 'user',
    actor: 'attack',
  });
  assert.ok(added.ok);
  assert.ok(
    (
      await kit.app.directory.setMethod({
        login: DISABLED,
        kind: 'email',
        value: 'dee@personal.example',
        actor: 'attack',
      })
    ).ok,
  );
  assert.ok((await kit.app.directory.disable({ login: DISABLED, actor: 'attack' })).ok);
}

/** API start, GET flow and a wrong code for each login: compared after masking. */
async function compareApi(kit: AttackServer, logins: readonly string[], label: string): Promise<void> {
  const starts: Record<string, Snapshot> = {};
  const views: Record<string, Snapshot> = {};
  const wrongCodes: Record<string, Snapshot> = {};
  const resends: Record<string, Snapshot> = {};
  for (const login of logins) {
    const res = await api(kit.server, 'POST', 'start', { body: { login, altcha: await kit.captcha() } });
    assert.equal(res.status, 202, `${label} start ${login}`);
    const handle: FlowHandle = { flowId: String(res.body.flowId), secret: String(res.body.flowSecret) };
    const masked = (res.body.flow as { maskedEmail: string }).maskedEmail;
    const nonces = [handle.flowId, handle.secret, masked];
    starts[login] = snapshot(res.res, nonces);
    views[login] = snapshot((await api(kit.server, 'GET', 'flow', { flow: handle })).res, nonces);
    resends[login] = snapshot((await api(kit.server, 'POST', 'flow/resend', { flow: handle, body: {} })).res, nonces);
    wrongCodes[login] = snapshot(
      (await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: '000000' } })).res,
      nonces,
    );
  }
  assertSame(`${label} API POST /start`, starts);
  assertSame(`${label} API GET /flow`, views);
  assertSame(`${label} API POST /flow/resend`, resends);
  assertSame(`${label} API POST /flow/code (wrong)`, wrongCodes);
}

/** Page POST /reset and the first GET /reset/flow for each login: compared after masking. */
async function comparePages(kit: AttackServer, logins: readonly string[], label: string): Promise<void> {
  const posts: Record<string, Snapshot> = {};
  const flows: Record<string, Snapshot> = {};
  const wrongCodes: Record<string, Snapshot> = {};
  for (const login of logins) {
    const browser = new PageClient(kit.server);
    const post = await browser.start(kit, login);
    const handle = browser.flow();
    assert.ok(handle, `${label}: a flow cookie for ${login}`);
    const view = await kit.app.reset.view(handle);
    assert.ok(view.ok);
    const nonces = [handle.flowId, handle.secret, view.value.maskedEmail];
    posts[login] = snapshot(post, nonces);
    const page = await browser.get('/reset/flow');
    flows[login] = snapshot(page, nonces);
    const wrong = await browser.post('/reset/flow/code', {
      code: '000000',
      _csrf: (/name="_csrf"[^>]*value="([^"]+)"/.exec(page.body) ?? [])[1] ?? '',
    });
    wrongCodes[login] = snapshot(wrong, nonces);
  }
  assertSame(`${label} page POST /reset`, posts);
  assertSame(`${label} page GET /reset/flow`, flows);
  assertSame(`${label} page POST /reset/flow/code (wrong)`, wrongCodes);
}

test('enumeration: existing, unknown and disabled accounts get identical API and page answers (default tenant policy)', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    await addDisabled(kit);
    await compareApi(kit, [EXISTING, UNKNOWN, DISABLED], 'default policy');
    await comparePages(kit, [EXISTING, UNKNOWN, DISABLED], 'default policy');
  } finally {
    await kit.close();
  }
});

test('enumeration: a tenant with a help desk and its own password length still answers identically (API and pages)', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    await addDisabled(kit);
    const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(tenant.ok);
    await kit.app.store.directory.updateTenantPolicy(
      tenant.value.id,
      {
        ...tenant.value.policy,
        helpdeskEmail: 'helpdesk@contoso.example',
        helpdeskUrl: 'https://help.contoso.example',
        passwordMinLength: 12,
      },
      kit.app.clock.now(),
    );
    // pages first: they hide the help desk until a gate passed
    await comparePages(kit, [EXISTING, UNKNOWN, DISABLED], 'tenant help desk');
    await compareApi(kit, [EXISTING, UNKNOWN, DISABLED], 'tenant help desk');
  } finally {
    await kit.close();
  }
});

test('enumeration: the masked email does not tell an existing account from an unknown one', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    const domainOf = (masked: string) => masked.slice(masked.lastIndexOf('@') + 1);
    // what an attacker learns about decoys from 30 logins that surely do not exist
    const decoyDomains = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const started = await kit.app.reset.start(`ghost-${i}@contoso.example`, { ip: null, userAgent: null });
      assert.ok(started.ok);
      const view = await kit.app.reset.view(started.value);
      assert.ok(view.ok);
      decoyDomains.add(domainOf(view.value.maskedEmail));
    }
    const leaks: string[] = [];
    for (const account of kit.accounts) {
      const started = await kit.app.reset.start(account.login, { ip: null, userAgent: null });
      assert.ok(started.ok);
      const view = await kit.app.reset.view(started.value);
      assert.ok(view.ok);
      const domain = domainOf(view.value.maskedEmail);
      if (!decoyDomains.has(domain)) leaks.push(`${account.login} → ${view.value.maskedEmail}`);
    }
    console.log(`[enumeration] decoy mask domains seen: ${[...decoyDomains].sort().join(', ')}`);
    assert.deepEqual(
      leaks,
      [],
      `an existing account's masked email shows a domain no unknown login ever shows, so it tells the account exists: ${leaks.join('; ')}`,
    );
  } finally {
    await kit.close();
  }
});

// ---- timing ----------------------------------------------------------------------------------

const ROUNDS = 500;
const WARMUP = 30;
const MAX_MEDIAN_DIFF_MS = 5;
// 100 accounts for the API and 100 others for the pages: ≤ 6 resets each, under the 10 emails / 10 min
// per account limit (past it the existing path would stop sending and look like the unknown one)
const EXISTING_ACCOUNTS = 100;

interface Stats {
  readonly median: number;
  readonly p90: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p90: at(0.9) };
}

function report(what: string, a: readonly number[], u: readonly number[]): number {
  const sa = stats(a);
  const su = stats(u);
  const diff = sa.median - su.median;
  console.log(
    `[timing] ${what}: existing n=${a.length} median ${sa.median.toFixed(3)} ms p90 ${sa.p90.toFixed(3)} ms | ` +
      `unknown n=${u.length} median ${su.median.toFixed(3)} ms p90 ${su.p90.toFixed(3)} ms | ` +
      `median difference ${diff.toFixed(3)} ms (limit ±${MAX_MEDIAN_DIFF_MS} ms)`,
  );
  return diff;
}

/** Emails queued so far for these accounts (from the store, not the dev outbox, which keeps only 500). */
async function emailsQueued(kit: AttackServer, logins: readonly string[]): Promise<number> {
  let sum = 0;
  for (const login of logins) {
    const account = await kit.app.store.directory.findAccountByLogin(login);
    assert.ok(account);
    sum += await kit.app.store.flows.countMessages({ accountId: account.id, channel: 'email', since: 0 });
  }
  return sum;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, value];
}

test(`enumeration timing: ${ROUNDS} interleaved starts and flow views, existing vs unknown (HTTP, SQLite, CAPTCHAs solved beforehand)`, async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: '1000000' });
  try {
    const existing: string[] = [];
    for (let i = 0; i < 2 * EXISTING_ACCOUNTS; i++) {
      const login = `timing-${i}@contoso.example`;
      assert.ok(
        (await kit.app.directory.addUser({ login, displayName: `Timing ${i}`, role: 'user', actor: 'attack' })).ok,
      );
      assert.ok(
        (await kit.app.directory.setMethod({ login, kind: 'email', value: `t${i}@personal.example`, actor: 'attack' }))
          .ok,
      );
      existing.push(login);
    }
    const total = ROUNDS + WARMUP;
    const before = await emailsQueued(kit, existing);
    const solved: string[] = [];
    for (let i = 0; i < 2 * total * 2; i++) solved.push(await kit.captcha());
    const nextCaptcha = () => solved.pop()!;

    // -- API POST /start --
    const apiA: number[] = [];
    const apiU: number[] = [];
    const apiHandles: { a: FlowHandle[]; u: FlowHandle[] } = { a: [], u: [] };
    for (let i = 0; i < total; i++) {
      for (const kind of ['a', 'u'] as const) {
        const login = kind === 'a' ? existing[i % EXISTING_ACCOUNTS]! : `ghost-${i}@contoso.example`;
        const body = { login, altcha: nextCaptcha() };
        const [ms, res] = await timed(() => api(kit.server, 'POST', 'start', { body }));
        assert.equal(res.status, 202);
        if (i < WARMUP) continue;
        (kind === 'a' ? apiA : apiU).push(ms);
        apiHandles[kind].push({ flowId: String(res.body.flowId), secret: String(res.body.flowSecret) });
      }
    }
    const d1 = report('API POST /api/v1/reset/start', apiA, apiU);

    // -- API GET /flow (the first view after start) --
    const viewA: number[] = [];
    const viewU: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of ['a', 'u'] as const) {
        const flow = apiHandles[kind][i]!;
        const [ms, res] = await timed(() => api(kit.server, 'GET', 'flow', { flow }));
        assert.equal(res.status, 200);
        (kind === 'a' ? viewA : viewU).push(ms);
      }
    }
    const d2 = report('API GET /api/v1/reset/flow', viewA, viewU);

    // -- page POST /reset (one CSRF token, reused) --
    const browser = new PageClient(kit.server);
    const form = await browser.get('/reset');
    const csrf = (/name="_csrf"[^>]*value="([^"]+)"/.exec(form.body) ?? [])[1] ?? '';
    const csrfCookie = browser.cookieHeader();
    const pageA: number[] = [];
    const pageU: number[] = [];
    const pageCookies: { a: string[]; u: string[] } = { a: [], u: [] };
    for (let i = 0; i < total; i++) {
      for (const kind of ['a', 'u'] as const) {
        const login =
          kind === 'a' ? existing[EXISTING_ACCOUNTS + (i % EXISTING_ACCOUNTS)]! : `phantom-${i}@contoso.example`;
        const payload = new URLSearchParams({ login, altcha: nextCaptcha(), _csrf: csrf }).toString();
        const [ms, res] = await timed(() =>
          kit.server.inject({
            method: 'POST',
            url: '/reset',
            headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, accept: 'text/html' },
            payload,
          }),
        );
        assert.equal(res.statusCode, 303, res.body.slice(0, 200));
        if (i < WARMUP) continue;
        (kind === 'a' ? pageA : pageU).push(ms);
        const flowCookie = res.cookies.find((c) => c.name.endsWith('sspr_flow'));
        assert.ok(flowCookie);
        pageCookies[kind].push(`${flowCookie.name}=${flowCookie.value}`);
      }
    }
    const d3 = report('page POST /reset', pageA, pageU);

    // -- page GET /reset/flow (the first page after start) --
    const flowA: number[] = [];
    const flowU: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of ['a', 'u'] as const) {
        const cookie = pageCookies[kind][i]!;
        const [ms, res] = await timed(() =>
          kit.server.inject({ method: 'GET', url: '/reset/flow', headers: { cookie, accept: 'text/html' } }),
        );
        assert.equal(res.statusCode, 200);
        (kind === 'a' ? flowA : flowU).push(ms);
      }
    }
    const d4 = report('page GET /reset/flow', flowA, flowU);

    // the existing accounts really were sent a code each time (else this compares two unknown paths)
    const after = await emailsQueued(kit, existing);
    assert.equal(after - before, 2 * total, 'every start for an existing account queued an email');

    for (const [what, d] of [
      ['API start', d1],
      ['API flow view', d2],
      ['page POST /reset', d3],
      ['page GET /reset/flow', d4],
    ] as const) {
      assert.ok(
        Math.abs(d) <= MAX_MEDIAN_DIFF_MS,
        `${what}: median difference ${d.toFixed(3)} ms > ${MAX_MEDIAN_DIFF_MS} ms`,
      );
    }
  } finally {
    await kit.close();
  }
});
