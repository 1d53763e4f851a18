import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createPostgresDatabase, type TestPostgresDatabase } from '../helpers/databases.ts';
import { ManualClock } from '../helpers/manual-clock.ts';
import { COOLING_OFF_MS, registerSoftPasskey } from '../helpers/passkey-kit.ts';
import { SoftAuthenticator } from '../helpers/soft-authenticator.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';
import { account, adminActor, RC } from '../service/admin-fixtures.ts';

/**
 * Attack: a caller-verification passkey assertion used again, or for another account or agent
 * (issue 13 item 5). The public page's challenge is bound to ONE verification (one agent, one
 * account) and taken once; the credential must be that account's; the counter must move. So an
 * assertion captured on the way (a proxy, an extension, a shared screen) verifies nothing else:
 * not a second time, not another agent's verification of the same account, not another account.
 * The agent who asked is the only one the proof opens the actions for. Every refusal is audited.
 */
const USER = 'user@contoso.example';
/** Each public-page request from its own address: the page's limit per address is tested on its own below. */
let requests = 0;
const rc = () => ({ ...RC, ip: `198.51.100.${++requests % 250}` });
const OTHER = 'admin@contoso.example';

for (const dialect of ['SQLite', 'PostgreSQL'] as const) {
  describe(`caller verification by passkey: no replay, no other account, no other agent (${dialect})`, () => {
    let t: TestApp;
    let pg: TestPostgresDatabase | undefined;
    let app: App;
    const clock = new ManualClock(Date.now());
    let user: SoftAuthenticator;
    let other: SoftAuthenticator;

    before(async () => {
      pg = dialect === 'PostgreSQL' ? await createPostgresDatabase({ migrated: true }) : undefined;
      t = await createTestApp(pg ? { SSPR_DATABASE_URL: pg.url } : {}, { clock, callerVerification: true });
      app = t.app;
      await setupDemo(app.directory, app.random, 'test');
      const origin = new URL(app.config.public_url).origin;
      user = new SoftAuthenticator(origin);
      other = new SoftAuthenticator(origin);
      const si = { store: app.store, clock, si: app.securityInfo };
      await registerSoftPasskey(si, user, USER);
      await registerSoftPasskey(si, other, OTHER);
      clock.advance(COOLING_OFF_MS);
    });
    after(async () => {
      await t?.cleanup();
      await pg?.drop();
    });

    /** An agent asks for USER's passkey: the ticket the console shows. */
    async function ticketOf(agentLogin: string, login = USER): Promise<string> {
      const started = await app.callers.startByWay(
        await adminActor(app, agentLogin),
        (await account(app, login)).id,
        'passkey',
        RC,
      );
      assert.ok(started.ok, JSON.stringify(started));
      assert.match(started.value.ticket!, /^\d{4} \d{4} \d{4}$/);
      assert.deepEqual(started.value.channels, [], 'nothing is sent');
      return started.value.ticket!;
    }

    /** The public page's challenge for a ticket, answered by `by` (optionally with a counter of our choosing). */
    async function assertion(ticket: string, by: SoftAuthenticator, counter?: number): Promise<string> {
      const o = await app.callers.passkeyOptions(ticket, rc());
      assert.ok(o.ok, JSON.stringify(o));
      assert.equal(o.value.options.userVerification, 'required');
      return by.get({ ...o.value.options, rpId: o.value.options.rpId! }, counter === undefined ? {} : { counter });
    }

    const allowed = async (agentLogin: string, login = USER) =>
      (await app.callers.status(await adminActor(app, agentLogin), await account(app, login))).allowed;
    const failures = async () =>
      (await app.store.audit.list({ type: 'caller.verification_failed' }))
        .filter((e) => e.details.via === 'passkey')
        .map((e) => e.outcome);

    test('an assertion made for agent A verifies nothing for agent B asking about the same account', async () => {
      const a = await ticketOf('admin@contoso.example');
      const b = await ticketOf('admin2@contoso.example');
      const forA = await assertion(a, user);
      await app.callers.passkeyOptions(b, rc()); // B's page is open too: its own challenge
      assert.deepEqual(await app.callers.passkeyAnswer(b, forA, rc()), { ok: false, error: 'passkey_refused' });
      assert.equal(await allowed('admin2@contoso.example'), false, 'B is not verified');
      assert.deepEqual((await failures()).slice(0, 1), ['challenge_unknown']);
      // A's challenge was not taken by the refused try: A's caller still verifies
      const ok = await app.callers.passkeyAnswer(a, forA, rc());
      assert.ok(ok.ok, JSON.stringify(ok));
      assert.equal(await allowed('admin@contoso.example'), true, 'A is verified');
      assert.equal(await allowed('admin2@contoso.example'), false, 'only the agent who asked');
      const verified = await app.store.audit.list({ type: 'caller.verified' });
      assert.equal(verified[0]!.details.via, 'passkey');
      assert.match(verified[0]!.actor, /^admin:/);
    });

    test('the same assertion again: the ticket is used and the challenge gone', async () => {
      const a = await ticketOf('admin@contoso.example');
      const once = await assertion(a, user);
      assert.ok((await app.callers.passkeyAnswer(a, once, rc())).ok);
      assert.deepEqual(await app.callers.passkeyAnswer(a, once, rc()), { ok: false, error: 'not_found' });
      assert.deepEqual(await app.callers.passkeyOptions(a, rc()), { ok: false, error: 'not_found' }, 'a used ticket');
      // a new ticket of the same agent: the old assertion carries the old challenge
      const next = await ticketOf('admin@contoso.example');
      await app.callers.passkeyOptions(next, rc());
      assert.deepEqual(await app.callers.passkeyAnswer(next, once, rc()), { ok: false, error: 'passkey_refused' });
      assert.equal((await failures())[0], 'challenge_unknown');
    });

    test('a fresh challenge signed with a counter that does not move (a cloned authenticator) is refused', async () => {
      const stored = (await app.store.passkeys.list((await account(app, USER)).id))[0]!.counter;
      const a = await ticketOf('admin2@contoso.example');
      const cloned = await assertion(a, user, stored);
      assert.deepEqual(await app.callers.passkeyAnswer(a, cloned, rc()), { ok: false, error: 'passkey_refused' });
      assert.equal((await failures())[0], 'counter_not_increasing');
      assert.equal(await allowed('admin2@contoso.example'), false);
    });

    test("another account's passkey does not verify this account's caller", async () => {
      const a = await ticketOf('admin2@contoso.example');
      const wrong = await assertion(a, other);
      assert.deepEqual(await app.callers.passkeyAnswer(a, wrong, rc()), { ok: false, error: 'passkey_refused' });
      assert.equal((await failures())[0], 'not_registered');
      assert.equal(await allowed('admin2@contoso.example'), false);
    });

    test('parallel answers with one assertion: exactly one verifies', async () => {
      const a = await ticketOf('admin2@contoso.example');
      const one = await assertion(a, user);
      const results = await Promise.all(Array.from({ length: 6 }, () => app.callers.passkeyAnswer(a, one, rc())));
      assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
      assert.equal(await allowed('admin2@contoso.example'), true);
    });

    test('five wrong answers end the ticket; a wrong, unknown or malformed ticket says only not_found', async () => {
      const a = await ticketOf('admin@contoso.example');
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await app.callers.passkeyAnswer(a, '{"id":"x"}', rc()), {
          ok: false,
          error: 'passkey_refused',
        });
      }
      assert.deepEqual(await app.callers.passkeyOptions(a, rc()), { ok: false, error: 'not_found' }, 'attempts spent');
      for (const bad of ['0000 0000 0000', '1234', 'not a ticket', '']) {
        assert.deepEqual(await app.callers.passkeyOptions(bad, rc()), { ok: false, error: 'not_found' });
      }
      // a ticket past its 10 minutes
      const late = await ticketOf('admin@contoso.example');
      clock.advance(10 * 60_000);
      assert.deepEqual(await app.callers.passkeyOptions(late, rc()), { ok: false, error: 'not_found' });
    });

    test('one client address: ten tries per 10 minutes, then rate_limited whatever the ticket', async () => {
      const a = await ticketOf('admin@contoso.example');
      const same = { ...RC, ip: '203.0.113.77' };
      for (let i = 0; i < 10; i++) await app.callers.passkeyOptions('0000 0000 0000', same);
      assert.deepEqual(await app.callers.passkeyOptions(a, same), { ok: false, error: 'rate_limited' });
      assert.ok((await app.callers.passkeyOptions(a, rc())).ok, 'another address still gets through');
    });

    test('a typed code never answers a passkey verification', async () => {
      const agent = await adminActor(app, 'admin@contoso.example');
      await ticketOf('admin@contoso.example');
      const r = await app.callers.confirm(agent, (await account(app, USER)).id, '123456', RC);
      assert.deepEqual(r, { ok: false, error: 'nothing_pending' });
    });
  });
}
