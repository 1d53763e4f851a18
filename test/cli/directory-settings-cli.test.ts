import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertExit, assertRefused, dbFingerprint, sspr, tempDataDir, type Run } from './run-sspr.ts';

// `sspr directory set|show|remove|check` and `sspr doctor`, in process, without a directory server:
// a closed port stands for an unreachable one (test/directories/directory-check.test.ts runs the
// check against a real slapd).
const data = tempDataDir();
after(() => data.cleanup());

const SECRET = 'Bind-Secret-Value-9f3k';
const secretFile = path.join(data.dir, 'bind-password');
const run = (args: string[]): Promise<Run> => sspr(data.dir, args);
let closedUrl = '';

function noSecret(r: Run, what: string): void {
  assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), `${what}: the secret is never printed`);
}

function rows<T>(sql: string): T[] {
  const db = new Database(path.join(data.dir, 'sspr.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

before(async () => {
  writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  closedUrl = `ldaps://127.0.0.1:${(s.address() as { port: number }).port}`;
  await new Promise((r) => s.close(r));
  assertExit(await run(['tenant', 'create', 'Acme', '--domain', 'acme.example']), 0, 'tenant create');
  for (const login of ['ada@acme.example', 'grace@acme.example'])
    assertExit(await run(['user', 'add', login, '--name', login.split('@')[0]!, '--role', 'admin']), 0, 'user add');
});

const GOOD = () => [
  '--kind',
  'ldap',
  '--url',
  closedUrl,
  '--bind-dn',
  'cn=sspr,ou=services,dc=acme,dc=example',
  '--bind-password',
  `file:${secretFile}`,
  '--base-dn',
  'ou=people,dc=acme,dc=example',
  '--admin-group',
  'cn=it admins,ou=groups,dc=acme,dc=example',
  '--test-login',
  'alice',
  '--timeout-ms',
  '1000',
];

test('a tenant without settings is builtin; check says there is nothing to check', async () => {
  const shown = await run(['directory', 'show', 'Acme']);
  assertExit(shown, 0, 'show');
  assert.match(shown.stdout, /Tenant "Acme": builtin/);
  assertRefused(await run(['directory', 'check', 'Acme']), 'directory_not_configured', 'check builtin');
  assertRefused(await run(['directory', 'show', 'Nobody']), 'tenant_not_found', 'unknown tenant');
});

test('bad settings: every problem is listed, the given password is not repeated, nothing is saved', async () => {
  const before = dbFingerprint(data.dir);
  const r = await run([
    'directory',
    'set',
    'Acme',
    '--kind',
    'ldap',
    '--url',
    'http://ldap.acme.example',
    '--url',
    'ldap://ldap2.acme.example',
    '--bind-password',
    SECRET,
    '--user-filter',
    '(uid=alice)',
  ]);
  assertExit(r, 1, 'set refused');
  noSecret(r, 'refused set');
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /not saved.*\(invalid_directory_settings\)/);
  for (const setting of [
    'urls: "http://',
    'urls: ldap:// sends passwords in clear',
    'bindDn:',
    'bindPassword:',
    'baseDn:',
    'userFilter:',
  ])
    assert.ok(
      lines.some((l) => l.startsWith(`  - ${setting}`)),
      `${setting} listed in:\n${r.stderr}`,
    );
  assert.equal(dbFingerprint(data.dir), before, 'a refused set changes nothing');
});

test('set saves, show prints the reference (never the secret), a second set changes only what is given', async () => {
  const saved = await run(['directory', 'set', 'Acme', ...GOOD()]);
  assertExit(saved, 0, 'set');
  noSecret(saved, 'set');
  assert.match(saved.stdout, /Saved: tenant "Acme" now resets passwords in its LDAP directory\./);
  assert.match(saved.stdout, /Next: sspr directory check Acme/);

  const shown = await run(['directory', 'show', 'Acme']);
  assertExit(shown, 0, 'show');
  noSecret(shown, 'show');
  assert.match(
    shown.stdout,
    new RegExp(`bind password\\s+file:${secretFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(a reference`),
  );
  assert.match(shown.stdout, /admin groups\s+cn=it admins,ou=groups,dc=acme,dc=example/);

  const json = await run(['directory', 'show', 'Acme', '--json']);
  noSecret(json, 'show --json');
  const view = JSON.parse(json.stdout) as { kind: string; settings: Record<string, unknown> };
  assert.equal(view.kind, 'ldap');
  assert.deepEqual(
    [view.settings['bindPassword'], view.settings['urls'], view.settings['testLogin'], view.settings['timeoutMs']],
    [`file:${secretFile}`, [closedUrl], 'alice', 1000],
  );

  const again = await run(['directory', 'set', 'Acme', '--test-login', 'bob', '--sync-interval-minutes', '0']);
  assertExit(again, 0, 'second set');
  assert.match(again.stdout, /changed syncIntervalMinutes, testLogin\./);
  const same = await run(['directory', 'set', 'Acme', '--test-login', 'bob']);
  assert.match(same.stdout, /Nothing changed/);

  // audited with the names of what changed, never a value; the other admins are told
  const audit = rows<{ type: string; actor: string; details: string }>(
    "select type, actor, details from audit_events where type like 'directory.%' order by id",
  );
  assert.deepEqual(
    audit.map((a) => [a.type, a.actor]),
    [
      ['directory.settings_changed', 'cli'],
      ['directory.settings_changed', 'cli'],
    ],
  );
  assert.equal((JSON.parse(audit[1]!.details) as { fields: string }).fields, 'syncIntervalMinutes testLogin');
  assert.ok(audit.every((a) => !a.details.includes(SECRET) && !a.details.includes(secretFile)));
  const notices = rows<{ n: number }>("select count(*) as n from outbox where template = 'admin.directory_notice'");
  assert.equal(notices[0]?.n, 4, 'two admins told of each of the two changes');
});

test('check: an unreachable server is not ready (exit 1), each step with its fix, and no secret printed', async () => {
  const r = await run(['directory', 'check', 'Acme']);
  assertExit(r, 1, 'check');
  noSecret(r, 'check');
  assert.match(r.stdout, /Directory check of tenant "Acme" \(LDAP, ldaps:\/\/127\.0\.0\.1:\d+\):/);
  assert.match(r.stdout, /FAIL {2}Connect to ldaps:\/\/127\.0\.0\.1:\d+: /);
  assert.match(r.stdout, /^ {8}fix: /m);
  assert.match(r.stdout, /Verdict: not ready: resets will not work\./);
  const json = await run(['directory', 'check', 'Acme', '--json']);
  assertExit(json, 1, 'check --json');
  const report = JSON.parse(json.stdout) as { verdict: string; steps: { id: string; status: string }[] };
  assert.equal(report.verdict, 'not_ready');
  assert.deepEqual(
    report.steps.map((s) => [s.id, s.status]),
    [['connect', 'fail']],
  );
  const checked = rows<{ outcome: string }>("select outcome from audit_events where type = 'directory.checked'");
  assert.deepEqual(
    checked.map((c) => c.outcome),
    ['not_ready', 'not_ready'],
  );
});

test('a secret that cannot be read fails the check with what to set', async () => {
  assertExit(
    await run(['directory', 'set', 'Acme', '--bind-password', 'env:TEST_UNSET_DIRECTORY_SECRET']),
    0,
    'set env',
  );
  const r = await run(['directory', 'check', 'Acme']);
  assertExit(r, 1, 'check');
  assert.match(
    r.stdout,
    /FAIL {2}Read the service account’s password and the CA file: bindPassword: the environment variable TEST_UNSET_DIRECTORY_SECRET is not set/,
  );
  assertExit(await run(['directory', 'set', 'Acme', '--bind-password', `file:${secretFile}`]), 0, 'set file');
});

test('allowInsecure: plain ldap:// is saved only with it, and warned loudly', async () => {
  const refused = await run(['directory', 'set', 'Acme', '--url', 'ldap://127.0.0.1:1']);
  assertExit(refused, 1, 'plain ldap refused');
  assert.match(refused.stderr, /urls: ldap:\/\/ sends passwords in clear text/);
  const lab = await run(['directory', 'set', 'Acme', '--url', 'ldap://127.0.0.1:1', '--allow-insecure']);
  assertExit(lab, 0, 'lab');
  assert.match(lab.stderr, /^WARNING: allowInsecure is on/m);
  const shown = await run(['directory', 'show', 'Acme']);
  assert.match(shown.stdout, /allow insecure\s+YES \(lab only/);
});

test('doctor: weak spots of the configuration and the tenant, the directory check, a verdict and exit code', async () => {
  const r = await run(['doctor', '--json']);
  assertExit(r, 1, 'doctor with an unreachable directory');
  noSecret(r, 'doctor');
  const report = JSON.parse(r.stdout) as {
    verdict: string;
    findings: { id: string; severity: string; subject: string }[];
    directories: { tenant: string }[];
  };
  assert.equal(report.verdict, 'problems');
  const ids = report.findings.map((f) => `${f.subject}:${f.id}:${f.severity}`);
  for (const expected of [
    'Acme:admin_cannot_reset:warn',
    'Acme:directory_insecure:warn',
    'Acme:directory.connect:fail',
  ])
    assert.ok(ids.includes(expected), `${expected} in ${ids.join(', ')}`);
  assert.deepEqual(
    report.directories.map((d) => d.tenant),
    ['Acme'],
  );
  const text = await run(['doctor']);
  assertExit(text, 1, 'doctor text');
  assert.match(text.stdout, /^ {2}FAIL {2}\[Acme\] Connect to ldap:\/\/127\.0\.0\.1:1/m);
  assert.match(text.stdout, /Verdict: problems: fix the FAIL lines above/);
});

test('remove: back to builtin, told to the other admins; removing again changes nothing; doctor has only warnings', async () => {
  const r = await run(['directory', 'remove', 'Acme']);
  assertExit(r, 0, 'remove');
  assert.match(r.stdout, /Removed: tenant "Acme" keeps its passwords in sspr again \(builtin\)\./);
  assert.match((await run(['directory', 'show', 'Acme'])).stdout, /builtin/);
  const before = dbFingerprint(data.dir);
  const again = await run(['directory', 'remove', 'Acme']);
  assertExit(again, 0, 'remove again');
  assert.match(again.stdout, /has no directory/);
  assert.equal(dbFingerprint(data.dir), before);
  assert.equal(
    rows<{ n: number }>("select count(*) as n from audit_events where type = 'directory.settings_removed'")[0]?.n,
    1,
  );
  const doctor = await run(['doctor']);
  assertExit(doctor, 0, 'doctor with warnings only');
  assert.match(doctor.stdout, /WARN {2}\[Acme\] The administrator ada@acme\.example cannot reset their own password/);
  assert.match(doctor.stdout, /Verdict: warnings/);
});
