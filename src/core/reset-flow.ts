import { err, ok, type Result } from './result.ts';
import type { Role } from './directory-model.ts';

/**
 * The self-service reset flow as data. A flow is created for every start, whether or not the
 * account exists; only a real, enabled, registered account ever gets a message. Gates are
 * passed in order; the email gate always comes first, and the SMS gate of a two-gate flow is
 * only reachable after the email gate passed in the same browser session.
 *
 * `docs/flow.md` holds a mermaid diagram generated from FLOW_TRANSITIONS; a test keeps them in step.
 */
export type Gate = 'email' | 'sms';

export type FlowState =
  /** Waiting for the code or the link sent to the alternate email. */
  | 'email_code'
  /** Waiting for the person to type the full mobile number on file. */
  | 'phone_number'
  /** Waiting for the code sent by SMS. */
  | 'sms_code'
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
}

/** Each state's allowed events and where they lead; `gate-dependent` targets resolve with `nextAfterGate`. */
export const FLOW_TRANSITIONS: Readonly<Record<FlowState, Partial<Record<FlowEvent, FlowState | 'next_gate'>>>> = {
  email_code: { email_verified: 'next_gate', use_phone: 'phone_number', deadline_passed: 'expired' },
  phone_number: { phone_submitted: 'sms_code', back_to_email: 'email_code', deadline_passed: 'expired' },
  sms_code: {
    sms_verified: 'next_gate',
    retype_phone: 'phone_number',
    back_to_email: 'email_code',
    deadline_passed: 'expired',
  },
  new_password: { password_set: 'completed', account_unlocked: 'unlocked', deadline_passed: 'expired' },
  completed: {},
  unlocked: {},
  expired: {},
};

export type TransitionError = 'transition_not_allowed';

/** Administrators always pass two distinct gates (email, then SMS); users pass the tenant's number. */
export function planGates(role: Role | null, tenantUserGates: 1 | 2): readonly Gate[] {
  if (role === 'admin' || role === 'global_admin') return ['email', 'sms'];
  return tenantUserGates === 2 ? ['email', 'sms'] : ['email'];
}

export function gatesRequired(role: Role | null, tenantUserGates: 1 | 2): number {
  return planGates(role, tenantUserGates).length;
}

/** The state that asks for a gate. */
function stateForGate(gate: Gate): FlowState {
  return gate === 'email' ? 'email_code' : 'phone_number';
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
    if ((event === 'use_phone' || event === 'back_to_email') && pos.passed > 0) {
      return err('transition_not_allowed', `${event} only before the first gate passed`);
    }
    return ok({ ...pos, state: target });
  }
  if (event === 'sms_verified' && !smsAllowed(pos)) return err('transition_not_allowed', 'the SMS gate is not open');
  const passed = pos.passed + 1;
  const gate = pos.gates[passed];
  if (event === 'sms_verified' && pos.gates.length === 1) {
    // a one-gate flow that chose SMS instead of email is done after the SMS gate
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
  if (pos.gates.length === 1) return true;
  return pos.passed >= 1 && pos.gates[0] === 'email';
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
  const plans: (readonly Gate[])[] = [['email'], ['email', 'sms']];
  for (const gates of plans) {
    const seen = new Set<string>();
    const queue: FlowPosition[] = [{ state: 'email_code', gates, passed: 0 }];
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
