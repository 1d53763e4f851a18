import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatDateTime, translate, type MessageId, type UiLocale } from '../../src/core/i18n.ts';
import { LANGUAGE_COOKIE } from '../../src/http/i18n-plugin.ts';
import { createPagesKit, h1, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The help pages and the Technical Support console in another language: the words come from the
 * catalogues (helppage.*, support.*) in the language picked (the sspr_lang cookie) or asked for
 * (Accept-Language), with `lang` and `dir` on the page, dates in that language, and references
 * kept left to right in Arabic.
 */

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const OPERATOR_PASSWORD = 'quartz meadow lantern ferry';

function htmlTag(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

function browserIn(kit: PagesKit, locale: UiLocale): TestBrowser {
  const b = new TestBrowser(kit.server);
  b.cookies.set(LANGUAGE_COOKIE, locale);
  return b;
}

/** Text as the page writes it (preact escapes quotes and ampersands). */
function escaped(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function words(locale: UiLocale, id: MessageId, params?: Record<string, string | number>): string {
  return escaped(translate(locale, id, params));
}

describe('help and support pages in other languages', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
  });
  after(async () => {
    await kit.close();
  });

  it('the help form and its answer in German (cookie) and Arabic (Accept-Language, right to left)', async () => {
    const de = browserIn(kit, 'de');
    const form = await de.get('/help');
    assert.equal(form.statusCode, 200);
    assert.match(htmlTag(form.body), /lang="de"/);
    assert.match(htmlTag(form.body), /dir="ltr"/);
    assert.equal(h1(form.body), 'Ihre Administration kontaktieren');
    assert.ok(form.body.includes(words('de', 'helppage.form.messageHint', { max: 1000 })));
    assert.doesNotMatch(form.body, /Send request|User ID/, 'no English left on the form');
    const refused = await de.post('/help', { login: ADMIN, message: '', altcha: await solveCaptcha(kit.server) });
    assert.equal(refused.statusCode, 400);
    assert.ok(refused.body.includes(words('de', 'helppage.problem.message_missing.title')));

    const ar = await kit.server.inject({
      url: '/help',
      headers: { accept: 'text/html', 'accept-language': 'ar-EG,ar;q=0.9' },
    });
    assert.match(htmlTag(ar.body), /lang="ar"/);
    assert.match(htmlTag(ar.body), /dir="rtl"/);
    assert.equal(h1(ar.body), translate('ar', 'helppage.form.title'));

    const arabic = browserIn(kit, 'ar');
    await arabic.get('/help');
    const sent = await arabic.post('/help', {
      login: 'user@contoso.example',
      message: 'هاتفي ضاع',
      altcha: await solveCaptcha(kit.server),
    });
    assert.equal(sent.statusCode, 200);
    assert.match(htmlTag(sent.body), /dir="rtl"/);
    assert.equal(h1(sent.body), 'أُرسل الطلب');
    assert.match(
      sent.body,
      /<bdi class="ltr"><code id="help-reference">SUP-[A-Z0-9]{4}-[A-Z0-9]{4}<\/code><\/bdi>/,
      'the reference reads left to right',
    );
  });

  it('the support console in German and Arabic: sign-in, tickets, a ticket with its notice and dates, references', async () => {
    assert.ok((await kit.app.directory.disable({ login: ADMIN2, actor: 'test' })).ok);
    const person = new TestBrowser(kit.server);
    await person.get('/help');
    const asked = await person.post('/help', {
      login: ADMIN,
      message: 'I lost my phone.',
      altcha: await solveCaptcha(kit.server),
    });
    assert.equal(asked.statusCode, 200);
    const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
    assert.ok(ticket);
    assert.ok(
      (
        await kit.app.operators.add({
          login: 'jo.support',
          displayName: 'Jo Support',
          password: OPERATOR_PASSWORD,
          actor: 'test',
        })
      ).ok,
    );

    const b = browserIn(kit, 'de');
    const signin = await b.get('/support/signin');
    assert.match(htmlTag(signin.body), /lang="de"/);
    assert.equal(h1(signin.body), 'Anmeldung Technischer Support');
    const wrong = await b.post('/support/signin', { login: 'jo.support', password: 'not it' });
    assert.equal(wrong.statusCode, 400);
    assert.ok(wrong.body.includes(words('de', 'support.problem.invalid_credentials.message')));
    const list = await b.follow(
      await passSecondStep(
        kit.app,
        b,
        await b.post('/support/signin', { login: 'jo.support', password: OPERATOR_PASSWORD }),
        'jo.support',
      ),
    );
    assert.equal(h1(list.body), 'Support-Tickets');
    assert.ok(list.body.includes(words('de', 'support.tickets.open', { count: 1 })));
    assert.ok(list.body.includes(formatDateTime(ticket.createdAt, 'de', 'UTC')), 'the date in German');
    assert.doesNotMatch(list.body, /Support tickets|Not yet|Sign out/, 'no English left on the list');

    const verified = await b.post(`/support/tickets/${ticket.id}/verify`, {
      note: 'Rückruf über die Nummer im HR-System.',
    });
    const page = await b.follow(verified);
    assert.match(page.body, /Die Prüfung wurde festgehalten/, 'the notice in German');
    assert.ok(page.body.includes(words('de', 'support.ticket.issueLink')));
    assert.ok(page.body.includes('Geprüft am '), 'when it was verified, in German');
    const early = await b.post(`/support/tickets/${ticket.id}/promote`, { target: 'no-such-account' });
    assert.equal(early.statusCode, 400);
    assert.ok(early.body.includes(words('de', 'support.problem.target_invalid.title')));

    // the same operator switches to Arabic
    b.cookies.set(LANGUAGE_COOKIE, 'ar');
    const ar = await b.get(`/support/tickets/${ticket.id}`);
    assert.match(htmlTag(ar.body), /lang="ar"/);
    assert.match(htmlTag(ar.body), /dir="rtl"/);
    assert.equal(h1(ar.body), `التذكرة ${ticket.reference}`);
    assert.ok(
      ar.body.includes(`<bdi class="ltr"><code>${ticket.reference}</code></bdi>`),
      'the reference reads left to right',
    );
    assert.ok(ar.body.includes(words('ar', 'support.ticket.verifyTitle')));
    assert.ok(ar.body.includes(formatDateTime(ticket.createdAt, 'ar', 'UTC')), 'the date in Arabic');

    const found = await b.get(`/support/reference?ref=${ticket.reference}`);
    assert.equal(found.statusCode, 200);
    assert.ok(found.body.includes(words('ar', 'helppage.reference.heading')));
    assert.ok(found.body.includes(words('ar', 'helppage.reference.statusValue', { status: 'open' })));
    b.cookies.set(LANGUAGE_COOKIE, 'de');
    const missing = await b.get('/support/reference?ref=SUP-AAAA-BBBB');
    assert.equal(missing.statusCode, 404);
    assert.equal(/<h2 class="problem-title">([^<]*)</.exec(missing.body)?.[1], 'Diese Referenz gibt es nicht');
  });
});
