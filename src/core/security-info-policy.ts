import type { MethodKind } from './contact.ts';
import type { Method, TenantPolicy } from './directory-model.ts';

/**
 * Rules of "My security info" (GUIDE §2, registration): when a changed method may be used for a
 * reset (cooling-off), and when a verified method must be re-confirmed. Pure: time is an argument.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Every kind of method that can pass a gate of a reset. */
export type GateMethodKind = MethodKind | 'authenticator' | 'passkey';

/** A way to pass a gate the account had: its kind, its value (email, phone), since when it was verified or registered. */
export interface WayIn {
  readonly kind: GateMethodKind;
  readonly value?: string | null;
  readonly since: number;
}

/**
 * Whether `earlier` is a way to pass a gate the new method of `kind` can pass: an email passes
 * the email gate and a phone the SMS gate, so only an earlier one of the same kind; an
 * authenticator app or a passkey can stand in for any gate, so any earlier method.
 */
function coversSameGate(kind: GateMethodKind, earlier: GateMethodKind): boolean {
  return kind === 'authenticator' || kind === 'passkey' || earlier === kind;
}

/**
 * THE cooling-off rule, one for every kind of method (GUIDE §2 registration; Entra and Okta do
 * the same): a method registered or changed at `registeredAt` may serve as a reset gate only
 * `coolingOffHours` later (the tenant's policy, default 24) when, at that time, the account
 * already had another way to pass the gate it passes (`coversSameGate`) — a changed email or
 * phone, a new authenticator app or passkey beside the methods the owner had. A stolen signed-in
 * session can then add a method, but not reset with it before the owner, told on every channel,
 * can react. A first way in (nothing to take over) and a re-confirmation of the same value are
 * usable at once. Returns when it becomes usable, or null for at once.
 */
export function coolingOffUntil(
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
  method: { readonly kind: GateMethodKind; readonly value?: string | null; readonly registeredAt: number },
  earlier: readonly WayIn[],
): number | null {
  if (policy.coolingOffHours <= 0) return null;
  const takesOver = earlier.some(
    (w) =>
      w.since <= method.registeredAt &&
      coversSameGate(method.kind, w.kind) &&
      !(w.kind === method.kind && w.value != null && w.value === method.value),
  );
  return takesOver ? method.registeredAt + policy.coolingOffHours * HOUR_MS : null;
}

/**
 * What an account has that the cooling-off of its authenticator app and passkeys looks at: its
 * verified email and phone (with the `usable_from` a change gave them), when the app was confirmed,
 * when each passkey was registered.
 */
export interface AccountWays {
  readonly methods: readonly {
    readonly kind: MethodKind;
    readonly value: string;
    readonly verifiedAt: number;
    readonly usableFrom: number | null;
  }[];
  readonly authenticatorConfirmedAt: number | null;
  readonly passkeys: readonly { readonly id: string; readonly createdAt: number }[];
}

/** When the account's authenticator app and each of its passkeys may pass a reset gate (null: at once). */
export interface StrongMethodsUsable {
  readonly authenticator: number | null;
  readonly passkeys: ReadonlyMap<string, number | null>;
}

/**
 * `coolingOffUntil` for the account's authenticator app and each passkey, every other way in the
 * account has counting as earlier when it came first (the reset gates and the console's coverage
 * both ask this, so they cannot disagree).
 */
export function strongMethodsUsableFrom(
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
  ways: AccountWays,
): StrongMethodsUsable {
  const all: (WayIn & { readonly id: string })[] = [
    ...ways.methods.map((m) => ({ id: `m:${m.kind}`, kind: m.kind, value: m.value, since: m.verifiedAt })),
    ...(ways.authenticatorConfirmedAt !== null
      ? [{ id: 'a', kind: 'authenticator' as const, since: ways.authenticatorConfirmedAt }]
      : []),
    ...ways.passkeys.map((p) => ({ id: `p:${p.id}`, kind: 'passkey' as const, since: p.createdAt })),
  ];
  const until = (id: string): number | null => {
    const self = all.find((w) => w.id === id)!;
    return coolingOffUntil(
      policy,
      { kind: self.kind, registeredAt: self.since },
      all.filter((w) => w.id !== id),
    );
  };
  return {
    authenticator: ways.authenticatorConfirmedAt !== null ? until('a') : null,
    passkeys: new Map(ways.passkeys.map((p) => [p.id, until(`p:${p.id}`)])),
  };
}

/**
 * The earliest registration time at which a method can still be in its cooling-off at `now`:
 * `coolingOffUntil` never holds a method longer than `coolingOffHours`, so one registered at or
 * before `now - coolingOffHours` is usable whatever the account had. A store counts such accounts
 * without reading their history, and hands the others to `strongMethodsUsableFrom`.
 */
export function coolingOffHorizon(policy: Pick<TenantPolicy, 'coolingOffHours'>, now: number): number {
  return policy.coolingOffHours <= 0 ? now : now - policy.coolingOffHours * HOUR_MS;
}

/**
 * `coolingOffUntil` for a changed email or phone (My security info, the pre-fill): at once for a
 * first registration (or a re-confirmation of the same value), `coolingOffHours` later when it
 * replaces another verified value.
 */
export function usableFromAfterChange(
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
  previous: Pick<Method, 'value' | 'verifiedAt'> | null,
  newValue: string,
  now: number,
): number | null {
  const earlier: WayIn[] =
    previous !== null && previous.verifiedAt !== null
      ? [{ kind: 'email', value: previous.value, since: Math.min(previous.verifiedAt, now) }]
      : [];
  return coolingOffUntil(policy, { kind: 'email', value: newValue, registeredAt: now }, earlier);
}

/** A method in cooling-off counts as not registered for a reset until `usableFrom`. */
export function isUsableForReset(usableFrom: number | null | undefined, now: number): boolean {
  return usableFrom === null || usableFrom === undefined || now >= usableFrom;
}

/** Whether a verified method is due for re-confirmation at `now` (never for an unverified one). */
export function isReconfirmDue(
  policy: Pick<TenantPolicy, 'reconfirmDays'>,
  verifiedAt: number | null,
  now: number,
): boolean {
  if (verifiedAt === null || policy.reconfirmDays <= 0) return false;
  return now >= verifiedAt + policy.reconfirmDays * DAY_MS;
}

/** The kinds among `methods` that are verified and due for re-confirmation, in a stable order. */
export function kindsDueForReconfirm(
  policy: Pick<TenantPolicy, 'reconfirmDays'>,
  methods: readonly Pick<Method, 'kind' | 'verifiedAt'>[],
  now: number,
): MethodKind[] {
  return (['email', 'phone'] as const).filter((kind) =>
    methods.some((m) => m.kind === kind && isReconfirmDue(policy, m.verifiedAt, now)),
  );
}
