/**
 * The system and the model for the model-based test of the reset flow rules (issue 9, item 13).
 *
 * The system is the real thing minus HTTP: ResetService, DirectoryService, AdminService (with its
 * AssistedResetService), SessionService and the OutboxWorker on a real SQLite store with a
 * settable clock, a mailer and an SMS sender that record what they delivered (and can be "down"),
 * and argon2id with the smallest parameters so that password changes cost microseconds.
 *
 * The model is deliberately small: it does not re-implement the flow. It records what was issued
 * (flows and their binding secrets, codes and links as they were queued, assisted links, session
 * tokens), the events that must end earlier artifacts (a new start, a password change by any path,
 * an assisted reset, the start of a block) as a sequence number per account, and checks eight rules
 * (RULES below) after every step. Each broken rule throws a `RuleViolation` naming the rule.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { MemoryLimiter } from '../../src/adapters/memory-limiter.ts';
import { DirectoryService } from '../../src/service/directory-service.ts';
import { ResetService, type FlowView } from '../../src/service/reset-service.ts';
import type { RequestContext } from '../../src/service/request-context.ts';
import { AdminService } from '../../src/service/admin-service.ts';
import { SessionService } from '../../src/service/session-service.ts';
import { OutboxWorker } from '../../src/service/outbox-worker.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import { DEFAULT_RESET_POLICY, isBlocked, type ResetPolicy } from '../../src/core/reset-policy.ts';
import { FLOW_TRANSITIONS, transition, type FlowEvent, type FlowState } from '../../src/core/reset-flow.ts';
import { DEFAULT_TENANT_POLICY } from '../../src/core/directory-model.ts';
import { DEFAULT_SIGNIN_POLICY } from '../../src/core/signin-policy.ts';
import type { Actor } from '../../src/core/admin-rules.ts';
import type { PasswordHasher } from '../../src/ports/password-hasher.ts';
import type { DeliveryResult } from '../../src/ports/messaging.ts';
import { ConsoleFactorService } from '../../src/service/console-factor-service.ts';
import type { completeSecondStep } from '../helpers/console-factor-kit.ts';

export const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);
const PUBLIC_URL = 'https://reset.example.com';
const TENANT_DOMAIN = 'contoso.example';
const MINUTE = 60_000;

/** The rules checked after every step; `SSPR_MODEL_RULES=a,b` asserts only those (the others are still observed). */
export const RULES = [
  'one-live-flow',
  'five-guesses-per-24h',
  'nothing-old-works',
  'previous-binding-inert',
  'no-stale-delivery',
  'same-start-answer',
  'superseded-code-not-a-guess',
  'moves-by-transition',
] as const;
export type Rule = (typeof RULES)[number];

/** How often each situation a rule looks at came up, over every sequence of the process (printed by the test). */
export const coverage = new Map<string, number>();
export function tally(what: string): void {
  coverage.set(what, (coverage.get(what) ?? 0) + 1);
}

export class RuleViolation extends Error {
  constructor(
    readonly rule: Rule,
    detail: string,
  ) {
    super(`[rule ${rule}] ${detail}`);
  }
}

/** Who a start is for: each is one state an account can be in. */
export type Who = 'user' | 'admin' | 'disabled' | 'nomethod' | 'unknown';
export const WHO: readonly Who[] = ['user', 'admin', 'disabled', 'nomethod', 'unknown'];
/** Accounts whose password the commands change. */
export type Owner = 'user' | 'admin';

const LOGIN: Record<Who | 'admin2', string> = {
  user: `user@${TENANT_DOMAIN}`,
  admin: `admin@${TENANT_DOMAIN}`,
  admin2: `admin2@${TENANT_DOMAIN}`,
  disabled: `disabled@${TENANT_DOMAIN}`,
  nomethod: `emailless@${TENANT_DOMAIN}`,
  unknown: `nobody@${TENANT_DOMAIN}`,
};
/** An unknown login of the same tenant for each, started alongside it: its answer is what the login's must look like. */
const TWIN: Record<Who, string> = {
  user: `usex@${TENANT_DOMAIN}`,
  admin: `admix@${TENANT_DOMAIN}`,
  disabled: `disablex@${TENANT_DOMAIN}`,
  nomethod: `emaillesx@${TENANT_DOMAIN}`,
  unknown: `nobodx@${TENANT_DOMAIN}`,
};

