import { randomBytes } from 'node:crypto';
import { openSqlStore, type SqlStore } from '../../src/adapters/sql/sql-store.ts';
import { HkdfKeyring } from '../../src/adapters/crypto/keyring.ts';
import { argon2Hasher } from '../../src/adapters/crypto/argon2-hasher.ts';
import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { MemoryLimiter } from '../../src/adapters/memory-limiter.ts';
import { DirectoryService } from '../../src/service/directory-service.ts';
import { ResetService, type FlowHandle } from '../../src/service/reset-service.ts';
import type { RequestContext } from '../../src/service/request-context.ts';
import { openPayload } from '../../src/service/message-queue.ts';
import { DEFAULT_RESET_POLICY, type ResetPolicy } from '../../src/core/reset-policy.ts';
import { DEFAULT_TENANT_POLICY, type TenantPolicy } from '../../src/core/directory-model.ts';
import { tempSqliteUrl } from './databases.ts';

export const T0 = Date.UTC(2026, 10, 26, 2, 0, 0);
export const PUBLIC_URL = 'https://reset.example.com';
export const RC: RequestContext = { ip: '198.51.100.7', userAgent: 'test-agent' };
export const STRONG = 'violet tractor harbour pencil';

export interface Sent {
  readonly id: string;
  readonly channel: 'email' | 'sms';
  readonly template: string;
  readonly to: string;
  readonly text: string;
  readonly subject: string | null;
  readonly status: string;
}

export interface ResetHarness {
  readonly store: SqlStore;
  readonly reset: ResetService;
  readonly directory: DirectoryService;
  readonly keyring: HkdfKeyring;
  readonly policy: ResetPolicy;
  readonly clock: { now(): number; set(t: number): void; advance(ms: number): void };
  /** Every message queued so far, oldest first, opened. */
  messages(): Promise<Sent[]>;
  /** The code in the newest message to `to`. */
  lastCode(to: string): Promise<string>;
  /** The link token in the newest email to `to`. */
  lastLinkToken(to: string): Promise<string>;
  auditTypes(): Promise<{ type: string; outcome: string }[]>;
  close(): Promise<void>;
}

/**
 * A ResetService on a real SQLite store with an injected clock, seeded with the Contoso tenant:
 * admin@ (global_admin) and admin2@ (admin) with both methods, user@ (email + phone),
 * emailless@ (phone only), disabled@ (disabled, both methods).
 */
