import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertExit, assertRefused, dbFingerprint, sspr, tempDataDir, type Run } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());
const run = (args: string[]): Promise<Run> => sspr(data.dir, args, { timeoutMs: 120_000 });
const file = (name: string, content: string): string => {
  const p = path.join(data.dir, name);
  writeFileSync(p, content);
  return p;
};

interface ReportJson {
  dryRun: boolean;
  lines: { line: number; login: string; outcome: string; reason: string | null }[];
  counts: Record<string, number>;
  failedBatches: number;
}

function report(r: Run): ReportJson {
  return JSON.parse(r.stdout) as ReportJson;
}

function db<T>(fn: (d: Database.Database) => T): T {
  const d = new Database(path.join(data.dir, 'sspr.db'), { readonly: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

before(async () => {
  assertExit(await run(['tenant', 'create', 'Contoso', '--domain', 'contoso.example']), 0, 'tenant create');
  assertExit(await run(['tenant', 'create', 'Fabrikam', '--domain', 'fabrikam.example']), 0, 'tenant create');
});

const CSV = [
  'login,name,role,alternate_email,phone',
  'ada@contoso.example,Ada Lovelace,admin,ada.private@mail.example,+44 7700 900123',
  '"grace@contoso.example","Hopper, Grace",,,',
  'bob@nowhere.example,Bob Nobody,user,,',
  'carl@contoso.example,Carl,wizard,,',
  'dora@fabrikam.example,"Dora ""the"" Explorer",user,dora@mail.example,',
  'eve@contoso.example,Eve,user,not-an-email,',
  'ada@contoso.example,Ada Again,user,,',
  '',
].join('\r\n');

test('user import of a CSV file: per-line report (added / error with reason); bad lines do not stop the others; audited', async () => {
  const csv = file('people.csv', CSV);
  const r = await run(['user', 'import', csv, '--json']);
  assertExit(r, 1, 'import with refused lines exits 1');
  assert.match(r.stderr, /4 line\(s\) were refused.*\(import_lines_refused\)/);
  const rep = report(r);
  assert.deepEqual(
    rep.lines.map((l) => [l.line, l.login, l.outcome]),
    [
      [2, 'ada@contoso.example', 'added'],
      [3, 'grace@contoso.example', 'added'],
      [4, 'bob@nowhere.example', 'error'],
      [5, 'carl@contoso.example', 'error'],
      [6, 'dora@fabrikam.example', 'added'],
      [7, 'eve@contoso.example', 'error'],
      [8, 'ada@contoso.example', 'error'],
    ],
  );
  assert.match(rep.lines[2]!.reason!, /no tenant has the domain nowhere\.example/);
  assert.match(rep.lines[3]!.reason!, /"wizard" is not a role/);
  assert.match(rep.lines[5]!.reason!, /not an email address/);
  assert.match(rep.lines[6]!.reason!, /already on line 2/);
  assert.deepEqual(rep.counts, { added: 3, updated: 0, unchanged: 0, error: 4 });

  const rows = db((d) =>
    d
      .prepare(
        `select a.login, a.display_name as name, a.role, a.password_hash as pw,
          (select value from methods m where m.account_id = a.id and m.kind = 'email') as email,
          (select value from methods m where m.account_id = a.id and m.kind = 'phone') as phone,
          (select verified_at is not null from methods m where m.account_id = a.id and m.kind = 'phone') as phoneVerified
         from accounts a order by a.login`,
      )
      .all(),
  );
  assert.deepEqual(rows, [
    {
      login: 'ada@contoso.example',
      name: 'Ada Lovelace',
      role: 'admin',
      pw: null,
      email: 'ada.private@mail.example',
      phone: '+447700900123',
      phoneVerified: 1,
    },
    {
      login: 'dora@fabrikam.example',
      name: 'Dora "the" Explorer',
      role: 'user',
      pw: null,
      email: 'dora@mail.example',
      phone: null,
      phoneVerified: null,
    },
    {
      login: 'grace@contoso.example',
      name: 'Hopper, Grace',
      role: 'user',
      pw: null,
      email: null,
      phone: null,
      phoneVerified: null,
    },
  ]);
  const audit = db((d) =>
    d
      .prepare(
        `select type, count(*) as n from audit_events where actor = 'cli' and details like '%"source":"import"%' group by type order by type`,
      )
      .all(),
  );
  assert.deepEqual(audit, [{ type: 'account.created', n: 3 }]);
  const ada = db((d) =>
    d.prepare(`select details from audit_events where type = 'account.created' and details like '%ada@contoso%'`).get(),
  ) as { details: string };
  assert.deepEqual(
    [JSON.parse(ada.details).email, JSON.parse(ada.details).phone],
    ['a••••@mail.example', '••• ••• ••23'],
    'the pre-filled methods are in the event, masked',
  );
});

test('a second run of the same file reports every imported line unchanged and writes nothing', async () => {
  const before = dbFingerprint(data.dir);
  const r = await run(['user', 'import', path.join(data.dir, 'people.csv'), '--json']);
  assertExit(r, 1, 'the same refused lines are refused again');
  const rep = report(r);
  assert.deepEqual(
    rep.lines.filter((l) => l.outcome !== 'error').map((l) => [l.line, l.outcome]),
    [
      [2, 'unchanged'],
      [3, 'unchanged'],
      [6, 'unchanged'],
    ],
  );
  assert.equal(dbFingerprint(data.dir), before, 'nothing written on a re-run');
});

test('user import of JSON Lines updates what differs; --dry-run reports the same and writes nothing', async () => {
  const jsonl = file(
    'people.jsonl',
    [
      JSON.stringify({ login: 'grace@contoso.example', name: 'Grace Hopper', role: 'admin' }),
      JSON.stringify({
        login: 'ada@contoso.example',
        name: 'Ada Lovelace',
        alternate_email: 'ada.private@mail.example',
      }),
      JSON.stringify({ login: 'hal@contoso.example', name: 'Hal', phone: '+15555550100', alternate_email: null }),
      '{"login": "broken"',
      JSON.stringify({ login: 'ivy@contoso.example', name: 'Ivy', password: 'nope' }),
      '',
    ].join('\n'),
  );
  const before = dbFingerprint(data.dir);
  const dry = await run(['user', 'import', jsonl, '--dry-run']);
  assertExit(dry, 1, 'dry run with refused lines');
  assert.match(dry.stdout, /^LINE +LOGIN +RESULT +DETAIL$/m);
  assert.match(dry.stdout, /^1 +grace@contoso\.example +updated +name, role$/m);
  assert.match(dry.stdout, /^2 +ada@contoso\.example +unchanged$/m);
  assert.match(dry.stdout, /^3 +hal@contoso\.example +added$/m);
  assert.match(dry.stdout, /^4 +- +error +not valid JSON/m);
  assert.match(dry.stdout, /^5 +- +error +unknown field "password"/m);
  assert.match(dry.stdout, /Dry run: 1 added, 1 updated, 1 unchanged, 2 refused\. Nothing was written\./);
  assert.equal(dbFingerprint(data.dir), before, 'a dry run writes nothing');

  const real = await run(['user', 'import', jsonl, '--json']);
  assertExit(real, 1, 'import with refused lines');
  assert.deepEqual(
    report(real).lines.map((l) => [l.line, l.outcome, l.reason]),
    [
      [1, 'updated', 'name, role'],
      [2, 'unchanged', null],
      [3, 'added', null],
      [4, 'error', report(real).lines[3]!.reason],
      [5, 'error', report(real).lines[4]!.reason],
    ],
  );
  const grace = db((d) =>
    d.prepare(`select display_name as name, role from accounts where login = 'grace@contoso.example'`).get(),
  );
  assert.deepEqual(grace, { name: 'Grace Hopper', role: 'admin' });
  const again = await run(['user', 'import', jsonl, '--json']);
  assert.deepEqual(
    report(again)
      .lines.filter((l) => l.outcome !== 'error')
      .map((l) => l.outcome),
    ['unchanged', 'unchanged', 'unchanged'],
  );
});

test('a file without a usable header is refused as a whole', async () => {
  const before = dbFingerprint(data.dir);
  const r = await run(['user', 'import', file('bad.csv', 'login,nickname\nx@contoso.example,X\n')]);
  assertRefused(r, 'import_header_invalid', 'unknown column');
  assert.match(r.stderr, /Unknown column "nickname"/);
  assertRefused(await run(['user', 'import', file('x.txt', 'a')]), 'import_format_unknown', 'no format');
  assert.equal(dbFingerprint(data.dir), before);
});

test('1,000 accounts are imported in seconds (two batches of 500), and a re-run reports 1,000 unchanged', async () => {
  const lines = ['login,name,role,alternate_email,phone'];
  for (let i = 0; i < 1000; i++) {
    lines.push(
      `bulk${i}@contoso.example,Bulk Person ${i},user,bulk${i}@mail.example,+4477009${String(i).padStart(5, '0')}`,
    );
  }
  const csv = file('bulk.csv', lines.join('\n') + '\n');
  const t0 = performance.now();
  const r = await run(['user', 'import', csv, '--json']);
  const seconds = (performance.now() - t0) / 1000;
  assertExit(r, 0, 'bulk import');
  assert.deepEqual(report(r).counts, { added: 1000, updated: 0, unchanged: 0, error: 0 });
  console.log(`# 1,000-line import (the CLI command in process, SQLite): ${seconds.toFixed(2)} s`);
  assert.ok(seconds < 20, `1,000 accounts took ${seconds.toFixed(1)} s`);

  const t1 = performance.now();
  const again = await run(['user', 'import', csv, '--json']);
  console.log(`# 1,000-line re-run (all unchanged): ${((performance.now() - t1) / 1000).toFixed(2)} s`);
  assertExit(again, 0, 'bulk re-run');
  assert.deepEqual(report(again).counts, { added: 0, updated: 0, unchanged: 1000, error: 0 });
});
