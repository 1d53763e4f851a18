import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { argon2Hasher } from '../../src/adapters/crypto/argon2-hasher.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { DEFAULT_SIGNIN_POLICY } from '../../src/core/signin-policy.ts';
import type { Actor } from '../../src/core/admin-rules.ts';
import { AdminService } from '../../src/service/admin-service.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { SessionService } from '../../src/service/session-service.ts';
import { createResetHarness, PUBLIC_URL, RC, type ResetHarness } from '../helpers/reset-harness.ts';
import { completeSecondStep } from '../helpers/console-factor-kit.ts';
import { ConsoleFactorService } from '../../src/service/console-factor-service.ts';

/**
 * Issue 10, item 1: every path that sets a password (rows) has every effect of a password
 * change (columns), on SQLite. Before the paths were one unit of work each did a subset: the CLI
 * left assisted links and the temporary password alive, kept the history neither recorded nor
 * enforced and told nobody; the assisted link told no other admin; the signed-in change sent no
 * notice and kept the sign-in throttling. Each of those cells fails on the old code.
 *
 * The account is Bob (admin2@, an admin, both methods), so "other admins" applies on every
 * path; Ada (global admin) acts where an admin acts; Cy (admin3@) is the other admin who must be
 * told every time (Ada is not told about her own action).
 */
const BOB = 'admin2@contoso.example';
const BOB_MAIL = 'bob.home@personal.example';
const BOB_PHONE = '+15555550102';
const ADA = 'admin@contoso.example';
const CY = 'admin3@contoso.example';
const ORIGINAL = 'original passphrase words';
const NEW = 'quiet meadow lantern falcon';

type Path = 'self-service' | 'assisted-link' | 'temp-password' | 'signed-in' | 'cli';

interface Effects {
  /** Every reset flow started before is completed or expired, and has no live code. */
  readonly flowsEnded: boolean;
  /** The assisted link issued before is completed or superseded. */
  readonly assistedLinksEnded: boolean;
  /** The temporary password set before: gone (`cleared`), or replaced by the new one (`replaced`). */
  readonly tempPassword: 'cleared' | 'replaced' | 'kept';
  readonly sessionsRevoked: boolean;
  readonly blockCleared: boolean;
  readonly signinThrottlingCleared: boolean;
  /** The password before the change is in the history. */
  readonly historyRecorded: boolean;
  /** A password from the history is refused by the same path, and changes nothing (null: the path generates it). */
  readonly historyEnforced: boolean | null;
  /** The actor of the change's audit event. */
  readonly auditActor: string;
  readonly noticeToAccount: boolean;
  readonly noticeToOtherAdmins: boolean;
}

interface Row {
  readonly path: Path;
  readonly event: string;
  readonly expected: (ids: { ada: string }) => Effects;
}

const ALL: Omit<Effects, 'auditActor'> = {
  flowsEnded: true,
  assistedLinksEnded: true,
  tempPassword: 'cleared',
  sessionsRevoked: true,
  blockCleared: true,
  signinThrottlingCleared: true,
  historyRecorded: true,
  historyEnforced: true,
  noticeToAccount: true,
  noticeToOtherAdmins: true,
};

const ROWS: readonly Row[] = [
  { path: 'self-service', event: 'password.changed', expected: () => ({ ...ALL, auditActor: 'self' }) },
  { path: 'assisted-link', event: 'password.changed', expected: () => ({ ...ALL, auditActor: 'self' }) },
  {
    path: 'temp-password',
    event: 'admin.temp_password_set',
    expected: ({ ada }) => ({ ...ALL, tempPassword: 'replaced', historyEnforced: null, auditActor: `admin:${ada}` }),
  },
  { path: 'signed-in', event: 'password.changed', expected: () => ({ ...ALL, auditActor: 'self' }) },
  {
    path: 'cli',
    event: 'account.password_set',
    // the CLI proves nothing about the person: blocks and throttling stay (CREDENTIAL_PATHS)
    expected: () => ({ ...ALL, blockCleared: false, signinThrottlingCleared: false, auditActor: 'cli' }),
  },
];

function must<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r.value;
}

