import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Tenant } from '../../src/core/directory-model.ts';
import { tenantSecretPlaces } from '../../src/core/directory-admin-rules.ts';
import { translate } from '../../src/core/i18n.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { LANGUAGE_COOKIE } from '../../src/http/i18n-plugin.ts';
import { signIn } from '../http/insights-kit.ts';
import { createPagesKit, type PagesKit } from '../http/reset-pages-kit.ts';
import { ldapSettings } from './directory-kit.ts';
import { personLdif, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from './slapd.ts';

/**
 * The directory check against a real slapd, read in the console at /admin/directory in German and
 * over the admin API in Japanese (issue 12): each step's title, finding and fix from the catalogue,
 * the URL, DN and test login as given; the command line keeps English (test/directories/directory-check).
 */

let slapd: Slapd;
let kit: PagesKit;
let contoso: Tenant;
let bindEnv = '';

before(async () => {
  slapd = await startSlapd({
    seed: personLdif({ uid: 'alice', name: 'Alice Example', password: 'Alice-Old-Pass-1' }),
  });
  kit = await createPagesKit();
  const c = await kit.app.directory.getTenantByName('Contoso Demo');
  assert.ok(c.ok);
  contoso = c.value;
  bindEnv = `${tenantSecretPlaces(contoso.id).envPrefix}_BIND`;
  process.env[bindEnv] = SERVICE_PASSWORD;
});
after(async () => {
  await kit?.close();
  await slapd?.stop();
  delete process.env[bindEnv];
});

/** The form of the console (unsaved settings are checked without saving). */
function form(): Record<string, string> {
  const s = ldapSettings(slapd, bindEnv, { testLogin: 'alice', timeoutMs: 3000 });
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.isArray(v) ? v.join('\n') : String(v)]));
}

/** The report table's rows: [title, status, finding, fix] as text. */
function rows(html: string): string[][] {
  const table = /<table class="data directory-check">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? '';
  const body = /<tbody>([\s\S]*)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) =>
      c[1]!
        .replace(/<[^>]+>/g, '')
        .replace(/&quot;/g, '"')
        .replace(/&amp;/g, '&')
        .replace(/&#39;/g, "'"),
    ),
  );
}

const ENGLISH_STEP_WORDS =
  /Connect to|Bind as|Read the password rules|Find the test account|The service account may|encrypted \(TLS\)|bound on|minimum length|both are writable|write access to/;

describe('directory check in the reader’s language (real slapd)', () => {
  test('console in German (the language picked): every step from the catalogue, values as given', async () => {
    const admin = await signIn(kit, 'admin@contoso.example');
    admin.cookies.set(LANGUAGE_COOKIE, 'de');
    await admin.get('/admin/directory');
    const res = await admin.post('/admin/directory', { action: 'check', ...form() });
    assert.equal(res.statusCode, 200, res.body.slice(0, 400));
    assert.match(res.body, /<html lang="de"/);
    const table = rows(res.body);
    assert.ok(table.length >= 6, `steps: ${JSON.stringify(table)}`);
    const titles = table.map((r) => r[0]);
    assert.ok(
      titles.includes(translate('de', 'directory.check.connect.title', { url: slapd.ldapsUrl })),
      titles.join(' | '),
    );
    assert.ok(titles.includes(`Anmelden als ${SERVICE_DN}`), titles.join(' | '));
    assert.ok(titles.includes('Das Testkonto „alice“ finden'), titles.join(' | '));
    assert.ok(titles.includes('Das Dienstkonto darf Passwörter zurücksetzen'), titles.join(' | '));
    const findings = table.map((r) => r[2]);
    assert.ok(findings.includes('verschlüsselt (TLS), Zertifikat geprüft'), findings.join(' | '));
    assert.ok(
      findings.some((f) => f!.startsWith('Mindestlänge ')),
      findings.join(' | '),
    );
    assert.ok(
      findings.some((f) => f === `uid=alice,ou=people,dc=sspr,dc=test`),
      'the DN as the directory gave it',
    );
    for (const row of table) assert.doesNotMatch(row.join(' '), ENGLISH_STEP_WORDS, `English in ${row.join(' | ')}`);
  });

  test('admin API in Japanese (Accept-Language), English without; the same steps and statuses', async () => {
    const saved = await kit.app.directorySettings.set(
      { kind: 'cli', name: 'cli' },
      contoso.id,
      ldapSettings(slapd, bindEnv, { testLogin: 'alice', timeoutMs: 3000 }),
      { ip: null, userAgent: null },
    );
    assert.ok(saved.ok, JSON.stringify(saved));
    const k = await kit.app.apiKeys.create({
      tenantId: contoso.id,
      name: 'check',
      scopes: ['directory:read'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(k.ok);
    const check = (language: string | null) =>
      kit.server.inject({
        method: 'POST',
        url: `${ADMIN_API_PREFIX}/directory/check`,
        headers: {
          authorization: `Bearer ${k.value.token}`,
          ...(language ? { 'accept-language': language } : {}),
        },
      });
    type Report = { verdict: string; steps: { id: string; status: string; title: string; detail: string }[] };
    const ja = (await check('ja')).json<Report>();
    const en = (await check(null)).json<Report>();
    assert.deepEqual(
      ja.steps.map((s) => [s.id, s.status]),
      en.steps.map((s) => [s.id, s.status]),
    );
    assert.equal(ja.verdict, en.verdict);
    const bind = ja.steps.find((s) => s.id === 'service_bind')!;
    assert.equal(bind.title, `${SERVICE_DN} としてバインド`);
    assert.equal(en.steps.find((s) => s.id === 'service_bind')!.title, `Bind as ${SERVICE_DN}`);
    for (const s of ja.steps) assert.doesNotMatch(`${s.title} ${s.detail}`, ENGLISH_STEP_WORDS, JSON.stringify(s));
  });
});
