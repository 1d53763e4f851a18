import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPagesKit, passwordOf, signIn, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The consoles' recovery codes can be regenerated from the consoles' own pages: the administrator's
 * security page (`/account/security`) and the operator's console (`/support`) show how many are
 * left, a warning that new codes void the old set, and the form; posting it shows ten new codes,
 * an old code no longer signs in and a new one does.
 */

const ADMIN = 'admin@contoso.example';
const USER = 'user@contoso.example';
const OPERATOR_PASSWORD = 'quartz meadow lantern ferry';

function codesOn(body: string): string[] {
  const list = /<ol class="recovery-codes[^"]*" id="recovery-codes">([\s\S]*?)<\/ol>/.exec(body);
  assert.ok(list, 'the codes are listed');
  return [...list[1]!.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]!);
}

/** A password sign-in completed with a recovery code instead of the app; the last answer. */
async function signInWithRecovery(
  kit: PagesKit,
  b: TestBrowser,
  signin: string,
  login: string,
  password: string,
  code: string,
) {
  await b.get(signin);
  const res = await b.post(signin, { login, password });
  assert.equal(res.statusCode, 303);
  const step = String(res.headers.location);
  assert.match(step, /\/second-factor/);
  await b.get(step);
  return b.post(`${step.split('?')[0]}/recovery`, { recovery: code });
}

test("the administrator's security page shows the regeneration form with its warning; new codes void the old set", async () => {
  const kit = await createPagesKit();
  try {
    const b = await signIn(kit, ADMIN);
    const page = await b.get('/account/security');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Recovery codes left: 0\./);
    assert.match(page.body, /id="recovery-warning"[^>]*>\s*New codes replace all the old ones, used or not\./);
    assert.match(page.body, /<form method="post" action="\/admin\/recovery-codes" id="recovery-regenerate">/);
    assert.match(page.body, /aria-describedby="recovery-warning"/);

    const first = await b.post('/admin/recovery-codes', {});
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['cache-control'], 'no-store');
    const old = codesOn(first.body);
    assert.equal(old.length, 10);
    assert.match((await b.get('/account/security')).body, /Recovery codes left: 10\./);

    const second = await b.post('/admin/recovery-codes', {});
    const fresh = codesOn(second.body);
    assert.equal(fresh.length, 10);
    assert.equal(fresh.filter((c) => old.includes(c)).length, 0, 'a new set');
    const regenerated = (await kit.app.store.audit.list({ limit: 1000 })).filter(
      (e) => e.type === 'console.recovery_codes_issued' && e.outcome === 'regenerated',
    );
    assert.equal(regenerated.length, 2);

    // an old code is void; a new one signs in
    const other = new TestBrowser(kit.server);
    const refused = await signInWithRecovery(kit, other, '/signin', ADMIN, passwordOf(kit, ADMIN), old[0]!);
    assert.equal(refused.statusCode, 400);
    const accepted = await signInWithRecovery(kit, other, '/signin', ADMIN, passwordOf(kit, ADMIN), fresh[0]!);
    assert.equal(accepted.statusCode, 303, accepted.body.slice(0, 300));
    assert.match((await b.get('/account/security')).body, /Recovery codes left: 9\./);

    // a user (no console) sees no form, and cannot post one
    const user = await signIn(kit, USER);
    const userPage = await user.get('/account/security');
    assert.equal(userPage.statusCode, 200);
    assert.doesNotMatch(userPage.body, /recovery-regenerate/);
    await user.get('/account/password'); // a page with a form, for its CSRF token
    const denied = await user.post('/admin/recovery-codes', {});
    assert.equal(denied.statusCode, 303);
    assert.equal(denied.headers.location, '/signin');
  } finally {
    await kit.close();
  }
});

test("the operator's console shows the regeneration form; posting it issues ten new codes", async () => {
  const kit = await createPagesKit();
  try {
    const added = await kit.app.operators.add({
      login: 'jo.support',
      displayName: 'Jo Support',
      password: OPERATOR_PASSWORD,
      actor: 'test',
    });
    assert.ok(added.ok);
    const b = new TestBrowser(kit.server);
    await b.get('/support/signin');
    const res = await passSecondStep(
      kit.app,
      b,
      await b.post('/support/signin', { login: 'jo.support', password: OPERATOR_PASSWORD }),
      'jo.support',
    );
    assert.equal(res.statusCode, 303);
    const home = await b.get('/support');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Recovery codes left: 0\./);
    assert.match(home.body, /New codes replace all the old ones, used or not\./);
    assert.match(home.body, /<form method="post" action="\/support\/recovery-codes" id="recovery-regenerate">/);

    const issued = await b.post('/support/recovery-codes', {});
    assert.equal(issued.statusCode, 200);
    const codes = codesOn(issued.body);
    assert.equal(codes.length, 10);
    assert.match((await b.get('/support')).body, /Recovery codes left: 10\./);

    const other = new TestBrowser(kit.server);
    const accepted = await signInWithRecovery(
      kit,
      other,
      '/support/signin',
      'jo.support',
      OPERATOR_PASSWORD,
      codes[3]!,
    );
    assert.equal(accepted.statusCode, 303, accepted.body.slice(0, 300));
    assert.match((await b.get('/support')).body, /Recovery codes left: 9\./);
  } finally {
    await kit.close();
  }
});
