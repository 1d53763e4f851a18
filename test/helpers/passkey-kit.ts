import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import type { TenantPolicy } from '../../src/core/directory-model.ts';
import { DAY_MS } from '../../src/core/reset-policy.ts';
import { SecurityInfoService } from '../../src/service/security-info-service.ts';
import type { Authenticated } from '../../src/service/session-service.ts';
import type { FlowHandle } from '../../src/service/reset-service.ts';
import { createResetHarness, PUBLIC_URL, RC, type ResetHarness } from './reset-harness.ts';
import { SoftAuthenticator } from './soft-authenticator.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { Store } from '../../src/ports/store.ts';

/** Past the default cooling-off of a method added beside others (24 hours), with a minute to spare. */
export const COOLING_OFF_MS = 24 * 3_600_000 + 60_000;

/** A reset harness with My security info (passkeys for the harness's public URL) and a software authenticator. */
export interface PasskeyKit {
  readonly h: ResetHarness;
  readonly si: SecurityInfoService;
  readonly authenticator: SoftAuthenticator;
  signIn(login: string): Promise<Authenticated>;
  /** Registers a passkey of the software authenticator for `login`. */
  register(login: string): Promise<void>;
  /** The flow's passkey options (a new challenge), answered by the software authenticator. */
  assertion(handle: FlowHandle, p?: { counter?: number }): Promise<string>;
}

/** A session of `login` made in the store (what signing in leaves), as My security info takes it. */
export async function signInSession(store: Store, clock: Clock, login: string, idHash: string): Promise<Authenticated> {
  const account = (await store.directory.findAccountByLogin(login))!;
  const now = clock.now();
  await store.directory.createSession({
    idHash,
    accountId: account.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + DAY_MS,
  });
  const tenant = (await store.directory.getTenant(account.tenantId))!;
  const session = (await store.directory.getSession(idHash))!;
  return { account, tenant, session, methods: { email: true, phone: true } };
}

let registrations = 0;

/** Registers a passkey of the software authenticator for `login` through My security info (its options, then its answer). */
export async function registerSoftPasskey(
  d: { store: Store; clock: Clock; si: SecurityInfoService },
  authenticator: SoftAuthenticator,
  login: string,
): Promise<void> {
  const auth = await signInSession(d.store, d.clock, login, `pk-register-${++registrations}`);
  const options = await d.si.passkeys.options(auth, RC);
  if (!options.ok) throw new Error(options.error);
  const done = await d.si.passkeys.register(auth, authenticator.create(options.value), 'Laptop', 'Passkey', RC);
  if (!done.ok) throw new Error(done.error);
}

export async function withPasskeyKit(
  fn: (k: PasskeyKit) => Promise<void>,
  options: { databaseUrl?: string; tenantPolicy?: Partial<TenantPolicy> } = {},
): Promise<void> {
  const h = await createResetHarness(options);
  const si = new SecurityInfoService({
    store: h.store,
    keyring: h.keyring,
    random: cryptoRandom,
    clock: h.clock,
    outbox: { wake() {} },
    policy: h.policy,
    publicUrl: PUBLIC_URL,
  });
  const authenticator = new SoftAuthenticator(new URL(PUBLIC_URL).origin);
  let sessions = 0;
  const kit: PasskeyKit = {
    h,
    si,
    authenticator,
    signIn: (login) => signInSession(h.store, h.clock, login, `pk-session-${++sessions}`),
    async register(login) {
      await registerSoftPasskey({ store: h.store, clock: h.clock, si }, authenticator, login);
      // a passkey added beside the account's email and phone passes no reset gate during its
      // cooling-off (core coolingOffUntil, the tenant's 24 hours): the tests reset a day later
      h.clock.advance(COOLING_OFF_MS);
    },
    async assertion(handle, p = {}) {
      const options = await h.reset.passkeyOptions(handle);
      if (!options.ok) throw new Error(options.error);
      return authenticator.get(options.value, p);
    },
  };
  try {
    await fn(kit);
  } finally {
    await h.close();
  }
}
