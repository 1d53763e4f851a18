import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertExit, dbFingerprint, spawnServe, sspr, tempDataDir, until } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());

interface OutboxJson {
  messages: { channel: string; to: string; subject: string | null; text: string }[];
}

test('sspr serve --demo: listens, answers /healthz, delivers the demo notices to the dev outbox, stops cleanly on SIGTERM', async () => {
  const serve = spawnServe(data.dir, ['--port', '0', '--demo'], { env: { SSPR_LOG_LEVEL: 'info' } });
  let stopped: Awaited<ReturnType<typeof serve.stop>> | undefined;
  try {
    const base = await serve.listening();
    assert.match(serve.stdout(), /Created the demo tenant "Contoso Demo"/);
    assert.match(serve.stdout(), /admin@contoso\.example +global_admin +\S{15,}/);
    // the banner's addresses are the public URL, which by default is the address serve listens on
    assert.match(serve.stdout(), new RegExp(`^  dev outbox: +${base}/dev/outbox `, 'm'));
    assert.match(serve.stdout(), new RegExp(`^  reset a password: +${base}/reset$`, 'm'));
    assert.match(serve.stdout(), new RegExp(`^  sign in: +${base}/signin$`, 'm'));
    assert.doesNotMatch(serve.stdout(), /localhost|:0\//, 'no other host, no port 0');

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);

    // 3 accounts × (email set, phone set) × (the login address, the alternate email): the one
    // pre-fill tells both, as the console's always did; sent by the worker
    const outbox = await until('twelve delivered notices', 15_000, async () => {
      const r = await fetch(`${base}/dev/outbox.json`);
      assert.equal(r.status, 200);
      const body = (await r.json()) as OutboxJson;
      return body.messages.length >= 12 ? body : undefined;
    });
    assert.equal(outbox.messages.length, 12);
    assert.deepEqual([...new Set(outbox.messages.map((m) => m.to))].sort(), [
      'admin2@contoso.example',
      'admin2@personal.example',
      'admin@contoso.example',
      'admin@personal.example',
      'user@contoso.example',
      'user@personal.example',
    ]);
    for (const m of outbox.messages) {
      assert.equal(m.channel, 'email');
      assert.match(m.subject ?? '', /for password reset changed/);
      assert.ok(!m.text.includes('+1555555010'), 'the phone number appears masked only');
      // the emailed link names the host the banner printed (cookies are per host)
      const links = [...m.text.matchAll(/https?:\/\/\S+?(?=[\s.]*(?:\s|$))/g)].map((l) => l[0]);
      assert.deepEqual(links, [`${base}/reset`], m.text);
    }
    // development console: one readable line per event, not JSON
    const logLines = serve
      .stdout()
      .split('\n')
      .filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    assert.ok(
      logLines.some((l) => /^\S+ INFO {2}dev-outbox: dev outbox: email to admin@personal\.example: /.test(l)),
      serve.stdout(),
    );
    assert.ok(
      serve
        .stdout()
        .split('\n')
        .every((l) => !l.startsWith('{')),
      'no JSON line on the development console',
    );
  } finally {
    stopped = await serve.stop();
  }
  assert.deepEqual(stopped, { code: 0, signal: null }, `clean exit\n${serve.stderr()}`);

  // the demo is idempotent: a second setup (through `sspr demo`) says so and changes nothing
  const before = dbFingerprint(data.dir);
  const again = await sspr(data.dir, ['demo']);
  assertExit(again, 0, 'sspr demo after serve --demo');
  assert.match(again.stdout, /already exist; nothing changed/);
  assert.match(again.stdout, /sspr serve/);
  assert.match(again.stdout, /http:\/\/127\.0\.0\.1:3000\/reset/);
  assert.match(again.stdout, /http:\/\/127\.0\.0\.1:3000\/dev\/outbox/);
  assert.equal(dbFingerprint(data.dir), before);
});

test('sspr demo on a fresh database creates the accounts and prints each password once', async () => {
  const fresh = tempDataDir();
  try {
    const r = await sspr(fresh.dir, ['demo']);
    assertExit(r, 0, 'sspr demo');
    const rows = [
      ...r.stdout.matchAll(/^(\S+@contoso\.example) +(\S+) +(\S+) +(\S+@personal\.example) +(\+1555555010\d)$/gm),
    ];
    assert.deepEqual(
      rows.map((m) => [m[1], m[2]]),
      [
        ['admin@contoso.example', 'global_admin'],
        ['admin2@contoso.example', 'admin'],
        ['user@contoso.example', 'user'],
      ],
    );
    const passwords = rows.map((m) => m[3]!);
    for (const p of passwords) assert.ok(p.length >= 15, p);
    const stored = dbFingerprint(fresh.dir);
    for (const p of passwords) assert.ok(!stored.includes(p), 'only the hash is stored');
  } finally {
    fresh.cleanup();
  }
});

const PRODUCTION = {
  NODE_ENV: 'production',
  SSPR_SMTP_URL: 'smtp://127.0.0.1:9',
  SSPR_SECRET_KEY: Buffer.alloc(32, 3).toString('base64'),
  SSPR_LOG_LEVEL: 'info',
};

/** Every line the process wrote to stdout, each parsed as JSON (fails naming the first that is not). */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`a stdout line is not JSON: ${l}`);
      }
    });
}

test('in production every line serve writes to stdout is JSON, the start banner too', async () => {
  const prod = tempDataDir();
  const serve = spawnServe(prod.dir, ['--port', '0'], {
    env: { ...PRODUCTION, SSPR_PUBLIC_URL: 'https://reset.example.test' },
  });
  let stopped: Awaited<ReturnType<typeof serve.stop>> | undefined;
  try {
    const base = await serve.listening();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/reset`)).status, 200);
    assert.equal((await fetch(`${base}/no-such-page`)).status, 404);
  } finally {
    stopped = await serve.stop();
    prod.cleanup();
  }
  assert.deepEqual(stopped, { code: 0, signal: null }, `clean exit\n${serve.stderr()}`);
  const lines = jsonLines(serve.stdout());
  const banner = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('sspr is listening on '));
  assert.ok(banner, serve.stdout());
  assert.equal(banner.level, 30);
  assert.equal(banner.publicUrl, 'https://reset.example.test');
  assert.equal(banner.reset, 'https://reset.example.test/reset');
  assert.ok(
    lines.some((l) => l.msg === 'request completed'),
    'request logs are among the JSON lines',
  );
  assert.ok(lines.length >= 5, `banner, requests and shutdown: ${lines.length} lines`);
});

test('production with SSPR_ALLOW_INSECURE_PUBLIC_URL=true starts on an http public URL and logs a warning', async () => {
  const lab = tempDataDir();
  const serve = spawnServe(lab.dir, ['--port', '0'], {
    env: { ...PRODUCTION, SSPR_PUBLIC_URL: 'http://lab.example.test:8080', SSPR_ALLOW_INSECURE_PUBLIC_URL: 'true' },
  });
  try {
    await serve.listening();
  } finally {
    await serve.stop();
    lab.cleanup();
  }
  const warning = jsonLines(serve.stdout()).find(
    (l) => typeof l.msg === 'string' && l.msg.startsWith('SSPR_ALLOW_INSECURE_PUBLIC_URL=true'),
  );
  assert.ok(warning, serve.stdout());
  assert.equal(warning.level, 40, 'a warning');
  assert.match(String(warning.msg), /^SSPR_ALLOW_INSECURE_PUBLIC_URL=true: .*plain http.*lab only/);
  assert.equal(warning.publicUrl, 'http://lab.example.test:8080');
});
