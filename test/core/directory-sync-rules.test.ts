import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedBy, disabledInSspr, parkingLogin, roleOfEntry } from '../../src/core/directory-sync-rules.ts';

// The directory sync's decisions without a directory (test/directories/openldap-sync.test.ts runs them against slapd).

test('an entry is an admin when in an admin group or protected (AD adminCount), a user otherwise', () => {
  assert.equal(roleOfEntry({ admin: true, protected: false }), 'admin');
  assert.equal(roleOfEntry({ admin: false, protected: true }), 'admin');
  assert.equal(roleOfEntry({ admin: false, protected: false }), 'user');
});

test("an account stays disabled when its last state change was an administrator's disable, not the sync's", () => {
  const sync = { type: 'account.disabled', details: { source: 'directory' } };
  const admin = { type: 'account.disabled', details: { by: 'admin:1' } };
  const enabled = { type: 'account.enabled', details: { source: 'directory' } };
  const other = { type: 'password.changed', details: {} };
  assert.equal(disabledInSspr([other, admin, enabled]), true, 'newest first: other events are passed over');
  assert.equal(disabledInSspr([sync, admin]), false, "the sync's disable is the last: the directory decides");
  assert.equal(disabledInSspr([enabled, admin]), false);
  assert.equal(disabledInSspr([]), false);
});

test('a blocked login says why and what the operator does next', () => {
  const seen = new Set(['ext-a']);
  const renaming = new Map([['id-b', 'c@example.com']]);
  const local = { id: 'id-l', login: 'l@example.com', externalId: null };
  assert.match(blockedBy(local, renaming, seen), /not from the directory.*never taken over/);
  const moving = { id: 'id-b', login: 'b@example.com', externalId: 'ext-b' };
  assert.match(blockedBy(moving, renaming, seen), /b@example.com is itself being renamed, to c@example.com/);
  const gone = { id: 'id-g', login: 'g@example.com', externalId: 'ext-g' };
  assert.match(blockedBy(gone, renaming, seen), /no longer in the directory/);
  const twin = { id: 'id-a', login: 'a@example.com', externalId: 'ext-a' };
  assert.match(blockedBy(twin, renaming, seen), /another entry of the directory has this same login/);
});

test('the parking login can belong to nobody (.invalid is reserved)', () => {
  assert.equal(parkingLogin('u-1'), 'sync-rename-u-1@rename.invalid');
  assert.ok(parkingLogin('x').endsWith('.invalid'));
});
