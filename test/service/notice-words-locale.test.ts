import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { catalogue, translate, type MessageId } from '../../src/core/i18n.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, addFabrikam, FABRIKAM, RC } from './admin-fixtures.ts';
import { completeSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The words services pass into notices (who acted, what was done) are catalogue phrases rendered
 * in the recipient's language (issue 12): a German administrator's notice carries no English
 * sentence from them — the command line, a password change after signing in, a directory
 * connected — whatever language the acting person used.
 */

const HELPER = 'helper@fabrikam.example';

/** Every English phrase a service may pass into a notice, as it would read (sample arguments). */
const ENGLISH_PHRASES: readonly string[] = Object.keys(catalogue('en'))
  .filter((id) => id.startsWith('email.phrase.'))
  .map((id) => translate('en', id as MessageId, { keyId: 'k', kind: 'ldap', urls: 'u', fields: 'f' }))
  // a name-like fragment shared with the German (there is none today) would make this vacuous
  .map((s) => s.replace(/\s*\([^)]*\)[^]*$/, '').replace(/,$/, ''));

async function drain(app: App): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const n = app.devOutbox!.list().length;
    await app.outbox.runOnce();
    if (app.devOutbox!.list().length === n) return;
  }
}

/** The emails to `to` sent since `seen`. */
async function sentTo(app: App, seen: ReadonlySet<unknown>, to: string): Promise<{ subject: string; text: string }[]> {
  await drain(app);
  return app
    .devOutbox!.list()
    .filter((m) => !seen.has(m) && m.channel === 'email' && m.to === to)
    .map((m) => ({ subject: m.subject ?? '', text: m.text }));
}

function assertNoEnglishPhrase(text: string): void {
  for (const english of ENGLISH_PHRASES) assert.ok(!text.includes(english), `English phrase "${english}" in:\n${text}`);
}

describe('notice words in the recipient’s language', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
    await addFabrikam(t.app);
    const added = await t.app.directory.addUser({
      login: HELPER,
      displayName: 'Hanna Helfer',
      role: 'admin',
      password: 'quartz harbour mitten falcon',
      actor: 'test',
    });
    assert.ok(added.ok);
    await t.app.store.directory.updateAccount(added.value.id, { locale: 'de' }, Date.now());
    await drain(t.app);
  });
  after(async () => t.cleanup());

  it('the English phrases are what the check looks for', () => {
    assert.ok(ENGLISH_PHRASES.length >= 15, `${ENGLISH_PHRASES.length} phrases`);
    assert.ok(ENGLISH_PHRASES.includes('the command line'));
    assert.ok(ENGLISH_PHRASES.includes('the password was changed after signing in'));
  });

  it('a role change from the command line: “die Befehlszeile”, not “the command line”', async () => {
    const seen = new Set<unknown>(t.app.devOutbox!.list());
    const r = await t.app.directory.setRole({ login: FABRIKAM.user.login, role: 'admin', actor: 'cli' });
    assert.ok(r.ok, JSON.stringify(r));
    const [mail] = await sentTo(t.app, seen, HELPER);
    assert.ok(mail, 'the German admin was told');
    assert.match(
      mail.text,
      /hat die Befehlszeile die Rolle von staff \(staff@fabrikam\.example\) von Benutzer zu Administrator geändert/,
    );
    assertNoEnglishPhrase(mail.text);
  });

  it('an administrator’s password change after signing in: told in German, the name as given', async () => {
    const signedIn = await t.app.sessions.signIn(FABRIKAM.admin.login, FABRIKAM.admin.password, {
      ...RC,
      locale: 'fr',
    });
    assert.ok(signedIn.ok);
    const auth = await t.app.sessions.authenticate(
      await completeSecondStep(t.app, signedIn.value, FABRIKAM.admin.login),
    );
    assert.ok(auth);
    const seen = new Set<unknown>(t.app.devOutbox!.list());
    const next = 'velvet compass thunder meadow';
    const changed = await t.app.sessions.changePassword(auth, FABRIKAM.admin.password, next, next, {
      ...RC,
      locale: 'fr',
    });
    assert.ok(changed.ok, JSON.stringify(changed));
    const [mail] = await sentTo(t.app, seen, HELPER);
    assert.ok(mail, 'the German admin was told');
    assert.match(mail.text, /wurde das Passwort nach der Anmeldung geändert/);
    assert.match(mail.text, /Ausgeführt von: boss \(boss@fabrikam\.example\)/);
    assertNoEnglishPhrase(mail.text);
  });

  it('a directory connected by the global admin: the German phrase with the URL', async () => {
    const boss = await account(t.app, FABRIKAM.admin.login);
    const seen = new Set<unknown>(t.app.devOutbox!.list());
    const r = await t.app.directorySettings.set(
      { kind: 'admin', account: boss },
      boss.tenantId,
      {
        kind: 'ldap',
        urls: ['ldaps://ldap.fabrikam.example'],
        bindDn: 'cn=sspr,dc=fabrikam,dc=example',
        // a reference only (never read here): the variable name this tenant may use
        bindPassword: `env:SSPR_DIRECTORY_${boss.tenantId.replace(/-/g, '').toUpperCase()}_BIND`,
        baseDn: 'ou=people,dc=fabrikam,dc=example',
      },
      { ...RC, locale: 'en' },
    );
    assert.ok(r.ok, JSON.stringify(r));
    const [mail] = await sentTo(t.app, seen, HELPER);
    assert.ok(mail, 'the German admin was told');
    assert.match(
      mail.text,
      /Organisation mit ihrem LDAP-Verzeichnis verbunden \(ldaps:\/\/ldap\.fabrikam\.example\): Passwörter werden jetzt dort zurückgesetzt/,
    );
    assertNoEnglishPhrase(mail.text);
  });
});
