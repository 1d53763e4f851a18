// `npm run demo:directory` (the README's quick start with a directory) does what it says: starts a
// local OpenLDAP with demo people, configures, checks and syncs the tenant with the real `sspr`
// commands, and serves; a reset through the JSON API then changes the password IN the directory
// (the new one binds, the old one does not); Ctrl+C takes slapd and its folder down.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { captchaFromUrl } from '../helpers/captcha.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NEW_PASSWORD = 'violet tractor harbour pencil 7';

test('npm run demo:directory: sspr in front of a local OpenLDAP; a reset changes the password in the directory', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sspr-demo-directory-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo-directory.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      SSPR_PORT: '0',
      DEMO_DIRECTORY_DATA_DIR: dataDir,
      SSPR_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 60_000;
    while (!/Ctrl\+C stops sspr and the directory/.test(out)) {
      assert.ok(Date.now() < deadline, `the demo did not come up:\n${out}`);
      assert.equal(child.exitCode, null, `the demo exited:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(out, /Verdict: ready/);
    assert.match(out, /created: 3/);
    const base = /sspr is listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
    assert.ok(base, out);
    const casey = /casey@fabrikam\.example {2}(\S+)/.exec(out)?.[1];
    assert.ok(casey, 'the old password is printed');
    const caFile = /LDAPTLS_CACERT=(\S+)/.exec(out)![1]!;
    const ldaps = /-H (ldaps:\/\/\S+)/.exec(out)![1]!;
    const bind = (password: string): number | null =>
      spawnSync('ldapwhoami', ['-x', '-H', ldaps, '-D', 'uid=casey,ou=people,dc=sspr,dc=test', '-w', password], {
        env: { ...process.env, LDAPTLS_CACERT: caFile },
        stdio: 'ignore',
      }).status;
    assert.equal(bind(casey), 0, 'the printed password binds before the reset');

    const api = `${base}/api/v1/reset`;
    const post = async (p: string, body: unknown, flow?: string) => {
      const res = await fetch(`${api}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(flow ? { 'x-flow-secret': flow } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const start = await post('/start', {
      login: 'casey@fabrikam.example',
      altcha: await captchaFromUrl(base, '/api/v1/reset/challenge'),
    });
    assert.equal(start.status, 202, JSON.stringify(start.body));
    let flow = `${String(start.body.flowId)}.${String(start.body.flowSecret)}`;
    const code = await (async () => {
      for (let i = 0; i < 100; i++) {
        const { messages } = (await (await fetch(`${base}/dev/outbox.json`)).json()) as {
          messages: { to: string; text: string }[];
        };
        const m = messages.find((x) => x.to === 'casey@personal.example')?.text.match(/\b(\d{6})\b/);
        if (m) return m[1]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('no code in the dev outbox');
    })();
    const checked = await post('/flow/code', { code }, flow);
    assert.equal(checked.status, 200, JSON.stringify(checked.body));
    flow = `${String(start.body.flowId)}.${String(checked.body.flowSecret)}`;
    const done = await post('/flow/password', { password: NEW_PASSWORD, confirm: NEW_PASSWORD }, flow);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((done.body.flow as { state: string }).state, 'completed');

    assert.equal(bind(NEW_PASSWORD), 0, 'the new password binds to the directory');
    assert.notEqual(bind(casey), 0, 'the old password no longer binds');
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 0, out);
    const slapdDir = /LDAPTLS_CACERT=(\S+)\/ca\.pem/.exec(out)?.[1];
    if (slapdDir) assert.equal(existsSync(slapdDir), false, 'the directory folder is removed on Ctrl+C');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
