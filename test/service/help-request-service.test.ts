import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Actor } from '../../src/core/admin-rules.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { REFERENCE_PATTERN } from '../../src/service/help-request-service.ts';
import { operatorActor } from '../../src/service/operator-service.ts';
import { createTestApp } from '../helpers/test-app.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { completeSecondStep } from '../helpers/console-factor-kit.ts';

/**
 * The help request, support and operator use cases against a real App (SQLite file, and the real
 * PostgreSQL server): routing, notifications, tenant walls, single resolution under races,
 * verification before support actions, operator accounts and sessions.
 */

const RC = { ip: '203.0.113.9', userAgent: 'service-test' };
const USER = 'user@contoso.example';
const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';

async function withApp(databaseUrl: string | null, fn: (app: App) => Promise<void>): Promise<void> {
  const t = await createTestApp(databaseUrl ? { SSPR_DATABASE_URL: databaseUrl } : {});
  try {
    await setupDemo(t.app.directory, t.app.random, 'test');
    await fn(t.app);
  } finally {
    await t.cleanup();
  }
}

async function adminActor(app: App, login: string): Promise<Actor> {
  const a = await app.directory.getUser(login);
  assert.ok(a.ok);
  return { kind: 'admin', account: a.value };
}

async function queued(app: App, template: string): Promise<number> {
  const all = await app.store.outbox.list({ limit: 1000 });
  return all.filter((m) => m.template === template).length;
}

