import { cryptoRandom } from '../../src/adapters/crypto/crypto-random.ts';
import { totpCodeAt } from '../../src/core/authenticator.ts';
import { DAY_MS } from '../../src/core/reset-policy.ts';
import { SecurityInfoService } from '../../src/service/security-info-service.ts';
import type { Authenticated } from '../../src/service/session-service.ts';
import { createResetHarness, RC, type ResetHarness } from './reset-harness.ts';
import { COOLING_OFF_MS } from './passkey-kit.ts';

/** A reset harness with My security info, and a way to register an authenticator app for a login. */
export interface AuthenticatorKit {
  readonly h: ResetHarness;
  readonly si: SecurityInfoService;
  signIn(login: string): Promise<Authenticated>;
  /** Registers and confirms an app for `login` (its first code at the current time); the base32 secret. */
  register(login: string): Promise<string>;
  /** The app's code at the harness clock's time, `steps` steps from now. */
  code(secret: string, steps?: number): string;
}

export async function withAuthenticatorKit(
  fn: (k: AuthenticatorKit) => Promise<void>,
  options: { databaseUrl?: string } = {},
): Promise<void> {
  const h = await createResetHarness(options);
  const si = new SecurityInfoService({
    store: h.store,
    keyring: h.keyring,
    random: cryptoRandom,
    clock: h.clock,
    outbox: { wake() {} },
    policy: h.policy,
  });
  let sessions = 0;
  const kit: AuthenticatorKit = {
    h,
    si,
    async signIn(login) {
      const account = (await h.store.directory.findAccountByLogin(login))!;
      const now = h.clock.now();
      const idHash = `session-${++sessions}`;
      await h.store.directory.createSession({
        idHash,
        accountId: account.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + DAY_MS,
      });
      const tenant = (await h.store.directory.getTenant(account.tenantId))!;
      const session = (await h.store.directory.getSession(idHash))!;
      return { account, tenant, session, methods: { email: true, phone: true } };
    },
    async register(login) {
      const auth = await kit.signIn(login);
      const started = await si.authenticator.start(auth, RC);
      if (!started.ok) throw new Error(started.error);
      const secret = started.value.key.replaceAll(' ', '');
      const confirmed = await si.authenticator.confirm(auth, kit.code(secret), RC);
      if (!confirmed.ok) throw new Error(confirmed.error);
      // an app added beside the account's email and phone passes no reset gate during its
      // cooling-off (core coolingOffUntil, the tenant's 24 hours): the tests reset a day later
      // (and the next code is of a later step than the confirming one)
      h.clock.advance(COOLING_OFF_MS);
      return secret;
    },
    code: (secret, steps = 0) => totpCodeAt(secret, h.clock.now() + steps * 30_000),
  };
  try {
    await fn(kit);
  } finally {
    await h.close();
  }
}
