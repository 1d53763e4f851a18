import type { Role, TenantPolicy } from './directory-model.ts';
import { isUsableForReset, strongMethodsUsableFrom, type AccountWays } from './security-info-policy.ts';
import type { Gate } from './reset-flow.ts';

/**
 * A tenant's gate policy (issue 13 item 3): for users and for administrators separately, which
 * methods count as reset gates, how many gates they pass, and whether one of them must be a passkey.
 * Pure; the one place these rules live. The flow takes its plan from `planFor` (each gate with the
 * proofs it accepts, core/reset-flow `proofsAccepted`); the service refuses an edit that
 * `gatePolicyProblems` names; the console's coverage counts come from `coverageOf`.
 *
 * Every reset starts with a code and a link to the alternate email (the same work for every login,
 * known or not), so the email always counts and is the first of two gates; the second is of another
 * kind (an SMS code, an authenticator code or a passkey, as the policy lets).
 */
export interface GateRule {
  /** The methods that count as gates, in `GATES` order; always holds `email`. */
  readonly methods: readonly Gate[];
  /** Gates to pass: 1 (any method that counts) or 2 (the email, then another kind). */
  readonly count: 1 | 2;
  /** The second gate is a passkey and nothing else (needs `count` 2 and `passkey` among the methods). */
  readonly passkeyRequired: boolean;
}

export interface GatePolicy {
  readonly users: GateRule;
  readonly admins: GateRule;
}

export type GateAudience = keyof GatePolicy;
export const GATE_AUDIENCES: readonly GateAudience[] = ['users', 'admins'];
export const GATES: readonly Gate[] = ['email', 'sms', 'totp', 'passkey'];

/** Users: one gate, any method. Administrators: two gates of different kinds, the second an SMS, the app or a passkey. */
export const DEFAULT_GATE_POLICY: GatePolicy = {
  users: { methods: GATES, count: 1, passkeyRequired: false },
  admins: { methods: GATES, count: 2, passkeyRequired: false },
};

export const audienceOf = (role: Role | null): GateAudience =>
  role === 'admin' || role === 'global_admin' ? 'admins' : 'users';

/** The rule a login's reset follows; an unknown login follows the users' rule (it must look like one). */
export function gateRuleOf(policy: GatePolicy, role: Role | null): GateRule {
  return policy[audienceOf(role)];
}

/** A flow's gates in order, each with the proofs that pass it (the first of each is the one asked for first). */
export interface GatePlan {
  readonly gates: readonly Gate[];
  readonly accepts: readonly (readonly Gate[])[];
}

/** The plan of a rule the service accepted (`gatePolicyProblems` empty). */
export function planFor(rule: GateRule): GatePlan {
  const methods = GATES.filter((g) => rule.methods.includes(g));
  if (rule.count === 1) return { gates: ['email'], accepts: [methods] };
  const second: Gate[] = rule.passkeyRequired ? ['passkey'] : methods.filter((g) => g !== 'email');
  return { gates: ['email', second[0] ?? 'sms'], accepts: [['email'], second] };
}

/** Why a rule cannot be saved: a message id suffix (`admin.policy.problem.gates.<id>`) and the form field it concerns. */
export type GateProblemId =
  | 'emailRequired'
  | 'unknownMethod'
  | 'secondKind'
  | 'adminsTwoGates'
  | 'passkeyNotCounted'
  | 'passkeyNeedsTwo';

export interface GateProblem {
  readonly audience: GateAudience;
  readonly field: GateField;
  readonly id: GateProblemId;
}

/** The flat form / API field names of the policy (the first two predate it and keep their names). */
export const GATE_FIELDS = {
  users: { count: 'userGates', methods: 'userMethods', passkeyRequired: 'usersRequirePasskey' },
  admins: { count: 'adminGates', methods: 'adminMethods', passkeyRequired: 'adminsRequirePasskey' },
} as const;
export type GateField = (typeof GATE_FIELDS)[GateAudience][keyof GateRule];

/**
 * The named rules an edit must keep, each a problem when broken (empty: the policy can be passed):
 * - `emailRequired`: the email counts (every reset starts with it);
 * - `unknownMethod`: only email, sms, totp and passkey exist;
 * - `secondKind`: two gates need a method of another kind than the email;
 * - `adminsTwoGates`: administrators pass two gates (their accounts open the consoles);
 * - `passkeyNotCounted`: a required passkey must count as a gate;
 * - `passkeyNeedsTwo`: a required passkey is the second gate, after the email.
 */
export function gatePolicyProblems(policy: GatePolicy): GateProblem[] {
  const problems: GateProblem[] = [];
  for (const audience of GATE_AUDIENCES) {
    const rule = policy[audience];
    const f = GATE_FIELDS[audience];
    const add = (field: GateField, id: GateProblemId) => problems.push({ audience, field, id });
    if (rule.methods.some((m) => !GATES.includes(m))) add(f.methods, 'unknownMethod');
    if (!rule.methods.includes('email')) add(f.methods, 'emailRequired');
    if (audience === 'admins' && rule.count !== 2) add(f.count, 'adminsTwoGates');
    if (rule.count === 2 && !rule.methods.some((m) => m !== 'email' && GATES.includes(m))) add(f.methods, 'secondKind');
    if (rule.passkeyRequired && !rule.methods.includes('passkey')) add(f.passkeyRequired, 'passkeyNotCounted');
    else if (rule.passkeyRequired && rule.count !== 2) add(f.passkeyRequired, 'passkeyNeedsTwo');
  }
  return problems;
}

