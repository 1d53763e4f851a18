import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH_DEFAULT,
  checkPassword,
  passwordLength,
  personalWords,
  type PasswordContext,
} from '../../src/core/password-policy.ts';

const ctx: PasswordContext = {
  minLength: PASSWORD_MIN_LENGTH_DEFAULT,
  personal: ['ada.lovelace@example.com', 'Ada Lovelace', 'Contoso Demo', 'ada@personal.example'],
};

/** A password of exactly `n` code points that is not common, personal or repetitive. */
function strongOfLength(n: number): string {
  const words = 'wharf obsidian glimmer ferment tangerine quietly ';
  let s = '';
  for (let i = 0; s.length < n; i++) s += words[i % words.length]! + (i % 47 === 46 ? String(i) : '');
  return s.slice(0, n);
}

test('the default minimum is 15 characters', () => {
  assert.equal(PASSWORD_MIN_LENGTH_DEFAULT, 15);
  assert.equal(PASSWORD_MAX_LENGTH, 256);
});

test('length edges: 14 refused, 15 and 16 accepted with the default minimum; 256 accepted, 257 refused', () => {
  const cases: [length: number, expected: 'ok' | 'password_too_short' | 'password_too_long'][] = [
    [0, 'password_too_short'],
    [1, 'password_too_short'],
    [14, 'password_too_short'],
    [15, 'ok'],
    [16, 'ok'],
    [255, 'ok'],
    [256, 'ok'],
    [257, 'password_too_long'],
    [1000, 'password_too_long'],
  ];
  for (const [length, expected] of cases) {
    const pw = strongOfLength(length);
    assert.equal(pw.length, length);
    const r = checkPassword(pw, ctx);
    assert.equal(r.ok ? 'ok' : r.error, expected, `length ${length}`);
  }
});

test('a tenant minimum is honoured at its edges', () => {
  for (const min of [8, 12, 20]) {
    assert.equal(checkPassword(strongOfLength(min - 1), { ...ctx, minLength: min }).ok, false, `${min - 1} < ${min}`);
    assert.equal(checkPassword(strongOfLength(min), { ...ctx, minLength: min }).ok, true, `${min} = ${min}`);
  }
  const short = checkPassword('short', { ...ctx, minLength: 12 });
  assert.ok(!short.ok);
  assert.match(short.detail ?? '', /12 characters/);
});

test('length counts characters as people see them, after NFKC', () => {
  const cases: [password: string, length: number, expected: 'ok' | 'password_too_short'][] = [
    // 13 letters + e + combining acute: 15 code points typed, 14 after NFKC composes é
    ['tangerinequie\u0065\u0301', 14, 'password_too_short'],
    // 13 letters + ﬁ ligature: 14 code points typed, 15 after NFKC expands it to "fi"
    ['tangerinequie\ufb01', 15, 'ok'],
    // emoji are one character each although they take two UTF-16 units
    ['tangerine wharf🙂🙂', 17, 'ok'],
    ['tangerine wh🙂🙂', 14, 'password_too_short'],
    // full-width letters become ASCII
    ['ｔａｎｇｅｒｉｎｅ ｗｈａｒｆ ｘ', 17, 'ok'],
  ];
  for (const [pw, length, expected] of cases) {
    assert.equal(passwordLength(pw), length, JSON.stringify(pw));
    const r = checkPassword(pw, ctx);
    assert.equal(r.ok ? 'ok' : r.error, expected, JSON.stringify(pw));
  }
  // the accepted value is the NFKC form (what gets hashed)
  assert.deepEqual(checkPassword('ｔａｎｇｅｒｉｎｅ ｗｈａｒｆ ｘ', ctx), { ok: true, value: 'tangerine wharf x' });
});

test('common passwords and their usual variants are refused', () => {
  const common = [
    'Password12345678!',
    'password1234567',
    'PASSWORD123456789',
    'password!!!!!!!!!!',
    'qwertyuiop123456',
    'qwertyqwertyqwerty',
    'iloveyouiloveyou',
    'Ｐａｓｓｗｏｒｄ１２３４５６７８!', // full-width variant of the first
  ];
  for (const pw of common) {
    const r = checkPassword(pw, ctx);
    assert.equal(r.ok ? 'ok' : r.error, 'password_common', JSON.stringify(pw));
  }
});

