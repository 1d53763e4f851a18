import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertExit, dbFingerprint, spawnSspr, sspr, tempDataDir, until, watchServe } from './run-sspr.ts';

const data = tempDataDir();
after(() => data.cleanup());

interface OutboxJson {
  messages: { channel: string; to: string; subject: string | null; text: string }[];
}

test('sspr serve --demo: listens, answers /healthz, delivers the demo notices to the dev outbox, stops cleanly on SIGTERM', async () => {
  const child = spawnSspr(data.dir, ['serve', '--port', '0', '--demo']);
  const serve = watchServe(child);
  let stopped: Awaited<ReturnType<typeof serve.stop>> | undefined;
  try {
    const base = await serve.listening();
    assert.match(serve.stdout(), /Created the demo tenant "Contoso Demo"/);
    assert.match(serve.stdout(), /admin@contoso\.example +global_admin +\S{15,}/);
    assert.match(serve.stdout(), new RegExp(`dev outbox: +${base}/dev/outbox`));
    assert.match(serve.stdout(), new RegExp(`reset a password: +${base}/reset`));

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);

    // 3 accounts × (email set → notice to it; phone set → notice to the email), sent by the worker
    const outbox = await until('six delivered notices', 15_000, async () => {
      const r = await fetch(`${base}/dev/outbox.json`);
      assert.equal(r.status, 200);
      const body = (await r.json()) as OutboxJson;
      return body.messages.length >= 6 ? body : undefined;
    });
    assert.equal(outbox.messages.length, 6);
    assert.deepEqual([...new Set(outbox.messages.map((m) => m.to))].sort(), [
      'admin2@personal.example',
      'admin@personal.example',
      'user@personal.example',
    ]);
    for (const m of outbox.messages) {
      assert.equal(m.channel, 'email');
      assert.match(m.subject ?? '', /for password reset changed/);
      assert.ok(!m.text.includes('+1555555010'), 'the phone number appears masked only');
    }
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
  assert.match(again.stdout, /http:\/\/localhost:3000\/reset/);
  assert.match(again.stdout, /http:\/\/localhost:3000\/dev\/outbox/);
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
