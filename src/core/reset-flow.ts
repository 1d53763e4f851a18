import { err, ok, type Result } from './result.ts';
import type { Role } from './directory-model.ts';
import { DEFAULT_GATE_POLICY, planFor } from './gate-policy.ts';

/**
 * The self-service reset flow as data. A flow is created for every start, whether or not the
 * account exists; only a real, enabled, registered account ever gets a message. Gates are
 * passed in order; the email gate always comes first, and the SMS gate of a two-gate flow is
 * only reachable after the email gate passed in the same browser session.
 *
 * `docs/flow.md` holds a mermaid diagram generated from FLOW_TRANSITIONS; a test keeps them in step.
 */
/**
 * A kind of proof: the email's code or link, the SMS code, a code from the authenticator app
 * (TOTP), or a passkey (WebAuthn, user verification required).
 */
export type Gate = 'email' | 'sms' | 'totp' | 'passkey';

export type FlowState =
  /** Waiting for the code or the link sent to the alternate email. */
  | 'email_code'
  /** Waiting for the person to type the full mobile number on file. */
  | 'phone_number'
  /** Waiting for the code sent by SMS. */
  | 'sms_code'
  /** Waiting for a code from the account's authenticator app. */
  | 'totp_code'
  /** Waiting for an assertion of one of the account's passkeys. */
  | 'passkey_check'
  /** Every gate passed: waiting for the new password. */
  | 'new_password'
  | 'completed'
  /** Every gate passed and the person chose to unlock their directory account, keeping its password. */
  | 'unlocked'
  /** The 60-minute deadline passed, or the flow was replaced. */
  | 'expired';

export type FlowEvent =
  | 'email_verified'
  | 'use_phone'
  | 'back_to_email'
  | 'phone_submitted'
  | 'retype_phone'
  | 'sms_verified'
  | 'use_authenticator'
  | 'totp_verified'
  | 'use_passkey'
  | 'passkey_verified'
  | 'password_set'
  | 'account_unlocked'
  | 'deadline_passed';

export const TERMINAL_STATES: readonly FlowState[] = ['completed', 'unlocked', 'expired'];

export interface FlowPosition {
  readonly state: FlowState;
  /** The gates this flow must pass, in order. */
  readonly gates: readonly Gate[];
  /** Gates passed so far. */
  readonly passed: number;
  /**
   * The proofs each gate accepts, from the tenant's gate policy (core/gate-policy `planFor`); absent
   * on a flow started before the policy existed, whose gates follow the rules of that time.
   */
  readonly accepts?: readonly (readonly Gate[])[] | null;
}

/** Each state's allowed events and where they lead; `gate-dependent` targets resolve with `nextAfterGate`. */
export const FLOW_TRANSITIONS: Readonly<Record<FlowState, Partial<Record<FlowEvent, FlowState | 'next_gate'>>>> = {
  email_code: {
    email_verified: 'next_gate',
    use_phone: 'phone_number',
    use_authenticator: 'totp_code',
    use_passkey: 'passkey_check',
    deadline_passed: 'expired',
  },
  phone_number: {
    phone_submitted: 'sms_code',
    back_to_email: 'email_code',
    use_authenticator: 'totp_code',
    use_passkey: 'passkey_check',
    deadline_passed: 'expired',
  },
  sms_code: {
    sms_verified: 'next_gate',
    retype_phone: 'phone_number',
    back_to_email: 'email_code',
    use_authenticator: 'totp_code',
    use_passkey: 'passkey_check',
    deadline_passed: 'expired',
  },
  totp_code: {
    totp_verified: 'next_gate',
    use_phone: 'phone_number',
    use_passkey: 'passkey_check',
    back_to_email: 'email_code',
    deadline_passed: 'expired',
  },
  passkey_check: {
    passkey_verified: 'next_gate',
    use_phone: 'phone_number',
    use_authenticator: 'totp_code',
    back_to_email: 'email_code',
    deadline_passed: 'expired',
  },
  new_password: { password_set: 'completed', account_unlocked: 'unlocked', deadline_passed: 'expired' },
  completed: {},
  unlocked: {},
  expired: {},
};

export type TransitionError = 'transition_not_allowed';

/**
 * The gates of a flow under the two switches that came before the gate policy (users' gate count,
 * a passkey required of admins), with the default methods: see core/gate-policy `planFor` for the
 * plan of a tenant's policy.
 */
