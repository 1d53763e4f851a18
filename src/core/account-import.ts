import { err, ok, type Result } from './result.ts';

/**
 * Reading an account import file (`sspr user import`): CSV with a header row (RFC 4180: fields
 * separated by commas, optionally in double quotes, `""` for a quote inside quotes, line breaks
 * inside quotes) or JSON Lines (one object per line). Pure: text in, records out; each record
 * keeps the line number it starts on so the report can point at it.
 */

export type ImportFormat = 'csv' | 'jsonl';

/** One account as written in the file, before any validation. Empty strings mean "not given". */
export interface ImportRecord {
  /** 1-based line of the file where the record starts. */
  readonly line: number;
  readonly login: string;
  readonly name: string;
  readonly role: string;
  readonly email: string;
  readonly phone: string;
}

/** A line that could not be read as a record (bad quoting, not a JSON object, …). */
export interface ImportLineError {
  readonly line: number;
  readonly reason: string;
}

export interface ParsedImport {
  readonly records: readonly ImportRecord[];
  readonly errors: readonly ImportLineError[];
}

/** A problem with the file as a whole (no header, unknown column): nothing is imported. */
export type ImportFileError = 'import_header_invalid' | 'import_format_unknown';

type Field = 'login' | 'name' | 'role' | 'email' | 'phone';

/** Accepted column names (CSV headers and JSON keys), compared without case, spaces, `_` and `-`. */
const FIELD_NAMES: Readonly<Record<string, Field>> = {
  login: 'login',
  userid: 'login',
  name: 'name',
  displayname: 'name',
  role: 'role',
  alternateemail: 'email',
  email: 'email',
  phone: 'phone',
  mobilephone: 'phone',
  mobile: 'phone',
};

export const IMPORT_COLUMNS = 'login, name, role, alternate_email, phone';

function fieldOf(header: string): Field | null {
  return (
    FIELD_NAMES[
      header
        .trim()
        .toLowerCase()
        .replace(/[\s_-]+/g, '')
    ] ?? null
  );
}

/** `csv` for `.csv`, `jsonl` for `.jsonl`/`.ndjson`; null when the name says neither. */
export function formatOfFileName(name: string): ImportFormat | null {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return null;
}

export interface CsvRow {
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * RFC 4180 CSV: records end at CRLF or LF (outside quotes); a quoted field may hold commas, line
 * breaks and `""`. Blank lines are skipped. A record with an unterminated quote, or text after a
 * closing quote, is an error on the line it starts; reading goes on at the next line.
 */
export function parseCsv(text: string): { rows: CsvRow[]; errors: ImportLineError[] } {
  const rows: CsvRow[] = [];
  const errors: ImportLineError[] = [];
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let i = 0;
  let line = 1;
  while (i < s.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let bad: string | null = null;
    let quoted = false;
    let atFieldStart = true;
    let ended = false;
    while (i < s.length && !ended) {
      const c = s[i]!;
      if (quoted) {
        if (c === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
            const next = s[i];
            if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
              bad ??= 'text after a closing quote; put the whole field in quotes and double the quotes inside';
            }
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && atFieldStart) {
        quoted = true;
        atFieldStart = false;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        atFieldStart = true;
        i++;
      } else if (c === '\r' || c === '\n') {
        i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
        line++;
        ended = true;
      } else {
        if (c === '"') bad ??= 'a quote inside an unquoted field; put the field in quotes and double the quote';
        field += c;
        atFieldStart = false;
        i++;
      }
    }
    if (quoted) {
      errors.push({ line: start, reason: 'a quoted field is never closed' });
      break;
    }
    fields.push(field);
    if (bad !== null) errors.push({ line: start, reason: bad });
    else if (!(fields.length === 1 && fields[0]!.trim() === '')) rows.push({ line: start, fields });
  }
  return { rows, errors };
}

/** Reads the whole file; a file-level problem (the header) refuses everything. */
export function parseImport(text: string, format: ImportFormat): Result<ParsedImport, ImportFileError> {
  return format === 'csv' ? parseCsvImport(text) : parseJsonLines(text);
}

function parseCsvImport(text: string): Result<ParsedImport, ImportFileError> {
  const { rows, errors } = parseCsv(text);
  const header = rows[0];
  if (!header)
    return err(
      'import_header_invalid',
      `The file has no header row; the first line names the columns: ${IMPORT_COLUMNS}.`,
    );
  const columns: (Field | null)[] = [];
  for (const h of header.fields) {
    const f = fieldOf(h);
    if (f === null) {
      return err(
        'import_header_invalid',
        `Unknown column "${printable(h)}" on line ${header.line}; the columns are: ${IMPORT_COLUMNS}.`,
      );
    }
    if (columns.includes(f))
      return err('import_header_invalid', `The column "${printable(h)}" appears twice on line ${header.line}.`);
    columns.push(f);
  }
  if (!columns.includes('login') || !columns.includes('name')) {
    return err('import_header_invalid', `The header on line ${header.line} needs at least the columns login and name.`);
  }
  const records: ImportRecord[] = [];
  const lineErrors = [...errors];
  for (const row of rows.slice(1)) {
    if (row.fields.length !== columns.length) {
      lineErrors.push({
        line: row.line,
        reason: `${row.fields.length} fields where the header has ${columns.length}; quote fields that contain commas`,
      });
      continue;
    }
    const values: Record<Field, string> = { login: '', name: '', role: '', email: '', phone: '' };
    columns.forEach((f, k) => {
      if (f) values[f] = row.fields[k]!.trim();
    });
    records.push({ line: row.line, ...values });
  }
  lineErrors.sort((a, b) => a.line - b.line);
  return ok({ records, errors: lineErrors });
}

function parseJsonLines(text: string): Result<ParsedImport, ImportFileError> {
  const records: ImportRecord[] = [];
  const errors: ImportLineError[] = [];
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split(/\r?\n/);
  lines.forEach((raw, k) => {
    const line = k + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      errors.push({ line, reason: 'not valid JSON; each line holds one object like {"login": "…", "name": "…"}' });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ line, reason: 'not a JSON object; each line holds one object like {"login": "…", "name": "…"}' });
      return;
    }
    const values: Record<Field, string> = { login: '', name: '', role: '', email: '', phone: '' };
    for (const [key, v] of Object.entries(value)) {
      const f = fieldOf(key);
      if (f === null) {
        errors.push({ line, reason: `unknown field "${printable(key)}"; the fields are: ${IMPORT_COLUMNS}` });
        return;
      }
      if (v === null) continue;
      if (typeof v !== 'string') {
        errors.push({ line, reason: `the field "${printable(key)}" must be a string` });
        return;
      }
      values[f] = v.trim();
    }
    records.push({ line, ...values });
  });
  return ok({ records, errors });
}

/** Shows control characters visibly and clips long input (file content is echoed in reports). */
export function printable(s: string): string {
  const clipped = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  return clipped.replace(/\p{C}/gu, '�');
}
