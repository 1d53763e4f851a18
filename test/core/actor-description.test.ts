import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorDescription, type CliActor } from '../../src/core/admin-rules.ts';
import { renderEmail, type NoticeWords } from '../../src/core/message-templates.ts';

const roleNotice = (by: NoticeWords, locale: 'en' | 'de' = 'en') =>
  renderEmail(
    'account.role_changed',
    {
      displayName: 'Bob Example',
      targetLogin: 'bob@acme.example',
      targetName: 'Bob Example',
      from: 'user',
      to: 'admin',
      by,
      when: '2026-12-05T13:00:00.000Z',
    },
    locale,
  ).text;

test('a directory sync (periodic or sspr directory sync) is named as the organisation’s directory and its groups, not the command line', () => {
  const periodic: CliActor = { kind: 'cli', name: 'system:sync', via: 'directory' };
  const command: CliActor = { kind: 'cli', name: 'cli', via: 'directory' };
  for (const actor of [periodic, command]) {
    const by = actorDescription(actor);
    assert.deepEqual(by, { phrase: 'email.phrase.directorySync' }, 'from the catalogue');
    const text = roleNotice(by);
    assert.match(text, /your organisation's directory, where membership of its administrator groups decides/);
    assert.match(text, /changed the role of bob@acme\.example from user to admin/);
    assert.doesNotMatch(text, /command line/);
  }
});

test('the operator at the command line (sspr user …) is still the command line', () => {
  const by = actorDescription({ kind: 'cli', name: 'cli' });
  assert.deepEqual(by, { phrase: 'email.phrase.commandLine' });
  assert.match(roleNotice(by), /the command line changed the role of bob@acme\.example/);
  assert.match(roleNotice(by, 'de'), /hat die Befehlszeile die Rolle von bob@acme\.example/);
});

test('an admin is named as given, an API key and Technical Support in the recipient’s language', () => {
  const admin = actorDescription({
    kind: 'admin',
    account: { displayName: 'Avery Admin', login: 'avery@acme.example' } as never,
  });
  assert.deepEqual(admin, { name: 'Avery Admin (avery@acme.example)' });
  assert.match(roleNotice(admin, 'de'), /hat Avery Admin \(avery@acme\.example\) die Rolle/);
  const key = actorDescription({ kind: 'api_key', keyId: 'k7', tenantId: 't', scopes: [] });
  assert.match(roleNotice(key), /the admin API \(key k7\) changed the role/);
  assert.match(roleNotice(key, 'de'), /hat die Admin-API \(Schlüssel k7\) die Rolle/);
  const support = actorDescription({ kind: 'operator', operatorId: 'o', login: 'op@sspr.example' });
  assert.match(roleNotice(support, 'de'), /hat der Technische Support die Rolle/);
});

test('a method a directory sync seeded is told as copied from the organisation’s directory', () => {
  const text = (changedBy: 'directory' | 'an administrator') =>
    renderEmail('security-info.changed', {
      displayName: 'Jo Example',
      kind: 'phone',
      maskedValue: '••• ••• ••24',
      when: '2026-12-05T13:00:00.000Z',
      changedBy,
      helpText: '',
    }).text;
  assert.match(text('directory'), /It was copied from your organisation's directory/);
  assert.doesNotMatch(text('directory'), /made by an administrator/);
  assert.match(text('an administrator'), /The change was made by an administrator of your organisation\./);
});
