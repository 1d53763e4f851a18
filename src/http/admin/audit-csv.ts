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
] as const;

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
  ]);
}