export type Binding = 'current' | 'previous' | 'foreign';

export interface IssuedCode {
  readonly flow: ModelFlow;
  readonly channel: 'email' | 'sms';
  readonly code: string;
  /** The email link's token (email codes only). */
  readonly link: string | null;
  readonly to: string;
  readonly issuedAt: number;
  usedAt: number | null;
}

export interface ModelFlow {
  /** Order of creation (0, 1, …), for counterexamples. */
  readonly n: number;
  readonly who: Who;
  readonly accountId: string | null;
  readonly flowId: string;
  /** Step sequence number of the start. */
  readonly seq: number;
  readonly createdAt: number;
  secret: string;
  /** Earlier binding secrets, oldest first. */
  readonly previous: string[];
  completed: boolean;
  readonly codes: IssuedCode[];
}

interface AccountModel {
  readonly who: Who | 'admin2';
  readonly id: string;
  readonly login: string;
  password: string;
  /** Artifacts issued at a step before this one are void (new start, password change, assisted reset, block). */
  endSeq: number;
  endReason: string;
  /** Assisted links issued before this step are void (a password change, a newer assisted reset). */
  linkEndSeq: number;
  linkEndReason: string;
  /** The step of the last password change (the failure count starts again after it). */
  changedSeq: number;
  /** The `code.rejected`/`mismatch` audit events seen so far: when, and after which step. */
  mismatches: { at: number; seq: number }[];
  blockEvents: number;
  sessions: { token: string; seq: number }[];
}

export interface AssistedLink {
  readonly n: number;
  readonly owner: Owner;
  readonly token: string;
  readonly seq: number;
  readonly issuedAt: number;
}

export interface Delivered {
  readonly channel: 'email' | 'sms';
  readonly to: string;
  readonly text: string;
  readonly at: number;
}

type StartShape = Record<string, unknown>;

export interface ModelKit {
  readonly store: SqlStore;
  readonly reset: ResetService;
  readonly directory: DirectoryService;
  readonly admin: AdminService;
  readonly sessions: SessionService;
  /** What test/helpers/console-factor-kit.ts needs to pass an administrator's second step. */
  readonly consoles: Parameters<typeof completeSecondStep>[0];
  readonly worker: OutboxWorker;
  readonly policy: ResetPolicy;
  readonly clock: { now(): number; advance(ms: number): void };
  readonly flows: ModelFlow[];
  readonly assistedLinks: AssistedLink[];
  readonly delivered: Delivered[];
  mailDown: boolean;
  seq: number;
  /** What the run did, for the failure message. */
  readonly log: string[];
  account(who: Who | 'admin2'): AccountModel | null;
  nextPassword(): string;
  nextIp(): RequestContext;
  /** Starts for `who` and its unknown twin at the same instant; records the flow; checks the answer. */
  start(who: Who): Promise<ModelFlow | null>;
  secretFor(flow: ModelFlow, binding: Binding): string;
  /** Whether the model says artifacts of this flow must no longer work, and why. */
  deadReason(flow: ModelFlow): string | null;
  /** Records the messages queued since the last call (codes go to `flow`, assisted links to their owner). */
  collect(flow: ModelFlow | null): Promise<void>;
  /** Records a password change of `owner` at this step. */
  passwordChanged(owner: Owner | 'admin2', password: string, how: string): Promise<void>;
  /** Marks earlier artifacts of the account void from this step on (not a password change). */
  endEarlier(who: Who | 'admin2', reason: string): void;
  /** Marks earlier assisted links of the account void from this step on. */
  endLinks(owner: Owner | 'admin2', reason: string): void;
  /** Whether the model says this assisted link must no longer work, and why. */
  linkDeadReason(link: AssistedLink): string | null;
  /** The phone number on file (a wrong one for unknown logins). */
  phoneOf(who: Who): string;
  violation(rule: Rule, detail: string): void;
  /** The rules checked after every step. */
  checkAfterStep(): Promise<void>;
  close(): Promise<void>;
}

