import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyLookInput,
  brandEmail,
  emailLogo,
  linksOnTenantHost,
  emailSenderName,
  changedLookFields,
  checkDisplayName,
  checkHost,
  checkPrimaryColour,
  checkStartNote,
  contrastRatio,
  EMPTY_LOOK,
  fitLogo,
  LOGO_MAX_BYTES,
  lookStylesheet,
  relativeLuminance,
  senderNameProblem,
  sniffLogo,
} from '../../src/core/tenant-look.ts';

test('relative luminance and contrast follow WCAG 2.x (black/white 21:1, known pairs)', () => {
  assert.equal(relativeLuminance('#000000'), 0);
  assert.equal(relativeLuminance('#ffffff'), 1);
  assert.equal(contrastRatio('#000000', '#ffffff'), 21);
  assert.equal(contrastRatio('#ffffff', '#000000'), 21);
  // values from the WebAIM contrast checker
  const cases: [string, string, number][] = [
    ['#0b57d0', '#ffffff', 6.39],
    ['#777777', '#ffffff', 4.48],
    ['#767676', '#ffffff', 4.54],
    ['#ff0000', '#ffffff', 4.0],
    ['#ff0000', '#1a1a1a', 4.35],
  ];
  for (const [a, b, ratio] of cases) assert.equal(Math.round(contrastRatio(a, b) * 100) / 100, ratio, `${a} on ${b}`);
});

test('primary colour: accepted with the better text colour only at 4.5:1 or more', () => {
  const cases: [input: string, expected: { colour: string; text: string } | string][] = [
    ['#0b57d0', { colour: '#0b57d0', text: '#ffffff' }],
    ['#0B57D0', { colour: '#0b57d0', text: '#ffffff' }],
    [' #767676 ', { colour: '#767676', text: '#ffffff' }], // 4.54 with white: just enough
    ['#ffcc00', { colour: '#ffcc00', text: '#1a1a1a' }], // yellow: dark text
    ['#ffffff', { colour: '#ffffff', text: '#1a1a1a' }],
    ['#000000', { colour: '#000000', text: '#ffffff' }],
    ['#777777', 'colour_contrast'], // 4.48 with white, 3.9 with dark: neither
    ['#ff0000', 'colour_contrast'], // pure red: 4.0 with white, 4.35 with dark
    ['#8a8a8a', { colour: '#8a8a8a', text: '#1a1a1a' }], // 3.45 with white but 5.04 with dark
    ['#808080', 'colour_contrast'],
    ['red', 'colour_invalid'],
    ['#fff', 'colour_invalid'],
    ['#0b57d0;}body{display:none', 'colour_invalid'],
    ['#12345g', 'colour_invalid'],
    ['', 'colour_invalid'],
  ];
  for (const [input, expected] of cases) {
    const r = checkPrimaryColour(input);
    if (typeof expected === 'string') {
      assert.equal(r.ok, false, input);
      if (!r.ok) assert.equal(r.error, expected, input);
    } else {
      assert.equal(r.ok, true, input);
      if (r.ok) {
        assert.equal(r.value.colour, expected.colour, input);
        assert.equal(r.value.text, expected.text, input);
        assert.ok(r.value.ratio >= 4.5, input);
      }
    }
  }
});

test('a refused colour says both ratios, the 4.5:1 target and which way to move', () => {
  const red = checkPrimaryColour('#ff0000');
  assert.equal(red.ok, false);
  if (!red.ok) {
    assert.match(red.detail!, /3\.9:1 with white text/); // 3.998: rounded down, never up to a pass
    assert.match(red.detail!, /4\.3:1 with dark text/);
    assert.match(red.detail!, /at least 4\.5:1/);
    assert.match(red.detail!, /lighter colour \(for dark text\)/);
  }
  // a colour nearer to passing with white is told to go darker
  const r = checkPrimaryColour('#777777');
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.detail!, /darker colour \(for white text\)/);
  // 4.48 is shown as 4.4 (rounded down: never says 4.5 for a refusal)
  const grey = checkPrimaryColour('#777777');
  if (!grey.ok) assert.match(grey.detail!, /4\.4:1 with white/);
});

