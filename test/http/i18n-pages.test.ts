import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { sameOriginPath } from '../../src/http/i18n-plugin.ts';
import { catalogue, translate } from '../../src/core/i18n.ts';
import { RESET_PAGE_TEXT, UNLOCK_TEXT } from '../../src/core/ui-text.ts';
import { createPagesKit, solveCaptcha, type PagesKit } from './reset-pages-kit.ts';

const USER = 'user@contoso.example';
const USER_EMAIL = 'user@personal.example';

/** A browser for inject() that keeps cookies and sends a fixed Accept-Language. */
class Browser {
  readonly cookies = new Map<string, string>();
  lastPage = '';
  constructor(
    private readonly kit: PagesKit,
    private readonly acceptLanguage: string | null = null,
  ) {}

  private headers(): Record<string, string> {
    return {
      accept: 'text/html',
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
    return this.keep(await this.kit.server.inject({ method: 'GET', url, headers: this.headers() }));
  }

  async post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    const csrf = /name="_csrf" value="([^"]+)"/.exec(this.lastPage)?.[1] ?? '';
    return this.keep(
      await this.kit.server.inject({
        method: 'POST',
        url,
        payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
        headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      }),
    );
  }
}

function htmlTag(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

describe('languages on the pages', () => {
  let kit: PagesKit;
  /** USER's password: the demo's, until the German journey below changes it. */
  let userPassword = '';
  before(async () => {
    kit = await createPagesKit();
    userPassword = kit.demo.accounts.find((a) => a.login === USER)!.password;
  });
  after(async () => {
    await kit.close();
  });

  it('English by default: lang="en" dir="ltr", and a switcher link for every language', async () => {
    const page = await new Browser(kit).get('/reset');
    assert.equal(page.statusCode, 200);
    assert.equal(htmlTag(page.body), '<html lang="en" dir="ltr">');
    assert.match(page.body, /<a class="skip-link" href="#main">Skip to main content<\/a>/);
    assert.match(page.body, /<nav class="language-switcher" aria-label="Language">/);
    for (const [code, name] of [
      ['de', 'Deutsch'],
      ['ar', 'العربية'],
      ['pt-BR', 'Português \\(Brasil\\)'],
    ]) {
      assert.match(
        page.body,
        new RegExp(`href="/language\\?set=${code}&amp;next=%2Freset" lang="${code}"[^>]*>${name}<`),
      );
    }
    assert.match(page.body, /lang="en" hreflang="en" aria-current="true">English</);
    assert.doesNotMatch(page.body, /set=en-XA/, 'the pseudo-locale is not offered');
  });

  it('Arabic from Accept-Language: lang="ar" dir="rtl" on the reset start page', async () => {
    const page = await new Browser(kit, 'ar-EG,ar;q=0.9,en;q=0.5').get('/reset');
    assert.equal(htmlTag(page.body), '<html lang="ar" dir="rtl">');
    assert.match(page.body, /الانتقال إلى المحتوى الرئيسي/);
    assert.match(page.body, /aria-current="true">العربية</);
  });

  it('the reset pages speak the language: the start page in Japanese, the email step in Arabic', async () => {
    const ja = await new Browser(kit, 'ja').get('/reset');
    assert.match(ja.body, /<h1>パスワードの再設定<\/h1>/);
    assert.match(ja.body, /<label for="login">ユーザーID<\/label>/);
    const ar = new Browser(kit, 'ar');
    await ar.get('/reset');
    const started = await ar.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    const step = await ar.get(String(started.headers.location));
    assert.match(step.body, /<h1>تحقق من بريدك الإلكتروني<\/h1>/);
    assert.match(step.body, /الخطوة 1/);
    assert.match(step.body, /ما زلت عالقًا؟/);
  });

  it('the reset pages keep their English words, from the English catalogue', () => {
    for (const [page, texts] of Object.entries(RESET_PAGE_TEXT)) {
      for (const [key, english] of Object.entries(texts)) {
        assert.equal(catalogue('en')[`reset.${page}.${key}`], english, `reset.${page}.${key}`);
      }
    }
    for (const key of ['offerTitle', 'offer', 'button', 'doneTitle', 'doneMessage', 'signIn'] as const) {
      assert.equal(catalogue('en')[`reset.unlock.${key}`], UNLOCK_TEXT[key], `reset.unlock.${key}`);
    }
  });

  it('the switcher sets the cookie and goes back to the same page; the choice beats Accept-Language', async () => {
    const b = new Browser(kit, 'de');
    assert.equal(htmlTag((await b.get('/reset')).body), '<html lang="de" dir="ltr">');
    const switched = await b.get('/language?set=ja&next=%2Freset');
    assert.equal(switched.statusCode, 303);
    assert.equal(switched.headers.location, '/reset');
    assert.match(
      String(switched.headers['set-cookie']),
      /^sspr_lang=ja; Max-Age=31536000; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    const page = await b.get('/reset');
    assert.equal(htmlTag(page.body), '<html lang="ja" dir="ltr">');
    assert.match(page.body, /メインコンテンツへ移動/);
  });

  it('the switcher never redirects off the site, and ignores unknown languages', async () => {
    for (const next of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aSet-Cookie:x',
      '',
    ]) {
      const res = await kit.server.inject({ method: 'GET', url: `/language?set=de&next=${encodeURIComponent(next)}` });
      assert.equal(res.statusCode, 303, next);
      const location = String(res.headers.location);
      assert.ok(
        location.startsWith('/') && !location.startsWith('//') && !location.startsWith('/\\'),
        `${next} → ${location}`,
      );
    }
    const unknown = await kit.server.inject({ method: 'GET', url: '/language?set=xx&next=/reset' });
    assert.equal(unknown.statusCode, 303);
    assert.equal(unknown.headers['set-cookie'], undefined);
    const pseudo = await kit.server.inject({ method: 'GET', url: '/language?set=en-XA&next=/reset' });
    assert.equal(pseudo.headers['set-cookie'], undefined, 'the pseudo-locale only when enabled');
    assert.equal(sameOriginPath('/reset/link?t=secret'), '/reset/link', 'the query (a token) is dropped');
    assert.equal(sameOriginPath('/a/../b'), '/b');
  });

  it('a reset started with Accept-Language: de sends the code email in German', async () => {
    const b = new Browser(kit, 'de-DE,de;q=0.9');
    await b.get('/reset');
    const started = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    assert.equal(started.statusCode, 303);
    const step = await b.get(String(started.headers.location));
    assert.equal(htmlTag(step.body), '<html lang="de" dir="ltr">');
    await kit.app.outbox.runOnce();
    const mail = kit.app.devOutbox!.list().find((m) => m.to === USER_EMAIL && m.channel === 'email');
    assert.ok(mail, 'the code email was sent');
    assert.equal(mail.subject, translate('de', 'email.reset.code.subject'));
    assert.match(mail.text, /^Hallo /);
    assert.match(mail.text, /Code und Link funktionieren einmal und laufen in 10 Minuten ab\./);
    assert.match(mail.text, /\s\d{6}\s/, 'the code');
    assert.match(mail.html ?? '', /<html lang="de" dir="ltr">/);

    // the whole journey in German: the code, a new password, and the notice in German
    const code = /\s(\d{6})\s/.exec(mail.text)![1]!;
    const verified = await b.post('/reset/flow/code', { code });
    assert.equal(verified.statusCode, 303);
    const passwordPage = await b.get(String(verified.headers.location));
    assert.match(passwordPage.body, /<h1>Wählen Sie ein neues Passwort<\/h1>/);
    const changed = await b.post('/reset/flow/password', {
      password: 'violet tractor harbour pencil',
      confirm: 'violet tractor harbour pencil',
    });
    const done = changed.statusCode === 303 ? await b.get(String(changed.headers.location)) : changed;
    assert.match(done.body, /<h1>Ihr Passwort wurde geändert<\/h1>/);
    userPassword = 'violet tractor harbour pencil';
    await kit.app.outbox.runOnce();
    const notice = kit.app.devOutbox!.list().find((m) => m.to === USER_EMAIL && m.channel === 'email');
    assert.equal(notice?.subject, translate('de', 'email.reset.completed.subject'));
    assert.match(notice?.text ?? '', /wurde am .+ zurückgesetzt \(von der IP-Adresse /);
  });

  it('a wrong code in French shows the invalid-code page in French, its link made of the French words', async () => {
    const b = new Browser(kit, 'fr');
    await b.get('/reset');
    const started = await b.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    await b.get(String(started.headers.location));
    const wrong = await b.post('/reset/flow/code', { code: '000000' });
    const page = wrong.statusCode === 303 ? await b.get(String(wrong.headers.location)) : wrong;
    assert.match(page.body, /<h1>Code de sécurité non valide<\/h1>/);
    assert.match(page.body, /<a href="\/reset">cliquez ici<\/a>/);
  });

  it("a signed-in person's choice is saved on the account: their pages and their reset messages follow it", async () => {
    const password = userPassword;
    const laptop = new Browser(kit, 'en');
    await laptop.get('/signin');
    const signedIn = await laptop.post('/signin', { login: USER, password, next: '/account' });
    assert.equal(signedIn.statusCode, 303);
    const switched = await laptop.get('/language?set=es&next=%2Faccount');
    assert.equal(switched.headers.location, '/account');
    // a GET (which a link on any site can cause) changes only this browser's cookie
    assert.equal((await kit.app.store.directory.findAccountByLogin(USER))?.locale ?? null, null, 'not saved by a GET');
    assert.equal(htmlTag((await laptop.get('/account')).body), '<html lang="es" dir="ltr">');
    // the person's next form post that passes its CSRF check saves it (here: signing out)
    assert.equal((await laptop.post('/signout', {})).statusCode, 303);
    const account = await kit.app.store.directory.findAccountByLogin(USER);
    assert.equal(account?.locale, 'es', 'saved on the account');

    // another browser, no language cookie, a German browser: signed in, the saved Spanish wins
    const phone = new Browser(kit, 'de');
    assert.equal(htmlTag((await phone.get('/signin')).body), '<html lang="de" dir="ltr">', 'not signed in yet');
    await phone.post('/signin', { login: USER, password, next: '/account' });
    assert.equal(htmlTag((await phone.get('/account')).body), '<html lang="es" dir="ltr">');

    // a reset started from a French page: the account's saved language decides the email's
    const stranger = new Browser(kit, 'fr');
    await stranger.get('/reset');
    const started = await stranger.post('/reset', { login: USER, altcha: await solveCaptcha(kit.server) });
    assert.equal(started.statusCode, 303);
    assert.equal(htmlTag((await stranger.get(String(started.headers.location))).body), '<html lang="fr" dir="ltr">');
    await kit.app.outbox.runOnce();
    const mail = kit.app.devOutbox!.list().find((m) => m.to === USER_EMAIL && m.channel === 'email');
    assert.equal(mail?.subject, translate('es', 'email.reset.code.subject'));
  });
});

describe('the pseudo-locale when enabled', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit({ SSPR_PSEUDO_LOCALE: 'true' });
  });
  after(async () => {
    await kit.close();
  });

  it('is offered in the switcher and renders accented, bracketed text', async () => {
    const b = new Browser(kit);
    const english = await b.get('/reset');
    assert.match(english.body, /set=en-XA/);
    await b.get('/language?set=en-XA&next=/reset');
    const page = await b.get('/reset');
    assert.equal(htmlTag(page.body), '<html lang="en-XA" dir="ltr">');
    assert.match(page.body, /<a class="skip-link" href="#main">\[Šķîþ ţö ɱáîñ çöñţéñţ [^\]]*\]<\/a>/);
  });
});
