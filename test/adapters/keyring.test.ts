import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';

const key = (fill: number) => new Uint8Array(32).fill(fill);

test('hmac is deterministic per purpose and key, and differs across purposes and keys', () => {
  const a = new HkdfKeyring(key(1));
  assert.equal(a.hmac('code', '123456'), a.hmac('code', '123456'));
  assert.match(a.hmac('code', '123456'), /^[0-9a-f]{64}$/);
  assert.notEqual(a.hmac('code', '123456'), a.hmac('token', '123456'));
  assert.notEqual(a.hmac('code', '123456'), new HkdfKeyring(key(2)).hmac('code', '123456'));
});

test('equal compares in constant time and handles length mismatch', () => {
  const k = new HkdfKeyring(key(1));
  assert.equal(k.equal('abc', 'abc'), true);
  assert.equal(k.equal('abc', 'abd'), false);
  assert.equal(k.equal('abc', 'abcd'), false);
});

test('seal hides the plaintext, round-trips, and refuses tampering or another key', () => {
  const k = new HkdfKeyring(key(1));
  const sealed = k.seal('{"code":"123456"}');
  assert.doesNotMatch(sealed, /123456/);
  assert.notEqual(sealed, k.seal('{"code":"123456"}'), 'a fresh IV each time');
  assert.equal(k.open(sealed), '{"code":"123456"}');
  const parts = sealed.split('.');
  const body = Buffer.from(parts[2]!, 'base64url');
  body[0] = body[0]! ^ 1;
  parts[2] = body.toString('base64url');
  assert.throws(() => k.open(parts.join('.')));
  assert.throws(() => new HkdfKeyring(key(2)).open(sealed));
  assert.throws(() => new HkdfKeyring(new Uint8Array(16)));
});

test('key rotation: hashes under previous keys still match, sealed values still open, new ones use the current key', () => {
  const old = new HkdfKeyring(key(1));
  const rotated = new HkdfKeyring(key(2), [key(1)]);
  const storedUnderOld = old.hmac('session', 'token-value');
  assert.deepEqual(rotated.hmacAll('session', 'token-value'), [
    new HkdfKeyring(key(2)).hmac('session', 'token-value'),
    storedUnderOld,
  ]);
  assert.equal(rotated.matches('session', 'token-value', storedUnderOld), true);
  assert.equal(rotated.matches('session', 'other-value', storedUnderOld), false);
  assert.equal(
    new HkdfKeyring(key(2)).matches('session', 'token-value', storedUnderOld),
    false,
    'without the old key: no match',
  );
  const sealedUnderOld = old.seal('queued message');
  assert.equal(rotated.open(sealedUnderOld), 'queued message');
  assert.throws(() => new HkdfKeyring(key(2)).open(sealedUnderOld));
  assert.throws(() => old.open(rotated.seal('new message')), 'new values are sealed with the new key');
});
