import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import type { ApiScope } from '../../src/core/admin-rules.ts';
import type { Tenant } from '../../src/core/directory-model.ts';
import { LOGO_MAX_BYTES } from '../../src/core/tenant-look.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { createPagesKit, newestMatch, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { EXPECTED_SECURITY_HEADERS } from './server-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * A tenant's look and words over HTTP (issue 12, item 6): the admin API round trip (refused
 * colour, SVG, garbage and oversized logos), the logo and stylesheet sspr serves, and the pages:
 * the look shows where the address names the tenant, never on the generic address, and never
 * because of a typed login.
 */
let kit: PagesKit;
let contoso: Tenant;
const HOST = 'reset.contoso.example';

before(async () => {
  kit = await createPagesKit();
  const c = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
});
after(async () => {
  await kit.close();
});

async function key(scopes: ApiScope[]): Promise<string> {
  const r = await kit.app.apiKeys.create({ tenantId: contoso.id, name: 'look', scopes, expiresAt: null, by: 'cli' });
  assert.ok(r.ok);
  return r.value.token;
}

function call(
  token: string,
  method: 'GET' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<LightMyRequestResponse> {
  const raw = body instanceof Uint8Array;
  return kit.server.inject({
    method,
    url: `${ADMIN_API_PREFIX}${url}`,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { payload: raw ? Buffer.from(body) : JSON.stringify(body) }),
  });
}

function page(url: string, host?: string): Promise<LightMyRequestResponse> {
  return kit.server.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(host ? { host } : {}) } });
}

