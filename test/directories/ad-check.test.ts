import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertExit, sspr, tempDataDir, type Run } from '../cli/run-sspr.ts';
import { AD_DELEGATED_CHECK_STEPS } from './directory-kit.ts';
import { AD_TLS_NAME, adUserLdif, startSambaDc, type SambaDc } from './samba.ts';

// `sspr directory check <tenant>` against a real Samba AD domain controller, in its own OU: a
// delegated service account is ready, with Samba's missing policy-hints control and the protected
// accounts (adminCount=1, out of a delegated reset's reach) listed as warnings; one without the
// delegation is not ready, told what to grant.
// sAMAccountNames are unique in the whole domain, and the run's one DC serves the other AD files too
const sam = (name: string): string => `${name}-chk`;
let dc: SambaDc;
let ou: string;
const data = tempDataDir();
const file = (name: string, content: string): string => {
  const p = path.join(data.dir, name);
  writeFileSync(p, content, { mode: 0o600 });
  return p;
};

before(async () => {
  dc = await startSambaDc();
  ou = dc.ou(`check-${process.pid}-${Date.now().toString(36)}`);
  const users = [
    { sam: sam('alice'), name: 'Alice Example', password: 'Alice-Old-Pass-1' },
    { sam: sam('erin'), name: 'Erin Protected', password: 'Erin-Old-Pass-1' },
    { sam: sam('svc-delegated'), name: 'Service Delegated', password: 'Svc-Delegated-1' },
    { sam: sam('svc-norights'), name: 'Service Without Rights', password: 'Svc-No-Rights-1' },
  ];
  dc.ldapmodify(users.map((u) => adUserLdif(ou, u)).join('\n'));
  dc.ldapmodify(`dn: CN=Erin Protected,${ou}\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n`);
  dc.delegateResetRights(ou, `CN=Service Delegated,${ou}`);
  assertExit(await sspr(data.dir, ['tenant', 'create', 'Contoso', '--domain', 'contoso.example']), 0, 'tenant');
});
after(async () => {
  await dc?.stop();
  data.cleanup();
});

async function check(bindDn: string, password: string): Promise<{ run: Run; steps: Map<string, string> }> {
  const saved = await sspr(data.dir, [
    'directory',
    'set',
    'Contoso',
    '--kind',
    'ad',
    '--url',
    dc.ldapsUrl,
    '--ca-file',
    file('ca.pem', dc.caPem),
    '--tls-server-name',
    AD_TLS_NAME,
    '--bind-dn',
    bindDn,
    '--bind-password',
    `file:${file(`secret-${password}`, password)}`,
    '--base-dn',
    ou,
    '--test-login',
    sam('alice'),
  ]);
  assertExit(saved, 0, 'set');
  const run = await sspr(data.dir, ['directory', 'check', 'Contoso']);
  assert.ok(!run.stdout.includes(password), 'the password is never printed');
  const json = await sspr(data.dir, ['directory', 'check', 'Contoso', '--json']);
  const report = JSON.parse(json.stdout) as { steps: { id: string; status: string }[] };
  return { run, steps: new Map(report.steps.map((s) => [s.id, s.status])) };
}

describe('sspr directory check against a real Samba AD', () => {
  test('a delegated service account: ready (exit 0); no policy-hints control and the protected accounts are warnings', async () => {
    const { run, steps } = await check(`CN=Service Delegated,${ou}`, 'Svc-Delegated-1');
    assertExit(run, 0, 'check');
    assert.deepEqual(Object.fromEntries(steps), AD_DELEGATED_CHECK_STEPS);
    const protectedLine = run.stdout.split('\n').find((l) => l.startsWith('  WARN  ') && /erin/i.test(l));
    assert.ok(protectedLine, `the protected account erin is listed:\n${run.stdout}`);
    assert.match(run.stdout, /Verdict: ready: resets will work \(2 warnings above to know about\)\./);
  });

  test('a service account without the delegation: not ready (exit 1), with what to grant', async () => {
    const { run, steps } = await check(`CN=Service Without Rights,${ou}`, 'Svc-No-Rights-1');
    assertExit(run, 1, 'check');
    assert.deepEqual([steps.get('reset_right'), steps.get('unlock_right')], ['fail', 'fail']);
    assert.match(run.stdout, /fix: .*Reset password/);
    assert.match(run.stdout, /Verdict: not ready/);
  });
});
