import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  maskEmail,
  maskMethod,
  maskPhone,
  normalizeEmail,
  normalizeMethod,
  normalizePhone,
} from '../../src/core/contact.ts';

test('emails: valid forms are accepted, the domain is lower-cased, the local part kept', () => {
  const cases: [input: string, expected: string][] = [
    ['ada@example.com', 'ada@example.com'],
    ['Ada@Example.COM', 'Ada@example.com'],
    ['  ada@example.com  ', 'ada@example.com'],
    ['ａｄａ@example.com', 'ada@example.com'],
    ['o.brien+sspr@mail.example.co.uk', 'o.brien+sspr@mail.example.co.uk'],
    ["x!#$%&'*=?^_`{|}~-@example.org", "x!#$%&'*=?^_`{|}~-@example.org"],
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(normalizeEmail(input), { ok: true, value: expected }, `normalizeEmail(${JSON.stringify(input)})`);
  }
});

test('emails: CR/LF inside (header injection), spaces, and malformed addresses are refused', () => {
  const refused = [
    'ada@example.com\r\nBcc: victim@example.org',
    'ada@example.com\nBcc: victim@example.org',
    'ada\r@example.com',
    'ada@exam\nple.com',
    'ada example@example.com',
    'ada@example',
    'ada@',
    '@example.com',
    'ada',
    'ada@@example.com',
    '"ada"@example.com',
    '<ada@example.com>',
    'Ada <ada@example.com>',
    'ada@example.com,eve@example.org',
    'ada@exa_mple.com',
    `${'x'.repeat(65)}@example.com`,
    '',
  ];
  for (const input of refused) {
    const r = normalizeEmail(input);
    assert.equal(r.ok, false, `${JSON.stringify(input)} should be refused`);
    if (!r.ok) {
      assert.equal(r.error, 'email_invalid');
      // the message shows control characters visibly instead of echoing them raw
      assert.doesNotMatch(r.detail ?? '', /[\r\n]/);
    }
  }
});

test('phones: E.164 forms with common separators are accepted and stored without them', () => {
  const cases: [input: string, expected: string][] = [
    ['+447700900123', '+447700900123'],
    ['+44 7700 900123', '+447700900123'],
    ['+44-7700-900123', '+447700900123'],
    ['+1 (555) 555-0101', '+15555550101'],
    ['+1.555.555.0101', '+15555550101'],
    ['＋４４７７００９００１２３', '+447700900123'], // full-width digits and plus
    ['+1234567', '+1234567'], // shortest: 7 digits
    ['+123456789012345', '+123456789012345'], // longest: 15 digits
  ];
  for (const [input, expected] of cases) {
    assert.deepEqual(normalizePhone(input), { ok: true, value: expected }, `normalizePhone(${JSON.stringify(input)})`);
  }
});

test('phones: national forms, leading zero country codes and wrong lengths are refused', () => {
  const refused = [
    '07700900123', // no country code
    '447700900123', // no plus
    '+0447700900123', // country code cannot start with 0
    '+123456', // 6 digits
    '+1234567890123456', // 16 digits
    '+44 7700 9001ab',
    '+44/7700/900123',
    '+',
    '',
    'tel:+447700900123',
  ];
  for (const input of refused) {
    const r = normalizePhone(input);
    assert.equal(r.ok, false, `${JSON.stringify(input)} should be refused`);
    if (!r.ok) assert.equal(r.error, 'phone_invalid');
  }
});

test('no accepted contact value ever contains CR or LF', () => {
  const inputs = ['ada@example.com\r\n', '\nada@example.com', '+447700900123\r\n', 'ada@example.com\r\nX: y'];
  for (const input of inputs) {
    for (const r of [normalizeEmail(input), normalizePhone(input)]) {
      if (r.ok) assert.doesNotMatch(r.value, /[\r\n]/, `accepted ${JSON.stringify(input)} with CR/LF`);
    }
  }
});

// CR/LF inside a contact value is refused, never silently removed.
test('phones: CR/LF inside the number is refused, not silently removed', () => {
  for (const input of ['+4477009001\r\n23', '+44 7700\n900123']) {
    assert.equal(normalizePhone(input).ok, false, JSON.stringify(input));
  }
});

test('normalizeMethod dispatches on kind', () => {
  assert.deepEqual(normalizeMethod('email', 'Ada@Example.com'), { ok: true, value: 'Ada@example.com' });
  assert.deepEqual(normalizeMethod('phone', '+44 7700 900123'), { ok: true, value: '+447700900123' });
  assert.equal(normalizeMethod('email', '+447700900123').ok, false);
  assert.equal(normalizeMethod('phone', 'ada@example.com').ok, false);
});

test('masking shows enough to recognise, not enough to harvest', () => {
  const emails: [input: string, expected: string][] = [
    ['ada@example.com', 'a••••@example.com'],
    ['a@example.com', 'a••••@example.com'], // always four dots: the length is not revealed
    ['adalovelace@example.com', 'a••••@example.com'],
    ['alice@personal.example', 'a••••@personal.example'],
  ];
  for (const [input, expected] of emails) assert.equal(maskEmail(input), expected);
  assert.equal(maskPhone('+447700900123'), '••• ••• ••23');
  assert.equal(maskPhone('+15555550101'), '••• ••• ••01');
  assert.equal(maskMethod('email', 'ada@example.com'), 'a••••@example.com');
  assert.equal(maskMethod('phone', '+15555550199'), '••• ••• ••99');
  // the masked forms never contain the full secret-ish value
  assert.doesNotMatch(maskMethod('phone', '+15555550199'), /5555/);
  assert.doesNotMatch(maskMethod('email', 'adalovelace@example.com'), /lovelace/);
});
