import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setupDemo } from '../../src/service/demo.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { account, adminActor, RC } from './admin-fixtures.ts';

test('AdminService on PostgreSQL: statuses, a link redeemed by 10 parallel requests works exactly once, temporary password expiry', async () => {
  await withMigratedPostgresDatabase(async (url) => {
    const t = await createTestApp({ SSPR_DATABASE_URL: url });
    try {
      const app = t.app;
      assert.equal(app.store.dialect, 'postgres');
      await setupDemo(app.directory, app.random, 'test');
      const actor = await adminActor(app, 'admin@contoso.example');
      const user = await account(app, 'user@contoso.example');
      await app.store.lockouts.block(user.id, Date.now());
      const blocked = await app.admin.listUsers(actor, { blocked: true, registration: 'complete' });
      assert.deepEqual(blocked.ok && blocked.value.map((u) => u.login), ['user@contoso.example']);
      assert.ok((await app.admin.unblock(actor, user.id, RC)).ok);

      assert.ok((await app.admin.assistedReset(actor, user.id, 'link', RC)).ok);
      await app.outbox.runOnce();
      // the unblock notice goes out in the same batch: pick the message that carries the link
      const links = app
        .devOutbox!.list()
        .filter((m) => m.to === 'user@personal.example')
        .map((m) => /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(m.text)?.[1])
        .filter((t) => t !== undefined);
      assert.equal(links.length, 1, 'one assisted-reset link was sent to the alternate email');
      const token = links[0]!;
      const results = await Promise.all(Array.from({ length: 10 }, () => app.admin.assisted.redeem(token, RC)));
      assert.equal(results.filter((r) => r.ok).length, 1, 'exactly one redemption');
      const grant = results.find((r) => r.ok)!;
      assert.ok(grant.ok);
      const pw = 'hazel trombone icicle parade';
      const sets = await Promise.all(
        Array.from({ length: 3 }, () => app.admin.assisted.setPassword(grant.value.grant, pw, pw, RC)),
      );
      assert.equal(sets.filter((r) => r.ok).length, 1, 'the grant sets one password');
      assert.ok((await app.sessions.signIn('user@contoso.example', pw, RC)).ok);

      const temp = await app.admin.assistedReset(actor, user.id, 'temp_password', RC);
      assert.ok(temp.ok && temp.value.mode === 'temp_password');
      assert.ok((await app.sessions.signIn('user@contoso.example', temp.value.tempPassword, RC)).ok);
      const row = (await app.store.admin.getTempPassword(user.id))!;
      await app.store.admin.setTempPassword({ ...row, expiresAt: Date.now() - 1 });
      const late = await app.sessions.signIn('user@contoso.example', temp.value.tempPassword, RC);
      assert.equal(!late.ok && late.error, 'invalid_credentials');
    } finally {
      await t.cleanup();
    }
  });
});