export function planGates(role: Role | null, tenantUserGates: 1 | 2, adminsRequirePasskey = false): readonly Gate[] {
  const admin = role === 'admin' || role === 'global_admin';
  const rule = admin
    ? { ...DEFAULT_GATE_POLICY.admins, passkeyRequired: adminsRequirePasskey }
    : { ...DEFAULT_GATE_POLICY.users, count: tenantUserGates };
  return planFor(rule).gates;
}

export function gatesRequired(role: Role | null, tenantUserGates: 1 | 2): number {
  return planGates(role, tenantUserGates).length;
}

/** The state that asks for a gate. */
function stateForGate(gate: Gate): FlowState {
  return gate === 'email'
    ? 'email_code'
    : gate === 'sms'
      ? 'phone_number'
      : gate === 'totp'
        ? 'totp_code'
        : 'passkey_check';
}

/**
 * Which proofs pass the gate the flow is at: what the tenant's gate policy planned for it
 * (`accepts`, core/gate-policy `planFor`). A flow started before the policy existed: a one-gate
 * flow's single gate takes the email, the SMS, the authenticator app or a passkey; a two-gate flow
 * the email first, then a gate of another kind — the SMS, or the app or a passkey instead; a gate
 * planned as `passkey` (admins required to use one) takes a passkey only.
 */
export function proofsAccepted(pos: Pick<FlowPosition, 'gates' | 'passed' | 'accepts'>): readonly Gate[] {
  if (pos.accepts) return pos.accepts[pos.passed] ?? [];
  if (pos.gates.length === 1) return ['email', 'sms', 'totp', 'passkey'];
  const gate = pos.gates[pos.passed];
  if (gate === undefined) return [];
  if (gate === 'email') return ['email'];
  return gate === 'passkey' ? ['passkey'] : ['sms', 'totp', 'passkey'];
}

/**
 * Every proof that passes some gate of the flow: the methods the tenant's gate policy counts for
 * the account's class (an unknown login's flow follows the users' rule, so it offers the same).
 * Before any gate passed, the pages and the API offer these and no other (a method that passes no
 * gate of this flow would lead to a step that never opens).
 */
export function proofsCounted(pos: Pick<FlowPosition, 'gates' | 'accepts'>): readonly Gate[] {
  const counted = new Set<Gate>();
  for (let passed = 0; passed < pos.gates.length; passed++) {
    for (const g of proofsAccepted({ ...pos, passed })) counted.add(g);
  }
  return GATE_ORDER.filter((g) => counted.has(g));
}

const GATE_ORDER: readonly Gate[] = ['email', 'sms', 'totp', 'passkey'];

const CHOSEN_PROOF: Partial<Record<FlowEvent, Gate>> = {
  use_phone: 'sms',
  use_authenticator: 'totp',
  use_passkey: 'passkey',
};

/**
 * Whether the person may switch to `event`'s proof here: before any gate passed, a proof the flow
 * counts at all (`proofsCounted`); after that, one the gate accepts.
 */
function mayChoose(pos: FlowPosition, event: FlowEvent): boolean {
  if (event === 'back_to_email') return pos.passed === 0;
  const proof = CHOSEN_PROOF[event];
  if (proof === undefined) return true;
  if (pos.passed === 0) return proofsCounted(pos).includes(proof);
  return proofsAccepted(pos).includes(proof);
}

/**
 * The pure transition function. `use_phone` is offered only while no gate has passed and is
 * honoured for one-gate flows: the SMS becomes their single gate. A two-gate flow that asks for
 * it still reaches the phone page (so the pages do not reveal the account's role) but its SMS
 * gate stays closed until the email gate passed — see `smsAllowed`.
 */