/** Argon2id with the smallest parameters argon2 allows: the same code path, microseconds per hash. */
const cheapHasher: PasswordHasher = {
  hash: (password) => argonHash(password, { algorithm: 2, memoryCost: 8, timeCost: 1, parallelism: 1 }),
  verify: async (phc, password) => {
    try {
      return await argonVerify(phc, password);
    } catch {
      return false;
    }
  },
};

const noop = (): void => {};
const silentLogger = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child: () => silentLogger };

function enforcedRules(): ReadonlySet<Rule> {
  const raw = process.env.SSPR_MODEL_RULES;
  if (!raw) return new Set(RULES);
  const picked = raw.split(',').map((s) => s.trim());
  for (const p of picked) if (!(RULES as readonly string[]).includes(p)) throw new Error(`unknown rule ${p}`);
  return new Set(picked as Rule[]);
}

const PEOPLE: readonly {
  who: Who | 'admin2';
  name: string;
  role: string;
  email: string | null;
  phone: string;
}[] = [
  { who: 'admin', name: 'Ada Admin', role: 'global_admin', email: 'ada.home@personal.example', phone: '+15555550101' },
  {
    who: 'admin2',
    name: 'Bob Backup',
    role: 'global_admin',
    email: 'bob.home@personal.example',
    phone: '+15555550102',
  },
  { who: 'user', name: 'Uma User', role: 'user', email: 'uma.home@personal.example', phone: '+15555550103' },
  { who: 'nomethod', name: 'Pat Phone', role: 'user', email: null, phone: '+15555550104' },
  { who: 'disabled', name: 'Dee Disabled', role: 'user', email: 'dee.home@personal.example', phone: '+15555550105' },
];
const FIRST_PASSWORD = 'original passphrase words';

interface Template {
  readonly file: string;
  readonly key: Buffer;
  readonly ids: ReadonlyMap<Who | 'admin2', string>;
}
let template: Promise<Template> | null = null;

