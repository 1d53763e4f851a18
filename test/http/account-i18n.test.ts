import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { catalogue, messageArguments, translate, type Locale } from '../../src/core/i18n.ts';
import { LANGUAGE_COOKIE } from '../../src/http/i18n-plugin.ts';
import { createPagesKit, h1, TestBrowser, type PagesKit } from './reset-pages-kit.ts';

const USER = 'user@contoso.example';
const NEW_MAIL = 'casey.new@elsewhere.example';

/** The English words of these pages (account.*, securityinfo.*) with no placeholder: none may be left on a translated page. */
const ENGLISH = Object.entries(catalogue('en'))
  .filter(([id, text]) => /^(account|securityinfo)\./.test(id) && messageArguments(text).size === 0)
  .map(([, text]) => text)
  .filter((text) => text.length > 3);

function htmlTag(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

function assertNoEnglish(body: string, page: string): void {
  const text = body
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  const left = ENGLISH.filter((en) => text.includes(en));
  assert.deepEqual(left, [], `${page}: English words left on the page`);
}

/** A browser whose person picked a language with the switcher (the `sspr_lang` cookie). */
function browserIn(kit: PagesKit, locale: Locale): TestBrowser {
  const b = new TestBrowser(kit.server);
  b.cookies.set(LANGUAGE_COOKIE, locale);
  return b;
}

async function signIn(kit: PagesKit, b: TestBrowser, password?: string) {
  await b.get('/signin');
  const right = kit.demo.accounts.find((a) => a.login === USER)!.password;
  return b.post('/signin', { login: USER, password: password ?? right, next: '/account' });
}

describe('sign-in, account and security info pages in the person’s language', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
  });
  after(async () => {
    await kit.close();
  });

  it('the sign-in page follows Accept-Language: Arabic, right to left', async () => {
    const res = await kit.server.inject({
      method: 'GET',
      url: '/signin',
      headers: { accept: 'text/html', 'accept-language': 'ar-EG, en;q=0.5' },
    });
    assert.equal(res.statusCode, 200);
    assert.match(htmlTag(res.body), /lang="ar"/);
    assert.match(htmlTag(res.body), /dir="rtl"/);
    assert.equal(h1(res.body), translate('ar', 'account.signin.title'));
    assert.ok(res.body.includes(translate('ar', 'account.signin.forgot')));
    assertNoEnglish(res.body, 'ar /signin');
  });

  it('German: a refused sign-in, the account home and the password change, all in German', async () => {
    const b = browserIn(kit, 'de');
    const wrong = await signIn(kit, b, 'not the password at all');
    assert.equal(wrong.statusCode, 400);
    assert.match(htmlTag(wrong.body), /lang="de"/);
    assert.match(htmlTag(wrong.body), /dir="ltr"/);
    assert.equal(h1(wrong.body), 'Anmelden');
    assert.match(wrong.body, /Das hat nicht geklappt/);
    assertNoEnglish(wrong.body, 'de /signin refused');

    assert.equal((await signIn(kit, b)).statusCode, 303);
    const home = await b.get('/account');
    assert.equal(home.statusCode, 200);
    assert.equal(h1(home.body), 'Ihr Konto');
    assert.match(
      home.body,
      /<dt>Alternative E-Mail-Adresse<\/dt><dd><bdi class="ltr">u••••@personal\.example<\/bdi><\/dd>/,
    );
    assert.match(home.body, /Sicherheitsinformationen verwalten/);
    assertNoEnglish(home.body, 'de /account');

    const change = await b.get('/account/password');
    assert.equal(h1(change.body), 'Passwort ändern');
    assert.match(change.body, /Mindestens \d+ Zeichen\./);
    const mismatch = await b.post('/account/password', {
      current: 'wrong current password',
      password: 'a',
      confirm: 'b',
    });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.body, /Prüfen Sie Ihr aktuelles Passwort/);
    assertNoEnglish(mismatch.body, 'de /account/password refused');
  });

  it('Arabic: security info, a new alternate email and its code page, right to left, the address kept left to right', async () => {
    const b = browserIn(kit, 'ar');
    assert.equal((await signIn(kit, b)).statusCode, 303);
    const overview = await b.get('/account/security');
    assert.equal(overview.statusCode, 200);
    assert.match(htmlTag(overview.body), /lang="ar"/);
    assert.match(htmlTag(overview.body), /dir="rtl"/);
    assert.equal(h1(overview.body), 'معلومات الأمان');
    assert.match(overview.body, /<bdi class="ltr">u••••@personal\.example<\/bdi>/);
    assert.match(overview.body, /aria-label="تغيير البريد الإلكتروني البديل"/);
    assert.match(overview.body, /أُكّد في /, 'the confirmation date in Arabic words');
    assertNoEnglish(overview.body, 'ar /account/security');

    const form = await b.get('/account/security/email');
    assert.equal(h1(form.body), 'غيّر بريدك الإلكتروني البديل');
    assertNoEnglish(form.body, 'ar /account/security/email');
    const invalid = await b.post('/account/security/email', { value: 'not an email' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /تحقق من عنوان البريد الإلكتروني/);
    assertNoEnglish(invalid.body, 'ar /account/security/email refused');

    const confirm = await b.follow(await b.post('/account/security/email', { value: NEW_MAIL }));
    assert.equal(h1(confirm.body), 'أدخل الرمز');
    // the masked address sits inside the Arabic sentence, isolated left to right
    assert.match(
      confirm.body,
      /أرسلنا رمزًا من 6 أرقام إلى <bdi class="ltr">c••••@elsewhere\.example<\/bdi>\. تنتهي صلاحيته في /,
    );
    assertNoEnglish(confirm.body, 'ar /account/security/email/confirm');

    const wrong = await b.post('/account/security/email/confirm', { code: '12' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, new RegExp(translate('ar', 'problem.code_malformed.title')));
    assertNoEnglish(wrong.body, 'ar wrong code');
  });
});
