import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Actor } from '../../src/core/admin-rules.ts';
import { HELP_PER_FLOW } from '../../src/http/help/help-plugin.ts';
import { FILED_PER_IP } from '../../src/http/support-reference.ts';
import { addFabrikam, FABRIKAM } from '../service/admin-fixtures.ts';
import { createPagesKit, h1, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * Issue 9 item 16: "Contact your administrator" keeps what the person typed, and people see one
 * kind of reference — the support reference the consoles can look up — on error pages too.
 */

const USER = 'user@contoso.example';
const UNKNOWN = 'nobody@contoso.example';
const REFERENCE = /SUP-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}/g;
const OPERATOR: Actor = { kind: 'operator', operatorId: 'op-1', login: 'op@ops.example' };

/** A browser that started a reset for `login` and typed a wrong code: it is on a dead end. */
async function atDeadEnd(kit: PagesKit, login: string): Promise<{ b: TestBrowser; deadEnd: LightMyRequestResponse }> {
  const b = new TestBrowser(kit.server);
  await b.get('/reset');
  const started = await b.post('/reset', { login, altcha: await solveCaptcha(kit.server) });
  await b.follow(started);
  const deadEnd = await b.post('/reset/flow/code', { code: '000000' });
  assert.equal(h1(deadEnd.body), 'Invalid Security Code');
  assert.match(deadEnd.body, /href="\/help"/, 'the dead end links to the help form');
  return { b, deadEnd };
}

function referencesIn(html: string): string[] {
  return [...html.matchAll(REFERENCE)].map((m) => m[0]);
}

/** The reference is filed after the response is sent: give the hook the turns it needs. */
async function filed(kit: PagesKit, reference: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await kit.app.store.help.findByReference(reference)) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`${reference} was never filed`);
}

function masked(res: LightMyRequestResponse, login: string): string {
  return res.body
    .replace(/name="_csrf" value="[^"]*"/g, '')
    .replace(REFERENCE, '<ref>')
    .replaceAll(login, '<login>');
}

describe('help keeps what the person typed', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
    await addFabrikam(kit.app);
  });
  after(async () => kit.close());

  it('from a reset dead end, the help form carries the flow’s user ID and asks no second CAPTCHA', async () => {
    const { b } = await atDeadEnd(kit, USER);
    const form = await b.get('/help');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="login"[^>]*value="user@contoso\.example"/);
    assert.match(form.body, /readonly/);
    assert.doesNotMatch(form.body, /<altcha-widget/, 'no CAPTCHA: the flow already solved one');
    // the flow's login is used, whatever the form says
    const sent = await b.post('/help', { login: 'admin@contoso.example', message: 'Locked out, call 555-0100.' });
    assert.equal(sent.statusCode, 200);
    assert.equal(h1(sent.body), 'Request sent');
    const [reference] = referencesIn(sent.body);
    const record = await kit.app.store.help.findByReference(reference!);
    const user = await kit.app.store.directory.findAccountByLogin(USER);
    assert.equal(record?.accountId, user!.id);
    assert.equal(record?.queue, 'admins');
  });

  it('the answers from a flow are the same for an existing and an unknown user ID', async () => {
    const known = await atDeadEnd(kit, USER);
    const unknown = await atDeadEnd(kit, UNKNOWN);
    const [knownForm, unknownForm] = [await known.b.get('/help'), await unknown.b.get('/help')];
    assert.equal(masked(knownForm, USER), masked(unknownForm, UNKNOWN));
    const message = 'Please help.';
    const [knownSent, unknownSent] = [
      await known.b.post('/help', { message }),
      await unknown.b.post('/help', { message }),
    ];
    assert.equal(knownSent.statusCode, unknownSent.statusCode);
    assert.equal(masked(knownSent, USER), masked(unknownSent, UNKNOWN));
  });

  it(`one flow sends at most ${HELP_PER_FLOW} help requests without a CAPTCHA; then the CAPTCHA is asked again`, async () => {
    const { b } = await atDeadEnd(kit, UNKNOWN);
    for (let i = 0; i < HELP_PER_FLOW; i++) {
      await b.get('/help');
      assert.equal(h1((await b.post('/help', { message: `Help ${i}` })).body), 'Request sent');
    }
    const form = await b.get('/help');
    assert.match(form.body, /<altcha-widget/);
    const refused = await b.post('/help', { login: UNKNOWN, message: 'Again' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /We could not confirm you are a person/);
  });

  it('a forged flow cookie proves nothing: the person types the user ID and solves the CAPTCHA', async () => {
    const { b } = await atDeadEnd(kit, USER);
    const [name, value] = [...b.cookies].find(([k]) => k.endsWith('sspr_flow'))!;
    b.cookies.set(name, `${value.split('.')[0]}.${'x'.repeat(43)}`);
    const form = await b.get('/help');
    assert.match(form.body, /<altcha-widget/);
    assert.doesNotMatch(form.body, /value="user@contoso\.example"/);
    const refused = await b.post('/help', { login: USER, message: 'Help' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /We could not confirm you are a person/);
  });
});