describe('tenant look: admin API, logo, pages', () => {
  let writer = '';
  let logoUrl = '';

  test('GET → empty; PUT saves the words, audited; a colour without AA contrast is refused with its ratios', async () => {
    writer = await key(['look:read', 'look:write', 'audit:read']);
    const empty = await call(writer, 'GET', '/look');
    assert.equal(empty.statusCode, 200, empty.body);
    assert.deepEqual(empty.json(), {
      displayName: null,
      primaryColour: null,
      host: null,
      startNotes: {},
      defaultLocale: null,
      timeZone: null,
      logo: null,
    });

    const saved = await call(writer, 'PUT', '/look', {
      displayName: 'Contoso IT',
      primaryColour: '#0B57D0',
      host: HOST,
      startNotes: { en: 'Stuck? Call the IT desk on 1234.', de: 'Hilfe? Rufen Sie 1234 an.' },
    });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().primaryColour, '#0b57d0');
    assert.deepEqual((await call(writer, 'GET', '/look')).json(), saved.json());

    const grey = await call(writer, 'PUT', '/look', { primaryColour: '#777777', displayName: 'Changed' });
    assert.equal(grey.statusCode, 400);
    const error = grey.json().error as { code: string; message: string };
    assert.equal(error.code, 'look_invalid');
    assert.match(error.message, /primaryColour: .*4\.4:1 with white text and 3\.8:1 with dark text.*4\.5:1/);
    assert.equal((await call(writer, 'GET', '/look')).json().displayName, 'Contoso IT', 'nothing saved');

    const audit = await call(writer, 'GET', '/audit?type=admin.look_updated');
    assert.equal(audit.statusCode, 200, audit.body);
    const events = audit.json().events as { actor: string; details: Record<string, string> }[];
    assert.equal(events.length, 1);
    assert.match(events[0]!.actor, /^api_key:/);
    assert.match(events[0]!.details.changed!, /displayName primaryColour host startNotes\.en startNotes\.de/);
  });

  test('the look has scopes of its own: look:read reads, look:write changes; the directory:* scopes do neither', async () => {
    const reader = await key(['look:read']);
    assert.equal((await call(reader, 'GET', '/look')).statusCode, 200);
    const put = await call(reader, 'PUT', '/look', { displayName: 'Nope' });
    assert.equal(put.statusCode, 403);
    assert.equal(put.json().error.code, 'scope_missing');
    const none = await key(['users:read']);
    assert.equal((await call(none, 'GET', '/look')).statusCode, 403);

    const directory = await key(['directory:read', 'directory:write']);
    assert.equal((await call(directory, 'GET', '/look')).statusCode, 403, 'directory:read does not read the look');
    for (const [method, url, body] of [
      ['PUT', '/look', { displayName: 'Directory key' }],
      ['DELETE', '/look/logo', undefined],
    ] as const) {
      const r = await call(directory, method, url, body);
      assert.equal(r.statusCode, 403, `${method} ${url} with directory:write`);
      assert.equal(r.json().error.code, 'scope_missing');
    }
    const only = await key(['look:write']);
    const accepted = await call(only, 'PUT', '/look', { displayName: 'Contoso by key' });
    assert.equal(accepted.statusCode, 200, accepted.body);
    assert.equal((await call(writer, 'GET', '/look')).json().displayName, 'Contoso by key');
    assert.equal((await call(only, 'PUT', '/look', { displayName: 'Contoso IT' })).statusCode, 200);
  });

  test('logo: a PNG is re-encoded (fitted into 480×160, metadata gone) and served by sspr with strict headers', async () => {
    const original = await sharp({ create: { width: 1200, height: 300, channels: 4, background: '#0b57d0' } })
      .png()
      .withMetadata({ exif: { IFD0: { Copyright: 'EXIF-SECRET-MARKER' } } })
      .toBuffer();
    assert.ok(original.includes('EXIF-SECRET-MARKER'));
    const r = await call(writer, 'PUT', '/look/logo', new Uint8Array(original), 'image/png');
    assert.equal(r.statusCode, 200, r.body);
    const logo = r.json().logo as { url: string; width: number; height: number };
    assert.deepEqual([logo.width, logo.height], [480, 120]);
    assert.match(logo.url, new RegExp(`^/brand/${contoso.id}/logo-[0-9a-f]{64}\\.png$`));
    logoUrl = logo.url;

    const served = await page(logoUrl);
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    assert.match(String(served.headers['cache-control']), /immutable/);
    for (const [name, value] of Object.entries(EXPECTED_SECURITY_HEADERS))
      assert.equal(served.headers[name], value, name);
    assert.ok(!served.rawPayload.includes('EXIF-SECRET-MARKER'), 'metadata stripped');
    const meta = await sharp(served.rawPayload).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.exif], ['png', 480, 120, undefined]);
    // a JPEG is accepted too (and becomes a PNG)
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffcc00' } })
      .jpeg()
      .toBuffer();
    const j = await call(writer, 'PUT', '/look/logo', new Uint8Array(jpeg), 'image/jpeg');
    assert.equal(j.statusCode, 200, j.body);
    assert.equal((await page(logoUrl)).statusCode, 404, 'the old logo address is gone');
    logoUrl = j.json().logo.url;
    assert.equal((await page(logoUrl)).headers['content-type'], 'image/png');
  });

  test('logo: SVG, garbage behind PNG magic bytes, a wrong media type and oversized uploads are refused', async () => {
    const before = (await call(writer, 'GET', '/look')).json().logo;
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    for (const type of ['image/png', 'application/octet-stream']) {
      const r = await call(writer, 'PUT', '/look/logo', svg, type);
      assert.equal(r.statusCode, 415, r.body);
      assert.equal(r.json().error.code, 'logo_not_image');
    }
    const svgType = await call(writer, 'PUT', '/look/logo', svg, 'image/svg+xml');
    assert.equal(svgType.statusCode, 415);
    const garbage = new Uint8Array(2000);
    garbage.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const g = await call(writer, 'PUT', '/look/logo', garbage, 'image/png');
    assert.equal(g.statusCode, 415, g.body);
    assert.equal(g.json().error.code, 'logo_not_image');
    const big = new Uint8Array(LOGO_MAX_BYTES + 1);
    big.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const b = await call(writer, 'PUT', '/look/logo', big, 'image/png');
    assert.equal(b.statusCode, 413);
    assert.equal(b.json().error.code, 'logo_too_large');
    assert.match(b.json().error.message, /256 KiB/);
    const huge = await call(writer, 'PUT', '/look/logo', new Uint8Array(LOGO_MAX_BYTES * 3), 'image/png');
    assert.equal(huge.statusCode, 413);
    assert.deepEqual((await call(writer, 'GET', '/look')).json().logo, before, 'the logo did not change');
  });

  test('pages at the tenant’s address show its name, logo, colour and start note; the generic address does not', async () => {
    const known = await page('/reset', HOST);
    assert.equal(known.statusCode, 200);
    assert.match(
      known.body,
      /<a class="brand" href="\/"><img class="tenant-logo" src="\/brand\/[^"]+\/logo-[0-9a-f]{64}\.png" width="64" height="64" alt(?:="")?\/>Contoso IT<\/a>/,
    );
    assert.match(known.body, /<title>[^<]* · Contoso IT<\/title>/);
    assert.match(known.body, /<p class="tenant-note">Stuck\? Call the IT desk on 1234\.<\/p>/);
    const sheet = /<link rel="stylesheet" href="(\/brand\/[^"]+\/look-[0-9a-f]{16}\.css)"\/>/.exec(known.body);
    assert.ok(sheet, 'the tenant stylesheet is linked');
    assert.doesNotMatch(known.body, /style=/, 'no inline style (the CSP forbids it)');
    const css = await page(sheet[1]!);
    assert.equal(css.statusCode, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.match(css.body, /--brand:#0b57d0;--brand-fg:#ffffff/);
    // the note in the page's language; none on pages other than the start pages
    const german = await kit.server.inject({
      method: 'GET',
      url: '/reset',
      headers: { host: HOST, 'accept-language': 'de' },
    });
    assert.match(german.body, /Hilfe\? Rufen Sie 1234 an\./);
    const help = await page('/help', HOST);
    if (help.statusCode === 200) assert.doesNotMatch(help.body, /tenant-note/);

    for (const host of [undefined, 'localhost:3000', 'other.example']) {
      const generic = await page('/reset', host);
      assert.equal(generic.statusCode, 200);
      assert.doesNotMatch(generic.body, /Contoso IT|tenant-logo|tenant-note|\/brand\//, `host ${host}`);
    }
  });

  test('a typed login never brings its tenant’s look to the generic address', async () => {
    const b = new TestBrowser(kit.server);
    await b.get('/reset');
    const started = await b.post('/reset', { login: 'user@contoso.example', altcha: await solveCaptcha(kit.server) });
    const next = started.statusCode === 303 ? await b.follow(started) : started;
    assert.equal(next.statusCode, 200);
    assert.doesNotMatch(next.body, /Contoso IT|tenant-logo|\/brand\//);
  });

  test('removing the logo: pages show none, the address is gone', async () => {
    const r = await call(writer, 'DELETE', '/look/logo');
    assert.equal(r.statusCode, 200);
    assert.equal(r.json().logo, null);
    assert.equal((await page(logoUrl)).statusCode, 404);
  });
});

