// A real OpenLDAP for the directory tests: Debian's slapd with the ppolicy overlay, started in a
// temporary folder on free ports (ldap:// with StartTLS and ldaps://), its own CA and server
// certificate, and seed entries loaded with slapadd. One per test file; stop() removes everything.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/free-port.ts';

export const BASE_DN = 'dc=sspr,dc=test';
export const SERVICE_DN = `cn=sspr,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-account-secret-1';
/** A service account that may read but not write (a rights problem for the check to find). */
export const READONLY_DN = `cn=readonly,ou=services,${BASE_DN}`;
export const PEOPLE_DN = `ou=people,${BASE_DN}`;
export const GROUPS_DN = `ou=groups,${BASE_DN}`;
export const POLICY_DN = `cn=default,ou=policies,${BASE_DN}`;
export const ADMINS_GROUP_DN = `cn=sspr-admins,${GROUPS_DN}`;

export interface Slapd {
  /** ldap://127.0.0.1:<port> (StartTLS available) */
  readonly url: string;
  /** ldaps://127.0.0.1:<port> */
  readonly ldapsUrl: string;
  /** PEM of the CA that signed the server certificate (for 127.0.0.1 and localhost). */
  readonly caPem: string;
  readonly caFile: string;
  readonly dir: string;
  /** Runs an LDIF through ldapmodify as the root DN (seeding and inspection in tests). */
  ldapmodify(ldif: string): void;
  /** ldapsearch as the root DN; returns the LDIF text. */
  ldapsearch(base: string, filter: string, attrs?: string[]): string;
  stop(): Promise<void>;
  /** Stops slapd but keeps its data (a directory that is down); start() brings it back on the same ports. */
  pause(): Promise<void>;
  start(): Promise<void>;
}

export interface SlapdOptions {
  /** LDIF appended to the seed (people, groups). */
  readonly seed?: string;
  /** Overrides of the default password policy entry's attributes. */
  readonly policy?: Readonly<Record<string, string>>;
}

const ROOT_DN = `cn=admin,${BASE_DN}`;
const ROOT_PASSWORD = 'root-secret-1';

function run(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function listening(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`slapd did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sspr-slapd-'));
  mkdirSync(path.join(dir, 'db'));
  const f = (name: string) => path.join(dir, name);
  // P-256 keys: an RSA-2048 key took openssl 0.1–0.5 s of CPU each (two per slapd, ~4 s in a run
  // of the suite), an EC key a few ms; slapd (GnuTLS) and Node's TLS take either
  run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=sspr test CA',
  ]);
  run('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  ]);
  const policy: Record<string, string> = {
    pwdAttribute: 'userPassword',
    pwdMinLength: '8',
    pwdInHistory: '3',
    pwdCheckQuality: '2',
    pwdMaxFailure: '3',
    pwdLockout: 'TRUE',
    pwdLockoutDuration: '0',
    pwdMustChange: 'TRUE',
    pwdAllowUserChange: 'TRUE',
    ...options.policy,
  };
  writeFileSync(
    f('slapd.conf'),
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      'include /etc/ldap/schema/nis.schema',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb.la',
      'moduleload ppolicy.la',
      `pidfile ${f('slapd.pid')}`,
      `argsfile ${f('slapd.args')}`,
      `TLSCACertificateFile ${f('ca.pem')}`,
      `TLSCertificateFile ${f('server.pem')}`,
      `TLSCertificateKeyFile ${f('server.key')}`,
      'database mdb',
      `suffix "${BASE_DN}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PASSWORD}`,
      `directory ${f('db')}`,
      'overlay ppolicy',
      `ppolicy_default "${POLICY_DN}"`,
      'ppolicy_use_lockout',
      'ppolicy_hash_cleartext',
      // the service account resets passwords and clears locks; people bind and change their own
      `access to attrs=userPassword by dn.exact="${SERVICE_DN}" write by self write by anonymous auth by * none`,
      `access to attrs=pwdAccountLockedTime,pwdReset by dn.exact="${SERVICE_DN}" write by * read`,
      `access to * by dn.exact="${SERVICE_DN}" write by self read by users read by * none`,
      '',
    ].join('\n'),
  );
  const seed = [
    `dn: ${BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: sspr test\ndc: sspr`,
    `dn: ou=policies,${BASE_DN}\nobjectClass: organizationalUnit\nou: policies`,
    `dn: ${POLICY_DN}\nobjectClass: applicationProcess\nobjectClass: pwdPolicy\ncn: default\n${Object.entries(policy)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}`,
    `dn: ou=services,${BASE_DN}\nobjectClass: organizationalUnit\nou: services`,
    `dn: ${SERVICE_DN}\nobjectClass: person\ncn: sspr\nsn: service\nuserPassword: ${SERVICE_PASSWORD}`,
    `dn: ${READONLY_DN}\nobjectClass: person\ncn: readonly\nsn: service\nuserPassword: ${SERVICE_PASSWORD}`,
    `dn: ${PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people`,
    `dn: ${GROUPS_DN}\nobjectClass: organizationalUnit\nou: groups`,
    options.seed?.trim() ?? '',
  ]
    .filter(Boolean)
    .join('\n\n');
  writeFileSync(f('seed.ldif'), `${seed}\n`);
  run('slapadd', ['-f', f('slapd.conf'), '-l', f('seed.ldif')]);

  let port = 0;
  let tlsPort = 0;
  const env = { LDAPTLS_CACERT: f('ca.pem') };
  let child: ChildProcess | null = null;
  /** Answers as slapd itself (a root DSE read over StartTLS and over ldaps), not just any listener on the port. */
  const answers = (): boolean =>
    ['-ZZ', ''].every(
      (tls) =>
        spawnSync(
          'ldapsearch',
          [
            '-x',
            ...(tls ? [tls] : []),
            '-H',
            tls ? `ldap://127.0.0.1:${port}` : `ldaps://127.0.0.1:${tlsPort}`,
            '-b',
            '',
            '-s',
            'base',
            '1.1',
          ],
          { env: { ...process.env, ...env }, stdio: 'ignore', timeout: 5_000 },
        ).status === 0,
    );
  /**
   * Starts slapd. The first start picks free ports, and picks others when a port was taken meanwhile
   * (another test process can grab a port between the probe and slapd's bind); a restart keeps them.
   */
  const startProcess = async (restart: boolean): Promise<void> => {
    let fresh = !restart;
    for (let attempt = 1; ; attempt++) {
      if (fresh) {
        port = await freePort();
        tlsPort = await freePort();
      }
      // -d 0: foreground (the test owns the process), no debug output
      const c = spawn(
        'slapd',
        ['-d', '0', '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-f', f('slapd.conf')],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      child = c;
      let stderr = '';
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const deadline = Date.now() + 10_000;
      let ok = false;
      try {
        await listening(port, deadline);
        await listening(tlsPort, deadline);
        while (c.exitCode === null && !(ok = answers()) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 50));
      } catch {
        ok = false;
      }
      if (ok && c.exitCode === null) return;
      c.kill('SIGKILL');
      if (restart || attempt >= 3)
        throw new Error(`slapd did not answer on ${port}/${tlsPort} (attempt ${attempt})\n${stderr}`);
      fresh = true;
    }
  };
  const stopProcess = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  await startProcess(false);
  const url = `ldap://127.0.0.1:${port}`;
  return {
    url,
    ldapsUrl: `ldaps://127.0.0.1:${tlsPort}`,
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    caFile: f('ca.pem'),
    dir,
    ldapmodify(ldif) {
      run('ldapmodify', ['-x', '-ZZ', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD], ldif, env);
    },
    ldapsearch(base, filter, attrs = []) {
      return run(
        'ldapsearch',
        ['-LLL', '-x', '-ZZ', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, '-b', base, filter, ...attrs],
        undefined,
        env,
      );
    },
    pause: stopProcess,
    start: () => startProcess(true),
    async stop() {
      await stopProcess();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** LDIF for a person under ou=people (inetOrgPerson: uid, cn, mail as the alternate email, mobile). */
export function personLdif(p: { uid: string; name: string; password: string; mail?: string; mobile?: string }): string {
  const [given, ...rest] = p.name.split(' ');
  return [
    `dn: uid=${p.uid},${PEOPLE_DN}`,
    'objectClass: inetOrgPerson',
    `uid: ${p.uid}`,
    `cn: ${p.name}`,
    `givenName: ${given}`,
    `sn: ${rest.join(' ') || given}`,
    ...(p.mail ? [`mail: ${p.mail}`] : []),
    ...(p.mobile ? [`mobile: ${p.mobile}`] : []),
    `userPassword: ${p.password}`,
  ].join('\n');
}

/** LDIF for a groupOfNames under ou=groups. */
export function groupLdif(cn: string, memberDns: readonly string[]): string {
  return [
    `dn: cn=${cn},${GROUPS_DN}`,
    'objectClass: groupOfNames',
    `cn: ${cn}`,
    ...memberDns.map((m) => `member: ${m}`),
  ].join('\n');
}