/** Databases live in memory-backed /dev/shm when there is one (fsync costs nothing there; the SQL is the same). */
function scratchRoot(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

/**
 * The migrated, seeded database, built once per process and copied for every run (migrating and
 * seeding take about a second; a copy takes a millisecond): the Contoso tenant with admin@ and
 * admin2@ (global admins, both methods), user@ (both methods), emailless@ (phone only) and
 * disabled@ (disabled, both methods).
 */
function seededTemplate(): Promise<Template> {
  template ??= (async () => {
    const dir = mkdtempSync(path.join(scratchRoot(), 'sspr-model-template-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'sspr.db');
    const store = await openSqlStore(`sqlite:${file}`);
    await store.migrate();
    const key = randomBytes(32);
    const clock = { now: () => T0 };
    const directory = new DirectoryService({
      store,
      keyring: new HkdfKeyring(key),
      random: cryptoRandom,
      clock,
      hasher: cheapHasher,
      outbox: { wake() {} },
      config: { public_url: PUBLIC_URL },
    });
    const must = <T extends { ok: boolean }>(r: T): T => {
      if (!r.ok) throw new Error(`setup failed: ${JSON.stringify(r)}`);
      return r;
    };
    must(await directory.createTenant({ name: 'Contoso', domains: [TENANT_DOMAIN], actor: 'model' }));
    const tenant = (await store.directory.findTenantByName('Contoso'))!;
    await store.directory.updateTenantPolicy(
      tenant.id,
      { ...DEFAULT_TENANT_POLICY, helpdeskEmail: `help@${TENANT_DOMAIN}` },
      T0,
    );
    const ids = new Map<Who | 'admin2', string>();
    for (const p of PEOPLE) {
      const login = LOGIN[p.who];
      const added = await directory.addUser({
        login,
        displayName: p.name,
        role: p.role,
        password: FIRST_PASSWORD,
        actor: 'model',
      });
      if (!added.ok) throw new Error(`setup failed: ${JSON.stringify(added)}`);
      ids.set(p.who, added.value.id);
      if (p.email) must(await directory.setMethod({ login, kind: 'email', value: p.email, actor: 'model' }));
      must(await directory.setMethod({ login, kind: 'phone', value: p.phone, actor: 'model' }));
    }
    must(await directory.disable({ login: LOGIN.disabled, actor: 'model' }));
    await store.close();
    return { file, key, ids };
  })();
  return template;
}

/** `enforce`: the rules whose violations throw; the rest are only observed. */
export async function createModelKit(enforce: ReadonlySet<Rule> = enforcedRules()): Promise<ModelKit> {
  const seed = await seededTemplate();
  const dir = mkdtempSync(path.join(scratchRoot(), 'sspr-model-'));
  for (const suffix of ['', '-wal', '-shm'])
    if (existsSync(seed.file + suffix)) copyFileSync(seed.file + suffix, path.join(dir, `sspr.db${suffix}`));
  const db = {
    url: `sqlite:${path.join(dir, 'sspr.db')}`,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  const store = await openSqlStore(db.url);
  let t = T0;
  const clock = { now: () => t, advance: (ms: number) => void (t += ms) };
  const keyring = new HkdfKeyring(seed.key);
  const outbox = { wake() {} };
  const policy: ResetPolicy = { ...DEFAULT_RESET_POLICY };
  const deps = { store, keyring, random: cryptoRandom, clock, hasher: cheapHasher, outbox };
  const directory = new DirectoryService({ ...deps, config: { public_url: PUBLIC_URL } });
  const reset = new ResetService({
    ...deps,
    limiter: new MemoryLimiter(),
    log: silentLogger,
    policy,
    publicUrl: PUBLIC_URL,
  });
  const admin = new AdminService({ ...deps, publicUrl: PUBLIC_URL, resetPolicy: policy });
  const sessions = new SessionService({ ...deps, policy: DEFAULT_SIGNIN_POLICY });
  const delivered: Delivered[] = [];
  const kitState = { mailDown: false };
  const down: DeliveryResult = { ok: false, retryable: true, reason: 'mail server down (model)' };
  const worker = new OutboxWorker({
    store,
    keyring,
    mailer: {
      name: 'model-mailer',
      send: async (m) => {
        if (kitState.mailDown) return down;
        delivered.push({ channel: 'email', to: m.to, text: m.text, at: clock.now() });
        return { ok: true, providerId: null };
      },
    },
    sms: {
      name: 'model-sms',
      send: async (m) => {
        if (kitState.mailDown) return down;
        delivered.push({ channel: 'sms', to: m.to, text: m.body, at: clock.now() });
        return { ok: true, providerId: null };
      },
    },
    clock,
    random: cryptoRandom,
    log: silentLogger,
    policy: { baseMs: 1_000, maxMs: 60_000, maxAttempts: 1_000 },
    pollMs: 1_000,
    claimMs: 60_000,
    workerId: 'model-worker',
  });

  const accounts = new Map<Who | 'admin2', AccountModel>();
  const phones = new Map<string, string>();
  for (const p of PEOPLE) {
    phones.set(p.who, p.phone);
    accounts.set(p.who, {
      who: p.who,
      id: seed.ids.get(p.who)!,
      login: LOGIN[p.who],
      password: FIRST_PASSWORD,
      endSeq: 0,
      endReason: 'setup',
      linkEndSeq: 0,
      linkEndReason: 'setup',
      changedSeq: 0,
      mismatches: [],
      blockEvents: 0,
      sessions: [],
    });
  }
  const seen = new Set((await store.outbox.list({ limit: 10_000 })).map((m) => m.id));
  let passwords = 0;
  let ips = 0;
  const flows: ModelFlow[] = [];
  const assistedLinks: AssistedLink[] = [];
  const log: string[] = [];
  /** Per login: the first masked email its starts showed (must never change). */
  const masks = new Map<string, string>();
  /** Domains unknown logins of the tenant were shown. */
  const unknownDomains = new Set<string>();
  /** Per flow id: where the store had the flow after the last step. */
  const positions = new Map<string, { state: FlowState; passed: number }>();

  const kit: ModelKit = {
    store,
    reset,
    directory,
    admin,
    sessions,
    consoles: {
      store,
      keyring,
      clock,
      consoleFactors: new ConsoleFactorService({ ...deps, policy: DEFAULT_SIGNIN_POLICY, publicUrl: PUBLIC_URL }),
    },
    worker,
    policy,
    clock,
    flows,
    assistedLinks,
    delivered,
    get mailDown() {
      return kitState.mailDown;
    },
    set mailDown(v: boolean) {
      kitState.mailDown = v;
    },
    seq: 0,
    log,

    account: (who) => accounts.get(who) ?? null,

    nextPassword: () => `violet tractor harbour pencil ${++passwords} lantern`,

    nextIp: () => ({ ip: `198.51.100.${(ips++ % 200) + 1}`, userAgent: 'model-agent' }),

    async start(who) {
      const now = clock.now();
      const started = await reset.start(LOGIN[who], kit.nextIp());
      const twin = await reset.start(TWIN[who], kit.nextIp());
      // same answer: the outcome, and the view with random ids stripped and the mask's domain checked
      const shape = (r: typeof started): StartShape =>
        r.ok ? { ok: true, view: normalizeView(r.value.view, now) } : { ok: false, error: r.error };
      const mine = shape(started);
      const theirs = shape(twin);
      const acc0 = who === 'unknown' ? null : accounts.get(who)!;
      const blockedNow = acc0 ? isBlocked(policy, await store.lockouts.blockedAt(acc0.id), now) : false;
      tally(`start answer compared: ${who}${blockedNow ? ' (blocked)' : ''}`);
      if (twin.ok) unknownDomains.add(domainOfMask(twin.value.view.maskedEmail));
      if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
        kit.violation(
          'same-start-answer',
          `start for ${who} (${LOGIN[who]}) answered ${JSON.stringify(mine)}, an unknown login of the tenant ` +
            `${JSON.stringify(theirs)}`,
        );
      }
      if (started.ok) {
        const mask = started.value.view.maskedEmail;
        const first = masks.get(LOGIN[who]);
        if (first === undefined) masks.set(LOGIN[who], mask);
        else if (first !== mask) {
          kit.violation(
            'same-start-answer',
            `start for ${who} showed ${mask}; an earlier start for the same login showed ${first}`,
          );
        }
        const domain = domainOfMask(mask);
        if (who !== 'user' && who !== 'admin' && unknownDomains.size > 0 && !unknownDomains.has(domain)) {
          kit.violation(
            'same-start-answer',
            `start for ${who} showed a decoy at ${domain}, a domain unknown logins of the tenant are never shown ` +
              `(they get ${[...unknownDomains].join(', ')})`,
          );
        }
      }
      if (!started.ok) return null;
      const acc = who === 'unknown' ? null : accounts.get(who)!;
      const flow: ModelFlow = {
        n: flows.length,
        who,
        accountId: acc?.id ?? null,
        flowId: started.value.flowId,
        seq: kit.seq,
        createdAt: now,
        secret: started.value.secret,
        previous: [],
        completed: false,
        codes: [],
      };
      flows.push(flow);
      if (acc) kit.endEarlier(who, `a new start (flow #${flow.n})`);
      await kit.collect(flow);
      // the twin's messages (none expected) are not anyone's
      return flow;
    },

    secretFor(flow, binding) {
      if (binding === 'current') return flow.secret;
      if (binding === 'previous') return flow.previous.at(-1) ?? flow.secret;
      const other = flows.find((f) => f !== flow && f.flowId !== flow.flowId);
      return other ? other.secret : randomBytes(32).toString('base64url');
    },

    deadReason(flow) {
      if (flow.completed) return 'it was completed';
      if (clock.now() >= flow.createdAt + policy.flowTtlMs) return 'its 60 minutes are over';
      if (flow.accountId === null) return null;
      const acc = [...accounts.values()].find((a) => a.id === flow.accountId)!;
      if (flow.seq < acc.endSeq) return `it was ended by ${acc.endReason} at step ${acc.endSeq}`;
      return null;
    },

    async collect(flow) {
      const rows = (await store.outbox.list({ limit: 10_000 }))
        .filter((m) => !seen.has(m.id))
        .sort((a, b) => a.createdAt - b.createdAt);
      for (const m of rows) {
        seen.add(m.id);
        if (!m.payloadSealed || !m.recipientSealed) continue;
        const payload = openPayload(keyring, m.payloadSealed, m.channel);
        const text = payload ? (payload.channel === 'email' ? payload.text : payload.body) : '';
        const to = keyring.open(m.recipientSealed);
        if (m.template === 'admin.reset_link') {
          const token = /\/reset\/assisted\?t=([A-Za-z0-9_-]+)/.exec(text)?.[1];
          const owner = m.accountId === accounts.get('admin')!.id ? 'admin' : 'user';
          if (token && !assistedLinks.some((l) => l.token === token))
            assistedLinks.push({ n: assistedLinks.length, owner, token, seq: kit.seq, issuedAt: clock.now() });
          continue;
        }
        const code = /\b(\d{6})\b/.exec(text)?.[1];
        if (!code || (m.template !== 'reset.code' && m.template !== 'reset.sms')) continue;
        if (!flow) throw new Error(`a ${m.template} message was queued by a step that acts on no flow`);
        flow.codes.push({
          flow,
          channel: m.channel === 'sms' ? 'sms' : 'email',
          code,
          link: /\/reset\/link\?t=([A-Za-z0-9_-]+)/.exec(text)?.[1] ?? null,
          to,
          issuedAt: clock.now(),
          usedAt: null,
        });
      }
    },

    async passwordChanged(owner, password, how) {
      const acc = accounts.get(owner)!;
      acc.password = password;
      acc.changedSeq = kit.seq;
      tally(`password changed: ${how}`);
      kit.endEarlier(owner, `a password change (${how})`);
      kit.endLinks(owner, `a password change (${how})`);
      // sessions from before the change must be over
      for (const s of acc.sessions) {
        if (s.seq < kit.seq && (await sessions.authenticate(s.token)) !== null) {
          kit.violation(
            'nothing-old-works',
            `a session of ${owner} from step ${s.seq} still works after a password change (${how})`,
          );
        }
      }
    },

    endEarlier(who, reason) {
      const acc = accounts.get(who);
      if (!acc) return;
      acc.endSeq = kit.seq;
      acc.endReason = reason;
    },

    endLinks(owner, reason) {
      const acc = accounts.get(owner)!;
      acc.linkEndSeq = kit.seq;
      acc.linkEndReason = reason;
    },

    linkDeadReason(link) {
      const acc = accounts.get(link.owner)!;
      if (link.seq < acc.linkEndSeq) return `it was ended by ${acc.linkEndReason} at step ${acc.linkEndSeq}`;
      return null;
    },

    phoneOf: (who) => phones.get(who) ?? '+15555550199',

    violation(rule, detail) {
      if (enforce.has(rule)) throw new RuleViolation(rule, `${detail}\n  steps so far:\n    ${log.join('\n    ')}`);
    },

    async checkAfterStep() {
      const now = clock.now();
      for (const who of ['user', 'admin', 'disabled', 'nomethod'] as const) {
        const acc = accounts.get(who)!;
        // at most one live flow per account
        const live: number[] = [];
        for (const f of flows) {
          if (f.accountId !== acc.id || f.createdAt + policy.flowTtlMs <= now) continue;
          if ((await reset.view({ flowId: f.flowId, secret: f.secret })).ok) live.push(f.n);
        }
        if (live.length > 1)
          kit.violation('one-live-flow', `${who} has ${live.length} live flows: #${live.join(', #')}`);
        // wrong codes evaluated: at most the limit in any 24 h (the count starts again at a password change)
        const events = await store.audit.list({
          accountId: acc.id,
          type: 'code.rejected',
          outcome: 'mismatch',
          limit: 10_000,
        });
        // newest first: the ones not seen yet are at the front
        for (const e of events.slice(0, events.length - acc.mismatches.length).reverse())
          acc.mismatches.push({ at: e.at, seq: kit.seq });
        // events of the same instant can be on either side of a password change: count by step
        const counted = acc.mismatches
          .filter((m) => m.seq > acc.changedSeq)
          .map((m) => m.at)
          .sort((a, b) => a - b);
        for (const at of counted) {
          const inWindow = counted.filter((x) => x > at - policy.failureWindowMs && x <= at).length;
          if (inWindow > policy.maxFailuresPerAccount) {
            kit.violation(
              'five-guesses-per-24h',
              `${inWindow} wrong codes of ${who} were evaluated in the 24 h up to ${iso(at)} (limit ${policy.maxFailuresPerAccount})`,
            );
          }
        }
        // a block that started in this step ends every flow of the account
        const blocks = await store.audit.list({ accountId: acc.id, type: 'account.self_service_blocked', limit: 1000 });
        if (blocks.length > acc.blockEvents) {
          acc.blockEvents = blocks.length;
          kit.endEarlier(who, 'the start of a block');
          log[log.length - 1] += ` [${who} blocked]`;
          tally('block started');
        }
      }
      // every state change of a flow is one transition() of core/reset-flow: whatever moved it
      // (a step, a new start, a block, a password change, the deadline), the move is an edge
      for (const f of flows) {
        const rec = await store.flows.get(f.flowId);
        if (!rec) continue;
        const before = positions.get(f.flowId) ?? { state: 'email_code', passed: 0 };
        const after = { state: rec.state, passed: rec.passed };
        positions.set(f.flowId, after);
        if (before.state === after.state && before.passed === after.passed) continue;
        const edge = (Object.keys(FLOW_TRANSITIONS[before.state]) as FlowEvent[]).find((event) => {
          const next = transition({ ...before, gates: rec.gates }, event);
          return next.ok && next.value.state === after.state && next.value.passed === after.passed;
        });
        if (edge) tally(`flow moved ${before.state} -> ${after.state} (${edge})`);
        else
          kit.violation(
            'moves-by-transition',
            `flow #${f.n} moved from ${before.state} (passed ${before.passed}) to ${after.state} (passed ${after.passed}): no transition() makes that move`,
          );
      }
    },

    async close() {
      await worker.stop();
      await store.close();
      db.cleanup();
    },
  };
  return kit;
}

/** The start's view with what may differ removed: the flow id (random), the mask's first letter, times as offsets from now. */
function normalizeView(view: FlowView, now: number): StartShape {
  const { flowId: _flowId, maskedEmail, expiresAt, resendAvailableAt, ...rest } = view;
  return {
    ...rest,
    maskedEmail: maskedEmail.replace(/^[^@]*/, (local) => `${'?'.repeat(local.length > 0 ? 1 : 0)}${local.slice(1)}`),
    expiresIn: expiresAt - now,
    resendIn: resendAvailableAt === null ? null : resendAvailableAt - now,
  };
}

function domainOfMask(mask: string): string {
  return mask.slice(mask.lastIndexOf('@') + 1);
}

export function iso(t: number): string {
  return `T0+${((t - T0) / MINUTE).toFixed(2)}min`;
}

export { LOGIN, MINUTE };
export type { Actor };
