import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import Database from 'better-sqlite3';
import { APPROVAL_VALID_MS } from '../../src/core/caller-verification.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { createPagesKit, newestMatch, operatorSession, TestBrowser } from '../http/reset-pages-kit.ts';
import { passSecondStep, seedConsoleFactor } from '../helpers/console-factor-kit.ts';
import { ManualClock } from '../helpers/manual-clock.ts';

/**
 * Attack: removing another administrator's second factor without verifying their caller (issue 13
 * item 4). A console POST without the verification, one forged without the CSRF token, one after
 * verifying ANOTHER account's caller, and the admin API (keys manage no administrator; no route)
 * all leave the authenticator app and recovery codes in place, and nothing is audited as done.
 */
test('attack: second factor reset without a verified caller is refused on every way in', async () => {
  const kit = await createPagesKit({}, { callerVerification: true });
  try {
    const target = (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!;
    const user = (await kit.app.store.directory.findAccountByLogin('user@contoso.example'))!;
    const owner = { kind: 'account' as const, id: target.id };
    await seedConsoleFactor(kit.app, 'admin2@contoso.example');
    await kit.app.consoleFactors.setup.regenerate(
      owner,
      { account: target, operator: null },
      { ip: null, userAgent: null },
    );
    const intact = async () => {
      assert.ok(await kit.app.store.authenticators.confirmed(target.id), 'the app is still there');
      assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 10);
      assert.equal((await kit.app.store.audit.list({ type: 'admin.second_factor_reset' })).length, 0);
    };

    const b = new TestBrowser(kit.server);
    await b.get('/signin');
    const password = kit.demo.accounts.find((a) => a.login === 'admin@contoso.example')!.password;
    const signed = await passSecondStep(
      kit.app,
      b,
      await b.post('/signin', { login: 'admin@contoso.example', password, next: '/admin' }),
      'admin@contoso.example',
    );
    assert.equal(signed.statusCode, 303);
    await b.get(`/admin/users/${target.id}`);
    const url = `/admin/users/${target.id}/second-factor/reset`;

    const noCsrf = await b.post(url, { _csrf: null });
    assert.equal(noCsrf.statusCode, 403);
    await intact();
    await b.get(`/admin/users/${target.id}`);
    const unverified = await b.post(url, {});
    assert.equal(unverified.statusCode, 403);
    await intact();

    // verifying another account's caller opens nothing for this one
    await b.get(`/admin/users/${user.id}`);
    assert.equal((await b.post(`/admin/users/${user.id}/verify-caller`, {})).statusCode, 303);
    const code = await newestMatch(kit.app, 'user@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);
    await b.get(`/admin/users/${user.id}`);
    assert.equal((await b.post(`/admin/users/${user.id}/verify-caller/confirm`, { code })).statusCode, 303);
    await b.get(`/admin/users/${target.id}`);
    const other = await b.post(url, {});
    assert.equal(other.statusCode, 403);
    await intact();

    // the admin API has no such way, whatever the key's scopes
    const c = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(c.ok);
    const key = await kit.app.apiKeys.create({
      tenantId: c.value.id,
      name: 'all',
      scopes: ['users:write', 'resets:write'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(key.ok);
    for (const path of [`/users/${target.id}/second-factor/reset`, `/users/${target.id}/second-factor`]) {
      const r: LightMyRequestResponse = await kit.server.inject({
        method: 'POST',
        url: `${ADMIN_API_PREFIX}${path}`,
        headers: { authorization: `Bearer ${key.value.token}` },
      });
      assert.equal(r.statusCode, 404, path);
    }
    await intact();
    const denied = (await kit.app.store.audit.list({ type: 'admin.denied', accountId: target.id })).filter(
      (e) => e.details.action === 'second_factor.reset' && e.outcome === 'caller_not_verified',
    );
    assert.equal(denied.length, 2);
  } finally {
    await kit.close();
  }
});

/**
 * Attack: Technical Support removing an administrator's second factor without a genuine second
 * operator (issue 13 item 5). The operator verified the caller each time; what is missing is the
 * approval: none at all, one the asking operator gave themselves (refused by the console, and a
 * row forged in the database to say so counts for nothing), one for another account, and one older
 * than APPROVAL_VALID_MS. Each POST is refused (audited as admin.denied, approval_required), and the
 * authenticator app, the recovery codes and the ticket stay as they were. Then a real approval by
 * another operator lets the same POST through, so the refusals came from the approval alone.
 */
test('attack: Technical Support second factor reset without a valid second operator is refused', async () => {
  const clock = new ManualClock();
  const kit = await createPagesKit({}, { clock, callerVerification: true });
  const REQ = { ip: null, userAgent: null };
  try {
    assert.ok((await kit.app.directory.disable({ login: 'admin2@contoso.example', actor: 'test' })).ok);
    const target = (await kit.app.store.directory.findAccountByLogin('admin@contoso.example'))!;
    const other = (await kit.app.store.directory.findAccountByLogin('admin2@contoso.example'))!;
    const owner = { kind: 'account' as const, id: target.id };
    await seedConsoleFactor(kit.app, 'admin@contoso.example');
    await kit.app.consoleFactors.setup.regenerate(owner, { account: target, operator: null }, REQ);
    assert.ok((await kit.app.help.submit('admin@contoso.example', 'Lost my phone.', REQ)).ok);
    const [ticket] = await kit.app.store.help.list({ queue: 'support', statuses: ['open'] });
    assert.ok(ticket);
    const path = `/support/tickets/${ticket.id}`;
    const intact = async () => {
      assert.ok(await kit.app.store.authenticators.confirmed(target.id), 'the app is still there');
      assert.equal(await kit.app.store.consoleFactors.recoveryCodesLeft(owner), 10);
      assert.equal((await kit.app.store.audit.list({ type: 'admin.second_factor_reset' })).length, 0);
      assert.equal((await kit.app.store.help.get(ticket.id))!.status, 'open');
    };

    const sam = await operatorSession(kit, 'sam.support');
    const kim = await operatorSession(kit, 'kim.support');
    await sam.b.get(path);
    assert.equal((await sam.b.post(`${path}/verify`, { note: 'Called back on the HR number.' })).statusCode, 303);
    const verifyCaller = async () => {
      await sam.b.get(path);
      assert.equal((await sam.b.post(`${path}/verify-caller`, {})).statusCode, 303);
      const code = await newestMatch(kit.app, 'admin@personal.example', /(?:^|\s)(\d{6})(?:\s|$)/m);
      await sam.b.get(path);
      assert.equal((await sam.b.post(`${path}/verify-caller/confirm`, { code })).statusCode, 303);
    };
    const refused = async (label: string) => {
      await sam.b.get(path);
      const r = await sam.b.post(`${path}/second-factor/reset`, {});
      assert.equal(r.statusCode, 403, label);
      assert.match(r.body, /A second operator must approve/, label);
      await intact();
    };
    const openApproval = async (accountId: string) =>
      (await kit.app.callers.openApprovals()).find(
        (a) => a.accountId === accountId && a.requestedBy === `operator:${sam.actor.operatorId}`,
      )!;
    await verifyCaller();

    // 1. no approval at all
    await refused('no approval');

    // 2. an approval by the same operator: the console refuses it …
    assert.equal((await sam.b.post(`${path}/approval`, {})).statusCode, 303);
    const mine = await openApproval(target.id);
    await sam.b.get('/support/approvals');
    assert.equal((await sam.b.post(`/support/approvals/${mine.id}/approve`, {})).statusCode, 403);
    await refused('own approval refused');
    // … and a row forged in the database to say so counts for nothing
    const db = new Database(kit.app.config.database_url.slice('sqlite:'.length), { fileMustExist: true });
    try {
      db.prepare('UPDATE caller_approvals SET approved_by = requested_by, approved_at = ? WHERE id = ?').run(
        clock.now(),
        mine.id,
      );
    } finally {
      db.close();
    }
    assert.equal((await kit.app.store.callerChecks.getApproval(mine.id))!.approvedBy, mine.requestedBy);
    await refused('approval row forged with the asking operator as approver');

    // 3. a genuine approval, but for another administrator
    assert.ok((await kit.app.callers.requestApproval(sam.actor, other.id, REQ)).ok);
    assert.ok((await kit.app.callers.approve(kim.actor, (await openApproval(other.id)).id, REQ)).ok);
    await refused('approval for another account');

    // 4. a genuine approval for this account, expired (the caller verified again, freshly)
    assert.ok((await kit.app.callers.requestApproval(sam.actor, target.id, REQ)).ok);
    const approval = await openApproval(target.id);
    await kim.b.get('/support/approvals');
    assert.equal((await kim.b.post(`/support/approvals/${approval.id}/approve`, {})).statusCode, 303);
    clock.advance(APPROVAL_VALID_MS);
    await verifyCaller();
    await refused('approval expired');

    const denied = (await kit.app.store.audit.list({ type: 'admin.denied', accountId: target.id })).filter(
      (e) => e.details.action === 'second_factor.reset' && e.outcome === 'approval_required',
    );
    assert.equal(denied.length, 5, 'every refusal audited');

    // control: a fresh approval by the other operator lets the same POST through
    assert.ok((await kit.app.callers.requestApproval(sam.actor, target.id, REQ)).ok);
    assert.ok((await kit.app.callers.approve(kim.actor, (await openApproval(target.id)).id, REQ)).ok);
    await sam.b.get(path);
    assert.equal((await sam.b.post(`${path}/second-factor/reset`, {})).statusCode, 303);
    assert.equal(await kit.app.store.authenticators.confirmed(target.id), null);
  } finally {
    await kit.close();
  }
});