export function transition(pos: FlowPosition, event: FlowEvent): Result<FlowPosition, TransitionError> {
  const target = FLOW_TRANSITIONS[pos.state][event];
  if (target === undefined) return err('transition_not_allowed', `${event} is not allowed in ${pos.state}`);
  if (target !== 'next_gate') {
    if (!mayChoose(pos, event)) return err('transition_not_allowed', `${event} not at this gate`);
    return ok({ ...pos, state: target });
  }
  if (event === 'email_verified' && !proofsAccepted(pos).includes('email')) {
    return err('transition_not_allowed', 'the email gate is not open');
  }
  if (event === 'sms_verified' && !smsAllowed(pos)) return err('transition_not_allowed', 'the SMS gate is not open');
  if (event === 'totp_verified' && !totpAllowed(pos)) {
    return err('transition_not_allowed', 'the authenticator gate is not open');
  }
  if (event === 'passkey_verified' && !passkeyAllowed(pos)) {
    return err('transition_not_allowed', 'the passkey gate is not open');
  }
  const passed = pos.passed + 1;
  const gate = pos.gates[passed];
  if (
    (event === 'sms_verified' || event === 'totp_verified' || event === 'passkey_verified') &&
    pos.gates.length === 1
  ) {
    // a one-gate flow that chose SMS or the app instead of email is done after that gate
    return ok({ ...pos, passed: 1, state: 'new_password' });
  }
  return ok({ ...pos, passed, state: gate === undefined ? 'new_password' : stateForGate(gate) });
}

/**
 * Whether an SMS may be sent in this position: the flow is on the SMS path and either the SMS
 * is the flow's only gate, or the email gate already passed (never before it: cuts SMS pumping).
 */
export function smsAllowed(pos: FlowPosition): boolean {
  if (pos.state !== 'phone_number' && pos.state !== 'sms_code') return false;
  return proofsAccepted(pos).includes('sms');
}

/**
 * Whether an authenticator code may pass the gate in this position: the flow waits for one and
 * the gate accepts it (a one-gate flow, or the second gate after the email). A two-gate flow that
 * chose it first reaches the same page, but no code passes there (the page does not reveal the role).
 */
export function totpAllowed(pos: FlowPosition): boolean {
  return pos.state === 'totp_code' && proofsAccepted(pos).includes('totp');
}

/**
 * Whether a passkey's assertion may pass the gate in this position: the flow waits for one and the
 * gate accepts it (a one-gate flow, an admin's second gate). A two-gate flow that chose it first
 * reaches the same page, but no passkey passes there (the page does not reveal the role).
 */
export function passkeyAllowed(pos: FlowPosition): boolean {
  return pos.state === 'passkey_check' && proofsAccepted(pos).includes('passkey');
}

/** Step counter shown to the person: revealed only once a gate has passed (before that it would tell an attacker the account's role). */
export function stepOf(pos: FlowPosition): { step: number; of: number | null } {
  const step = Math.min(pos.passed + 1, pos.gates.length);
  return { step, of: pos.passed > 0 ? pos.gates.length : null };
}

export function isTerminal(state: FlowState): boolean {
  return TERMINAL_STATES.includes(state);
}

/**
 * Every edge the flow can take, found by walking `transition` from the start for each gate plan.
 * The diagram in docs/flow.md is generated from this, so it cannot drift from the code.
 */
export function reachableEdges(): { from: FlowState; event: FlowEvent; to: FlowState }[] {
  const edges = new Map<string, { from: FlowState; event: FlowEvent; to: FlowState }>();
  // the gate policy's plans: one gate; two with the SMS, the app or a passkey asked for second
  const plans = [
    planFor({ methods: ['email', 'sms', 'totp', 'passkey'], count: 1, passkeyRequired: false }),
    planFor({ methods: ['email', 'sms', 'totp', 'passkey'], count: 2, passkeyRequired: false }),
    planFor({ methods: ['email', 'totp', 'passkey'], count: 2, passkeyRequired: false }),
    planFor({ methods: ['email', 'passkey'], count: 2, passkeyRequired: true }),
  ];
  for (const { gates, accepts } of plans) {
    const seen = new Set<string>();
    const queue: FlowPosition[] = [{ state: 'email_code', gates, passed: 0, accepts }];
    while (queue.length > 0) {
      const pos = queue.shift()!;
      const key = `${pos.state}/${pos.passed}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const event of Object.keys(FLOW_TRANSITIONS[pos.state]) as FlowEvent[]) {
        const next = transition(pos, event);
        if (!next.ok) continue;
        edges.set(`${pos.state}|${event}|${next.value.state}`, { from: pos.state, event, to: next.value.state });
        queue.push(next.value);
      }
    }
  }
  return [...edges.values()];
}

/** The mermaid state diagram of the flow (docs/flow.md). */
export function flowMermaid(): string {
  const lines = ['stateDiagram-v2', '  [*] --> email_code: start'];
  for (const e of reachableEdges()) lines.push(`  ${e.from} --> ${e.to}: ${e.event}`);
  lines.push('  completed --> [*]', '  unlocked --> [*]', '  expired --> [*]');
  return lines.join('\n');
}