// Keyboard and alphabet runs are not in the built-in common list: the repetition rule walks them.
test('sequences of digits, letters or keyboard rows are refused; ordinary passphrases are not', () => {
  for (const pw of [
    '123456789012345',
    'abcdefghijklmnop',
    'qwertyuiopasdfgh',
    'zyxwvutsrqponmlk',
    '1qaz2wsx3edc4rfv',
  ]) {
    assert.equal(checkPassword(pw, ctx).ok, false, pw);
  }
  for (const pw of ['violet tractor harbour pencil', 'correct horse battery staple', 'Tuesday lunch at the quay']) {
    assert.equal(checkPassword(pw, ctx).ok, true, pw);
  }
});

test('passwords that contain the person’s own identifiers are refused', () => {
  const personal = [
    'lovelace tangerine wharf', // surname from the display name
    'ada.lovelace is my name', // local part of the login
    'contoso obsidian ferment', // tenant name
    'LOVELACE tangerine wharf', // case does not matter
    'ｌｏｖｅｌａｃｅ tangerine wharf', // nor full-width letters
    'wharf personal glimmer', // alternate email domain label
  ];
  for (const pw of personal) {
    const r = checkPassword(pw, ctx);
    assert.equal(r.ok ? 'ok' : r.error, 'password_personal', JSON.stringify(pw));
  }
  // short pieces (< 4 characters) such as "ada" and generic ones such as "com" are allowed
  assert.equal(checkPassword('ada tangerine wharf com', ctx).ok, true);
  // without personal values the same password is fine
  assert.equal(checkPassword('lovelace tangerine wharf', { ...ctx, personal: [] }).ok, true);
});

test('repetition of one character or a short pattern is refused', () => {
  const repetitive = [
    'aaaaaaaaaaaaaaaa',
    'abababababababab',
    'abcabcabcabcabcabc',
    'xyzwxyzwxyzwxyzw',
    '!!!!!!!!!!!!!!!!!',
    'aabaabaabaabaabaab',
  ];
  for (const pw of repetitive) {
    const r = checkPassword(pw, ctx);
    assert.ok(!r.ok, JSON.stringify(pw));
    assert.ok(['password_repetitive', 'password_common'].includes(r.error), `${JSON.stringify(pw)}: ${r.error}`);
  }
  assert.equal(
    checkPassword('qmzpxqmzpxqmzpxqmzpx', ctx).ok,
    true,
    'a 5-character unit is no longer caught as a pattern',
  );
});

test('long passphrases without composition rules are accepted', () => {
  for (const pw of [
    'correct horse battery staple',
    'tangerine quietly ferments',
    'ein Fuchs läuft über Eis',
    '梅の花が静かに咲いている春の朝です',
  ]) {
    assert.equal(checkPassword(pw, ctx).ok, true, pw);
  }
});

test('personalWords: login, display name, tenant name (when there is one) and every email, in that order', () => {
  assert.deepEqual(
    personalWords({
      login: 'ada@contoso.example',
      displayName: 'Ada Lovelace',
      tenantName: 'Contoso',
      emails: ['ada.home@personal.example', 'old@personal.example'],
    }),
    ['ada@contoso.example', 'Ada Lovelace', 'Contoso', 'ada.home@personal.example', 'old@personal.example'],
  );
  assert.deepEqual(personalWords({ login: 'op', displayName: 'Olga Operator', tenantName: null, emails: [] }), [
    'op',
    'Olga Operator',
  ]);
  // the words reach the check: the tenant's name and the alternate email's local part are refused
  const ctx = {
    minLength: 15,
    personal: personalWords({
      login: 'u@x.example',
      displayName: 'Uma',
      tenantName: 'Fabrikam',
      emails: ['zebrafish@home.example'],
    }),
  };
  for (const pw of ['lantern fabrikam orchard', 'lantern zebrafish orchard']) {
    const r = checkPassword(pw, ctx);
    assert.equal(r.ok ? 'ok' : r.error, 'password_personal', pw);
  }
  assert.equal(checkPassword('lantern meadow orchard', ctx).ok, true);
});
