import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { translate, type MessageId, type UiLocale } from '../../src/core/i18n.ts';
import { LANGUAGE_COOKIE } from '../../src/http/i18n-plugin.ts';
import { ADMIN, runReset, signIn, USER, USER_EMAIL } from './insights-kit.ts';
import { createPagesKit, h1, type PagesKit, type TestBrowser } from './reset-pages-kit.ts';

/**
 * The console's directory, API keys, audit log, insights and help requests pages in another
 * language: every word from the catalogues (admin.directory/apikeys/audit/insights/requests.*),
 * in the language picked (the sspr_lang cookie) or asked for (Accept-Language), with `lang` and
 * `dir` on the page, and notices passed by id from the route translated at render.
 */

function htmlTag(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

/** Text as the page writes it (preact escapes quotes, ampersands and angle brackets). */
function words(locale: UiLocale, id: MessageId, params?: Record<string, string | number>): string {
  return translate(locale, id, params)
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function decoded(text: string | null): string | null {
  return text === null ? null : text.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
}

/** A signed-in browser's GET with an Accept-Language header (and no language cookie unless it has one). */
function getIn(kit: PagesKit, b: TestBrowser, url: string, acceptLanguage: string): Promise<LightMyRequestResponse> {
  const cookie = [...b.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  return kit.server.inject({ url, headers: { accept: 'text/html', 'accept-language': acceptLanguage, cookie } });
}

describe('console pages (directory, API keys, audit, insights, help requests) in other languages', () => {
  let kit: PagesKit;
  let admin: TestBrowser;
  before(async () => {
    kit = await createPagesKit();
    await runReset(kit.app, USER, USER_EMAIL, { wrong: 2 }); // failed: the user keeps their password
    admin = await signIn(kit, ADMIN);
  });
  after(async () => {
    await kit?.close();
  });

  it('German by Accept-Language: insights (charts included), API keys with its notice, directory with its notice', async () => {
    const insights = await getIn(kit, admin, '/admin/insights?period=7', 'de-DE,de;q=0.9,en;q=0.5');
    assert.equal(insights.statusCode, 200);
    assert.match(htmlTag(insights.body), /lang="de"/);
    assert.match(htmlTag(insights.body), /dir="ltr"/);
    assert.equal(decoded(h1(insights.body)), 'Nutzung & Einblicke');
    assert.ok(insights.body.includes(words('de', 'admin.insights.lastDays', { days: 30 })));
    assert.ok(insights.body.includes('<th scope="row">Code stimmte nicht</th>'), 'failure reasons in German');
    const desc = /<desc id="chart-resets-desc">([^<]*)<\/desc>/.exec(insights.body)?.[1] ?? '';
    assert.match(desc, /^1 Zurücksetzen in den letzten 7 Tagen: 0 abgeschlossen, 1 fehlgeschlagen, 0 abgebrochen\./);
    assert.match(insights.body, /<title id="chart-methods-title">Verwendete Methoden, /);
    assert.doesNotMatch(insights.body, /Resets per day|Failures by reason|Registration coverage|All days/);

    const keys = await getIn(kit, admin, '/admin/api-keys?done=revoked', 'de');
    assert.equal(keys.statusCode, 200);
    assert.equal(h1(keys.body), 'API-Schlüssel');
    assert.ok(keys.body.includes(words('de', 'admin.apikeys.notice.revoked')), 'the notice, passed by id');
    assert.ok(keys.body.includes(words('de', 'admin.apikeys.scope.audit:read')));
    assert.ok(keys.body.includes('<option value="90" selected>90 Tagen</option>'));
    assert.doesNotMatch(keys.body, /Create an API key|Permissions|Never</);

    const directory = await getIn(kit, admin, '/admin/directory?done=unchanged', 'de');
    assert.equal(directory.statusCode, 200);
    assert.equal(h1(directory.body), 'Verzeichnis');
    assert.ok(directory.body.includes(words('de', 'admin.directory.notice.unchanged')));
    assert.ok(directory.body.includes('<label for="baseDn">Basis-DN der Konten</label>'));
    assert.ok(
      directory.body.includes(words('de', 'admin.directory.hint.range', { min: 500, max: 60000, default: 5000 })),
    );
    assert.doesNotMatch(directory.body, /Server addresses|Run check|Kind of directory/);
  });

  it('Arabic by the picked language (cookie), right to left: audit log, help requests with its notice, the 403 page', async () => {
    admin.cookies.set(LANGUAGE_COOKIE, 'ar');
    try {
      const audit = await admin.get('/admin/audit');
      assert.equal(audit.statusCode, 200);
      assert.match(htmlTag(audit.body), /lang="ar"/);
      assert.match(htmlTag(audit.body), /dir="rtl"/);
      assert.equal(h1(audit.body), 'سجل التدقيق');
      assert.ok(audit.body.includes(`<td>${words('ar', 'admin.audit.actor.self')}</td>`), 'who acted, in Arabic');
      assert.ok(
        audit.body.includes(`${words('ar', 'admin.audit.event.code.rejected')}<br/><code>code.rejected</code>`),
      );
      assert.ok(audit.body.includes(`<bdi class="ltr">${USER}</bdi>`), 'the login stays left to right');
      assert.ok(audit.body.includes(words('ar', 'admin.audit.exportText', { max: 100_000 })));
      assert.doesNotMatch(audit.body, /Filter events|The person|Apply filters|Time \(UTC\)/);

      const requests = await admin.get('/admin/requests?done=dismissed');
      assert.equal(requests.statusCode, 200);
      assert.match(htmlTag(requests.body), /dir="rtl"/);
      assert.equal(h1(requests.body), 'طلبات المساعدة');
      assert.ok(requests.body.includes(words('ar', 'admin.requests.notice.dismissed')), 'the notice, passed by id');
      assert.ok(requests.body.includes(words('ar', 'admin.requests.open', { count: 0 })));
      assert.doesNotMatch(requests.body, /Open requests|Answered requests|There are no open requests/);

      const user = await signIn(kit, USER);
      user.cookies.set(LANGUAGE_COOKIE, 'ar');
      const forbidden = await user.get('/admin/audit');
      assert.equal(forbidden.statusCode, 403);
      assert.match(htmlTag(forbidden.body), /dir="rtl"/);
      assert.equal(h1(forbidden.body), translate('ar', 'admin.audit.forbidden.heading'));
      assert.ok(forbidden.body.includes(words('ar', 'admin.audit.forbidden.notAdmin')));
    } finally {
      admin.cookies.delete(LANGUAGE_COOKIE);
    }
  });
});
