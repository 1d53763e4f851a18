import { AUDIT_EVENT_TYPES, isAuditEventType, type AuditEventType } from './audit-events.ts';
import { translate, type MessageId } from './i18n.ts';
import { DAY_MS } from './insights.ts';

/**
 * The audit log viewer's rules, pure: filter parsing (from the query string), the cursor, the
 * readable forms of times, actors and details, and the export's record shape (its CSV form is
 * presentation: src/http/admin/audit-csv.ts).
 */

/** Rows per page of the viewer. */
export const AUDIT_PAGE_SIZE = 50;
/** Rows one export may hold; narrow the filters for more. */
export const AUDIT_EXPORT_MAX_ROWS = 100_000;

/** The catalogue id of an event type's label in the viewer. */
export type AuditEventLabelId = `admin.audit.event.${AuditEventType}`;
// every type sspr writes has a label in the English catalogue (and so, by the i18n test, in all)
const LABEL_IDS_ARE_MESSAGES: readonly MessageId[] = [] as AuditEventLabelId[];
void LABEL_IDS_ARE_MESSAGES;

/** The id of an event type's label, or null for a type sspr does not write (older or unknown: shown by its id). */
export function auditEventLabelId(type: string): AuditEventLabelId | null {
  return isAuditEventType(type) ? `admin.audit.event.${type}` : null;
}

/** The select's options: every type sspr writes and the ones found in the log, sorted by id (labels in English). */
export function eventTypeOptions(found: readonly string[]): { value: string; label: string }[] {
  const all = new Set<string>([...AUDIT_EVENT_TYPES, ...found]);
  return [...all].sort().map((value) => {
    const id = auditEventLabelId(value);
    return { value, label: id ? `${translate('en', id)} (${value})` : value };
  });
}

/** The filters as typed (strings, trimmed), echoed back into the form. */
export interface AuditFilterInput {
  readonly from: string;
  readonly to: string;
  readonly account: string;
  readonly type: string;
  readonly outcome: string;
}

/** The filters as the store applies them. */
export interface AuditCriteria {
  /** Inclusive, ms. */
  readonly since?: number;
  /** Exclusive, ms (the day after `to`). */
  readonly until?: number;
  /** A login as typed; the service resolves it within the tenant. */
  readonly account?: string;
  readonly type?: string;
  readonly outcome?: string;
}

export type AuditFilterProblem = 'from_invalid' | 'to_invalid' | 'range_reversed';

const FIELD_MAX = 200;

function text(query: Record<string, unknown>, name: string, max = FIELD_MAX): string {
  const v = query[name];
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
}

/** `YYYY-MM-DD` (a real calendar day) as the UTC midnight starting it, or null. */
export function parseDay(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms;
}

/** Reads the viewer's query string: the input to echo, the criteria, and what was wrong (ignored filters). */
export function parseAuditFilter(query: unknown): {
  input: AuditFilterInput;
  criteria: AuditCriteria;
  problems: AuditFilterProblem[];
} {
  const q = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const input: AuditFilterInput = {
    from: text(q, 'from', 10),
    to: text(q, 'to', 10),
    account: text(q, 'account', 320),
    type: text(q, 'type', 100),
    outcome: text(q, 'outcome', 100),
  };
  const problems: AuditFilterProblem[] = [];
  const criteria: { -readonly [K in keyof AuditCriteria]: AuditCriteria[K] } = {};
  if (input.from) {
    const since = parseDay(input.from);
    if (since === null) problems.push('from_invalid');
    else criteria.since = since;
  }
  if (input.to) {
    const to = parseDay(input.to);
    if (to === null) problems.push('to_invalid');
    else criteria.until = to + DAY_MS;
  }
  if (criteria.since !== undefined && criteria.until !== undefined && criteria.since >= criteria.until) {
    problems.push('range_reversed');
  }
  if (input.account) criteria.account = input.account;
  if (input.type) criteria.type = input.type;
  if (input.outcome) criteria.outcome = input.outcome;
  return { input, criteria, problems };
}

/** The `before` cursor (an event id), or null when absent or not a positive integer. */
export function parseCursor(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** The filters as a query string (empty ones left out), for links and the export URLs. */
export function filterQuery(input: AuditFilterInput, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...input, ...extra })) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** `2024-05-01 13:04:05 UTC`. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * Who acted, in words: `self` → "The person" (the account's owner), `admin:<id>` → the admin's login when known, else
 * the raw actor (operators, API keys, CLI, system).
 */
export function describeActor(actor: string, actorLogin: string | null): string {
  if (actor === 'self') return 'The person';
  if (actor === 'system') return 'System';
  if (actor === 'cli') return 'Command line';
  if (actor.startsWith('admin:') && actorLogin) return `Admin ${actorLogin}`;
  return actor;
}

/** Details as `key: value` pairs (the audit log never holds a secret). */
export function formatDetails(details: Readonly<Record<string, string | number | boolean | null>>): string {
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${v === null ? '—' : String(v)}`)
    .join(', ');
}

/** The export's shape of one event (CSV columns and JSON fields alike). */
export interface AuditExportRecord {
  readonly id: number;
  readonly time_utc: string;
  readonly actor: string;
  readonly actor_login: string | null;
  readonly event: string;
  readonly outcome: string;
  readonly account: string | null;
  readonly ip: string | null;
  readonly user_agent: string | null;
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  /** The account's id: with the fields above (and the tenant id) it gives the event's hash. */
  readonly account_id: string | null;
  /** The event's place in the tenant's hash chain, the hash before it and its own (core/audit-chain.ts). */
  readonly seq: number | null;
  readonly prev_hash: string | null;
  readonly hash: string | null;
}
