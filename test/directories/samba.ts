// A real Active Directory for the directory tests: Debian's Samba as a domain controller. Its LDAP
// ports are fixed (389/636 on loopback), so one runs per machine at a time: the DC holds a
// machine-wide lock for its lifetime (another test process, of this run or of another one, waits
// for it). Provisioning takes 10-50 s, so a provisioned domain is kept as a template in the cache
// folder and copied per start (under a second to start from a copy).
//
// One DC serves a whole test process: startSambaDc() starts it for the first caller and hands the
// same DC to every later caller until each has called stop(); the last stop() takes it down and
// frees the lock. scripts/test.mjs runs every file that calls startSambaDc() in one process, so one
// DC serves the run. Each test file works in its own OU, with sAMAccountNames of its own (they are
// unique in the whole domain, not per OU).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

export const AD_REALM = 'sspr.test';
export const AD_BASE_DN = 'DC=sspr,DC=test';
export const AD_ADMIN_DN = `CN=Administrator,CN=Users,${AD_BASE_DN}`;
export const AD_ADMIN_PASSWORD = 'Samba-Admin-Pass-2026!';
/** The certificate Samba generates names `<netbios name>.<realm>`. */
export const AD_TLS_NAME = 'ssprdc.sspr.test';

export interface SambaDc {
  readonly ldapsUrl: string;
  /** ldap:// (StartTLS available; plain binds are refused by the domain controller). */
  readonly url: string;
  readonly caPem: string;
  readonly dir: string;
  /** ldapmodify as Administrator over LDAPS. */
  ldapmodify(ldif: string): void;
  ldapsearch(base: string, filter: string, attrs?: string[]): string;
  /** A new OU for one test: its DN. */
  ou(name: string): string;
  /**
   * Delegates on an OU what a service account needs (as Okta, LTB and PWM document it): the "Reset
   * password" extended right and write access to lockoutTime and pwdLastSet, inherited by user objects.
   */
  delegateResetRights(ouDn: string, accountDn: string): void;
  /** samba-tool against the running DC (e.g. `domain passwordsettings set …`). */
  sambaTool(args: string[]): string;
  stop(): Promise<void>;
}

const cacheRoot = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'sspr');
const lockDir = path.join(tmpdir(), 'sspr-samba-dc.lock');

