import type { AuditExportRecord } from '../../core/audit-view.ts';

/**
 * The audit export as CSV (RFC 4180): presentation, so it lives with the console's routes; the
 * records come from the insights service (core/audit-view.ts keeps their shape).
 */

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), tab and CR included. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: text starting with = + - @ (or tab/CR) gets a leading `'` so a spreadsheet shows
 * it as text instead of running it; then quoted per RFC 4180 when it holds a comma, quote, CR or
 * LF (quotes doubled). Numbers are written as they are.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One CSV record, CRLF-terminated. */
export function csvRow(cells: readonly (string | number | boolean | null)[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export const AUDIT_CSV_COLUMNS = [
  'id',
  'time_utc',
  'actor',
  'actor_login',
  'event',
  'outcome',
  'account',
  'ip',
  'user_agent',
  'details',
  'account_id',
  'seq',
  'prev_hash',
  'hash',
] as const;

/**
 * The last record of a CSV export: no id, the export's time, event `chain.final`, and in `seq` and
 * `hash` the tenant's chain head when the export began (its final hash; docs/security.md).
 */
export function auditCsvFinal(exportedAt: string, head: { seq: number; hash: string } | null): string {
  return csvRow([
    '',
    exportedAt,
    '',
    '',
    AUDIT_CSV_FINAL,
    '',
    '',
    '',
    '',
    '',
    '',
    head?.seq ?? null,
    '',
    head?.hash ?? null,
  ]);
}

/** The `event` of the CSV export's last record, which carries the final hash. */
export const AUDIT_CSV_FINAL = 'chain.final';

export function auditCsvRecord(r: AuditExportRecord): string {
  return csvRow([
    r.id,
    r.time_utc,
    r.actor,
    r.actor_login,
    r.event,
    r.outcome,
    r.account,
    r.ip,
    r.user_agent,
    JSON.stringify(r.details),
    r.account_id,
    r.seq,
    r.prev_hash,
    r.hash,
  ]);
}
