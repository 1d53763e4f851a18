import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SUPERSEDED_CHECKED, type FlowRecord, type NewCode } from '../../src/ports/flow-store.ts';
import type { SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { T0, seed, sharedStore, uid, type OpenStore } from './contract-kit.ts';

function flow(over: Partial<FlowRecord> & Pick<FlowRecord, 'id'>): FlowRecord {
  return {
    tenantId: null,
    accountId: null,
    deliverable: false,
    login: 'nobody@nowhere.example',
    gates: ['email'],
    accepts: null,
    passed: 0,
    state: 'email_code',
    bindingHash: 'binding',
    prevBindingHash: null,
    prevBindingUntil: null,
    maskedEmail: 'n•••@x.example',
    createdAt: T0,
    firstSentAt: null,
    lastSentAt: null,
    codesSent: 0,
    completedAt: null,
    ip: '192.0.2.1',
    userAgent: 'ua',
    version: 0,
    ...over,
  };
}

function code(flowId: string, over: Partial<NewCode> = {}): NewCode {
  return {
    id: uid('code'),
    flowId,
    channel: 'email',
    codeHash: uid('hash'),
    linkHash: null,
    sentAt: T0,
    expiresAt: T0 + 600_000,
    ...over,
  };
}

/** A flow of a fresh account (tenant and account created), stored. */
async function accountFlow(store: SqlStore, over: Partial<FlowRecord> = {}): Promise<FlowRecord> {
  const { tenant, accounts } = await seed(store);
  const f = flow({
    id: uid('flow'),
    tenantId: tenant.id,
    accountId: accounts[0]!.id,
    login: accounts[0]!.login,
    ...over,
  });
  await store.flows.create(f);
  return f;
}

/** The FlowRepo contract: reset flows, their codes, the attempt guard, sending counts, CAPTCHA records, password history. */
export function flowRepoContract(name: string, open: OpenStore): void {
  describe(`FlowRepo contract: ${name}`, () => {
    const store = sharedStore(open);

    test('create and get round-trip every field; get of an unknown id is null', async () => {
      const f = await accountFlow(store(), {
        gates: ['email', 'sms'],
        accepts: [['email'], ['sms', 'totp', 'passkey']],
        deliverable: true,
        prevBindingHash: 'prev',
        prevBindingUntil: T0 + 5,
        firstSentAt: T0 + 1,
        lastSentAt: T0 + 2,
        codesSent: 2,
      });
      assert.deepEqual(await store().flows.get(f.id), f);
      assert.equal(await store().flows.get('no-such-flow'), null);
    });

    test('update applies only at the version read (compare-and-set) and bumps it', async () => {
      const f = await accountFlow(store());
      const updated = await store().flows.update(f.id, 0, { state: 'sms_code', passed: 1, lastSentAt: T0 + 9 });
      assert.deepEqual(updated, { ...f, state: 'sms_code', passed: 1, lastSentAt: T0 + 9, version: 1 });
      assert.equal(await store().flows.update(f.id, 0, { state: 'completed' }), null, 'a stale version loses');
      assert.equal(await store().flows.update('no-such-flow', 0, { state: 'completed' }), null);
      assert.equal((await store().flows.get(f.id))?.state, 'sms_code');
    });

    test('two updates racing on one version: exactly one wins', async () => {
      const f = await accountFlow(store());
      const results = await Promise.all([
        store().flows.update(f.id, 0, { passed: 1 }),
        store().flows.update(f.id, 0, { passed: 2 }),
      ]);
      assert.equal(results.filter((r) => r !== null).length, 1);
    });

    test('issueCode supersedes the earlier live code (unless supersede: false); discard stores nothing; liveCode is the newest live one', async () => {
      const f = await accountFlow(store());
      const first = code(f.id, { sentAt: T0 });
      await store().flows.issueCode(first, { supersede: false });
      assert.deepEqual(await store().flows.liveCode(f.id, 'email'), {
        ...first,
        attempts: 0,
        usedAt: null,
        supersededAt: null,
      });
      assert.equal(await store().flows.liveCode(f.id, 'sms'), null, 'per channel');
      const second = code(f.id, { sentAt: T0 + 60_000 });
      await store().flows.issueCode(second);
      assert.equal((await store().flows.liveCode(f.id, 'email'))?.id, second.id);
      assert.equal((await store().flows.getCode(first.id))?.supersededAt, T0 + 60_000);
      const discarded = code(f.id, { sentAt: T0 + 120_000 });
      await store().flows.issueCode(discarded, { discard: true, supersede: false });
      assert.equal(await store().flows.getCode(discarded.id), null);
      assert.equal((await store().flows.liveCode(f.id, 'email'))?.id, second.id);
      assert.equal(await store().flows.getCode('no-such-code'), null);
    });

    test('findByLinkHash finds the code of a link; unknown → null', async () => {
      const f = await accountFlow(store());
      const c = code(f.id, { linkHash: uid('link') });
      await store().flows.issueCode(c);
      assert.equal((await store().flows.findByLinkHash(c.linkHash!))?.id, c.id);
      assert.equal(await store().flows.findByLinkHash('no-such-link'), null);
    });

    test('countAttempt counts up to max, then null; never on a used or superseded code', async () => {
      const f = await accountFlow(store());
      const c = code(f.id);
      await store().flows.issueCode(c);
      assert.deepEqual(
        [
          await store().flows.countAttempt(c.id, 2),
          await store().flows.countAttempt(c.id, 2),
          await store().flows.countAttempt(c.id, 2),
        ],
        [1, 2, null],
      );
      const parallel = code(f.id);
      await store().flows.issueCode(parallel);
      const counts = await Promise.all(Array.from({ length: 8 }, () => store().flows.countAttempt(parallel.id, 5)));
      assert.deepEqual(counts.filter((n) => n !== null).sort(), [1, 2, 3, 4, 5], 'in parallel too');
      assert.equal(await store().flows.countAttempt(c.id, 9), null, 'superseded by the next code');
      const used = code(f.id);
      await store().flows.issueCode(used);
      assert.equal(await store().flows.consumeCode(used.id, T0), true);
      assert.equal(await store().flows.countAttempt(used.id, 9), null, 'used');
      assert.equal(await store().flows.countAttempt('no-such-code', 9), null);
    });

    test('consumeCode: true for exactly one caller; false once superseded', async () => {
      const f = await accountFlow(store());
      const c = code(f.id);
      await store().flows.issueCode(c);
      const results = await Promise.all([
        store().flows.consumeCode(c.id, T0 + 1),
        store().flows.consumeCode(c.id, T0 + 2),
      ]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await store().flows.liveCode(f.id, 'email'), null, 'a used code is not live');
      const old = code(f.id);
      await store().flows.issueCode(old);
      await store().flows.issueCode(code(f.id));
      assert.equal(await store().flows.consumeCode(old.id, T0), false);
    });

    test("endAccountFlows expires the account's other open flows and supersedes their codes; completed flows and other accounts untouched", async () => {
      const kept = await accountFlow(store());
      const other = flow({ ...kept, id: uid('flow') });
      const done = flow({ ...kept, id: uid('flow'), state: 'completed' });
      await store().flows.create(other);
      await store().flows.create(done);
      const stranger = await accountFlow(store());
      const codes = { kept: code(kept.id), other: code(other.id), stranger: code(stranger.id) };
      for (const c of Object.values(codes)) await store().flows.issueCode(c);
      await store().flows.endAccountFlows(kept.accountId!, kept.id, T0 + 7);
      assert.equal((await store().flows.get(kept.id))?.state, 'email_code', 'the except flow stays');
      assert.equal((await store().flows.get(other.id))?.state, 'expired');
      assert.equal((await store().flows.get(other.id))?.version, 1, 'the end bumps the version');
      assert.equal((await store().flows.get(done.id))?.state, 'completed');
      assert.equal((await store().flows.get(stranger.id))?.state, 'email_code');
      assert.equal(
        (await store().flows.getCode(codes.kept.id))?.supersededAt,
        T0 + 7,
        'every live code of the account',
      );
      assert.equal((await store().flows.getCode(codes.other.id))?.supersededAt, T0 + 7);
      assert.equal((await store().flows.getCode(codes.stranger.id))?.supersededAt, null);
    });

    test("endEarlierFlows ends the account's flows and the login's account-less ones; endLoginFlows only the account-less ones of the login", async () => {
      const mine = await accountFlow(store());
      const login = mine.login;
      const accountless = flow({ id: uid('flow'), login });
      const otherLogin = flow({ id: uid('flow'), login: 'else@nowhere.example' });
      await store().flows.create(accountless);
      await store().flows.create(otherLogin);
      await store().flows.endLoginFlows(login, T0 + 1);
      assert.equal((await store().flows.get(accountless.id))?.state, 'expired');
      assert.equal(
        (await store().flows.get(mine.id))?.state,
        'email_code',
        'a flow with an account is not a login flow',
      );
      const again = flow({ id: uid('flow'), login });
      await store().flows.create(again);
      await store().flows.endEarlierFlows(login, mine.accountId!, T0 + 2);
      assert.equal((await store().flows.get(mine.id))?.state, 'expired');
      assert.equal((await store().flows.get(again.id))?.state, 'expired');
      assert.equal((await store().flows.get(otherLogin.id))?.state, 'email_code');
    });

    test('codesToCheck reads the live code and the replaced, unused ones (newest first) of a channel in one go', async () => {
      const f = await accountFlow(store());
      const a = code(f.id, { sentAt: T0 });
      const b = code(f.id, { sentAt: T0 + 1 });
      const c = code(f.id, { sentAt: T0 + 2 });
      const d = code(f.id, { sentAt: T0 + 3 });
      for (const x of [a, b, c, d]) await store().flows.issueCode(x);
      // a replaced code cannot be used, so it stays among those compared
      assert.equal(await store().flows.consumeCode(b.id, T0 + 4), false);
      const checked = await store().flows.codesToCheck(f.id, 'email');
      assert.equal(checked.live?.id, d.id);
      assert.deepEqual(
        checked.superseded.map((x) => x.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(checked.live, await store().flows.liveCode(f.id, 'email'));
      assert.deepEqual(await store().flows.codesToCheck(f.id, 'sms'), { live: null, superseded: [] });
      // once the live code is used it is in neither list; the replaced ones stay
      assert.equal(await store().flows.consumeCode(d.id, T0 + 5), true);
      const after = await store().flows.codesToCheck(f.id, 'email');
      assert.equal(after.live, null);
      assert.deepEqual(
        after.superseded.map((x) => x.id),
        [c.id, b.id, a.id],
      );
    });

    test('codesToCheck compares at most SUPERSEDED_CHECKED replaced codes, the newest', async () => {
      const f = await accountFlow(store());
      const codes = Array.from({ length: SUPERSEDED_CHECKED + 3 }, (_, i) => code(f.id, { sentAt: T0 + i }));
      for (const x of codes) await store().flows.issueCode(x);
      const checked = await store().flows.codesToCheck(f.id, 'email');
      assert.equal(checked.live?.id, codes.at(-1)!.id);
      assert.deepEqual(
        checked.superseded.map((x) => x.id),
        codes
          .slice(0, -1)
          .reverse()
          .slice(0, SUPERSEDED_CHECKED)
          .map((x) => x.id),
      );
    });

    test('lockGuard runs inside a transaction (and serialises one subject on a server database)', async () => {
      const order: string[] = [];
      await Promise.all(
        ['a', 'b'].map((n) =>
          store().transaction(async (tx) => {
            await tx.lockouts.lockGuard('subject-1');
            order.push(`${n}:in`);
            await new Promise<void>((resolve) => setImmediate(resolve));
            order.push(`${n}:out`);
          }),
        ),
      );
      assert.equal(order.length, 4);
      assert.equal(order[0]!.slice(0, 1), order[1]!.slice(0, 1), `one holder at a time: ${order.join(' ')}`);
    });

    test('the attempt guard: failures counted since a time, a block and its start, clearGuard removes both', async () => {
      const subject = uid('login:hmac');
      await store().lockouts.recordFailure(subject, T0);
      await store().lockouts.recordFailure(subject, T0 + 10);
      await store().lockouts.recordFailure(subject, T0 + 20);
      assert.equal(await store().lockouts.countFailures(subject, T0 + 10), 2, 'since is inclusive');
      assert.equal(await store().lockouts.countFailures('no-such-subject', 0), 0);
      assert.equal(await store().lockouts.blockedAt(subject), null);
      await store().lockouts.block(subject, T0 + 30);
      assert.equal(await store().lockouts.blockedAt(subject), T0 + 30);
      await store().lockouts.clearGuard(subject);
      assert.equal(await store().lockouts.blockedAt(subject), null);
      assert.equal(await store().lockouts.countFailures(subject, 0), 0);
    });

    test('countMessages counts queued messages per channel since a time, of an account or a tenant', async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user']);
      const [a, b] = accounts;
      const enqueue = (accountId: string, channel: 'email' | 'sms', now: number) =>
        store().outbox.enqueue({
          id: uid('msg'),
          tenantId: tenant.id,
          accountId,
          channel,
          template: 't',
          recipientSealed: 'r',
          payloadSealed: 'p',
          expiresAt: null,
          now,
        });
      await enqueue(a!.id, 'sms', T0);
      await enqueue(a!.id, 'sms', T0 + 10);
      await enqueue(b!.id, 'sms', T0 + 10);
      await enqueue(a!.id, 'email', T0 + 10);
      assert.equal(await store().flows.countMessages({ accountId: a!.id, channel: 'sms', since: T0 }), 2);
      assert.equal(await store().flows.countMessages({ accountId: a!.id, channel: 'sms', since: T0 + 1 }), 1);
      assert.equal(await store().flows.countMessages({ tenantId: tenant.id, channel: 'sms', since: T0 }), 3);
      assert.equal(await store().flows.countMessages({ accountId: a!.id, channel: 'email', since: T0 }), 1);
      assert.equal(await store().flows.countMessages({ tenantId: 'no-such-tenant', channel: 'sms', since: 0 }), 0);
    });

    test('countMessages by kind: code/link messages have a lifetime, notices none; a refused notice is stored ended', async () => {
      const { tenant, accounts } = await seed(store(), ['user']);
      const [a] = accounts;
      const enqueue = (expiresAt: number | null, refused?: string) =>
        store().outbox.enqueue({
          id: uid('msg'),
          tenantId: tenant.id,
          accountId: a!.id,
          channel: 'email',
          template: 't',
          recipientSealed: 'r',
          payloadSealed: 'p',
          expiresAt,
          ...(refused ? { refused } : {}),
          now: T0,
        });
      await enqueue(T0 + 600_000);
      await enqueue(null);
      await enqueue(null);
      await enqueue(null, 'account_notice_limit');
      const count = (kind?: 'code' | 'notice') =>
        store().flows.countMessages({ accountId: a!.id, channel: 'email', since: T0, ...(kind ? { kind } : {}) });
      assert.equal(await count(), 4);
      assert.equal(await count('code'), 1);
      assert.equal(await count('notice'), 3);
      const refused = (await store().outbox.list({ status: 'expired', limit: 1000 })).filter(
        (m) => m.accountId === a!.id,
      );
      assert.equal(refused.length, 1);
      assert.equal(refused[0]!.lastError, 'account_notice_limit');
      assert.equal(refused[0]!.payloadSealed, null);
      assert.equal(refused[0]!.recipientSealed, null);
      assert.equal(refused[0]!.finishedAt, T0);
    });

    test('alternateEmailDomains: one domain per account with an email, at most limit', async () => {
      const { tenant, accounts } = await seed(store(), ['user', 'user', 'user', 'user']);
      await store().directory.setMethod(accounts[0]!.id, 'email', 'x@alpha.example', T0, T0);
      await store().directory.setMethod(accounts[1]!.id, 'email', 'y@beta.example', null, T0);
      await store().directory.setMethod(accounts[2]!.id, 'phone', '+15555550100', T0, T0);
      assert.deepEqual((await store().directory.alternateEmailDomains(tenant.id, 10)).sort(), [
        'alpha.example',
        'beta.example',
      ]);
      assert.equal((await store().directory.alternateEmailDomains(tenant.id, 1)).length, 1);
      assert.deepEqual(await store().directory.alternateEmailDomains('no-such-tenant', 10), []);
    });

    test('markCaptchaUsed: true the first time, false after (also in parallel)', async () => {
      const signature = uid('sig');
      const results = await Promise.all([
        store().captchas.markUsed(signature, T0 + 600_000),
        store().captchas.markUsed(signature, T0 + 600_000),
      ]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await store().captchas.markUsed(signature, T0 + 600_000), false);
    });

    test('password history: the most recent hashes, newest first, at most limit', async () => {
      const { accounts } = await seed(store());
      const id = accounts[0]!.id;
      await store().passwordHistory.add(id, 'h1', T0);
      await store().passwordHistory.add(id, 'h3', T0 + 2);
      await store().passwordHistory.add(id, 'h2', T0 + 1);
      assert.deepEqual(await store().passwordHistory.recent(id, 2), ['h3', 'h2']);
      assert.deepEqual(await store().passwordHistory.recent(id, 10), ['h3', 'h2', 'h1']);
      assert.deepEqual(await store().passwordHistory.recent('no-such-account', 10), []);
    });
  });
}