describe('one kind of reference: the support reference, on error pages too', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
    await addFabrikam(kit.app);
  });
  after(async () => kit.close());

  it('an error page shows a support reference (not the request id) that the support console finds', async () => {
    const res = await kit.server.inject({
      method: 'POST',
      url: '/reset',
      headers: { accept: 'text/html', 'content-type': 'application/xml' },
      payload: 'x',
    });
    assert.equal(res.statusCode, 415);
    const requestId = String(res.headers['x-request-id']);
    assert.ok(!res.body.includes(requestId), 'the request id stays in the logs');
    const [reference] = referencesIn(res.body);
    assert.ok(reference, 'the page shows a support reference');
    assert.match(res.body, /href="\/help"/, 'and how to contact the administrator');
    await filed(kit, reference);
    const found = await kit.app.help.findReference(OPERATOR, reference.toLowerCase());
    assert.ok(found.ok);
    assert.deepEqual(found.value.kind === 'error_page' && [found.value.status, found.value.code, found.value.path], [
      415,
      'unsupported_media_type',
      '/reset',
    ]);
    assert.equal(found.value.kind === 'error_page' && found.value.requestId, requestId);
  });

  it('a reset dead end’s reference is filed under the flow’s tenant: its admins find it, another tenant does not', async () => {
    const { deadEnd } = await atDeadEnd(kit, USER);
    const [reference] = referencesIn(deadEnd.body);
    assert.ok(reference);
    await filed(kit, reference);

    const admin = new TestBrowser(kit.server);
    await admin.get('/signin');
    const password = kit.demo.accounts.find((a) => a.login === 'admin@contoso.example')!.password;
    await passSecondStep(
      kit.app,
      admin,
      await admin.post('/signin', { login: 'admin@contoso.example', password, next: '/admin/requests' }),
      'admin@contoso.example',
    );
    const list = await admin.get('/admin/requests');
    assert.match(list.body, /action="\/admin\/requests\/reference"/, 'the requests page has the search');
    const page = await admin.get(`/admin/requests/reference?ref=${reference}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Error page/);
    assert.match(page.body, /<code>invalid_code<\/code> \(HTTP 400\)/);
    assert.match(page.body, /user@contoso\.example/);

    const boss = (await kit.app.store.directory.findAccountByLogin(FABRIKAM.admin.login))!;
    const other = await kit.app.help.findReference({ kind: 'admin', account: boss }, reference);
    assert.deepEqual(other, { ok: false, error: 'reference_not_found' });
    const none = await admin.get('/admin/requests/reference?ref=SUP-AAAA-AAAA');
    assert.equal(none.statusCode, 404);
    assert.match(none.body, /No such reference/);
  });

  it('a help request’s reference is found the same way', async () => {
    const b = new TestBrowser(kit.server);
    await b.get(`/help?login=${USER}`);
    const sent = await b.post('/help', { login: USER, message: 'Help', altcha: await solveCaptcha(kit.server) });
    const [reference] = referencesIn(sent.body);
    const found = await kit.app.help.findReference(OPERATOR, reference!);
    assert.ok(found.ok && found.value.kind === 'help_request');
    assert.equal(found.value.request.requester?.login, USER);
  });

  it('a wrong address (404) shows no reference and files nothing', async () => {
    const res = await kit.server.inject({ url: '/no/such/page', headers: { accept: 'text/html' } });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(referencesIn(res.body), []);
  });
});

describe('error references cannot be used to fill the database', () => {
  let kit: PagesKit;
  before(async () => {
    kit = await createPagesKit();
  });
  after(async () => kit.close());

  const errorPage = (remoteAddress: string) =>
    kit.server.inject({
      method: 'POST',
      url: '/reset',
      remoteAddress,
      headers: { accept: 'text/html', 'content-type': 'application/xml' },
      payload: 'x',
    });

  it(`one address gets at most ${FILED_PER_IP} references filed per window; the page still shows one`, async () => {
    for (let i = 0; i < FILED_PER_IP; i++) {
      const [reference] = referencesIn((await errorPage('192.0.2.7')).body);
      await filed(kit, reference!);
    }
    const over = referencesIn((await errorPage('192.0.2.7')).body);
    assert.equal(over.length, 1, 'the page still shows a reference');
    const [other] = referencesIn((await errorPage('192.0.2.8')).body);
    await filed(kit, other!); // another address is filed; by then the refused one's hook has run
    assert.equal(await kit.app.store.help.findByReference(over[0]!), null, 'not filed');
  });
});
