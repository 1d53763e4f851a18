import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { translate } from '../../src/core/i18n.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, adminActor, RC } from './admin-fixtures.ts';

/**
 * Which language an admin notice goes out in (docs/i18n.md): each OTHER admin gets it in the
 * language saved on their own account (else English), never in the language of the page the
 * acting admin was on; the account it concerns gets its own notice in its saved language, else
 * the page's.
 */

const GLOBAL = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';

interface Sent {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Sends everything queued (a run sends one batch). */
async function drain(app: App): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const n = app.devOutbox!.list().length;
    await app.outbox.runOnce();
    if (app.devOutbox!.list().length === n) return;
  }
}

/** Emails sent since `before` (the entries seen then; the dev outbox lists newest first). */
async function sentSince(app: App, before: ReadonlySet<unknown>): Promise<Sent[]> {
  await drain(app);
  return app
    .devOutbox!.list()
    .filter((m) => !before.has(m))
    .filter((m) => m.channel === 'email')
    .map((m) => ({ to: m.to, subject: m.subject ?? '', text: m.text, html: m.html ?? '' }));
}

describe('admin notices in each recipient’s own language', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await setupDemo(t.app.directory, t.app.random, 'test');
    const admin2 = await account(t.app, ADMIN2);
    await t.app.store.directory.updateAccount(admin2.id, { locale: 'de' }, Date.now());
    await drain(t.app); // the demo's own messages are out of the way
  });
  after(async () => t.cleanup());

  it('a role change made from a French page: the other admin hears in German, the person in French', async () => {
    const user = await account(t.app, USER);
    const seen = new Set<unknown>(t.app.devOutbox!.list());
    const r = await t.app.admin.setRole(await adminActor(t.app, GLOBAL), user.id, 'admin', { ...RC, locale: 'fr' });
    assert.ok(r.ok);
    const sent = await sentSince(t.app, seen);
    const toAdmin2 = sent.find((m) => m.to === ADMIN2);
    assert.ok(toAdmin2, 'the other admin was told');
    assert.equal(toAdmin2.subject, translate('de', 'email.admin.role_notice.subject', { targetLogin: USER }));
    assert.match(toAdmin2.text, /^Hallo /);
    assert.match(toAdmin2.text, /von Benutzer zu Administrator geändert/);
    assert.match(toAdmin2.html, /<html lang="de" dir="ltr">/);
    assert.equal(
      sent.find((m) => m.to === GLOBAL),
      undefined,
      'the acting admin is not told',
    );
    const toUser = sent.find((m) => m.to === USER);
    assert.equal(toUser?.subject, translate('fr', 'email.account.role_changed.subject'), 'the page’s language');
  });

  it('a change from the command line: the admin with no saved language hears in English, the other in German', async () => {
    const seen = new Set<unknown>(t.app.devOutbox!.list());
    const r = await t.app.directory.setRole({ login: USER, role: 'user', actor: 'cli' });
    assert.ok(r.ok, JSON.stringify(r));
    const sent = await sentSince(t.app, seen);
    assert.equal(sent.find((m) => m.to === GLOBAL)?.subject, `Administrator role changed: ${USER}`);
    assert.equal(
      sent.find((m) => m.to === ADMIN2)?.subject,
      translate('de', 'email.admin.role_notice.subject', { targetLogin: USER }),
    );
  });
});