async function world(h: ResetHarness) {
  const admin = new AdminService({
    store: h.store,
    keyring: h.keyring,
    random: cryptoRandom,
    clock: h.clock,
    hasher: argon2Hasher,
    outbox: { wake() {} },
    publicUrl: PUBLIC_URL,
    resetPolicy: h.policy,
  });
  const sessions = new SessionService({
    store: h.store,
    keyring: h.keyring,
    random: cryptoRandom,
    clock: h.clock,
    hasher: argon2Hasher,
    policy: DEFAULT_SIGNIN_POLICY,
  });
  must(
    await h.directory.addUser({ login: CY, displayName: 'Cy Third', role: 'admin', password: ORIGINAL, actor: 'test' }),
  );
  const ada = (await h.store.directory.findAccountByLogin(ADA))!;
  const bob = (await h.store.directory.findAccountByLogin(BOB))!;
  const cy = (await h.store.directory.findAccountByLogin(CY))!;
  const consoles = {
    store: h.store,
    keyring: h.keyring,
    clock: h.clock,
    consoleFactors: new ConsoleFactorService({
      store: h.store,
      keyring: h.keyring,
      random: cryptoRandom,
      clock: h.clock,
      outbox: { wake() {} },
      policy: DEFAULT_SIGNIN_POLICY,
      publicUrl: PUBLIC_URL,
    }),
  };
  return { admin, sessions, consoles, ada, bob, cy, actor: { kind: 'admin', account: ada } satisfies Actor };
}

/** Bob's self-service reset through both gates (email link, phone number, SMS code), up to the new password. */
async function resetToNewPassword(h: ResetHarness): Promise<FlowHandle> {
  const started = must(await h.reset.start(BOB, RC));
  let handle: FlowHandle = started;
  const link = must(await h.reset.consumeLink(await h.lastLinkToken(BOB_MAIL), handle, RC));
  handle = { flowId: handle.flowId, secret: link.secret };
  const phone = must(await h.reset.submitPhone(handle, BOB_PHONE, RC));
  handle = { flowId: handle.flowId, secret: phone.secret };
  const code = must(await h.reset.submitCode(handle, await h.lastCode(BOB_PHONE), RC));
  assert.equal(code.view.state, 'new_password');
  return { flowId: handle.flowId, secret: code.secret };
}

