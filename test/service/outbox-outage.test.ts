import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { outboxPolicy } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { renderEmail } from '../../src/core/message-templates.ts';
import type { BackoffPolicy } from '../../src/core/outbox-policy.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { DeliveryResult, Mailer, SmsSender } from '../../src/ports/messaging.ts';
import { enqueueEmail } from '../../src/service/message-queue.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { SecurityInfoService } from '../../src/service/security-info-service.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { createResetHarness, RC, T0, type ResetHarness } from '../helpers/reset-harness.ts';

/**
 * Delivery you can trust (issue 9, items 7 and 8), with an injected clock and a mail server
 * double that refuses with a retryable error (SMTP 421) while it is "down": a code replaced
 * during an outage is never delivered after the newer one, and a long outage loses no notice.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;
const USER = 'user@contoso.example';
const USER_MAIL = 'uma.home@personal.example';
const ADMIN = 'admin@contoso.example';
const ADMIN2 = 'admin2@contoso.example';
const CODE_TEMPLATES = new Set([
  'reset.code',
  'reset.sms',
  'reset.blocked_link',
  'security-info.code',
  'security-info.sms',
]);

const noop = (): void => {};
const silent: Logger = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child: () => silent };

interface Delivery {
  readonly at: number;
  readonly to: string;
  readonly text: string;
}

/** A mail server (and SMS provider) that answers `421 try again later` while down, and records what it accepts. */
function flakyTransport(clock: { now(): number }) {
  const state = { down: false, delivered: [] as Delivery[], refused: 0 };
  const send = async (to: string, text: string): Promise<DeliveryResult> => {
    if (state.down) {
      state.refused++;
      return { ok: false, retryable: true, reason: '421 4.3.2 Service not available, try again later' };
    }
    state.delivered.push({ at: clock.now(), to, text });
    return { ok: true, providerId: `p-${state.delivered.length}` };
  };
  const mailer: Mailer = { name: 'flaky-smtp', send: (m) => send(m.to, m.text) };
  const sms: SmsSender = { name: 'flaky-sms', send: (m) => send(m.to, m.body) };
  return { state, mailer, sms };
}

function workerFor(h: ResetHarness, t: ReturnType<typeof flakyTransport>, policy: BackoffPolicy): OutboxWorker {
  return new OutboxWorker({
    store: h.store,
    keyring: h.keyring,
    mailer: t.mailer,
    sms: t.sms,
    clock: h.clock,
    random: { ...cryptoRandom, unit: () => 0.5 },
    log: silent,
    policy,
    pollMs: 60_000,
    claimMs: 30_000,
    workerId: 'outage-worker',
  });
}

/** Runs the worker until nothing is due at the current instant. */
async function drain(worker: OutboxWorker): Promise<void> {
  while ((await worker.runOnce()) > 0);
}

async function start(h: ResetHarness, login: string): Promise<FlowHandle> {
  const r = await h.reset.start(login, RC);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
}

/** The policy the shipped defaults give (what `sspr serve` runs with unless configured). */
function defaultPolicy(): BackoffPolicy {
  return outboxPolicy(loadConfig({ env: {} }));
}

