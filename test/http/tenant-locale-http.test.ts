import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Tenant } from '../../src/core/directory-model.ts';
import { translate } from '../../src/core/i18n.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { createPagesKit, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * Issue 12: a tenant's default language and time zone over HTTP (admin API, console, pages,
 * emails), and the language switcher that no longer changes an account on a GET.
 */
let kit: PagesKit;
let contoso: Tenant;
const HOST = 'reset.contoso.example';
const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

before(async () => {
  kit = await createPagesKit();
  const c = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
});
after(async () => {
  await kit.close();
});

async function apiKey(): Promise<string> {
  const r = await kit.app.apiKeys.create({
    tenantId: contoso.id,
    name: 'locale',
    scopes: ['look:read', 'look:write'],
    expiresAt: null,
    by: 'cli',
  });
  assert.ok(r.ok);
  return r.value.token;
}

function api(token: string, method: 'GET' | 'PUT', body?: unknown): Promise<LightMyRequestResponse> {
  return kit.server.inject({
    method,
    url: `${ADMIN_API_PREFIX}/look`,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** A browser for inject() that keeps cookies and sends a chosen Host and Accept-Language. */
class HostBrowser {
  readonly cookies = new Map<string, string>();
  lastPage = '';
  constructor(
    private readonly host: string | null,
    private readonly acceptLanguage: string | null,
  ) {}
  private headers(): Record<string, string> {
    return {
      accept: 'text/html',
      ...(this.host ? { host: this.host } : {}),
      ...(this.acceptLanguage ? { 'accept-language': this.acceptLanguage } : {}),
      ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
    };
  }
  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string }[]) this.cookies.set(c.name, c.value);
    if (String(res.headers['content-type'] ?? '').startsWith('text/html')) this.lastPage = res.body;
    return res;
  }
  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await kit.server.inject({ method: 'GET', url, headers: this.headers() }));
  }
  async post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    const csrf = /name="_csrf" value="([^"]+)"/.exec(this.lastPage)?.[1] ?? '';
    return this.keep(
      await kit.server.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
        headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }
}

const lang = (body: string) => /<html lang="([^"]+)"/.exec(body)?.[1];

/** Starts a reset for USER in `b` and returns the step page. */
async function startReset(b: HostBrowser): Promise<LightMyRequestResponse> {
  await b.get('/reset');
  const started = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
  assert.equal(started.statusCode, 303, started.body.slice(0, 300));
  return b.get(String(started.headers.location));
}

/** The newest reset email to USER's address (after the worker sent what is queued). */
async function newestResetMail(): Promise<{ subject: string; text: string }> {
  await kit.app.outbox.runOnce();
  const mail = kit.app.devOutbox!.list().find((m) => m.to === USER_EMAIL && m.channel === 'email');
  assert.ok(mail, 'a reset email');
  return { subject: mail.subject ?? '', text: mail.text };
}