async function signIn(login: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  await b.get('/signin');
  const password = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(kit.app, b, await b.post('/signin', { login, password, next: '/account' }), login);
  assert.equal(res.statusCode, 303, `${login} signs in`);
  return b;
}

describe('console: /admin/look, and the look on a signed-in person’s pages', () => {
  test('an admin sets the look; a colour without contrast is refused with its ratios; the tenant’s pages show it', async () => {
    const admin = await signIn('admin@contoso.example');
    const page = await admin.get('/admin/look');
    assert.equal(page.statusCode, 200, page.body.slice(0, 300));
    assert.match(page.body, /<h1>Look and words<\/h1>/);
    assert.match(page.body, /<a href="\/admin\/look" aria-current="page">Look<\/a>/, 'in the console navigation');
    const refused = await admin.post('/admin/look', {
      displayName: 'Contoso Console',
      primaryColour: '#ff0000',
      host: '',
      'note-en': 'Hello from the console',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /3\.9:1 with white text and 4\.3:1 with dark text; WCAG AA needs at least 4\.5:1/);
    assert.match(refused.body, /value="Contoso Console"/, 'the form keeps what was typed');
    await admin.get('/admin/look');
    const saved = await admin.post('/admin/look', {
      displayName: 'Contoso Console',
      primaryColour: '#1a7f37',
      host: '',
      'note-en': 'Hello from the console',
    });
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 500));
    const after = await admin.follow(saved);
    assert.match(after.body, /The look was saved\./);
    // signed in at the generic address: the session's tenant gives the look
    const account = await admin.get('/account');
    assert.match(account.body, /<a class="brand" href="\/">Contoso Console<\/a>/);
    assert.match(account.body, /\/brand\/[^"]+\/look-[0-9a-f]{16}\.css/);
    // a user of the tenant too; the generic sign-in page before anyone signs in: no look
    const signinPage = await new TestBrowser(kit.server).get('/signin');
    assert.doesNotMatch(signinPage.body, /Contoso Console|\/brand\//);
    const user = await signIn('user@contoso.example');
    assert.match((await user.get('/account')).body, /Contoso Console/);
  });

  test('the page speaks the person’s language (German, Arabic right to left)', async () => {
    const admin = await signIn('admin@contoso.example');
    admin.cookies.set('sspr_lang', 'de');
    const de = await admin.get('/admin/look');
    assert.match(de.body, /<h1>Erscheinungsbild und Texte<\/h1>/);
    assert.match(de.body, /höchstens 80 Zeichen/);
    const refused = await admin.post('/admin/look', { displayName: 'X', primaryColour: '#777777', host: '' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Text auf #777777 wäre schwer lesbar: 4\.4:1 mit weißem und 3\.8:1 mit dunklem Text/);
    assert.match(refused.body, /Wählen Sie eine dunklere Farbe/);
    admin.cookies.set('sspr_lang', 'ar');
    const ar = await admin.get('/admin/look');
    assert.match(ar.body, /<html lang="ar" dir="rtl">/);
    assert.match(ar.body, /<h1>المظهر والنصوص<\/h1>/);
  });

  test('a user may not open the look page', async () => {
    const user = await signIn('user@contoso.example');
    const page = await user.get('/admin/look');
    assert.equal(page.statusCode, 403);
  });
});

function multipart(fields: Record<string, string>, file: { name: string; type: string; bytes: Uint8Array }) {
  const boundary = '----sspr-test-boundary-7d1f';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="logo"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`,
    ),
    Buffer.from(file.bytes),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

describe('console: logo upload (multipart form)', () => {
  async function upload(b: TestBrowser, file: { name: string; type: string; bytes: Uint8Array }, csrf?: string) {
    await b.get('/admin/look');
    const { payload, contentType } = multipart({ _csrf: csrf ?? b.csrf() }, file);
    return kit.server.inject({
      method: 'POST',
      url: '/admin/look/logo',
      payload,
      headers: {
        accept: 'text/html',
        'content-type': contentType,
        cookie: [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
  }

  test('a PNG is saved and shown; SVG, garbage and a missing CSRF token are refused', async () => {
    const admin = await signIn('admin@contoso.example');
    const png = await sharp({ create: { width: 300, height: 100, channels: 3, background: '#1a7f37' } })
      .png()
      .toBuffer();
    const ok = await upload(admin, { name: 'logo.png', type: 'image/png', bytes: new Uint8Array(png) });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 500));
    const page = await admin.follow(ok);
    assert.match(page.body, /The logo was saved\./);
    assert.match(page.body, /<img src="\/brand\/[^"]+\/logo-[0-9a-f]{64}\.png" width="300" height="100"/);

    const svg = await upload(admin, {
      name: 'logo.svg',
      type: 'image/svg+xml',
      bytes: new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    });
    assert.equal(svg.statusCode, 415);
    assert.match(svg.body, /must be a PNG or JPEG image/);
    const bad = await upload(admin, { name: 'x.png', type: 'image/png', bytes: new Uint8Array([1, 2, 3]) });
    assert.equal(bad.statusCode, 415);
    const forged = await upload(admin, { name: 'logo.png', type: 'image/png', bytes: new Uint8Array(png) }, 'forged');
    assert.equal(forged.statusCode, 403);
  });
});

describe('the reset link of an email goes back to the address the reset started at', () => {
  const USER = 'user@contoso.example';
  const USER_EMAIL = 'user@personal.example';
  const LINK = /(\S+)\/reset\/link\?t=([A-Za-z0-9_-]+)/;

  async function startAt(host: string | undefined): Promise<{ b: TestBrowser; base: string; token: string }> {
    const b = new TestBrowser(kit.server, host);
    await b.get('/reset');
    const started = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    assert.equal(started.statusCode, 303, started.body.slice(0, 300));
    await b.follow(started);
    const [base, token] = (await newestMatch(kit.app, USER_EMAIL, new RegExp(`(${LINK.source})`)))
      .match(LINK)!
      .slice(1);
    return { b, base: base!, token: token! };
  }

  async function follow(b: TestBrowser, token: string) {
    await b.get(`/reset/link?t=${token}`);
    return b.post('/reset/link', { t: token });
  }

  test('started at the tenant’s address: the link is on it (https) and works in that browser', async () => {
    const saved = await kit.app.store.looks.saveLook(
      contoso.id,
      { ...(await kit.app.store.looks.getLook(contoso.id)), host: HOST },
      kit.app.clock.now(),
    );
    assert.ok(saved.ok);
    const { b, base, token } = await startAt(HOST);
    assert.equal(base, `https://${HOST}`);
    const consumed = await follow(b, token);
    assert.equal(consumed.statusCode, 303, consumed.body.slice(0, 300));
    assert.equal(consumed.headers.location, '/reset/flow');
    // the same link opened at the shared address (no flow cookie there) would be refused
    const elsewhere = await startAt(HOST);
    const shared = new TestBrowser(kit.server);
    assert.equal((await follow(shared, elsewhere.token)).statusCode, 403, 'another host is another browser');
  });

  test('started at the shared address or at a host no tenant has: the link is on SSPR_PUBLIC_URL', async () => {
    const publicUrl = kit.app.config.public_url.replace(/\/+$/, '');
    for (const host of [undefined, 'other.example', 'evil.example:8443']) {
      const { b, base, token } = await startAt(host);
      assert.equal(base, publicUrl, `host ${host}`);
      if (host === undefined) assert.equal((await follow(b, token)).statusCode, 303);
    }
  });
});