test('display name, start note, host and sender name: bounds and control characters', () => {
  const names: [string, string | null][] = [
    ['Contoso', 'Contoso'],
    ['  Contoso IT  ', 'Contoso IT'],
    ['Ünïcode 株式会社', 'Ünïcode 株式会社'],
    ['x'.repeat(80), 'x'.repeat(80)],
    ['x'.repeat(81), null],
    ['', null],
    ['   ', null],
    ['Contoso\nEvil', null],
    ['Contoso\u202eevil', null],
    ['Con\u0000toso', null],
  ];
  for (const [input, expected] of names) {
    const r = checkDisplayName(input);
    assert.deepEqual(r.ok ? r.value : null, expected, JSON.stringify(input));
  }

  const notes: [string, string | null][] = [
    ['Call 1234 if you are stuck.', 'Call 1234 if you are stuck.'],
    ['line one\r\nline two', 'line one\nline two'],
    ['x'.repeat(500), 'x'.repeat(500)],
    ['x'.repeat(501), null],
    ['tab\there', null],
    ['bidi \u202e', null],
  ];
  for (const [input, expected] of notes) {
    const r = checkStartNote(input);
    assert.deepEqual(r.ok ? r.value : null, expected, JSON.stringify(input));
  }

  const hosts: [string, string | null][] = [
    ['reset.contoso.com', 'reset.contoso.com'],
    ['Reset.Contoso.COM.', 'reset.contoso.com'],
    ['https://reset.contoso.com', null],
    ['reset.contoso.com:8443', null],
    ['reset.contoso.com/path', null],
    ['localhost', null],
  ];
  for (const [input, expected] of hosts) {
    const r = checkHost(input);
    assert.deepEqual(r.ok ? r.value : null, expected, JSON.stringify(input));
  }

  const senders: [string, boolean][] = [
    ['Contoso IT', true],
    ['Contoso, IT Desk', true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['Contoso\r\nBcc: x@evil.example', false],
    ['"Contoso" <it@contoso.com>', false],
    ['Contoso <it', false],
    ['a@b', false],
    ['back\\slash', false],
    ['', false],
  ];
  for (const [input, fine] of senders) assert.equal(senderNameProblem(input) === null, fine, JSON.stringify(input));
});

test('applyLookInput: absent fields stay, blank clears, every problem at once, notes per locale', () => {
  const first = applyLookInput(EMPTY_LOOK, {
    displayName: 'Contoso',
    primaryColour: '#0B57D0',
    host: 'reset.contoso.com',
    startNotes: { en: 'Call the desk.', de: 'Rufen Sie an.' },
  });
  assert.equal(first.ok, true);
  if (!first.ok) return;
  assert.deepEqual(first.value, {
    displayName: 'Contoso',
    primaryColour: '#0b57d0',
    host: 'reset.contoso.com',
    startNotes: { en: 'Call the desk.', de: 'Rufen Sie an.' },
    logo: null,
    defaultLocale: null,
    timeZone: null,
  });
  const second = applyLookInput(first.value, { displayName: '', startNotes: { de: null } });
  assert.equal(second.ok, true);
  if (second.ok) {
    assert.equal(second.value.displayName, null);
    assert.equal(second.value.primaryColour, '#0b57d0');
    assert.deepEqual(second.value.startNotes, { en: 'Call the desk.' });
    assert.deepEqual(changedLookFields(first.value, second.value), ['displayName', 'startNotes.de']);
  }
  const bad = applyLookInput(first.value, {
    displayName: 'a\nb',
    primaryColour: '#777777',
    host: 'http://x',
    startNotes: { xx: 'hi', fr: 'y'.repeat(600) },
  });
  assert.equal(bad.ok, false);
  if (!bad.ok && 'fields' in bad) {
    assert.deepEqual(
      bad.fields.map((f) => f.field),
      ['displayName', 'primaryColour', 'host', 'startNotes.xx', 'startNotes.fr'],
    );
  }
});

test('sniffLogo: PNG and JPEG by their magic bytes only; SVG, GIF, empty and oversized refused', () => {
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
  const jpeg = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
  const cases: [Uint8Array, string][] = [
    [png, 'png'],
    [jpeg, 'jpeg'],
    [new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'logo_not_image'],
    [new TextEncoder().encode('<?xml version="1.0"?><svg/>'), 'logo_not_image'],
    [new TextEncoder().encode('GIF89a....'), 'logo_not_image'],
    [png.slice(0, 7), 'logo_not_image'],
    [new Uint8Array(0), 'logo_empty'],
    [
      (() => {
        const big = new Uint8Array(LOGO_MAX_BYTES + 1);
        big.set(png);
        return big;
      })(),
      'logo_too_large',
    ],
  ];
  for (const [bytes, expected] of cases) {
    const r = sniffLogo(bytes);
    assert.equal(r.ok ? r.value : r.error, expected);
  }
  const atLimit = new Uint8Array(LOGO_MAX_BYTES);
  atLimit.set(png);
  assert.deepEqual(sniffLogo(atLimit), { ok: true, value: 'png' });
});

test('fitLogo: fitted into 480×160, never enlarged', () => {
  assert.deepEqual(fitLogo(100, 50), { width: 100, height: 50 });
  assert.deepEqual(fitLogo(960, 160), { width: 480, height: 80 });
  assert.deepEqual(fitLogo(400, 400), { width: 160, height: 160 });
  assert.deepEqual(fitLogo(4800, 1), { width: 480, height: 1 });
});

test('lookStylesheet: only validated colours, text colour by contrast, nothing without a colour', () => {
  assert.equal(lookStylesheet({ primaryColour: null }), '');
  assert.equal(lookStylesheet({ primaryColour: '#777777' }), '');
  assert.equal(lookStylesheet({ primaryColour: 'red;}*{x:y' }), '');
  const css = lookStylesheet({ primaryColour: '#ffcc00' });
  assert.match(css, /--brand:#ffcc00;--brand-fg:#1a1a1a/);
});

test('emails: the policy sender name wins, else a header-safe display name; no display name leaves the email as it is', () => {
  assert.equal(emailSenderName('Contoso IT', 'Contoso'), 'Contoso IT');
  assert.equal(emailSenderName(null, 'Contoso'), 'Contoso');
  assert.equal(emailSenderName(null, 'Contoso <IT>'), null);
  assert.equal(emailSenderName(null, 'Say "hi"'), null);
  assert.equal(emailSenderName(null, null), null);
  const email = { subject: 's', text: 'Hello\n', html: '<body>\n<div style="max-width:560px">\n<p>Hello</p>\n</div>' };
  assert.equal(brandEmail(email, { displayName: null, primaryColour: '#0b57d0' }), email);
  const branded = brandEmail(email, { displayName: 'A & B', primaryColour: '#777777' });
  assert.equal(branded.text, 'A & B\n\nHello\n');
  assert.equal(branded.subject, 's');
  assert.match(
    branded.html,
    /<div style="max-width:560px">\n<p style="margin:0 0 16px;padding:0;font-weight:700;font-size:18px">A &amp; B<\/p>\n<p>Hello/,
  );
});

test('emails: a logo fitted into 240×80 (never enlarged), shown by cid: with the display name as its alt text', () => {
  const hash = 'ab'.repeat(32);
  assert.deepEqual(emailLogo({ hash, width: 480, height: 160 }), {
    cid: `logo-${'ab'.repeat(16)}@sspr`,
    width: 240,
    height: 80,
  });
  assert.deepEqual(emailLogo({ hash, width: 480, height: 60 }), {
    cid: `logo-${'ab'.repeat(16)}@sspr`,
    width: 240,
    height: 30,
  });
  assert.deepEqual(emailLogo({ hash, width: 90, height: 160 }), {
    cid: `logo-${'ab'.repeat(16)}@sspr`,
    width: 45,
    height: 80,
  });
  assert.deepEqual(emailLogo({ hash, width: 32, height: 32 }), {
    cid: `logo-${'ab'.repeat(16)}@sspr`,
    width: 32,
    height: 32,
  });

  const email = { subject: 's', text: 'Hello\n', html: '<body>\n<div style="max-width:560px">\n<p>Hello</p>\n</div>' };
  const logo = { cid: 'logo-1@sspr', width: 240, height: 60 };
  const branded = brandEmail(email, { displayName: 'A & "B"', primaryColour: '#0b57d0' }, logo);
  assert.equal(branded.text, 'A & "B"\n\nHello\n');
  assert.match(
    branded.html,
    /<div style="max-width:560px">\n<p style="margin:0 0 16px;background:#0b57d0;color:#ffffff;padding:12px 16px;font-weight:700;font-size:18px"><img src="cid:logo-1@sspr" alt="A &amp; &quot;B&quot;" width="240" height="60" style="display:block;border:0;max-width:100%;height:auto"><\/p>\n<p>Hello/,
  );
  // a logo without a display name: the logo alone (an empty alt), the text part unchanged
  const unnamed = brandEmail(email, { displayName: null, primaryColour: null }, logo);
  assert.equal(unnamed.text, email.text);
  assert.match(unnamed.html, /<img src="cid:logo-1@sspr" alt="" width="240" height="60"/);
});

test('emails: links move to the tenant’s own address with the same path, except the browser-bound reset link', () => {
  const email = {
    subject: 's',
    text: 'Start again at https://sspr.example/reset\nOr https://sspr.example/reset/link?t=abc\nNot https://sspr.example.org/x nor https://sspr.example:8443/y\n',
    html: '<a href="https://sspr.example/reset/assisted?t=x&amp;y=1">a</a> <a href="https://sspr.example/reset/link?t=abc">b</a> <a href="https://sspr.example/admin/requests">c</a>',
  };
  assert.equal(linksOnTenantHost(email, 'https://sspr.example', null), email, 'no host: unchanged');
  const moved = linksOnTenantHost(email, 'https://sspr.example/', 'reset.contoso.example');
  assert.equal(
    moved.text,
    'Start again at https://reset.contoso.example/reset\nOr https://sspr.example/reset/link?t=abc\nNot https://sspr.example.org/x nor https://sspr.example:8443/y\n',
  );
  assert.equal(
    moved.html,
    '<a href="https://reset.contoso.example/reset/assisted?t=x&amp;y=1">a</a> <a href="https://sspr.example/reset/link?t=abc">b</a> <a href="https://reset.contoso.example/admin/requests">c</a>',
  );
  // a public URL with a path (sspr behind a prefix) and plain http (development): https on the tenant's host, same path
  const prefixed = linksOnTenantHost(
    { subject: 's', text: 'http://localhost:3000/sspr/reset and http://localhost:3000/sspr/reset/link?t=1', html: '' },
    'http://localhost:3000/sspr',
    'reset.contoso.example',
  );
  assert.equal(prefixed.text, 'https://reset.contoso.example/sspr/reset and http://localhost:3000/sspr/reset/link?t=1');
});
