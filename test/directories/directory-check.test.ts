import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertExit, sspr, tempDataDir, type Run } from '../cli/run-sspr.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  ADMINS_GROUP_DN,
  BASE_DN,
  POLICY_DN,
  READONLY_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  groupLdif,
  personLdif,
  startSlapd,
  type Slapd,
} from './slapd.ts';

// `sspr directory check <tenant>` as an operator runs it, against a real slapd (ppolicy, its own
// CA): a good setup is ready (exit 0); each broken one says which step failed and what to fix
// (exit 1); a dead first URL with a good second one passes with a warning.
let slapd: Slapd;
const data = tempDataDir();
const secret = (name: string, value: string): string => {
  const file = path.join(data.dir, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return `file:${file}`;
};
let goodSecret = '';
let wrongSecret = '';
let otherCaFile = '';
let deadUrl = '';

before(async () => {
  slapd = await startSlapd({
    seed: [
      personLdif({ uid: 'alice', name: 'Alice Example', password: 'Alice-Old-Pass-1', mail: 'alice@personal.example' }),
      personLdif({ uid: 'bob', name: 'Bob Admin', password: 'Bob-Old-Pass-1' }),
      groupLdif('sspr-admins', [`uid=bob,ou=people,${BASE_DN}`]),
    ].join('\n\n'),
  });
  goodSecret = secret('good', SERVICE_PASSWORD);
  wrongSecret = secret('wrong', 'not-the-service-password');
  // a CA that did not sign slapd's certificate
  otherCaFile = path.join(data.dir, 'other-ca.pem');
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    path.join(data.dir, 'other-ca.key'),
    '-out',
    otherCaFile,
    '-days',
    '1',
    '-subj',
    '/CN=Some Other CA',
  ]);
  assert.equal(made.status, 0, String(made.stderr));
  deadUrl = `ldaps://127.0.0.1:${await freePort()}`;
  assertExit(await sspr(data.dir, ['tenant', 'create', 'Acme', '--domain', 'acme.example']), 0, 'tenant create');
});
after(async () => {
  await slapd?.stop();
  data.cleanup();
});

const run = (args: string[]): Promise<Run> => sspr(data.dir, args);

/** Saves settings (flags over a good base) from scratch, then runs the check. */
async function checkWith(flags: Record<string, string | string[] | true>): Promise<Run> {
  const settings: Record<string, string | string[] | true> = {
    kind: 'ldap',
    url: slapd.ldapsUrl,
    'ca-file': slapd.caFile,
    'bind-dn': SERVICE_DN,
    'bind-password': goodSecret,
    'base-dn': BASE_DN,
    'admin-group': ADMINS_GROUP_DN,
    'password-policy-dn': POLICY_DN,
    'test-login': 'alice',
    'timeout-ms': '2000',
    ...flags,
  };
  assertExit(await run(['directory', 'remove', 'Acme']), 0, 'remove');
  const args = ['directory', 'set', 'Acme'];
  for (const [name, value] of Object.entries(settings)) {
    for (const v of Array.isArray(value) ? value : [value]) args.push(`--${name}`, ...(v === true ? [] : [v]));
  }
  const saved = await run(args);
  assertExit(saved, 0, `set ${JSON.stringify(flags)}`);
  const r = await run(['directory', 'check', 'Acme']);
  assert.ok(!r.stdout.includes(SERVICE_PASSWORD) && !r.stderr.includes(SERVICE_PASSWORD), 'no secret printed');
  return r;
}

const line = (r: Run, status: string, title: RegExp): string => {
  const found = r.stdout.split('\n').find((l) => l.startsWith(`  ${status}  `) && title.test(l));
  assert.ok(found, `a ${status} line ${title} in:\n${r.stdout}`);
  return found;
};
/** The fix line printed under the step that matches. */
const fixOf = (r: Run, title: RegExp): string => {
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => title.test(l));
  return lines[at + 1]?.trim() ?? '';
};

