import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/load.ts';
import { createApp } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import type { ComposedApp as App } from '../../src/compose.ts';

const RC = { ip: '203.0.113.9', userAgent: 'rotation-test' };
const OLD = randomBytes(32).toString('base64');
const NEW = randomBytes(32).toString('base64');

async function open(dataDir: string, env: Record<string, string>): Promise<App> {
  const config = loadConfig({ env: { SSPR_DATA_DIR: dataDir, SSPR_LOG_LEVEL: 'silent', ...env } });
  const app = await createApp(config, { startWorker: false });
  await app.migrate();
  return app;
}

test('rotating the master key (SSPR_SECRET_KEY_PREVIOUS) breaks neither a reset in progress, nor a session, nor a queued message', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sspr-rotation-'));
  try {
    // before the rotation: a reset is started (its email still queued) and a user signs in
    const before = await open(dataDir, { SSPR_SECRET_KEY: OLD });
    const demo = await setupDemo(before.directory, before.random, 'test');
    const user = demo.accounts.find((a) => a.login === 'user@contoso.example')!;
    const started = await before.reset.start(user.login, RC);
    assert.ok(started.ok);
    const signedIn = await before.sessions.signIn(user.login, user.password, RC);
    assert.ok(signedIn.ok);
    await before.close();

    // a restart with a new key but without the old one: everything made before is gone
    const forgetful = await open(dataDir, { SSPR_SECRET_KEY: NEW });
    assert.equal((await forgetful.reset.view(started.value)).ok, false, 'without the previous key the flow is lost');
    assert.equal(await forgetful.sessions.authenticate(signedIn.value.token), null);
    await forgetful.close();

    // the rotation as documented: new key, old key listed as previous
    const after = await open(dataDir, { SSPR_SECRET_KEY: NEW, SSPR_SECRET_KEY_PREVIOUS: OLD });
    try {
      assert.ok(await after.sessions.authenticate(signedIn.value.token), 'the session survives the rotation');
      const view = await after.reset.view(started.value);
      assert.ok(view.ok, 'the flow survives the rotation');
      // the email queued under the old key is still delivered, and its code still works
      await after.outbox.runOnce();
      const mail = after.devOutbox!.list().find((m) => m.to === 'user@personal.example' && /\b\d{6}\b/.test(m.text));
      assert.ok(mail, 'the queued email (sealed under the old key) was delivered');
      const code = /\b(\d{6})\b/.exec(mail.text)![1]!;
      const step = await after.reset.submitCode(started.value, code, RC);
      assert.ok(step.ok, `the code made under the old key is accepted: ${JSON.stringify(step)}`);
      assert.equal(step.value.view.state, 'new_password');
    } finally {
      await after.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
