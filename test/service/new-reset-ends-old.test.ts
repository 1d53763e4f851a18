import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { addFabrikam, adminActor, FABRIKAM, RC } from './admin-fixtures.ts';

/**
 * Issue 9, item 3: a new reset ends the old ones. Starting a reset, an admin-assisted reset (link
 * or temporary password) and every password change (self-service, assisted link, signed-in or
 * forced change, CLI `user set-password`) end every earlier flow of the account: its code, its
 * link and its flow cookie authorise nothing afterwards.
 */

const USER = FABRIKAM.user.login;
const USER_MAIL = FABRIKAM.user.email;
const NEW_PASSWORD = 'saffron glacier teapot meridian';

interface Earlier {
  readonly handle: FlowHandle;
  readonly code: string;
  readonly link: string;
}

async function newestEmail(app: TestApp['app'], to: string, template: string): Promise<string> {
  const rows = (await app.store.outbox.list({ limit: 1000 }))
    .filter((m) => m.template === template && m.payloadSealed && m.recipientSealed)
    .filter((m) => app.keyring.open(m.recipientSealed!) === to)
    .sort((a, b) => a.createdAt - b.createdAt);
  const last = rows.at(-1);
  assert.ok(last, `an email ${template} to ${to}`);
  const payload = openPayload(app.keyring, last.payloadSealed!, 'email');
  assert.ok(payload && payload.channel === 'email');
  return payload.text;
}

/** Starts a reset for USER and reads its code and link from the queued email. */
async function startFlow(app: TestApp['app']): Promise<Earlier> {
  const started = await app.reset.start(USER, RC);
  assert.ok(started.ok);
  const text = await newestEmail(app, USER_MAIL, 'reset.code');
  const code = /\b(\d{6})\b/.exec(text)?.[1];
  const link = /\/reset\/link\?t=([A-Za-z0-9_-]+)/.exec(text)?.[1];
  assert.ok(code && link);
  return { handle: { flowId: started.value.flowId, secret: started.value.secret }, code, link };
}

/** The earlier flow's code, link and cookie all fail (checked on the link first: a code check would use the flow). */
async function assertEnded(app: TestApp['app'], earlier: Earlier, what: string): Promise<void> {
  const link = await app.reset.consumeLink(earlier.link, earlier.handle, RC);
  assert.ok(!link.ok, `${what}: the earlier link authorises nothing`);
  const code = await app.reset.submitCode(earlier.handle, earlier.code, RC);
  assert.ok(!code.ok, `${what}: the earlier code authorises nothing`);
  assert.equal(code.error, 'flow_expired', `${what}: the earlier flow ended`);
  const view = await app.reset.view(earlier.handle);
  assert.ok(!view.ok && view.error === 'flow_expired', `${what}: the earlier flow cookie shows an ended flow`);
}

async function withApp(fn: (app: TestApp['app']) => Promise<void>): Promise<void> {
  const t = await createTestApp();
  try {
    await addFabrikam(t.app);
    await fn(t.app);
  } finally {
    await t.cleanup();
  }
}

test('a new start ends the earlier flow of the account: its code, link and flow cookie fail', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    const later = await startFlow(app);
    await assertEnded(app, earlier, 'new start');
    const step = await app.reset.submitCode(later.handle, later.code, RC);
    assert.ok(step.ok, 'the new flow works');
  }));

test('a new start for an unknown login ends its earlier flow alike (nothing tells them apart)', () =>
  withApp(async (app) => {
    const first = await app.reset.start('nobody@fabrikam.example', RC);
    const second = await app.reset.start('nobody@fabrikam.example', RC);
    assert.ok(first.ok && second.ok);
    const old = await app.reset.view(first.value);
    assert.ok(!old.ok && old.error === 'flow_expired');
    assert.ok((await app.reset.view(second.value)).ok);
  }));

test('an admin-assisted reset by link ends the self-service flows of the account', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    const admin = await adminActor(app, FABRIKAM.admin.login);
    const user = await app.store.directory.findAccountByLogin(USER);
    const sent = await app.admin.assistedReset(admin, user!.id, 'link', RC);
    assert.ok(sent.ok);
    await assertEnded(app, earlier, 'assisted link sent');
  }));

test('an admin-assisted temporary password ends the self-service flows of the account', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    const admin = await adminActor(app, FABRIKAM.admin.login);
    const user = await app.store.directory.findAccountByLogin(USER);
    assert.ok((await app.admin.assistedReset(admin, user!.id, 'temp_password', RC)).ok);
    await assertEnded(app, earlier, 'temporary password');
  }));

test('a password set through an assisted link ends the self-service flows started after the link', () =>
  withApp(async (app) => {
    const admin = await adminActor(app, FABRIKAM.admin.login);
    const user = await app.store.directory.findAccountByLogin(USER);
    assert.ok((await app.admin.assistedReset(admin, user!.id, 'link', RC)).ok);
    const token = /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(
      await newestEmail(app, USER_MAIL, 'admin.reset_link'),
    )?.[1];
    assert.ok(token);
    const earlier = await startFlow(app);
    const redeemed = await app.admin.assisted.redeem(token, RC);
    assert.ok(redeemed.ok);
    assert.ok((await app.admin.assisted.setPassword(redeemed.value.grant, NEW_PASSWORD, NEW_PASSWORD, RC)).ok);
    await assertEnded(app, earlier, 'assisted link password');
  }));

test('a self-service password change ends the earlier flows of the account', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    const later = await startFlow(app);
    const step = await app.reset.submitCode(later.handle, later.code, RC);
    assert.ok(step.ok);
    const done = await app.reset.setPassword(
      { flowId: later.handle.flowId, secret: step.value.secret },
      NEW_PASSWORD,
      NEW_PASSWORD,
      RC,
    );
    assert.ok(done.ok);
    await assertEnded(app, earlier, 'self-service password');
  }));

test('a signed-in (or forced) password change ends the self-service flows of the account', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    const signedIn = await app.sessions.signIn(USER, FABRIKAM.user.password, RC);
    assert.ok(signedIn.ok);
    const auth = await app.sessions.authenticate(signedIn.value.token);
    assert.ok(auth);
    const changed = await app.sessions.changePassword(auth, FABRIKAM.user.password, NEW_PASSWORD, NEW_PASSWORD, RC);
    assert.ok(changed.ok);
    await assertEnded(app, earlier, 'signed-in change');
  }));

test('a password set by the CLI (user set-password) ends the self-service flows of the account', () =>
  withApp(async (app) => {
    const earlier = await startFlow(app);
    assert.ok((await app.directory.setPassword({ login: USER, password: NEW_PASSWORD, actor: 'cli' })).ok);
    await assertEnded(app, earlier, 'CLI set-password');
  }));
