import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPagesKit, h1, newestMatch, solveCaptcha, TestBrowser, type PagesKit } from './reset-pages-kit.ts';
import { passSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The Technical Support console over HTTP: operator sign-in (own cookie, throttled), the ticket
 * list with tenant and reference, a verification note required before any action, a reset link
 * issued to the sole admin who then completes the reset, promotion of another account, sign-out,
 * and every operator action in the audit trail with the operator as actor.
 */

const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const USER = 'user@contoso.example';
const OPERATOR_PASSWORD = 'quartz meadow lantern ferry';

async function soleAdminTicket(kit: PagesKit, message = 'I lost my phone and cannot pass the SMS step.') {
  assert.ok((await kit.app.directory.disable({ login: ADMIN2, actor: 'test' })).ok);
  const b = new TestBrowser(kit.server);
  await b.get('/help');
  const res = await b.post('/help', { login: ADMIN, message, altcha: await solveCaptcha(kit.server) });
  assert.equal(res.statusCode, 200);
  const reference = /SUP-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(res.body)![0];
  const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
  assert.ok(ticket);
  assert.equal(ticket.reference, reference);
  return ticket;
}

async function addOperator(kit: PagesKit) {
  const added = await kit.app.operators.add({
    login: 'jo.support',
    displayName: 'Jo Support',
    password: OPERATOR_PASSWORD,
    actor: 'test',
  });
  assert.ok(added.ok, JSON.stringify(added));
  return added.value;
}

async function operatorSignIn(kit: PagesKit, password = OPERATOR_PASSWORD) {
  const b = new TestBrowser(kit.server);
  await b.get('/support/signin');
  const res = await passSecondStep(
    kit.app,
    b,
    await b.post('/support/signin', { login: 'jo.support', password }),
    'jo.support',
  );
  return { b, res };
}

test('operator flow: sign in, verification required before acting, issue a link; the sole admin completes the reset', async () => {
  const kit = await createPagesKit();
  try {
    const ticket = await soleAdminTicket(kit);
    const operator = await addOperator(kit);
    const actor = `operator:${operator.id}`;

    const anon = new TestBrowser(kit.server);
    const gated = await anon.get('/support');
    assert.equal(gated.statusCode, 303);
    assert.equal(gated.headers.location, '/support/signin');

    const wrong = await operatorSignIn(kit, 'not the right password');
    assert.equal(wrong.res.statusCode, 400);
    const { b, res } = await operatorSignIn(kit);
    assert.equal(res.statusCode, 303);
    const cookie = (res.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find(
      (c) => c.name === 'sspr_support',
    );
    assert.ok(cookie?.httpOnly && cookie.sameSite === 'Strict', 'HttpOnly, SameSite=Strict operator cookie');

    const list = await b.follow(res);
    assert.equal(list.statusCode, 200);
    assert.equal(h1(list.body), 'Support tickets');
    assert.match(list.body, new RegExp(ticket.reference));
    assert.match(list.body, /Contoso Demo/);
    assert.match(list.body, /Avery Admin \(admin@contoso\.example\)/);

    const page = await b.get(`/support/tickets/${ticket.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /I lost my phone/);
    assert.match(page.body, /a••••@personal\.example/);
    assert.doesNotMatch(page.body, /action="[^"]*\/reset-link"/, 'no action before the verification');

    const early = await b.post(`/support/tickets/${ticket.id}/reset-link`, {});
    assert.equal(early.statusCode, 409);
    assert.match(early.body, /Verify the requester first/);
    const noNote = await b.post(`/support/tickets/${ticket.id}/verify`, { note: '   ' });
    assert.equal(noNote.statusCode, 400);
    assert.match(noNote.body, /Write a note/);
    const verified = await b.post(`/support/tickets/${ticket.id}/verify`, {
      note: 'Called back on the number in the HR system; confirmed employee number.',
    });
    assert.equal(verified.statusCode, 303);
    const ready = await b.follow(verified);
    assert.match(ready.body, /Called back on the number in the HR system/);
    assert.match(ready.body, /action="[^"]*\/reset-link"/);

    const issued = await b.post(`/support/tickets/${ticket.id}/reset-link`, {});
    assert.equal(issued.statusCode, 303);
    const closed = await b.follow(issued);
    assert.match(closed.body, /A one-time reset link was sent/);
    assert.doesNotMatch(closed.body, /reset\/assisted\?t=/, 'the operator never sees the link');
    const after = await kit.app.store.help.get(ticket.id);
    assert.equal(after!.status, 'resolved');
    assert.equal(after!.resolution, 'reset_link');
    assert.equal(after!.resolvedBy, actor);

    // the admin completes the reset with the link from their alternate email
    const token = await newestMatch(kit.app, 'admin@personal.example', /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/);
    const admin = new TestBrowser(kit.server);
    await admin.get(`/reset/assisted?t=${token}`);
    await admin.follow(await admin.post('/reset/assisted', { t: token }));
    const set = await admin.post('/reset/assisted/password', {
      password: 'copper willow thunder basket',
      confirm: 'copper willow thunder basket',
    });
    assert.equal(set.statusCode, 303, set.body.slice(0, 300));
    await admin.get('/signin');
    const signedIn = await admin.post('/signin', {
      login: ADMIN,
      password: 'copper willow thunder basket',
      next: '/account',
    });
    assert.equal(signedIn.statusCode, 303);
    const told = await newestMatch(kit.app, ADMIN, /(Technical Support sent a one-time link)/);
    assert.ok(told);

    // the audit trail names the operator for every action
    const events = await kit.app.store.audit.list({ limit: 1000 });
    const byOperator = events.filter((e) => e.actor === actor).map((e) => `${e.type}:${e.outcome}`);
    for (const expected of ['operator.signin:ok', 'operator.signin:wrong_password', 'support.verified:ok']) {
      assert.ok(byOperator.includes(expected), `audit ${expected} in ${byOperator.join(', ')}`);
    }
    assert.ok(byOperator.includes('support.resolved:reset_link'));
    assert.ok(
      events.some((e) => e.actor === actor && e.type !== 'support.resolved' && e.accountId === ticket.accountId),
      'the admin service audited the assisted reset with the operator as actor',
    );
    const verifiedEvent = events.find((e) => e.type === 'support.verified')!;
    assert.equal(verifiedEvent.tenantId, ticket.tenantId, 'visible in the tenant’s audit log');

    // sign-out ends the operator session and is audited
    await b.get('/support');
    const out = await b.post('/support/signout', {});
    assert.equal(out.statusCode, 303);
    assert.equal((await b.get('/support')).statusCode, 303);
    const signout = await kit.app.store.audit.list({ type: 'operator.signout' });
    assert.equal(signout[0]?.actor, actor);
  } finally {
    await kit.close();
  }
});

test('an operator promotes another account to admin; closing needs a reason; wrong targets are refused', async () => {
  const kit = await createPagesKit();
  try {
    const ticket = await soleAdminTicket(kit);
    const operator = await addOperator(kit);
    const { b } = await operatorSignIn(kit);
    await b.get(`/support/tickets/${ticket.id}`);
    const early = await b.post(`/support/tickets/${ticket.id}/promote`, { target: 'x' });
    assert.equal(early.statusCode, 409, 'verification first');
    await b.post(`/support/tickets/${ticket.id}/verify`, { note: 'Video call, compared with the ID badge photo.' });
    const page = await b.get(`/support/tickets/${ticket.id}`);
    const user = await kit.app.directory.getUser(USER);
    assert.ok(user.ok);
    assert.match(page.body, new RegExp(`<option value="${user.value.id}"`));
    assert.doesNotMatch(page.body, /<option value="[^"]*">Avery Admin/, 'not the requester');
    const self = await b.post(`/support/tickets/${ticket.id}/promote`, { target: ticket.accountId! });
    assert.equal(self.statusCode, 400);
    const promoted = await b.post(`/support/tickets/${ticket.id}/promote`, { target: user.value.id });
    assert.equal(promoted.statusCode, 303);
    const now = await kit.app.directory.getUser(USER);
    assert.ok(now.ok);
    assert.equal(now.value.role, 'admin');
    const roleEvents = await kit.app.store.audit.list({ type: 'account.role_changed' });
    assert.equal(roleEvents.at(0)?.actor, `operator:${operator.id}`);
    const resolved = await kit.app.store.help.get(ticket.id);
    assert.equal(resolved!.resolution, 'promoted');

    // a new ticket closed without action: a reason is required and reaches the requester
    assert.ok((await kit.app.directory.setRole({ login: USER, role: 'user', actor: 'test' })).ok);
    const second = await soleAdminTicketAgain(kit);
    await b.get(`/support/tickets/${second}`);
    const noReason = await b.post(`/support/tickets/${second}/close`, { reason: '' });
    assert.equal(noReason.statusCode, 400);
    const closed = await b.post(`/support/tickets/${second}/close`, { reason: 'Could not reach you on any number.' });
    assert.equal(closed.statusCode, 303);
    const told = await newestMatch(kit.app, 'admin@personal.example', /(Could not reach you on any number\.)/);
    assert.ok(told);
  } finally {
    await kit.close();
  }
});

async function soleAdminTicketAgain(kit: PagesKit): Promise<string> {
  const b = new TestBrowser(kit.server);
  await b.get('/help');
  await b.post('/help', { login: ADMIN, message: 'again', altcha: await solveCaptcha(kit.server) });
  const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
  assert.ok(ticket);
  return ticket.id;
}

test('operator sign-in is throttled after repeated wrong passwords; sessions do not cross between consoles', async () => {
  const kit = await createPagesKit();
  try {
    await addOperator(kit);
    for (let i = 0; i < 5; i++) assert.equal((await operatorSignIn(kit, `wrong ${i} password`)).res.statusCode, 400);
    const throttled = await operatorSignIn(kit);
    assert.equal(throttled.res.statusCode, 429, 'even the right password waits');
    assert.ok(Number(throttled.res.headers['retry-after']) >= 1);
    const unknown = await new TestBrowser(kit.server).get('/support/signin');
    assert.equal(unknown.statusCode, 200);

    // an admin's session opens nothing at /support
    const admin = new TestBrowser(kit.server);
    const password = kit.demo.accounts.find((a) => a.login === ADMIN)!.password;
    await admin.get('/signin');
    await admin.post('/signin', { login: ADMIN, password, next: '/account' });
    const support = await admin.get('/support');
    assert.equal(support.statusCode, 303);
    assert.equal(support.headers.location, '/support/signin');
  } finally {
    await kit.close();
  }
});

test('an operator session gives no access to the admin console', async () => {
  const kit = await createPagesKit();
  try {
    await addOperator(kit);
    const { b, res } = await operatorSignIn(kit);
    assert.equal(res.statusCode, 303);
    const consolePage = await b.get('/admin/requests');
    assert.equal(consolePage.statusCode, 303);
    assert.match(String(consolePage.headers.location), /^\/signin/);
  } finally {
    await kit.close();
  }
});