/** What an account has registered that a reset could use today. */
export interface Registered {
  readonly email: boolean;
  readonly sms: boolean;
  readonly totp: boolean;
  readonly passkey: boolean;
}

/** Whether an account with these methods can pass the rule's every gate (the email is where every reset starts). */
export function canPass(rule: GateRule, has: Registered): boolean {
  if (!has.email) return false;
  const plan = planFor(rule);
  return plan.accepts.every((proofs) => proofs.some((g) => has[g]));
}

/**
 * What an account's ways in let a reset use at `now`: a verified email and phone out of their
 * cooling-off, an authenticator app and a passkey by the one cooling-off rule of strong methods
 * (core/security-info-policy `strongMethodsUsableFrom`, which the reset gates apply too).
 */
export function registeredOf(
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
  ways: AccountWays,
  now: number,
): Registered {
  const usable = strongMethodsUsableFrom(policy, ways);
  const method = (kind: 'email' | 'phone') =>
    ways.methods.some((m) => m.kind === kind && isUsableForReset(m.usableFrom, now));
  return {
    email: method('email'),
    sms: method('phone'),
    totp: ways.authenticatorConfirmedAt !== null && isUsableForReset(usable.authenticator, now),
    passkey: [...usable.passkeys.values()].some((until) => isUsableForReset(until, now)),
  };
}

/** Enabled accounts of a tenant that share one combination of registered methods (the store's count). */
export interface RegistrationGroup extends Registered {
  readonly admin: boolean;
  readonly count: number;
}

export interface Coverage {
  readonly users: { readonly total: number; readonly cannot: number };
  readonly admins: { readonly total: number; readonly cannot: number };
}

/** How many users and admins could not reset under `policy` with what they registered. */
export function coverageOf(policy: GatePolicy, groups: readonly RegistrationGroup[]): Coverage {
  const count = { users: { total: 0, cannot: 0 }, admins: { total: 0, cannot: 0 } };
  for (const g of groups) {
    const audience: GateAudience = g.admin ? 'admins' : 'users';
    count[audience].total += g.count;
    if (!canPass(policy[audience], g)) count[audience].cannot += g.count;
  }
  return count;
}

/**
 * The policy a stored tenant policy means: its `gates` when it has them, else the two switches
 * that came before (`userGates`, `adminsRequirePasskey`), so tenants saved by an older release keep
 * what they chose.
 */
export function storedGatePolicy(stored: {
  readonly gates?: unknown;
  readonly userGates?: unknown;
  readonly adminsRequirePasskey?: unknown;
}): GatePolicy {
  const g = stored.gates as Partial<GatePolicy> | undefined;
  const rule = (r: Partial<GateRule> | undefined, fallback: GateRule): GateRule =>
    r && Array.isArray(r.methods) && (r.count === 1 || r.count === 2)
      ? {
          methods: GATES.filter((m) => r.methods!.includes(m)),
          count: r.count,
          passkeyRequired: r.passkeyRequired === true,
        }
      : fallback;
  const legacy: GatePolicy = {
    users: { ...DEFAULT_GATE_POLICY.users, count: stored.userGates === 2 ? 2 : 1 },
    admins: { ...DEFAULT_GATE_POLICY.admins, passkeyRequired: stored.adminsRequirePasskey === true },
  };
  if (!g || typeof g !== 'object') return legacy;
  return { users: rule(g.users, legacy.users), admins: rule(g.admins, legacy.admins) };
}

/** The two older switches as a previous release reads them, kept beside `gates` in the stored policy. */
export function legacyGateSwitches(policy: GatePolicy): { userGates: 1 | 2; adminsRequirePasskey: boolean } {
  return { userGates: policy.users.count, adminsRequirePasskey: policy.admins.passkeyRequired };
}

/** Every flat field of the policy with its audience and the rule's key. */
export const GATE_FIELD_LIST: readonly { field: GateField; audience: GateAudience; key: keyof GateRule }[] =
  GATE_AUDIENCES.flatMap((audience) =>
    (['count', 'methods', 'passkeyRequired'] as const).map((key) => ({
      field: GATE_FIELDS[audience][key],
      audience,
      key,
    })),
  );

export const isGateField = (field: string): field is GateField => GATE_FIELD_LIST.some((f) => f.field === field);

/** The policy as the form's and the audit's words: counts as `1`/`2`, methods space-separated, switches `true`/`false`. */
export function gateFieldTexts(policy: GatePolicy): Record<GateField, string> {
  const out = {} as Record<GateField, string>;
  for (const { field, audience, key } of GATE_FIELD_LIST) {
    const v = policy[audience][key];
    out[field] = Array.isArray(v) ? v.join(' ') : String(v);
  }
  return out;
}

/**
 * The policy with one flat field set from its text (methods separated by spaces or commas, in any
 * order); null when the text is not a value of that field (the caller names the problem).
 */
export function withGateField(policy: GatePolicy, field: GateField, text: string): GatePolicy | null {
  const entry = GATE_FIELD_LIST.find((f) => f.field === field)!;
  const value = text.trim();
  let v: GateRule[keyof GateRule];
  if (entry.key === 'count') {
    if (value !== '1' && value !== '2') return null;
    v = value === '1' ? 1 : 2;
  } else if (entry.key === 'passkeyRequired') {
    if (value !== 'true' && value !== 'false') return null;
    v = value === 'true';
  } else {
    const items = value.split(/[\s,]+/).filter((s) => s !== '');
    if (items.some((s) => !GATES.includes(s as Gate))) return null;
    v = GATES.filter((g) => items.includes(g));
  }
  return { ...policy, [entry.audience]: { ...policy[entry.audience], [entry.key]: v } };
}
