import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, parseImport, type ImportRecord } from '../../src/core/account-import.ts';
import type { Repos, Store } from '../../src/ports/store.ts';
import { importAccounts } from '../../src/service/account-import.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

test('RFC 4180: quotes, doubled quotes, commas and line breaks inside quotes, CRLF, BOM, blank lines', () => {
  const { rows, errors } = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\r\n\r\n"multi\nline",z\n');
  assert.deepEqual(errors, []);
  assert.deepEqual(rows, [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['x, y', 'say "hi"'] },
    { line: 4, fields: ['multi\nline', 'z'] },
  ]);
});

test('RFC 4180: a stray quote or text after a closing quote is an error of its line; an unclosed quote ends reading', () => {
  const { rows, errors } = parseCsv('a,b\nx"y,1\n"q"r,2\nok,3\n"open,4\nlost,5\n');
  assert.deepEqual(
    rows.map((r) => r.line),
    [1, 4],
  );
  assert.deepEqual(
    errors.map((e) => e.line),
    [2, 3, 5],
  );
});

test('CSV import: a line with the wrong number of fields is an error of that line', () => {
  const parsed = parseImport('login,name\na@x.example,A\nb@x.example,B,extra\n', 'csv');
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.value.records.map((r) => r.line),
    [2],
  );
  assert.deepEqual(
    parsed.value.errors.map((e) => e.line),
    [3],
  );
});

let t: TestApp;
before(async () => {
  t = await createTestApp();
  const r = await t.app.directory.createTenant({ name: 'Contoso', domains: ['contoso.example'], actor: 'test' });
  assert.ok(r.ok);
});
after(() => t.cleanup());

const record = (line: number, login: string): ImportRecord => ({
  line,
  login,
  name: `Person ${line}`,
  role: '',
  email: '',
  phone: '',
});

/** The real store, except that creating `boom@…` fails in the database (as a full disk would). */
function failingStore(store: Store): Store {
  const wrap = (tx: Repos): Repos => ({
    ...tx,
    directory: Object.assign(Object.create(tx.directory) as Repos['directory'], {
      createAccount: (a: Parameters<Repos['directory']['createAccount']>[0]) =>
        a.login.startsWith('boom@')
          ? Promise.reject(new Error('SQLITE_FULL: database or disk is full'))
          : tx.directory.createAccount(a),
    }),
  });
  return Object.assign(Object.create(store) as Store, {
    transaction: <T>(fn: (tx: Repos) => Promise<T>) => store.transaction((tx) => fn(wrap(tx))),
  });
}

test('a batch that fails in the database is rolled back and reported; the other batches are written', async () => {
  const { app } = t;
  const deps = {
    store: failingStore(app.store),
    keyring: app.keyring,
    random: app.random,
    clock: app.clock,
    hasher: app.hasher,
    outbox: { wake() {} },
    config: app.config,
  };
  // batches of 2: lines 1–2, 3–4 (boom), 5
  const records = [
    record(1, 'a1@contoso.example'),
    record(2, 'a2@contoso.example'),
    record(3, 'a3@contoso.example'),
    record(4, 'boom@contoso.example'),
    record(5, 'a5@contoso.example'),
  ];
  const report = await importAccounts(deps, records, [], { actor: 'test', batchSize: 2 });
  assert.deepEqual(
    report.lines.map((l) => [l.line, l.outcome]),
    [
      [1, 'added'],
      [2, 'added'],
      [3, 'error'],
      [4, 'error'],
      [5, 'added'],
    ],
  );
  assert.match(report.lines[2]!.reason!, /batch of lines 3–4, nothing of it was written: SQLITE_FULL/);
  assert.equal(report.failedBatches, 1);
  assert.equal(await app.store.directory.findAccountByLogin('a3@contoso.example'), null, 'line 3 rolled back');
  assert.ok(await app.store.directory.findAccountByLogin('a5@contoso.example'));
});
