import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { AltchaCaptcha } from '../../src/adapters/altcha-captcha.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

/** Solves a challenge the way the widget does, and packs the payload it would submit. */
export async function solve(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 30_000 });
  assert.ok(solution, 'solvable');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

test('ALTCHA: a solved challenge passes once; tampered, expired, foreign-key or garbage payloads fail', async () => {
  const db = tempSqliteUrl();
  const store = await openSqlStore(db.url);
  await store.migrate();
  let now = Date.now();
  const clock = { now: () => now };
  const make = (secret: string) =>
    new AltchaCaptcha({
      signatureSecret: secret,
      keySignatureSecret: secret + '-key',
      maxNumber: 2_000,
      ttlMs: 60_000,
      clock,
      markUsed: (sig, exp) => store.flows.markCaptchaUsed(sig, exp),
    });
  const captcha = make('s1');
  try {
    const challenge = (await captcha.challenge()) as Challenge;
    const payload = await solve(challenge);
    assert.equal(await captcha.verify(payload), true);
    assert.equal(await captcha.verify(payload), false, 'single use');

    const other = await solve((await captcha.challenge()) as Challenge);
    assert.equal(await make('s2').verify(other), false, 'signed with another secret');

    const c3 = (await captcha.challenge()) as Challenge;
    const tampered = JSON.parse(Buffer.from(await solve(c3), 'base64').toString()) as {
      solution: { derivedKey: string };
    };
    const k = tampered.solution.derivedKey;
    tampered.solution.derivedKey = (k[0] === '0' ? '1' : '0') + k.slice(1);
    assert.equal(await captcha.verify(Buffer.from(JSON.stringify(tampered)).toString('base64')), false);

    for (const junk of ['', 'not base64 json', Buffer.from('{"a":1}').toString('base64'), 'x'.repeat(10_000)]) {
      assert.equal(await captcha.verify(junk), false);
    }
    const late = await solve((await captcha.challenge()) as Challenge);
    now += 61_000;
    assert.equal(await captcha.verify(late), false, 'expired');
  } finally {
    await store.close();
    db.cleanup();
  }
});