function run(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Takes the machine-wide DC lock (waits while another live process holds it). */
async function lock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return;
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {
        /* being written: try again */
      }
      if (holder && !alive(holder)) rmSync(lockDir, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`the Samba DC lock ${lockDir} is held by process ${holder}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function unlock(): void {
  rmSync(lockDir, { recursive: true, force: true });
}

function configure(dir: string, from: string): void {
  const conf = path.join(dir, 'etc', 'smb.conf');
  let s = readFileSync(conf, 'utf8').split(from).join(dir);
  for (const d of ['log', 'run', 'ncalrpc', 'winbindd']) mkdirSync(path.join(dir, d), { recursive: true });
  const set = (key: string, value: string) => {
    const re = new RegExp(`^\\s*${key} = .*$`, 'm');
    s = re.test(s) ? s.replace(re, `\t${key} = ${value}`) : s.replace('[global]\n', `[global]\n\t${key} = ${value}\n`);
  };
  set('server services', 'ldap');
  // a replaced password stops working at once (Samba keeps the old one for 60 min by default)
  set('old password allowed period', '0');
  set('log file', path.join(dir, 'log', 'samba.log'));
  set('pid directory', path.join(dir, 'run'));
  set('ncalrpc dir', path.join(dir, 'ncalrpc'));
  set('winbindd socket directory', path.join(dir, 'winbindd'));
  writeFileSync(conf, s);
}

/** The provisioned domain, made once per Samba version and kept in the cache folder. */
function template(): string {
  const version = run('samba', ['-V'])
    .trim()
    .replace(/[^\w.-]+/g, '_');
  const dir = path.join(cacheRoot, `samba-dc-${version}`);
  if (existsSync(path.join(dir, 'etc', 'smb.conf'))) return dir;
  mkdirSync(cacheRoot, { recursive: true });
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  run('samba-tool', [
    'domain',
    'provision',
    `--targetdir=${work}`,
    '--realm=SSPR.TEST',
    '--domain=SSPR',
    '--server-role=dc',
    '--dns-backend=NONE',
    '--use-rfc2307',
    `--adminpass=${AD_ADMIN_PASSWORD}`,
    '--option=interfaces=lo',
    '--option=bind interfaces only=yes',
    '--option=netbios name=SSPRDC',
  ]);
  // the domain policy the tests expect: 8 characters, complexity, 3 remembered, no minimum age, lockout after 3
  run('samba-tool', [
    'domain',
    'passwordsettings',
    'set',
    `-H`,
    path.join(work, 'private', 'sam.ldb'),
    '--complexity=on',
    '--history-length=3',
    '--min-pwd-length=8',
    '--min-pwd-age=0',
    '--max-pwd-age=0',
    '--account-lockout-threshold=3',
    '--account-lockout-duration=30',
    '--reset-account-lockout-after=30',
  ]);
  renameSync(work, dir);
  configure(dir, work);
  return dir;
}

async function answers(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** The DC this process runs, and how many callers of startSambaDc() have not stopped it yet. */
let shared: { dc: Promise<SambaDc>; users: number } | null = null;

/**
 * The domain controller of this process: started (and the machine-wide lock taken) by the first
 * caller, shared with later ones; its stop() stops it once every caller has called it.
 */
export async function startSambaDc(): Promise<SambaDc> {
  if (!shared) {
    const starting = { dc: startOwnDc(), users: 0 };
    shared = starting;
    starting.dc.catch(() => {
      if (shared === starting) shared = null;
    });
  }
  const mine = shared;
  mine.users++;
  let dc: SambaDc;
  try {
    dc = await mine.dc;
  } catch (e) {
    mine.users--;
    throw e;
  }
  let stopped = false;
  return {
    ...dc,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (--mine.users > 0) return;
      if (shared === mine) shared = null;
      await dc.stop();
    },
  };
}

async function startOwnDc(): Promise<SambaDc> {
  await lock(10 * 60_000);
  let child: ChildProcess | null = null;
  let dir = '';
  try {
    const from = template();
    dir = mkdtempSync(path.join(tmpdir(), 'sspr-samba-'));
    cpSync(from, dir, { recursive: true });
    configure(dir, from);
    if (await answers(636))
      throw new Error('port 636 is taken: another LDAP server (or a stray samba) runs on this machine');
    // --no-process-group: the DC stays in the test's process group, so killing a test run's
    // group takes it down too (in a group of its own it outlived a killed run, holding 636)
    child = spawn(
      'samba',
      ['-i', '--no-process-group', '-M', 'single', '-d', '1', '-s', path.join(dir, 'etc', 'smb.conf')],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const env = { LDAPTLS_CACERT: path.join(dir, 'private', 'tls', 'ca.pem'), LDAPTLS_REQCERT: 'never' };
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`samba exited ${child.exitCode}\n${out}`);
      if (await answers(636)) {
        const probe = spawnSync(
          'ldapsearch',
          ['-x', '-H', 'ldaps://127.0.0.1', '-D', AD_ADMIN_DN, '-w', AD_ADMIN_PASSWORD, '-b', '', '-s', 'base', 'dn'],
          {
            env: { ...process.env, ...env },
          },
        );
        if (probe.status === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`samba did not answer on 636 within 30 s\n${out}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Samba writes its self-signed CA and certificate on its first start
    const caPem = readFileSync(path.join(dir, 'private', 'tls', 'ca.pem'), 'utf8');
    const c = child;
    const d = dir;
    const admin = ['-x', '-H', 'ldaps://127.0.0.1', '-D', AD_ADMIN_DN, '-w', AD_ADMIN_PASSWORD];
    const dc: SambaDc = {
      ldapsUrl: 'ldaps://127.0.0.1:636',
      url: 'ldap://127.0.0.1:389',
      caPem,
      dir: d,
      ldapmodify: (ldif) => void run('ldapmodify', admin, ldif, env),
      ldapsearch: (base, filter, attrs = []) =>
        run('ldapsearch', ['-LLL', ...admin, '-b', base, filter, ...attrs], undefined, env),
      ou(name) {
        const dn = `OU=${name},${AD_BASE_DN}`;
        run('ldapmodify', admin, `dn: ${dn}\nchangetype: add\nobjectClass: organizationalUnit\nou: ${name}\n`, env);
        return dn;
      },
      sambaTool: (args) =>
        run('samba-tool', [
          ...args,
          '-s',
          path.join(d, 'etc', 'smb.conf'),
          // SASL with signing over ldap:// (samba-tool's own bind; TLS plus sign/seal is refused)
          '-H',
          'ldap://127.0.0.1',
          `-U`,
          `Administrator%${AD_ADMIN_PASSWORD}`,
        ]),
      delegateResetRights(ouDn, accountDn) {
        const ldif = run(
          'ldapsearch',
          ['-LLL', ...admin, '-b', accountDn, '-s', 'base', '(objectClass=*)', 'objectSid'],
          undefined,
          env,
        );
        const sid = sidText(Buffer.from(/^objectSid:: (\S+)$/m.exec(ldif)![1]!, 'base64'));
        const user = 'bf967aba-0de6-11d0-a285-00aa003049e2';
        const resetPassword = '00299570-246d-11d0-a768-00aa006e0529';
        const lockoutTime = '28630ebf-41d5-11d1-a9c1-0000f80367c1';
        const pwdLastSet = 'bf967a0a-0de6-11d0-a285-00aa003049e2';
        const sddl = `(OA;CIIO;CR;${resetPassword};${user};${sid})(OA;CIIO;WP;${lockoutTime};${user};${sid})(OA;CIIO;WP;${pwdLastSet};${user};${sid})`;
        dc.sambaTool(['dsacl', 'set', `--objectdn=${ouDn}`, `--sddl=${sddl}`]);
      },
      async stop() {
        if (c.exitCode === null) {
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
          await exited;
          clearTimeout(t);
        }
        rmSync(d, { recursive: true, force: true });
        unlock();
      },
    };
    return dc;
  } catch (e) {
    child?.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
    unlock();
    throw e;
  }
}

/** A binary SID → S-1-5-21-… */
function sidText(b: Buffer): string {
  const sub: number[] = [];
  for (let i = 0; i < b[1]!; i++) sub.push(b.readUInt32LE(8 + 4 * i));
  return `S-${b[0]}-${b.readUIntBE(2, 6)}-${sub.join('-')}`;
}

/** LDIF that adds an enabled user with a password (over LDAPS: `unicodePwd` is the quoted password in UTF-16LE). */
export function adUserLdif(
  ouDn: string,
  u: { sam: string; name: string; password: string; mail?: string; mobile?: string },
): string {
  const pw = Buffer.from(`"${u.password}"`, 'utf16le').toString('base64');
  return [
    `dn: CN=${u.name},${ouDn}`,
    'changetype: add',
    'objectClass: user',
    `sAMAccountName: ${u.sam}`,
    `userPrincipalName: ${u.sam}@${AD_REALM}`,
    `displayName: ${u.name}`,
    ...(u.mail ? [`otherMailbox: ${u.mail}`] : []),
    ...(u.mobile ? [`mobile: ${u.mobile}`] : []),
    `unicodePwd:: ${pw}`,
    'userAccountControl: 512',
    '',
  ].join('\n');
}