export async function createResetHarness(
  options: {
    policy?: Partial<ResetPolicy>;
    tenantPolicy?: Partial<TenantPolicy>;
    databaseUrl?: string;
    /** Sees the SQL text of every statement the store runs. */
    onQuery?: (sql: string) => void;
  } = {},
): Promise<ResetHarness> {
  const db = options.databaseUrl ? null : tempSqliteUrl();
  const store = await openSqlStore(options.databaseUrl ?? db!.url, options.onQuery ? { onQuery: options.onQuery } : {});
  await store.migrate();
  let t = T0;
  const clock = { now: () => t, set: (v: number) => void (t = v), advance: (ms: number) => void (t += ms) };
  const keyring = new HkdfKeyring(randomBytes(32));
  const outbox = { wake() {} };
  const directory = new DirectoryService({
    store,
    keyring,
    random: cryptoRandom,
    clock,
    hasher: argon2Hasher,
    outbox,
    config: { public_url: PUBLIC_URL },
  });
  const policy = { ...DEFAULT_RESET_POLICY, ...options.policy };
  const reset = new ResetService({
    store,
    keyring,
    random: cryptoRandom,
    clock,
    hasher: argon2Hasher,
    limiter: new MemoryLimiter(),
    outbox,
    log: silentLogger,
    policy,
    publicUrl: PUBLIC_URL,
  });
  must(await directory.createTenant({ name: 'Contoso', domains: ['contoso.example'], actor: 'test' }));
  const tenant = await store.directory.findTenantByName('Contoso');
  await store.directory.updateTenantPolicy(
    tenant!.id,
    { ...DEFAULT_TENANT_POLICY, helpdeskEmail: 'help@contoso.example', ...options.tenantPolicy },
    t,
  );
  const people = [
    {
      login: 'admin@contoso.example',
      name: 'Ada Admin',
      role: 'global_admin',
      email: 'ada.home@personal.example',
      phone: '+15555550101',
    },
    {
      login: 'admin2@contoso.example',
      name: 'Bob Backup',
      role: 'admin',
      email: 'bob.home@personal.example',
      phone: '+15555550102',
    },
    {
      login: 'user@contoso.example',
      name: 'Uma User',
      role: 'user',
      email: 'uma.home@personal.example',
      phone: '+15555550103',
    },
    { login: 'emailless@contoso.example', name: 'Pat Phone', role: 'user', email: null, phone: '+15555550104' },
    {
      login: 'disabled@contoso.example',
      name: 'Dee Disabled',
      role: 'user',
      email: 'dee.home@personal.example',
      phone: '+15555550105',
    },
  ];
  for (const p of people) {
    must(
      await directory.addUser({
        login: p.login,
        displayName: p.name,
        role: p.role,
        password: 'original passphrase words',
        actor: 'test',
      }),
    );
    if (p.email) must(await directory.setMethod({ login: p.login, kind: 'email', value: p.email, actor: 'test' }));
    must(await directory.setMethod({ login: p.login, kind: 'phone', value: p.phone, actor: 'test' }));
  }
  must(await directory.disable({ login: 'disabled@contoso.example', actor: 'test' }));
  const seeded = new Set((await store.outbox.list({ limit: 1000 })).map((m) => m.id));

  async function messages(): Promise<Sent[]> {
    const rows = (await store.outbox.list({ limit: 1000 })).filter((m) => !seeded.has(m.id));
    return rows
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((m) => {
        const payload = m.payloadSealed ? openPayload(keyring, m.payloadSealed, m.channel) : null;
        return {
          id: m.id,
          channel: m.channel,
          template: m.template,
          to: m.recipientSealed ? keyring.open(m.recipientSealed) : '',
          text: payload ? (payload.channel === 'email' ? payload.text : payload.body) : '',
          subject: payload && payload.channel === 'email' ? payload.subject : null,
          status: m.status,
        };
      });
  }
  async function newest(to: string, pattern?: RegExp): Promise<Sent> {
    const list = (await messages()).filter((m) => m.to === to && (!pattern || pattern.test(m.text)));
    const last = list.at(-1);
    if (!last) throw new Error(`no message to ${to}`);
    return last;
  }
  return {
    store,
    reset,
    directory,
    keyring,
    policy,
    clock,
    messages,
    // the newest message to `to` that carries a code (or link): messages queued at the same
    // instant of the injected clock have no order among themselves, so a notice queued with a
    // code must not hide it
    async lastCode(to) {
      const m = (await newest(to, /\b(\d{6})\b/)).text.match(/\b(\d{6})\b/);
      if (!m) throw new Error('no code in message');
      return m[1]!;
    },
    async lastLinkToken(to) {
      const pattern = /\/reset\/link\?t=([A-Za-z0-9_-]+)/;
      const m = (await newest(to, pattern)).text.match(pattern);
      if (!m) throw new Error('no link in message');
      return m[1]!;
    },
    async auditTypes() {
      return (await store.audit.list({ limit: 1000 })).reverse().map((e) => ({ type: e.type, outcome: e.outcome }));
    },
    async close() {
      await store.close();
      db?.cleanup();
    },
  };
}

function must<T extends { ok: boolean }>(r: T): T {
  if (!r.ok) throw new Error(`setup failed: ${JSON.stringify(r)}`);
  return r;
}

const noop = () => {};
const silentLogger = { fatal: noop, error: noop, warn: noop, info: noop, debug: noop, child: () => silentLogger };

export type { FlowHandle };