function suite(name: string, url: () => Promise<{ url: string | null; done(): Promise<void> }>): void {
  describe(name, () => {
    async function run(fn: (app: App) => Promise<void>): Promise<void> {
      const db = await url();
      try {
        await withApp(db.url, fn);
      } finally {
        await db.done();
      }
    }

    test('routing: user → admins, sole admin → support, unknown/disabled → nowhere; all get a reference', async () => {
      await run(async (app) => {
        const user = await app.help.submit(USER, 'help me', RC);
        assert.ok(user.ok);
        assert.match(user.value.reference, REFERENCE_PATTERN);
        assert.equal(await queued(app, 'help.admin_request'), 2, 'both admins are told');
        assert.equal(await queued(app, 'help.received'), 2, 'login and alternate email get the confirmation');

        const again = await app.help.submit(USER, 'still stuck', RC);
        assert.ok(again.ok);
        assert.equal(await queued(app, 'help.admin_request'), 2, 'no second round of emails within the hour');
        const events = await app.store.audit.list({ type: 'help.requested' });
        assert.equal(events.find((e) => e.details.reference === again.value.reference)?.details.duplicate, true);

        const unknown = await app.help.submit('ghost@contoso.example', 'help', RC);
        assert.ok(unknown.ok);
        assert.match(unknown.value.reference, REFERENCE_PATTERN);
        const ghost = (await app.store.help.list({ statuses: ['void'] }))[0];
        assert.equal(ghost?.messageSealed, null, 'a request that leads nowhere keeps no message');

        assert.ok((await app.directory.setRole({ login: ADMIN2, role: 'user', actor: 'test' })).ok);
        const sole = await app.help.submit(ADMIN, 'I am locked out', RC);
        assert.ok(sole.ok);
        const tickets = await app.support.listTickets('open');
        assert.deepEqual(
          tickets.map((t) => [t.reference, t.tenant?.name, t.requester?.login, t.message]),
          [[sole.value.reference, 'Contoso Demo', ADMIN, 'I am locked out']],
        );

        // a tenant without any admin: its users reach support too
        assert.ok((await app.directory.createTenant({ name: 'Nadmin', domains: ['nadmin.example'], actor: 't' })).ok);
        assert.ok(
          (await app.directory.addUser({ login: 'solo@nadmin.example', displayName: 'Solo', role: 'user', actor: 't' }))
            .ok,
        );
        assert.ok((await app.help.submit('solo@nadmin.example', 'nobody can help', RC)).ok);
        assert.equal((await app.support.listTickets('open')).length, 2);

        const refused = await app.help.submit('not a login', 'help', RC);
        assert.equal(refused.ok ? null : refused.error, 'login_invalid');
        const long = await app.help.submit(USER, 'x'.repeat(1001), RC);
        assert.equal(long.ok ? null : long.error, 'message_too_long');
        const outcomes = (await app.store.audit.list({ type: 'help.requested' })).map((e) => e.outcome).sort();
        assert.deepEqual(outcomes, ['not_found', 'to_admins', 'to_admins', 'to_support', 'to_support']);
      });
    });

    test('admin side: own tenant only, the reset rules hold, a request is answered once', async () => {
      await run(async (app) => {
        const fromUser = await app.help.submit(USER, 'help', RC);
        const fromAdmin = await app.help.submit(ADMIN, 'help me too', RC);
        assert.ok(fromUser.ok && fromAdmin.ok);
        const admin = await adminActor(app, ADMIN);
        const admin2 = await adminActor(app, ADMIN2);
        const open = await app.help.listForTenant(admin2, 'open');
        assert.equal(open.length, 2);
        const userReq = open.find((r) => r.requester?.login === USER)!;
        const adminReq = open.find((r) => r.requester?.login === ADMIN)!;
        assert.equal(userReq.requester?.maskedEmail, 'u••••@personal.example');

        const self = await app.help.resolve(admin, adminReq.id, 'link', RC);
        assert.equal(self.ok ? null : self.error, 'self', 'nobody resets themselves');
        const lower = await app.help.resolve(admin2, adminReq.id, 'link', RC);
        assert.equal(lower.ok ? null : lower.error, 'needs_global_admin');

        assert.ok((await app.directory.createTenant({ name: 'Other', domains: ['other.example'], actor: 't' })).ok);
        assert.ok(
          (await app.directory.addUser({ login: 'boss@other.example', displayName: 'Boss', role: 'admin', actor: 't' }))
            .ok,
        );
        const stranger = await adminActor(app, 'boss@other.example');
        assert.deepEqual(await app.help.listForTenant(stranger, 'open'), []);
        const foreign = await app.help.resolve(stranger, userReq.id, 'link', RC);
        assert.equal(foreign.ok ? null : foreign.error, 'request_not_found');
        const foreignGet = await app.help.getForTenant(stranger, userReq.id);
        assert.equal(foreignGet.ok, false);

        // two admins answering at once: exactly one wins
        const results = await Promise.all([
          app.help.dismiss(admin, userReq.id, 'duplicate', RC),
          app.help.dismiss(admin2, userReq.id, 'duplicate', RC),
        ]);
        assert.equal(results.filter((r) => r.ok).length, 1);
        assert.equal(results.find((r) => !r.ok && r.error === 'request_closed') !== undefined, true);
        assert.equal((await app.help.listForTenant(admin, 'closed')).length, 1);
        assert.equal(await queued(app, 'help.outcome'), 2, 'told once, at both registered addresses');

        const temp = await app.help.resolve(admin, adminReq.id, 'temp_password', RC);
        assert.equal(temp.ok ? null : temp.error, 'self');
        const reason = await app.help.dismiss(admin2, adminReq.id, '  ', RC);
        assert.equal(reason.ok ? null : reason.error, 'reason_missing');
      });
    });

    test('support: verification first, link via the admin service; operators and their sessions', async () => {
      await run(async (app) => {
        const bad = await app.operators.add({ login: 'Jo Support', displayName: 'Jo', password: 'x', actor: 'test' });
        assert.equal(bad.ok ? null : bad.error, 'operator_login_invalid');
        const weak = await app.operators.add({ login: 'jo', displayName: 'Jo', password: 'short', actor: 'test' });
        assert.equal(weak.ok ? null : weak.error, 'password_too_short');
        const added = await app.operators.add({
          login: 'Jo',
          displayName: 'Jo Support',
          password: 'velvet harbour copper tide',
          actor: 'test',
        });
        assert.ok(added.ok);
        assert.equal(added.value.login, 'jo');
        assert.ok(added.value.passwordHash.startsWith('$argon2id$'));
        const dup = await app.operators.add({
          login: 'jo',
          displayName: 'X',
          password: 'velvet harbour copper tide',
          actor: 't',
        });
        assert.equal(dup.ok ? null : dup.error, 'login_taken');

        const signedIn = await app.operators.signIn('jo', 'velvet harbour copper tide', RC);
        assert.ok(signedIn.ok);
        const session = await completeSecondStep(app, signedIn.value, 'jo', 'operator');
        const auth = await app.operators.authenticate(session);
        assert.ok(auth);
        assert.deepEqual(auth.actor, operatorActor(added.value));

        assert.ok((await app.directory.disable({ login: ADMIN2, actor: 'test' })).ok);
        assert.ok((await app.help.submit(ADMIN, 'locked out', RC)).ok);
        const [ticket] = await app.support.listTickets('open');
        assert.ok(ticket);
        const early = await app.support.issueResetLink(auth, ticket.id, RC);
        assert.equal(early.ok ? null : early.error, 'verification_required');
        const noNote = await app.support.recordVerification(auth, ticket.id, '', RC);
        assert.equal(noNote.ok ? null : noNote.error, 'note_missing');
        assert.ok((await app.support.recordVerification(auth, ticket.id, 'called back', RC)).ok);
        const issued = await app.support.issueResetLink(auth, ticket.id, RC);
        assert.ok(issued.ok, JSON.stringify(issued));
        assert.equal(await queued(app, 'admin.reset_link'), 2);
        const again = await app.support.issueResetLink(auth, ticket.id, RC);
        assert.equal(again.ok ? null : again.error, 'ticket_closed');
        // a help request of the admins' queue is not a support ticket
        assert.ok((await app.directory.enable({ login: ADMIN2, actor: 'test' })).ok);
        assert.ok((await app.help.submit(USER, 'x', RC)).ok);
        const adminsReq = (await app.store.help.list({ queue: 'admins', statuses: ['open'] }))[0]!;
        const notTicket = await app.support.getTicket(adminsReq.id);
        assert.equal(notTicket.ok, false);

        await app.operators.signOut(session, RC);
        assert.equal(await app.operators.authenticate(session), null);
        const types = (await app.store.audit.list({ limit: 1000 }))
          .filter((e) => e.actor === `operator:${added.value.id}`)
          .map((e) => e.type);
        for (const t of ['operator.signin', 'support.verified', 'support.resolved', 'operator.signout']) {
          assert.ok(types.includes(t), `${t} audited`);
        }
        assert.equal((await app.operators.list()).length, 1);
      });
    });
  });
}

suite('help requests on SQLite', async () => ({ url: null, done: async () => {} }));

suite('help requests on PostgreSQL', async () => {
  const db = await createPostgresDatabase({ migrated: true });
  return { url: db.url, done: () => db.drop() };
});
