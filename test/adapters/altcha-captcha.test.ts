import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { AltchaCaptcha } from '../../src/adapters/altcha-captcha.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { solveCaptcha } from '../helpers/captcha.ts';
import { tempSqliteUrl } from '../helpers/databases.ts';

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
      markUsed: (sig, exp) => store.captchas.markUsed(sig, exp),
    });
  const captcha = make('s1');
  try {
    const challenge = (await captcha.challenge()) as Challenge;
    const payload = await solveCaptcha(challenge);
    assert.equal(await captcha.verify(payload), true);
    assert.equal(await captcha.verify(payload), false, 'single use');

    const other = await solveCaptcha((await captcha.challenge()) as Challenge);
    assert.equal(await make('s2').verify(other), false, 'signed with another secret');

    const c3 = (await captcha.challenge()) as Challenge;
    const tampered = JSON.parse(Buffer.from(await solveCaptcha(c3), 'base64').toString()) as {
      solution: { derivedKey: string };
    };
    const k = tampered.solution.derivedKey;
    tampered.solution.derivedKey = (k[0] === '0' ? '1' : '0') + k.slice(1);
    assert.equal(await captcha.verify(Buffer.from(JSON.stringify(tampered)).toString('base64')), false);

    for (const junk of ['', 'not base64 json', Buffer.from('{"a":1}').toString('base64'), 'x'.repeat(10_000)]) {
      assert.equal(await captcha.verify(junk), false);
    }
    const late = await solveCaptcha((await captcha.challenge()) as Challenge);
    now += 61_000;
    assert.equal(await captcha.verify(late), false, 'expired');
  } finally {
    await store.close();
    db.cleanup();
  }
});

test("ALTCHA: the synchronous check gives altcha-lib verifySolution's answer on valid and altered payloads", async () => {
  const secrets = { signatureSecret: 'sig-secret', keySignatureSecret: 'key-secret' };
  const captcha = new AltchaCaptcha({
    ...secrets,
    maxNumber: 500,
    ttlMs: 60_000,
    clock: { now: () => Date.now() },
    markUsed: async () => true,
  });
  const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
  type Payload = { challenge: Challenge; solution: Solution };
  const variants: [string, (p: Payload) => void][] = [
    ['as solved', () => {}],
    ['key flipped', (p) => void (p.solution.derivedKey = flip(p.solution.derivedKey))],
    ['key upper case', (p) => void (p.solution.derivedKey = p.solution.derivedKey.toUpperCase())],
    ['key truncated', (p) => void (p.solution.derivedKey = p.solution.derivedKey.slice(0, -2))],
    ['counter changed', (p) => void (p.solution.counter = p.solution.counter + 1)],
    ['counter negative', (p) => void (p.solution.counter = -1)],
    ['nonce changed', (p) => void (p.challenge.parameters.nonce = flip(p.challenge.parameters.nonce))],
    ['expiry extended', (p) => void (p.challenge.parameters.expiresAt = (p.challenge.parameters.expiresAt ?? 0) + 60)],
    ['signature changed', (p) => void (p.challenge.signature = flip(p.challenge.signature ?? ''))],
    [
      'key signature changed',
      (p) => void (p.challenge.parameters.keySignature = flip(p.challenge.parameters.keySignature ?? '')),
    ],
  ];
  const accepted = new Set<string>();
  for (let i = 0; i < 12; i++) {
    const challenge = (await captcha.challenge()) as Challenge;
    const solved = JSON.parse(Buffer.from(await solveCaptcha(challenge), 'base64').toString()) as Payload;
    for (const [name, alter] of variants) {
      const p = structuredClone(solved);
      alter(p);
      const reference = (
        await verifySolution({
          challenge: p.challenge,
          solution: p.solution,
          deriveKey,
          hmacSignatureSecret: secrets.signatureSecret,
          hmacKeySignatureSecret: secrets.keySignatureSecret,
        })
      ).verified;
      // check, not verify: verify remembers the solution as spent, and every variant shares its challenge
      const ours = captcha.check(Buffer.from(JSON.stringify(p)).toString('base64')) !== null;
      assert.equal(ours, reference, `${name}: altcha-lib says ${reference}`);
      if (ours) accepted.add(name);
    }
  }
  // in this mode the server signed the derived key, so the counter is not re-checked (altcha-lib neither)
  assert.deepEqual([...accepted].sort(), ['as solved', 'counter changed']);
});

test('ALTCHA during a key rotation: a challenge signed with a previous key is accepted, in both directions of the swap; an unknown key is not', async () => {
  const clock = { now: () => Date.now() };
  const oldKey = { signatureSecret: 'old-sig', keySignatureSecret: 'old-key' };
  const newKey = { signatureSecret: 'new-sig', keySignatureSecret: 'new-key' };
  const make = (current: typeof oldKey, previousSecrets: (typeof oldKey)[] = []): AltchaCaptcha =>
    new AltchaCaptcha({
      ...current,
      previousSecrets,
      maxNumber: 500,
      ttlMs: 60_000,
      clock,
      markUsed: async () => true,
    });
  // step 1 (new key added as previous) meets step 2 (swapped): each accepts the other's challenges
  const step1 = make(oldKey, [newKey]);
  const step2 = make(newKey, [oldKey]);
  const notYet = make(oldKey);
  const fromStep2 = await solveCaptcha((await step2.challenge()) as Challenge);
  const fromStep1 = await solveCaptcha((await step1.challenge()) as Challenge);
  assert.equal(await step1.verify(fromStep2), true, 'the new key held only as a previous key accepts its challenges');
  assert.equal(await step2.verify(fromStep1), true, 'the old key held as a previous key accepts its challenges');
  assert.equal(await notYet.verify(fromStep2), false, 'an instance without the new key cannot');
  assert.equal(await make({ signatureSecret: 'x', keySignatureSecret: 'y' }, [oldKey]).verify(fromStep2), false);
});

test('ALTCHA: a solution seen spent is refused by check without asking the store; the memory is bounded and forgets the oldest', async () => {
  let asked = 0;
  const captcha = new AltchaCaptcha({
    signatureSecret: 'sig',
    keySignatureSecret: 'key',
    maxNumber: 500,
    ttlMs: 60_000,
    clock: { now: () => Date.now() },
    markUsed: async () => ++asked === 1,
  });
  const payload = await solveCaptcha((await captcha.challenge()) as Challenge);
  const solution = captcha.check(payload);
  assert.ok(solution, 'a fresh solution checks out');
  assert.equal(await captcha.verify(payload), true);
  assert.equal(asked, 1);
  assert.equal(captcha.check(payload), null, 'spent: refused by check');
  assert.equal(await captcha.verify(payload), false);
  assert.equal(asked, 1, 'the replay never reached the store');
  // a start records the use in its own transaction and then says so
  const other = await solveCaptcha((await captcha.challenge()) as Challenge);
  const otherSolution = captcha.check(other);
  assert.ok(otherSolution);
  captcha.spent(otherSolution);
  assert.equal(captcha.check(other), null);
  // 20,000 more spent solutions: the oldest are forgotten (the store's record still refuses them)
  for (let i = 0; i < 20_000; i++) captcha.spent({ id: `filler-${i}`, expiresAt: Date.now() + 60_000 });
  assert.ok(captcha.check(payload), 'forgotten by the instance: the signatures check out again');
  assert.equal(await captcha.verify(payload), false, 'and the store refuses it');
});