describe('sspr directory check against a real slapd', () => {
  test('a good setup: every step passes, verdict ready, exit 0 (and nobody was changed)', async () => {
    const r = await checkWith({});
    assertExit(r, 0, 'check');
    for (const title of [
      /Connect to ldaps:/,
      /Bind as cn=sspr/,
      /Read the password rules/,
      /Find the test account "alice"/,
    ])
      line(r, 'PASS', title);
    assert.doesNotMatch(r.stdout, /^ {2}(FAIL|WARN) /m);
    assert.match(r.stdout, /Verdict: ready: resets will work\.$/m);
    const json = await run(['directory', 'check', 'Acme', '--json']);
    assertExit(json, 0, 'check --json');
    const report = JSON.parse(json.stdout) as { verdict: string; steps: { id: string; status: string }[] };
    assert.equal(report.verdict, 'ready');
    assert.deepEqual(Object.fromEntries(report.steps.map((s) => [s.id, s.status])), {
      connect: 'pass',
      service_bind: 'pass',
      password_rules: 'pass',
      test_account: 'pass',
      reset_right: 'pass',
      unlock_right: 'pass',
    });
    // the probes changed nobody: alice's password still binds
    const bind = spawnSync('ldapwhoami', [
      '-x',
      '-H',
      slapd.url,
      '-D',
      `uid=alice,ou=people,${BASE_DN}`,
      '-w',
      'Alice-Old-Pass-1',
    ]);
    assert.equal(bind.status, 0, String(bind.stderr));
  });

  test('a wrong bind password: the bind fails with what to check, exit 1', async () => {
    const r = await checkWith({ 'bind-password': wrongSecret });
    assertExit(r, 1, 'check');
    line(r, 'PASS', /Connect to ldaps:/);
    line(r, 'FAIL', /Bind as cn=sspr/);
    assert.match(fixOf(r, /FAIL {2}Bind as/), /^fix: Check the service account DN and its password/);
    assert.match(r.stdout, /Verdict: not ready/);
  });

  test('plain ldap:// without TLS: refused when saving; with the lab override the check warns; StartTLS passes', async () => {
    const refused = await run(['directory', 'set', 'Acme', '--url', slapd.url]);
    assertExit(refused, 1, 'plain LDAP refused');
    assert.match(refused.stderr, /urls: ldap:\/\/ sends passwords in clear text; use ldaps:\/\/, or set startTls/);

    const lab = await checkWith({ url: slapd.url, 'allow-insecure': true });
    line(lab, 'WARN', /Connect to ldap:\/\/127\.0\.0\.1:\d+: plain LDAP/);
    line(lab, 'WARN', /Plain LDAP allowed \(allowInsecure\)/);

    const startTls = await checkWith({ url: slapd.url, 'start-tls': true });
    assertExit(startTls, 0, 'StartTLS');
    line(startTls, 'PASS', /Connect to ldap:\/\/127\.0\.0\.1:\d+: encrypted \(TLS\), certificate verified/);
  });

  test('a wrong CA: the certificate is refused, with the fix naming the CA file, exit 1', async () => {
    const r = await checkWith({ 'ca-file': otherCaFile });
    assertExit(r, 1, 'check');
    const failed = line(r, 'FAIL', /Connect to ldaps:/);
    assert.match(failed, /certificate|self.signed|issuer/i);
    assert.match(fixOf(r, /FAIL {2}Connect to ldaps:/), /CA file/);
  });

  test('a service account without reset rights: both rights fail with what to grant, exit 1', async () => {
    const r = await checkWith({ 'bind-dn': READONLY_DN });
    assertExit(r, 1, 'check');
    line(r, 'PASS', /Bind as cn=readonly/);
    const json = await run(['directory', 'check', 'Acme', '--json']);
    const steps = (JSON.parse(json.stdout) as { steps: { id: string; status: string; fix?: string }[] }).steps;
    assert.deepEqual(
      steps.filter((s) => s.id === 'reset_right' || s.id === 'unlock_right').map((s) => s.status),
      ['fail', 'fail'],
    );
    assert.match(steps.find((s) => s.id === 'reset_right')?.fix ?? '', /write access to userPassword/);
  });

  test('an unreachable URL first, then a good one: failover works, the dead one is a warning, exit 0', async () => {
    const r = await checkWith({ url: [deadUrl, slapd.ldapsUrl] });
    assertExit(r, 0, 'check');
    line(r, 'WARN', new RegExp(`Connect to ${deadUrl.replace(/[.]/g, '\\.')}`));
    line(r, 'PASS', /Connect to ldaps:\/\/127\.0\.0\.1:\d+: encrypted/);
    assert.match(r.stdout, /Verdict: ready: resets will work \(1 warning above to know about\)\./);
  });

  test('sspr doctor runs the check of the tenant’s directory', async () => {
    await checkWith({ 'bind-password': wrongSecret });
    const r = await run(['doctor', '--json']);
    assertExit(r, 1, 'doctor');
    const report = JSON.parse(r.stdout) as { verdict: string; findings: { id: string; subject: string }[] };
    assert.equal(report.verdict, 'problems');
    assert.ok(report.findings.some((f) => f.subject === 'Acme' && f.id === 'directory.service_bind'));
  });
});