describe('delivery through a mail outage (injected clock, retryable SMTP refusals)', () => {
  test('a code resent during an outage: when mail returns only the newer code is delivered; the replaced one is recorded as dropped', async () => {
    const h = await createResetHarness();
    try {
      const before = new Set((await h.store.outbox.list({ limit: 1000 })).map((m) => m.id));
      const t = flakyTransport(h.clock);
      const worker = workerFor(h, t, defaultPolicy());
      // the setup's own notices go out first: what follows counts only the messages of the test
      await drain(worker);
      t.state.delivered.length = 0;
      t.state.down = true;

      const handle = await start(h, USER);
      await drain(worker);
      assert.ok(t.state.refused >= 1, 'the first code was tried and refused');
      h.clock.advance(2 * MIN);
      const resent = await h.reset.resend(handle, RC);
      assert.ok(resent.ok, JSON.stringify(resent));
      const second = await h.lastCode(USER_MAIL);
      await drain(worker);

      h.clock.advance(MIN);
      t.state.down = false;
      for (let i = 0; i < 20; i++) {
        await drain(worker);
        h.clock.advance(15_000);
      }

      const codes = (await h.store.outbox.list({ limit: 1000 })).filter(
        (m) => !before.has(m.id) && m.template === 'reset.code',
      );
      assert.equal(codes.length, 2);
      assert.deepEqual(
        t.state.delivered.map((d) => d.to),
        [USER_MAIL],
        'exactly one message reached the person',
      );
      assert.match(t.state.delivered[0]!.text, new RegExp(`\\b${second}\\b`), 'the newer code was delivered');
      const [older, newer] = codes.sort((a, b) => a.createdAt - b.createdAt);
      assert.equal(older!.status, 'expired', 'the replaced code is dropped like an expired one');
      assert.equal(older!.payloadSealed, null, 'and its content erased');
      assert.equal(newer!.status, 'sent');
      const dropped = (await h.store.audit.list({ type: 'message.expired', limit: 100 })).filter(
        (e) => e.details.messageId === older!.id,
      );
      assert.equal(dropped.length, 1);
      assert.equal(dropped[0]!.outcome, 'superseded');

      // the delivered code is the one that works
      const step = await h.reset.submitCode(handle, second, RC);
      assert.ok(step.ok, JSON.stringify(step));
    } finally {
      await h.close();
    }
  });

  test('a code whose flow ended (completed, or ended by a new start or a password change) before mail returned is never delivered', async () => {
    const h = await createResetHarness();
    try {
      const t = flakyTransport(h.clock);
      const worker = workerFor(h, t, defaultPolicy());
      // the setup's own notices go out first: what follows counts only the messages of the test
      await drain(worker);
      t.state.delivered.length = 0;
      t.state.down = true;
      const handle = await start(h, USER);
      await drain(worker);
      // what a new start, a password change or a completed reset does to every earlier flow of the account
      const account = await h.store.directory.findAccountByLogin(USER);
      await h.store.transaction((tx) => tx.flows.endAccountFlows(account!.id, null, h.clock.now()));
      assert.equal(await h.reset.peekState(handle.flowId), 'expired');
      h.clock.advance(MIN);
      t.state.down = false;
      for (let i = 0; i < 10; i++) {
        await drain(worker);
        h.clock.advance(15_000);
      }
      assert.deepEqual(t.state.delivered, [], 'the code of an ended flow is not delivered');
      const messages = await h.messages();
      assert.deepEqual(
        messages.filter((m) => m.template === 'reset.code').map((m) => m.status),
        ['expired'],
      );
    } finally {
      await h.close();
    }
  });

  test('a security-info registration code resent during an outage: only the newer code is delivered', async () => {
    const h = await createResetHarness();
    try {
      const t = flakyTransport(h.clock);
      const worker = workerFor(h, t, defaultPolicy());
      // the setup's own notices go out first: what follows counts only the messages of the test
      await drain(worker);
      t.state.delivered.length = 0;
      t.state.down = true;
      const si = new SecurityInfoService({
        store: h.store,
        keyring: h.keyring,
        random: cryptoRandom,
        clock: h.clock,
        outbox: { wake: noop },
        policy: h.policy,
      });
      const account = (await h.store.directory.findAccountByLogin(USER))!;
      const now = h.clock.now();
      await h.store.directory.createSession({
        idHash: 'session-1',
        accountId: account.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + 24 * HOUR,
      });
      const auth = {
        account,
        tenant: (await h.store.directory.getTenant(account.tenantId))!,
        session: (await h.store.directory.getSession('session-1'))!,
        methods: { email: true, phone: true },
      };
      const NEW_MAIL = 'uma.new@elsewhere.example';
      assert.ok((await si.startChange(auth, 'email', NEW_MAIL, RC)).ok);
      await drain(worker);
      h.clock.advance(2 * MIN);
      assert.ok((await si.resend(auth, 'email', RC)).ok);
      const second = await h.lastCode(NEW_MAIL);
      await drain(worker);
      t.state.down = false;
      for (let i = 0; i < 10; i++) {
        h.clock.advance(15_000);
        await drain(worker);
      }
      const toNew = t.state.delivered.filter((d) => d.to === NEW_MAIL);
      assert.equal(toNew.length, 1, 'one registration code delivered');
      assert.match(toNew[0]!.text, new RegExp(`\\b${second}\\b`), 'the newer one');
      const statuses = (await h.messages()).filter((m) => m.template === 'security-info.code').map((m) => m.status);
      assert.deepEqual(statuses.sort(), ['expired', 'sent']);
    } finally {
      await h.close();
    }
  });

  test('a 2-hour outage with the default settings: every notice delivered exactly once, no expired or replaced code delivered, 0 messages lost', async () => {
    const h = await createResetHarness();
    try {
      const seeded = new Set((await h.store.outbox.list({ limit: 1000 })).map((m) => m.id));
      const t = flakyTransport(h.clock);
      const worker = workerFor(h, t, defaultPolicy());
      const outageEnds = T0 + 2 * HOUR;
      const until = outageEnds + 2 * HOUR;
      // the setup's own notices go out first: what follows counts only the messages of the test
      await drain(worker);
      t.state.delivered.length = 0;
      t.state.down = true;

      const flows = new Map<string, FlowHandle>();
      let notices = 0;
      let completed = 0;
      const passwords = ['amber quarry lantern ', 'cobalt meadow whistle ', 'saffron harbor bicycle '];
      let tick = 0;
      while (h.clock.now() < until) {
        const now = h.clock.now();
        const minute = Math.round((now - T0) / MIN);
        if (now < outageEnds && tick % 4 === 0) {
          // every 20 minutes during the outage (and 5 minutes before it ends): resets start for three
          // people, and one is resent 2 minutes later
          if (minute % 20 === 0 || minute === 115)
            for (const login of [USER, ADMIN, ADMIN2]) flows.set(login, await start(h, login));
          if (minute % 20 === 2 || minute === 117) {
            const resent = await h.reset.resend(flows.get(ADMIN)!, RC);
            assert.ok(resent.ok, JSON.stringify(resent));
          }
          // every 30 minutes, the user finishes a reset with the code read from the queue (as if by
          // another channel): the "password changed" notices go to the sign-in address and the alternate email
          if (minute % 30 === 5) {
            const handle = await start(h, USER);
            const step = await h.reset.submitCode(handle, await h.lastCode(USER_MAIL), RC);
            assert.ok(step.ok, JSON.stringify(step));
            const pw = `${passwords[completed % passwords.length]}${['north', 'south', 'east', 'west', 'up'][completed]}`;
            const done = await h.reset.setPassword({ flowId: handle.flowId, secret: step.value.secret }, pw, pw, RC);
            assert.ok(done.ok, JSON.stringify(done));
            completed++;
          }
          // every 15 minutes, a security notice (method changed) is queued
          if (minute % 15 === 7) {
            await h.store.transaction((tx) =>
              enqueueEmail(
                tx,
                { keyring: h.keyring, random: cryptoRandom },
                {
                  tenantId: null,
                  accountId: null,
                  template: 'security-info.changed',
                  to: `notice-${notices}@personal.example`,
                  content: renderEmail('security-info.changed', {
                    displayName: 'Uma User',
                    kind: 'phone',
                    maskedValue: '••• ••• ••03',
                    when: new Date(now).toISOString(),
                    changedBy: 'you',
                    helpText: 'Contact the help desk.',
                  }),
                  expiresAt: null,
                  now,
                },
              ),
            );
            notices++;
          }
        }
        if (now >= outageEnds) t.state.down = false;
        await drain(worker);
        h.clock.advance(15_000);
        tick++;
      }

      const all = (await h.store.outbox.list({ limit: 1000 })).filter((m) => !seeded.has(m.id));
      const noticeRows = all.filter((m) => !CODE_TEMPLATES.has(m.template));
      const codeRows = all.filter((m) => CODE_TEMPLATES.has(m.template));
      assert.ok(completed >= 4 && notices >= 8, `${completed} resets completed, ${notices} notices queued`);
      assert.ok(noticeRows.length >= 2 * completed + notices, `${noticeRows.length} notices in the outbox`);
      assert.ok(t.state.refused > 100, `${t.state.refused} refusals during the outage`);

      // every notice delivered exactly once
      const sentEvents = await h.store.audit.list({ type: 'message.sent', limit: 1000 });
      for (const m of noticeRows) {
        assert.equal(
          m.status,
          'sent',
          `${m.template} queued at +${(m.createdAt - T0) / MIN} min: ${m.status} (${m.lastError})`,
        );
        assert.equal(sentEvents.filter((e) => e.details.messageId === m.id).length, 1);
      }
      const sentRows = all.filter((m) => m.status === 'sent');
      assert.equal(t.state.delivered.length, sentRows.length, 'nothing was delivered twice');

      // no expired, replaced or ended code delivered; only codes still usable when mail returned went out
      for (const m of codeRows.filter((r) => r.status === 'sent')) {
        assert.ok(m.sentAt! < m.expiresAt!, `a code delivered at +${(m.sentAt! - T0) / MIN} min expired earlier`);
        assert.ok(m.sentAt! >= outageEnds);
      }
      const codeIdsSent = codeRows.filter((r) => r.status === 'sent').map((r) => r.codeId);
      for (const id of codeIdsSent) {
        const code = await h.store.flows.getCode(id!);
        assert.equal(code?.supersededAt, null, 'a delivered code was not replaced');
      }
      assert.ok(
        codeRows.some((r) => r.status === 'sent'),
        'codes queued within their lifetime of the end of the outage are delivered',
      );
      assert.ok(codeRows.some((r) => r.status === 'expired'));

      const failed = all.filter((m) => m.status === 'failed').length;
      const lost =
        noticeRows.filter((m) => m.status !== 'sent').length + codeRows.filter((m) => m.status === 'failed').length;
      console.log(
        `2-hour outage: ${noticeRows.length} notices, ${codeRows.length} code messages (${codeRows.filter((r) => r.status === 'sent').length} delivered, ${codeRows.filter((r) => r.status === 'expired').length} expired or replaced), ${t.state.refused} refusals, ${failed} failed — messages lost: ${lost}`,
      );
      assert.equal(failed, 0);
      assert.equal(lost, 0, 'messages lost');
    } finally {
      await h.close();
    }
  });
});
