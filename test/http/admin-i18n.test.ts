import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { translate } from '../../src/core/i18n.ts';
import { createPagesKit, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The admin console and the admin-assisted reset pages in the request's language (issue 12):
 * German and Arabic (right to left) from the `sspr_lang` cookie, with the field problems the
 * services give, the notices after an action, and logins kept left to right.
 */

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';

function htmlTag(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

async function signIn(kit: PagesKit, login: string, language: string): Promise<TestBrowser> {
  const b = new TestBrowser(kit.server);
  b.cookies.set('sspr_lang', language);
  await b.get('/signin');
  const pw = kit.demo.accounts.find((a) => a.login === login)!.password;
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/signin', { login, password: pw, next: '/account' }),
    login,
  );
  assert.equal(res.statusCode, 303, `signed in as ${login}`);
  return b;
}

describe('admin console in the person’s language', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
  });
  after(async () => kit.close());

  it('German: the users list, its navigation, counts and filters; no English left', async () => {
    const b = await signIn(kit, ADMIN, 'de');
    const res = await b.get('/admin');
    assert.equal(res.statusCode, 200);
    assert.equal(htmlTag(res.body), '<html lang="de" dir="ltr">');
    assert.match(res.body, /<title>Benutzer · Administration · sspr<\/title>/);
    assert.match(res.body, /<nav class="admin-nav" aria-label="Administrationskonsole">/);
    assert.match(res.body, /<a href="\/admin" aria-current="page">Benutzer<\/a>/);
    assert.match(res.body, /<a href="\/admin\/requests">Hilfeanfragen<\/a>/);
    assert.match(res.body, /<dt>Personen<\/dt>\s*<dd>3<\/dd>/);
    assert.match(res.body, /3 Personen angezeigt\./);
    assert.match(res.body, />Konto hinzufügen</);
    assert.match(res.body, /<bdi class="ltr">user@contoso\.example<\/bdi>/);
    for (const english of ['Add an account', 'people shown', 'Both methods registered', 'Clear filters', 'Any role']) {
      assert.ok(!res.body.includes(english), `no English: ${english}`);
    }
    const one = await b.get(`/admin?q=${encodeURIComponent(USER)}`);
    assert.match(one.body, /1 Person angezeigt\./, 'plural: one');
  });

  it('German: a refused policy and the saved notice come from the catalogue', async () => {
    const b = await signIn(kit, ADMIN, 'de');
    await b.get('/admin/policy');
    const bad = await b.post('/admin/policy', { userGates: '1', passwordMinLength: '3', smsDailyBudget: '10' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Prüfen Sie diese Einstellungen/);
    assert.match(
      bad.body,
      /id="passwordMinLength-problem">Geben Sie eine ganze Zahl von Zeichen von \d+ bis \d+ ein\./,
    );
    assert.match(bad.body, /<a href="#passwordMinLength">Mindestlänge des Passworts<\/a>: Geben Sie/);
    assert.ok(!bad.body.includes('Enter a whole number'), 'not the English of the service');
  });

  it('Arabic: a user page is right to left, its facts, problems and notices in Arabic, logins left to right', async () => {
    const b = await signIn(kit, ADMIN, 'ar');
    const id = (await kit.app.store.directory.findAccountByLogin(USER))!.id;
    const page = await b.get(`/admin/users/${id}`);
    assert.equal(page.statusCode, 200);
    assert.equal(htmlTag(page.body), '<html lang="ar" dir="rtl">');
    assert.match(page.body, /<dt>معرّف المستخدم<\/dt>\s*<dd><bdi class="ltr">user@contoso\.example<\/bdi><\/dd>/);
    assert.match(page.body, /<h2>وسائل الاتصال<\/h2>/);
    assert.match(page.body, /<bdi class="ltr">••• ••• ••03<\/bdi>/);
    assert.match(page.body, />أرسل رابط إعادة تعيين</);
    for (const english of ['Contact methods', 'Reset password', 'Recent events', 'Send a reset link', 'Not blocked']) {
      assert.ok(!page.body.includes(english), `no English: ${english}`);
    }
    const nothing = await b.post(`/admin/users/${id}/methods`, { email: '', phone: '' });
    assert.equal(nothing.statusCode, 400);
    assert.match(nothing.body, new RegExp(translate('ar', 'admin.users.problem.nothingToSave.title')));
    await b.get(`/admin/users/${id}`);
    const sent = await b.post(`/admin/users/${id}/reset-link`);
    assert.equal(sent.statusCode, 303);
    const after = await b.get(String(sent.headers.location));
    assert.match(after.body, new RegExp(translate('ar', 'admin.users.done.link_sent')));
  });

  it('Arabic: adding an account with another domain says so in Arabic, naming the domain', async () => {
    const b = await signIn(kit, ADMIN, 'ar');
    await b.get('/admin/users/new');
    const res = await b.post('/admin/users', { login: 'new.hire@elsewhere.example', name: 'New Hire', role: 'user' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /id="login-problem">يجب أن ينتهي معرّف المستخدم بـ @contoso\.example: نطاقات مؤسستك\./);
    assert.match(res.body, /بريد العمل الإلكتروني الخاص به، وينتهي بـ @contoso\.example\./);
  });

  it('the assisted reset link pages speak the person’s language too', async () => {
    const person = new TestBrowser(kit.server);
    person.cookies.set('sspr_lang', 'de');
    const bad = await person.get('/reset/assisted?t=not-a-token-at-all-but-long');
    assert.equal(htmlTag(bad.body), '<html lang="de" dir="ltr">');
    assert.match(bad.body, /<h1>Dieser Link funktioniert nicht<\/h1>/);
    assert.match(bad.body, />Passwort selbst zurücksetzen</);
    person.cookies.set('sspr_lang', 'ar');
    const rtl = await person.get('/reset/assisted/password');
    assert.equal(htmlTag(rtl.body), '<html lang="ar" dir="rtl">');
    assert.match(rtl.body, /<h1>ابدأ من جديد من الرابط<\/h1>/);
  });
});