describe('a tenant’s default language and time zone', () => {
  let token = '';

  test('admin API: set, read back, refused with both problems named, cleared', async () => {
    token = await apiKey();
    const saved = await api(token, 'PUT', { host: HOST, defaultLocale: 'de', timeZone: 'Europe/Berlin' });
    assert.equal(saved.statusCode, 200, saved.body);
    assert.equal(saved.json().defaultLocale, 'de');
    assert.equal(saved.json().timeZone, 'Europe/Berlin');
    assert.equal((await api(token, 'GET')).json().timeZone, 'Europe/Berlin');

    const bad = await api(token, 'PUT', { defaultLocale: 'pt', timeZone: 'Mars/Olympus_Mons' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'look_invalid');
    assert.match(bad.json().error.message, /defaultLocale: Choose one of en, de, fr, es, pt-BR, ja, ar\./);
    assert.match(bad.json().error.message, /timeZone: Enter a time zone by its IANA name/);
    assert.equal((await api(token, 'GET')).json().defaultLocale, 'de', 'nothing saved');

    const openapi = await kit.server.inject({ method: 'GET', url: '/api/openapi.json' });
    const schemas = openapi.json().components.schemas as Record<string, { properties: Record<string, unknown> }>;
    assert.ok(schemas.AdminLook?.properties.defaultLocale, 'documented in the answer');
    assert.ok(schemas.AdminLookBody?.properties.timeZone, 'documented in the body');
  });

  test('pages at the tenant’s address: the default comes after Accept-Language; the generic address stays English', async () => {
    assert.equal(lang((await new HostBrowser(HOST, null).get('/reset')).body), 'de');
    assert.equal(lang((await new HostBrowser(HOST, 'tlh, xx;q=0.5').get('/reset')).body), 'de');
    assert.equal(lang((await new HostBrowser(HOST, 'fr').get('/reset')).body), 'fr', 'the browser first');
    const picked = new HostBrowser(HOST, null);
    picked.cookies.set('sspr_lang', 'ja');
    assert.equal(lang((await picked.get('/reset')).body), 'ja', 'the switcher first');
    assert.equal(lang((await new HostBrowser(null, null).get('/reset')).body), 'en');
    assert.equal(lang((await new HostBrowser('other.example', 'tlh').get('/reset')).body), 'en');
  });

  test('the reset page shows its deadline in the tenant’s time zone with the zone, and the countdown’s plural forms', async () => {
    const step = await startReset(new HostBrowser(HOST, null));
    assert.equal(lang(step.body), 'de');
    const time = /<time datetime="([^"]+)" data-deadline="\d+" data-in-forms="([^"]+)"[^>]*>([^<]+)<\/time>/.exec(
      step.body,
    );
    assert.ok(time, step.body.slice(0, 2000));
    const expected = new Intl.DateTimeFormat('de', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone: 'Europe/Berlin',
      timeZoneName: 'short',
    }).format(new Date(time[1]!));
    assert.equal(time[3], expected);
    assert.match(time[3]!, / (MEZ|MESZ)$/);
    const forms = JSON.parse(time[2]!.replace(/&quot;/g, '"')) as Record<string, string>;
    assert.deepEqual(forms, { one: 'in {minutes} Minute', other: 'in {minutes} Minuten' });
    assert.match(step.body, /Beide gelten \d+ Minuten\./);
  });

  test('emails: the tenant default when no page chose a language (never the page of a typed login), with its time zone', async () => {
    // the generic address, a client that asks for no language: the page is English (it reveals
    // nothing), the email to the account goes out in the tenant's default
    const anonymous = await startReset(new HostBrowser(null, null));
    assert.equal(lang(anonymous.body), 'en');
    assert.doesNotMatch(anonymous.body, /Europe\/Berlin|MEZ|MESZ/, 'the page shows nothing of the tenant');
    const mail = await newestResetMail();
    assert.equal(mail.subject, translate('de', 'email.reset.code.subject'));
    assert.match(mail.text, /\d\d:\d\d (MEZ|MESZ)/, mail.text);

    // a French browser: the page's language wins over the tenant default
    await startReset(new HostBrowser(null, 'fr'));
    const french = await newestResetMail();
    assert.equal(french.subject, translate('fr', 'email.reset.code.subject'));
    assert.match(french.text, /\d\d:\d\d UTC\+[12]\b/, 'Berlin time, as French names it');
  });

  test('the console sets them on Look and words; a bad time zone is refused there in the page’s language', async () => {
    const admin = new TestBrowser(kit.server);
    await admin.get('/signin');
    const password = kit.demo.accounts.find((a) => a.login === 'admin@contoso.example')!.password;
    assert.equal(
      (
        await passSecondStep(
          kit.app,
          admin,
          await admin.post('/signin', { login: 'admin@contoso.example', password, next: '/admin' }),
          'admin@contoso.example',
        )
      ).statusCode,
      303,
    );
    const page = await admin.get('/admin/look');
    assert.match(page.body, /<option value="de" lang="de" selected>Deutsch<\/option>/);
    assert.match(page.body, /name="timeZone" type="text" value="Europe\/Berlin"/);
    const refused = await admin.post('/admin/look', { host: HOST, defaultLocale: 'ja', timeZone: 'Tokyo' });
    assert.equal(refused.statusCode, 400);
    // no cookie, no Accept-Language: the console too is in the tenant's default (German)
    assert.equal(lang(refused.body), 'de');
    assert.match(refused.body, /Geben Sie eine Zeitzone mit ihrem IANA-Namen ein/);
    await admin.get('/admin/look');
    const saved = await admin.post('/admin/look', { host: HOST, defaultLocale: 'ja', timeZone: 'Asia/Tokyo' });
    assert.equal(saved.statusCode, 303, saved.body.slice(0, 300));
    const look = (await api(token, 'GET')).json();
    assert.equal(look.defaultLocale, 'ja');
    assert.equal(look.timeZone, 'Asia/Tokyo');
    // signed in at the generic address, no cookie, a browser asking for nothing sspr has: the tenant's Japanese
    const signedIn = await kit.server.inject({
      method: 'GET',
      url: '/account',
      headers: {
        accept: 'text/html',
        'accept-language': 'tlh',
        cookie: [...admin.cookies]
          .filter(([k]) => k !== 'sspr_lang')
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      },
    });
    assert.equal(lang(signedIn.body), 'ja');
  });
});

describe('the language switcher', () => {
  test('a GET (a link on any site) sets only the cookie; the account’s language is saved by a form post that passed its CSRF check', async () => {
    const admin = new TestBrowser(kit.server);
    await admin.get('/signin');
    const password = kit.demo.accounts.find((a) => a.login === 'admin@contoso.example')!.password;
    await passSecondStep(
      kit.app,
      admin,
      await admin.post('/signin', { login: 'admin@contoso.example', password, next: '/admin' }),
      'admin@contoso.example',
    );
    const before = (await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))?.locale ?? null;
    assert.notEqual(before, 'es');

    // a cross-site link: a top-level GET carries the SameSite=Lax session cookie
    const crossSite = await kit.server.inject({
      method: 'GET',
      url: '/language?set=es&next=%2Fadmin%2Flook',
      headers: {
        accept: 'text/html',
        referer: 'https://evil.example/',
        'sec-fetch-site': 'cross-site',
        cookie: [...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    assert.equal(crossSite.statusCode, 303);
    assert.match(String(crossSite.headers['set-cookie']), /^sspr_lang=es;/);
    assert.equal(
      (await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))?.locale ?? null,
      before,
      'the GET did not change the saved language',
    );

    // the browser that followed it shows Spanish (its cookie); a post without a valid token saves nothing
    admin.cookies.set('sspr_lang', 'es');
    const page = await admin.get('/admin/look');
    assert.equal(lang(page.body), 'es');
    const forged = await admin.post('/admin/look', {
      _csrf: 'forged',
      host: HOST,
      defaultLocale: 'ja',
      timeZone: 'Asia/Tokyo',
    });
    assert.equal(forged.statusCode, 403);
    assert.equal((await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))?.locale ?? null, before);

    // the person's own form post (CSRF checked): saved on the account
    await admin.get('/admin/look');
    const own = await admin.post('/admin/look', { host: HOST, defaultLocale: 'ja', timeZone: 'Asia/Tokyo' });
    assert.equal(own.statusCode, 303);
    assert.equal((await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))?.locale, 'es');
  });
});
