import type { MethodKind } from './contact.ts';
import type { Method, TenantPolicy } from './directory-model.ts';

/**
 * Rules of "My security info" (GUIDE §2, registration): when a changed method may be used for a
 * reset (cooling-off), and when a verified method must be re-confirmed. Pure: time is an argument.
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * When a newly verified value becomes usable for a reset: at once for a first registration (or a
 * re-confirmation of the same value), `coolingOffHours` later when it replaces another verified value.
 */
export function usableFromAfterChange(
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
  previous: Pick<Method, 'value' | 'verifiedAt'> | null,
  newValue: string,
  now: number,
): number | null {
  const replacing = previous !== null && previous.verifiedAt !== null && previous.value !== newValue;
  return replacing && policy.coolingOffHours > 0 ? now + policy.coolingOffHours * HOUR_MS : null;
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
