import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ARGON2_OPTIONS,
  ARGON2_TEST_PARAMETERS,
  argon2Hasher,
  limitConcurrency,
  setArgon2ParametersForTests,
} from '../../src/adapters/crypto/argon2-hasher.ts';
import type { PasswordHasher } from '../../src/ports/password-hasher.ts';

test('password hashing runs at most N at a time, in order, and passes results and errors through', async () => {
  let inFlight = 0;
  let peak = 0;
  const order: string[] = [];
  const slow = async <T>(value: T): Promise<T> => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    inFlight--;
    return value;
  };
  const inner: PasswordHasher = {
    hash: async (p) => {
      order.push(p);
      if (p === 'bad') throw new Error('hash failed');
      return slow(`h:${p}`);
    },
    verify: async (h, p) => slow(h === `h:${p}`),
  };
  const limited = limitConcurrency(inner, 2);
  const names = Array.from({ length: 9 }, (_, i) => `p${i}`);
  const hashes = await Promise.all(names.map((n) => limited.hash(n)));
  assert.deepEqual(
    hashes,
    names.map((n) => `h:${n}`),
  );
  assert.deepEqual(order, names, 'started in the order asked');
  assert.equal(peak, 2);
  peak = 0;
  const checks = await Promise.all(names.map((n, i) => limited.verify(`h:${n}`, i % 2 ? n : 'wrong')));
  assert.deepEqual(
    checks,
    names.map((_, i) => i % 2 === 1),
  );
  assert.equal(peak, 2);
  await assert.rejects(limited.hash('bad'), /hash failed/);
  assert.equal(await limited.hash('after'), 'h:after', 'a failure frees its slot');
});

test('argon2id: a hash verifies with its password only', async () => {
  // the production parameters (the other tests run with the cheapest ones: test/helpers/cheap-hashing.ts),
  // put back after: other test files may share this process (scripts/test.mjs runs light files in groups)
  setArgon2ParametersForTests(ARGON2_OPTIONS);
  try {
    const phc = await argon2Hasher.hash('violet tractor harbour pencil');
    assert.match(phc, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.equal(await argon2Hasher.verify(phc, 'violet tractor harbour pencil'), true);
    assert.equal(await argon2Hasher.verify(phc, 'violet tractor harbour pencils'), false);
    assert.equal(await argon2Hasher.verify('not a hash', 'x'), false);
  } finally {
    setArgon2ParametersForTests(ARGON2_TEST_PARAMETERS);
  }
});
