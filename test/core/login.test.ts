import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainOf, normalizeDomain, normalizeLogin } from '../../src/core/login.ts';

test('logins are normalised: NFKC, trimmed, lower case', () => {
  const cases: [input: string, expected: string][] = [
    ['ada@example.com', 'ada@example.com'],
    ['Ada@Example.COM', 'ada@example.com'],
    ['  ada@example.com\t', 'ada@example.com'],
    // full-width letters (what an East Asian IME types) are the same person
    ['ＡＤＡ@Example.com', 'ada@example.com'],
    ['ＡＤＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ', 'ada@example.com'],
    // compatibility ligature ﬁ (U+FB01) becomes "fi"
    ['ﬁona@example.com', 'fiona@example.com'],
    ['o.brien+test@mail.example.co.uk', 'o.brien+test@mail.example.co.uk'],
    // internationalised domain (already in Unicode form)
    ['ada@例え.jp', 'ada@例え.jp'],
  ];
  for (const [input, expected] of cases) {
    const r = normalizeLogin(input);
    assert.deepEqual(r, { ok: true, value: expected }, `normalizeLogin(${JSON.stringify(input)})`);
  }
});

test('logins with spaces or control characters inside, or the wrong shape, are refused rather than altered', () => {
  const refused: [input: string, why: string][] = [
    ['a da@example.com', 'space inside'],
    ['ada@exa mple.com', 'space in domain'],
    ['ada\t@example.com', 'tab inside'],
    ['ada\u0000@example.com', 'NUL'],
    ['ada\r\n@example.com', 'CR/LF'],
    ['ada\u200b@example.com', 'zero-width space (format character)'],
    ['ada\u202e@example.com', 'right-to-left override'],
    ['ada\u007f@example.com', 'DEL'],
    ['', 'empty'],
    ['   ', 'blank'],
    ['ada', 'no domain'],
    ['ada@example', 'single-label domain'],
    ['ada@@example.com', 'two @'],
    ['@example.com', 'empty local part'],
    ['ada@exam_ple.com', 'underscore in domain'],
    ['ada@-example.com', 'label starts with hyphen'],
    [`${'x'.repeat(65)}@example.com`, 'local part longer than 64'],
    [`ada@${'a'.repeat(250)}.com`, 'longer than 254'],
  ];
  for (const [input, why] of refused) {
    const r = normalizeLogin(input);
    assert.equal(r.ok, false, `${why}: ${JSON.stringify(input)} should be refused`);
    if (!r.ok) assert.equal(r.error, 'login_invalid');
  }
});

test('look-alike letters stay different people: Cyrillic а is not Latin a', () => {
  const latin = normalizeLogin('ada@example.com');
  const cyrillic = normalizeLogin('\u0430da@example.com'); // U+0430 CYRILLIC SMALL LETTER A
  assert.ok(latin.ok && cyrillic.ok);
  assert.notEqual(cyrillic.value, latin.value);
  assert.equal(cyrillic.value.codePointAt(0), 0x430);
  // also in the domain: a Cyrillic "е" in example.com is another domain
  const spoofedDomain = normalizeLogin('ada@\u0435xample.com');
  assert.ok(spoofedDomain.ok);
  assert.notEqual(domainOf(spoofedDomain.value), 'example.com');
});

test('domainOf returns the part after the last @', () => {
  assert.equal(domainOf('ada@example.com'), 'example.com');
  assert.equal(domainOf('x@mail.example.co.uk'), 'mail.example.co.uk');
});

test('domains are normalised and validated', () => {
  const cases: [input: string, expected: string | null][] = [
    ['example.com', 'example.com'],
    ['Example.COM', 'example.com'],
    ['example.com.', 'example.com'],
    [' contoso.example ', 'contoso.example'],
    ['ＥＸＡＭＰＬＥ.com', 'example.com'],
    ['a-b.example.org', 'a-b.example.org'],
    ['localhost', null],
    ['ex ample.com', null],
    ['-a.com', null],
    ['a-.com', null],
    ['exa_mple.com', null],
    ['', null],
    ['example..com', null],
    ['example.com\r\n', 'example.com'],
    ['exa\r\nmple.com', null],
  ];
  for (const [input, expected] of cases) {
    const r = normalizeDomain(input);
    if (expected === null) {
      assert.equal(r.ok, false, `${JSON.stringify(input)} should be refused`);
      if (!r.ok) assert.equal(r.error, 'domain_invalid');
    } else {
      assert.deepEqual(r, { ok: true, value: expected }, `normalizeDomain(${JSON.stringify(input)})`);
    }
  }
});
