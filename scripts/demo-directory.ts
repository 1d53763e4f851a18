// `npm run demo:directory`: sspr in front of a local OpenLDAP holding demo accounts, so a newcomer
// sees a directory reset end to end. It starts Debian's slapd (ppolicy, its own CA, ldaps:// and
// StartTLS on free ports) in a temporary folder with three people, then runs the real sspr
// commands in this process — `tenant create`, `directory set`, `directory check`, `directory sync`,
// `serve` — on an SQLite file of its own (./data/directory-demo/), with the dev outbox. Ctrl+C stops
// both and removes the directory. A lab: nothing here is for production.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../src/cli/run-cli.ts';
import {
  ADMINS_GROUP_DN,
  PEOPLE_DN,
  POLICY_DN,
  SERVICE_DN,
  SERVICE_PASSWORD,
  groupLdif,
  personLdif,
  startSlapd,
} from '../test/directories/slapd.ts';

const TENANT = 'Fabrikam Directory Demo';
const DOMAIN = 'fabrikam.example';
const PORT = process.env.SSPR_PORT ?? '3000';

if (spawnSync('sh', ['-c', 'command -v slapd || test -x /usr/sbin/slapd'], { stdio: 'ignore' }).status !== 0) {
  console.error(
    'slapd is not installed. On Debian or Ubuntu: sudo apt-get install slapd ldap-utils (then run this again).',
  );
  process.exit(1);
}

// no look-alikes, and a mix the directory's quality check accepts
const password = (): string => `Demo-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}-7`;
const people = [
  { uid: 'avery', name: 'Avery Admin', mail: 'avery@personal.example', mobile: '+15555550201', admin: true },
  { uid: 'blake', name: 'Blake Admin', mail: 'blake@personal.example', mobile: '+15555550202', admin: true },
  { uid: 'casey', name: 'Casey User', mail: 'casey@personal.example', mobile: '+15555550203', admin: false },
].map((p) => ({ ...p, password: password() }));

const slapd = await startSlapd({
  seed: [
    ...people.map((p) => personLdif(p)),
    groupLdif(
      'sspr-admins',
      people.filter((p) => p.admin).map((p) => `uid=${p.uid},${PEOPLE_DN}`),
    ),
  ].join('\n\n'),
});

const dataDir = path.resolve(process.env.DEMO_DIRECTORY_DATA_DIR ?? path.join('data', 'directory-demo'));
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
const env = {
  ...process.env,
  NODE_ENV: 'development',
  SSPR_DATA_DIR: dataDir,
  SSPR_PORT: PORT,
  SSPR_DATABASE_URL: undefined,
  SSPR_SMTP_URL: undefined,
  // the service account's password, read by sspr from its own environment (settings name it: env:…)
  DEMO_LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
};
process.env.DEMO_LDAP_BIND_PASSWORD = SERVICE_PASSWORD;
const ctx = { env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

async function sspr(...argv: string[]): Promise<void> {
  console.log(`\n$ sspr ${argv.map((a) => (/[\s"(){}*]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  const code = await runCli(argv, ctx);
  if (code !== 0) {
    await slapd.stop();
    process.exit(code);
  }
}

await sspr('migrate');
await sspr('tenant', 'create', TENANT, '--domain', DOMAIN);
await sspr(
  'directory',
  'set',
  TENANT,
  '--kind',
  'ldap',
  '--url',
  slapd.ldapsUrl,
  '--ca-file',
  slapd.caFile,
  '--bind-dn',
  SERVICE_DN,
  '--bind-password',
  'env:DEMO_LDAP_BIND_PASSWORD',
  '--base-dn',
  PEOPLE_DN,
  '--admin-group',
  ADMINS_GROUP_DN,
  '--password-policy-dn',
  POLICY_DN,
  '--trust-contact-attributes',
  '--test-login',
  'casey',
);
await sspr('directory', 'check', TENANT);
await sspr('directory', 'sync', TENANT);
await sspr('serve');

console.log(`
The directory (OpenLDAP at ${slapd.ldapsUrl}) holds these people; their passwords live there:
${people.map((p) => `  ${p.uid}@${DOMAIN}  ${p.password}  ${p.admin ? '(administrator: email, then SMS)' : '(email code)'}`).join('\n')}

Reset at the address above (…/reset) with casey@${DOMAIN}; the code is in the dev outbox
(…/dev/outbox). Then check the new password in the directory itself:
  LDAPTLS_CACERT=${slapd.caFile} ldapwhoami -x -H ${slapd.ldapsUrl} -D uid=casey,${PEOPLE_DN} -W
Ctrl+C stops sspr and the directory.`);

// `serve` ends the process on Ctrl+C (after a graceful stop): take the directory down with it
process.on('exit', () => {
  try {
    process.kill(Number(readFileSync(path.join(slapd.dir, 'slapd.pid'), 'utf8').trim()), 'SIGTERM');
  } catch {
    // already gone
  }
  rmSync(slapd.dir, { recursive: true, force: true });
});
