import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { assertExit, inSequence, sspr, tempDataDir } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());

test('help, config check, config errors and production without SMTP', async () => {
  const production = {
    NODE_ENV: 'production',
    SSPR_SMTP_URL: 'smtp://127.0.0.1:9',
    SSPR_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
    SSPR_PUBLIC_URL: 'https://reset.example.test',
  };
  const [help, userAddHelp, unknown, check, bad, serveBadPort, prodServe, prodCheck, prodDemo, prodServeDemo] =
    await inSequence([
      () => sspr(data.dir, ['--help']),
      () => sspr(data.dir, ['user', 'add', '--help']),
      () => sspr(data.dir, ['frobnicate']),
      () =>
        sspr(data.dir, ['config', 'check'], {
          env: {
            SSPR_SMTP_URL: 'smtp://mailer:hunter2-secret@mail.example.com:587',
            SSPR_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
          },
        }),
      () => sspr(data.dir, ['config', 'check'], { env: { SSPR_PORT: 'abc', SSPR_LOG_LEVEL: 'loud' } }),
      () => sspr(data.dir, ['serve', '--port', 'abc']),
      () =>
        sspr(data.dir, ['serve'], {
          env: { NODE_ENV: 'production', SSPR_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') },
        }),
      () => sspr(data.dir, ['config', 'check'], { env: { NODE_ENV: 'production' } }),
      () => sspr(data.dir, ['demo'], { env: production }),
      () => sspr(data.dir, ['serve', '--demo', '--port', '0'], { env: production }),
    ]);

  assertExit(help, 0, '--help');
  for (const command of ['serve', 'migrate', 'config', 'tenant', 'user', 'demo'])
    assert.match(help.stdout, new RegExp(`\\b${command}\\b`));

  assertExit(userAddHelp, 0, 'user add --help');
  assert.match(userAddHelp.stdout, /--password-stdin/);
  assert.match(userAddHelp.stdout.replace(/\s+/g, ' '), /never accepted as arguments/);

  assertExit(unknown, 1, 'unknown command');
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);

  assertExit(check, 0, 'config check');
  assert.match(check.stdout, /^SSPR_PORT=3000$/m);
  assert.match(check.stdout, new RegExp(`^SSPR_DATA_DIR=${data.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(check.stdout, /^SSPR_SMTP_URL=smtp:\/\/mailer:\*\*\*\*@mail\.example\.com:587/m);
  assert.match(check.stdout, /^SSPR_SECRET_KEY=\*\*\*\*$/m);
  assert.ok(!check.stdout.includes('hunter2'), 'the SMTP password is masked');
  assert.ok(!check.stdout.includes(Buffer.alloc(32, 7).toString('base64')), 'the secret key is masked');

  // every problem at once, each naming its key; exit 2
  assertExit(bad, 2, 'config check with bad values');
  assert.match(bad.stderr, /SSPR_PORT: .*"abc"/);
  assert.match(bad.stderr, /SSPR_LOG_LEVEL: .*"loud"/);
  assert.equal(bad.stdout, '');

  assertExit(serveBadPort, 2, 'serve --port abc');
  assert.match(serveBadPort.stderr, /SSPR_PORT/);

  // production without SMTP: serve refuses to start, naming the setting
  assertExit(prodServe, 2, 'production serve without SMTP');
  assert.match(prodServe.stderr, /SSPR_SMTP_URL: required when NODE_ENV=production/);
  assert.ok(!/listening/.test(prodServe.stdout));
  assertExit(prodCheck, 2, 'production config check');
  assert.match(prodCheck.stderr, /SSPR_SMTP_URL/);
  assert.match(prodCheck.stderr, /SSPR_SECRET_KEY/);

  // the demo (well-known logins) is refused in production, before anything is opened
  for (const [r, what] of [
    [prodDemo, 'demo in production'],
    [prodServeDemo, 'serve --demo in production'],
  ] as const) {
    assertExit(r, 1, what);
    assert.match(r.stderr, /^error: the demo tenant is for development only/);
  }

  // none of these touched the database
  assert.equal(existsSync(path.join(data.dir, 'sspr.db')), false);
});

test('config check refuses a bad SSPR_TRUST_PROXY and a misspelt setting; production serve refuses an http public URL', async () => {
  const production = {
    NODE_ENV: 'production',
    SSPR_SMTP_URL: 'smtp://127.0.0.1:9',
    SSPR_SECRET_KEY: Buffer.alloc(32, 5).toString('base64'),
  };
  const [badProxy, typo, httpServe, defaultServe] = await inSequence([
    () => sspr(data.dir, ['config', 'check'], { env: { SSPR_TRUST_PROXY: 'notanip' } }),
    () => sspr(data.dir, ['config', 'check'], { env: { SSPR_SMTP_ULR: 'smtp://127.0.0.1:25' } }),
    () =>
      sspr(data.dir, ['serve', '--port', '0'], {
        env: { ...production, SSPR_PUBLIC_URL: 'http://reset.example.test' },
      }),
    () => sspr(data.dir, ['serve', '--port', '0'], { env: production }),
  ]);
  assertExit(badProxy, 2, 'config check with SSPR_TRUST_PROXY=notanip');
  assert.match(badProxy.stderr, /SSPR_TRUST_PROXY: must be a comma-separated list of IP addresses .*"notanip"/);
  assert.equal(badProxy.stdout, '');
  assertExit(typo, 2, 'config check with SSPR_SMTP_ULR');
  assert.match(typo.stderr, /SSPR_SMTP_ULR: unknown setting \(did you mean SSPR_SMTP_URL\?\)/);
  for (const [r, what] of [
    [httpServe, 'production serve with an http public URL'],
    [defaultServe, 'production serve without a public URL'],
  ] as const) {
    assertExit(r, 2, what);
    assert.match(r.stderr, /SSPR_PUBLIC_URL: must be an https:\/\/ address when NODE_ENV=production/, what);
    assert.match(r.stderr, /SSPR_ALLOW_INSECURE_PUBLIC_URL=true/, what);
    assert.ok(!/listening/.test(r.stdout), what);
  }
  assert.equal(existsSync(path.join(data.dir, 'sspr.db')), false, 'refused before opening the database');
});

test('serve on a port already in use says so and exits 1', async () => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const own = tempDataDir();
  try {
    const port = (blocker.address() as net.AddressInfo).port;
    const r = await sspr(own.dir, ['serve', '--port', String(port)]);
    assertExit(r, 1, 'serve on a busy port');
    assert.match(r.stderr, new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)\\. .*--port`));
  } finally {
    blocker.close();
    own.cleanup();
  }
});

test('migrate applies the migrations once; a second run has nothing to do', async () => {
  const first = await sspr(data.dir, ['migrate']);
  assertExit(first, 0, 'migrate');
  assert.match(first.stdout, /^Applied \d+ migration\(s\): /);
  assert.ok(existsSync(path.join(data.dir, 'sspr.db')));
  const second = await sspr(data.dir, ['migrate']);
  assertExit(second, 0, 'migrate again');
  assert.match(second.stdout, /up to date/);
});
