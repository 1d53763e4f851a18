import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditCsvRecord, csvCell, csvRow } from '../../src/http/admin/audit-csv.ts';
import {
  describeActor,
  eventTypeOptions,
  filterQuery,
  formatDetails,
  formatUtc,
  parseAuditFilter,
  parseCursor,
  parseDay,
} from '../../src/core/audit-view.ts';

test('csvCell: RFC 4180 quoting (comma, quote, CR, LF), quotes doubled, plain text left alone', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('line1\nline2'), '"line1\nline2"');
  assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
  assert.equal(csvCell(''), '');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(42), '42');
  assert.equal(csvCell(true), 'true');
});

test('csvCell: cells a spreadsheet would run as a formula get a leading apostrophe', () => {
  assert.equal(csvCell('=1+2'), "'=1+2");
  assert.equal(csvCell('+SUM(A1)'), "'+SUM(A1)");
  assert.equal(csvCell('-2+3'), "'-2+3");
  assert.equal(csvCell('@cmd'), "'@cmd");
  assert.equal(csvCell('\tTAB'), "'\tTAB");
  assert.equal(csvCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`, 'then quoted');
  assert.equal(csvCell('a=b'), 'a=b', 'only at the start');
  assert.equal(csvCell(-5), '-5', 'numbers are numbers');
});

test('csvRow and auditCsvRecord: CRLF records, details as JSON in one quoted cell', () => {
  assert.equal(csvRow(['a', 'b,c', null, 1]), 'a,"b,c",,1\r\n');
  const line = auditCsvRecord({
    id: 7,
    time_utc: '2024-05-01T10:00:00.000Z',
    actor: 'self',
    actor_login: null,
    event: 'code.rejected',
    outcome: 'mismatch',
    account: 'user@contoso.example',
    ip: '203.0.113.9',
    user_agent: '=cmd|"/c calc"!A1',
    details: { flow: 'abc', attempts: 2 },
    account_id: 'acct-1',
    seq: 12,
    prev_hash: 'a'.repeat(64),
    hash: 'b'.repeat(64),
  });
  assert.equal(
    line,
    `7,2024-05-01T10:00:00.000Z,self,,code.rejected,mismatch,user@contoso.example,203.0.113.9,"'=cmd|""/c calc""!A1","{""flow"":""abc"",""attempts"":2}",acct-1,12,${'a'.repeat(64)},${'b'.repeat(64)}\r\n`,
  );
});

test('parseDay: real calendar days only, as UTC midnight', () => {
  assert.equal(parseDay('2024-05-01'), Date.UTC(2024, 4, 1));
  assert.equal(parseDay('2024-02-29'), Date.UTC(2024, 1, 29));
  for (const bad of ['2023-02-29', '2024-13-01', '2024-5-1', '01/05/2024', '', '2024-05-01T00:00', '2024-04-31'])
    assert.equal(parseDay(bad), null, bad);
});

test('parseAuditFilter: criteria from the query, `to` inclusive, problems reported, input echoed trimmed', () => {
  const ok = parseAuditFilter({
    from: '2024-05-01',
    to: '2024-05-02',
    account: ' user@contoso.example ',
    type: 'code.rejected',
    outcome: 'mismatch',
  });
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.criteria, {
    since: Date.UTC(2024, 4, 1),
    until: Date.UTC(2024, 4, 3),
    account: 'user@contoso.example',
    type: 'code.rejected',
    outcome: 'mismatch',
  });
  assert.equal(ok.input.account, 'user@contoso.example');

  const same = parseAuditFilter({ from: '2024-05-01', to: '2024-05-01' });
  assert.deepEqual(same.problems, [], 'one whole day');
  assert.equal(same.criteria.until! - same.criteria.since!, 86_400_000);

  const bad = parseAuditFilter({ from: 'yesterday', to: '2024-05-01' });
  assert.deepEqual(bad.problems, ['from_invalid']);
  assert.equal(bad.criteria.since, undefined);
  const reversed = parseAuditFilter({ from: '2024-05-03', to: '2024-05-01' });
  assert.deepEqual(reversed.problems, ['range_reversed']);

  const weird = parseAuditFilter({ type: ['a', 'b'], outcome: 5, account: 'x'.repeat(1000) });
  assert.equal(weird.criteria.type, undefined, 'arrays are ignored');
  assert.equal(weird.criteria.outcome, undefined);
  assert.equal(weird.input.account.length, 320, 'capped');
  assert.deepEqual(parseAuditFilter(null).criteria, {});
});

test('parseCursor, filterQuery, formatUtc, describeActor, formatDetails, eventTypeOptions', () => {
  assert.equal(parseCursor('123'), 123);
  for (const bad of ['0', '-1', '1.5', 'abc', '', undefined, '99999999999999999999'])
    assert.equal(parseCursor(bad), null);
  assert.equal(
    filterQuery({ from: '', to: '', account: 'a@b.c', type: '', outcome: 'ok' }),
    '?account=a%40b.c&outcome=ok',
  );
  assert.equal(filterQuery({ from: '', to: '', account: '', type: '', outcome: '' }), '');
  assert.equal(
    filterQuery({ from: '', to: '', account: '', type: 'x', outcome: '' }, { before: '9' }),
    '?type=x&before=9',
  );
  assert.equal(formatUtc(Date.UTC(2024, 4, 1, 13, 4, 5, 999)), '2024-05-01 13:04:05 UTC');
  assert.equal(describeActor('self', null), 'The person');
  assert.equal(describeActor('admin:abc', 'admin@contoso.example'), 'Admin admin@contoso.example');
  assert.equal(describeActor('admin:abc', null), 'admin:abc');
  assert.equal(describeActor('operator:o1', null), 'operator:o1');
  assert.equal(formatDetails({ flow: 'abc', n: 2, x: null, ok: true }), 'flow: abc, n: 2, x: —, ok: true');
  const options = eventTypeOptions(['zzz.custom', 'code.rejected']);
  assert.ok(options.some((o) => o.value === 'zzz.custom' && o.label === 'zzz.custom'));
  assert.equal(options.filter((o) => o.value === 'code.rejected').length, 1, 'no duplicates');
  assert.deepEqual(
    options.map((o) => o.value),
    [...options.map((o) => o.value)].sort(),
  );
});