async function runRow(row: Row): Promise<{ actual: Effects; expected: Effects }> {
  const h = await createResetHarness();
  try {
    const w = await world(h);
    // --- what the old password opened: a temporary password, a session, an assisted link, a reset
    const temp = must(await w.admin.assistedReset(w.actor, w.bob.id, 'temp_password', RC));
    assert.equal(temp.mode, 'temp_password');
    const tempPassword = temp.mode === 'temp_password' ? temp.tempPassword : '';
    const pending = must(await w.sessions.signIn(BOB, tempPassword, RC));
    const signedIn = { token: await completeSecondStep(w.consoles, pending, BOB) };
    const auth = (await w.sessions.authenticate(signedIn.token))!;
    assert.ok(auth, 'signed in with the temporary password');
    must(await w.admin.assistedReset(w.actor, w.bob.id, 'link', RC));
    const linkToken = (await h.messages())
      .filter((m) => m.to === BOB_MAIL && m.template === 'admin.reset_link')
      .at(-1)!
      .text.match(/\/reset\/assisted\?t=([A-Za-z0-9_-]+)/)![1]!;
    const flows: string[] = [];
    let handle: FlowHandle | null = null;
    if (row.path === 'self-service') {
      flows.push(must(await h.reset.start(BOB, RC)).flowId);
      h.clock.advance(1000); // the newest email is then the second flow's
      handle = await resetToNewPassword(h);
      flows.push(handle.flowId);
    } else {
      flows.push(must(await h.reset.start(BOB, RC)).flowId);
    }
    if (row.path !== 'self-service') assert.ok(await h.store.flows.liveCode(flows[0]!, 'email'), 'a live reset code');
    const linkBefore = (await h.store.admin.findLinkByTokenHash(h.keyring.hmac('assisted-link', linkToken)))!;
    assert.equal(linkBefore.supersededAt ?? linkBefore.completedAt, null, 'a live assisted link');
    assert.ok(await h.store.admin.getTempPassword(w.bob.id), 'a temporary password');
    // wrong passwords and a self-service block, last (a block pauses the reset's SMS)
    for (let i = 0; i < 3; i++) await h.store.auth.recordSigninFailure(w.bob.id, h.clock.now());
    await h.store.lockouts.block(w.bob.id, h.clock.now());
    assert.ok(await h.store.auth.getSigninGuard(w.bob.id));
    assert.ok(await h.store.lockouts.blockedAt(w.bob.id));

    // --- the change, through the row's path; first with a password from the history
    const path = row.path;
    let grant = '';
    if (path === 'assisted-link') {
      grant = must(await w.admin.assisted.redeem(linkToken, RC)).grant;
    }
    const change = async (password: string): Promise<{ ok: boolean; error?: string }> => {
      switch (path) {
        case 'self-service':
          return h.reset.setPassword(handle!, password, password, RC);
        case 'assisted-link':
          return w.admin.assisted.setPassword(grant, password, password, RC);
        case 'temp-password':
          return w.admin.assistedReset(w.actor, w.bob.id, 'temp_password', RC);
        case 'signed-in':
          return w.sessions.changePassword(auth, tempPassword, password, password, RC);
        case 'cli':
          return h.directory.setPassword({ login: BOB, password, actor: 'cli' });
      }
    };
    let historyEnforced: boolean | null = null;
    const hashBefore = (await h.store.directory.getAccount(w.bob.id))!.passwordHash!;
    if (path !== 'temp-password') {
      const reused = await change(ORIGINAL);
      const unchanged = (await h.store.directory.getAccount(w.bob.id))!.passwordHash === hashBefore;
      historyEnforced = !reused.ok && reused.error === 'password_reused' && unchanged;
    }
    const seen = new Set((await h.messages()).map((m) => m.id));
    const eventsBefore = (await h.store.audit.list({ accountId: w.bob.id, type: row.event, limit: 100 })).length;
    const done = await change(NEW);
    assert.ok(done.ok, `the change through ${path}: ${JSON.stringify(done)}`);

    // --- the effects
    const after = (await h.store.directory.getAccount(w.bob.id))!;
    assert.notEqual(after.passwordHash, hashBefore, 'the password changed');
    let flowsEnded = true;
    for (const id of flows) {
      const f = (await h.store.flows.get(id))!;
      const live = (await h.store.flows.liveCode(id, 'email')) ?? (await h.store.flows.liveCode(id, 'sms'));
      if (!(f.state === 'completed' || f.state === 'expired') || live) flowsEnded = false;
    }
    const link = (await h.store.admin.findLinkByTokenHash(h.keyring.hmac('assisted-link', linkToken)))!;
    const tempRecord = await h.store.admin.getTempPassword(w.bob.id);
    const history = await h.store.passwordHistory.recent(w.bob.id, 10);
    const events = await h.store.audit.list({ accountId: w.bob.id, type: row.event, limit: 100 });
    assert.equal(events.length, eventsBefore + 1, `one ${row.event} event`);
    const fresh = (await h.messages()).filter((m) => !seen.has(m.id));
    const actual: Effects = {
      flowsEnded,
      assistedLinksEnded: link.completedAt !== null || link.supersededAt !== null,
      tempPassword:
        tempRecord === null ? 'cleared' : tempRecord.passwordHash === after.passwordHash ? 'replaced' : 'kept',
      sessionsRevoked: (await w.sessions.authenticate(signedIn.token)) === null,
      blockCleared: (await h.store.lockouts.blockedAt(w.bob.id)) === null,
      signinThrottlingCleared: (await h.store.auth.getSigninGuard(w.bob.id)) === null,
      historyRecorded: history.includes(hashBefore),
      historyEnforced,
      // the newest event of the change's type (list is newest first)
      auditActor: events[0]!.actor,
      noticeToAccount: [BOB, BOB_MAIL].every((to) => fresh.some((m) => m.to === to && m.channel === 'email')),
      noticeToOtherAdmins: fresh.some((m) => m.to === CY && m.text.includes(BOB)),
    };
    return { actual, expected: row.expected({ ada: w.ada.id }) };
  } finally {
    await h.close();
  }
}

describe('one credential change: every path has every effect (issue 10, item 1)', () => {
  for (const row of ROWS) {
    test(`${row.path}: flows, codes, links, assisted links, temporary password and sessions ended; blocks and throttling per the path; history recorded and enforced; audited with the actor; the account and the other admins told`, async () => {
      const { actual, expected } = await runRow(row);
      assert.deepEqual(actual, expected);
    });
  }
});
