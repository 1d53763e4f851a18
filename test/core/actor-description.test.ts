import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorDescription, type CliActor } from '../../src/core/admin-rules.ts';
import { renderEmail } from '../../src/core/message-templates.ts';
import { CHANGED_BY_TEXT } from '../../src/core/ui-text.ts';

const roleNotice = (by: string) =>
  renderEmail('account.role_changed', {
    displayName: 'Bob Example',
    targetLogin: 'bob@acme.example',
    targetName: 'Bob Example',
    from: 'user',
    to: 'admin',
    by,
    when: '2026-12-05T13:00:00.000Z',
  }).text;

test('a directory sync (periodic or sspr directory sync) is named as the organisation’s directory and its groups, not the command line', () => {
  const periodic: CliActor = { kind: 'cli', name: 'system:sync', via: 'directory' };
  const command: CliActor = { kind: 'cli', name: 'cli', via: 'directory' };
  for (const actor of [periodic, command]) {
    const by = actorDescription(actor);
    assert.equal(by, CHANGED_BY_TEXT.directory, 'from the catalogue');
    assert.doesNotMatch(by, /command line/);
    const text = roleNotice(by);
    assert.match(text, /your organisation's directory, where membership of its administrator groups decides/);
    assert.match(text, /changed the role of bob@acme\.example from user to admin/);
    assert.doesNotMatch(text, /command line/);
  }
});

test('the operator at the command line (sspr user …) is still the command line', () => {
  const by = actorDescription({ kind: 'cli', name: 'cli' });
  assert.equal(by, CHANGED_BY_TEXT.commandLine);
  assert.match(roleNotice(by), /the command line changed the role of bob@acme\.example/);
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
