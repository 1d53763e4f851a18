import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatOfFileName, IMPORT_COLUMNS, parseImport, type ImportFormat } from '../core/account-import.ts';
import { IMPORT_BATCH_SIZE, type ImportReport } from '../service/account-import.ts';
import { CLI_ACTOR, print, warn, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, oneLine } from './cli-failure.ts';
import { formatTable } from './format-table.ts';

/** At most this many bytes are read (a million accounts fit easily). */
const MAX_FILE_BYTES = 256 * 1024 * 1024;

/**
 * `sspr user import <file>`: adds and updates accounts from a CSV file (header row) or JSON Lines,
 * one transaction per batch, with a report line per input line. Exit 0 when every line was
 * added, updated or unchanged; 1 when a line was refused (the others are still applied).
 */
export function registerImportCommand(user: Command, ctx: CliContext): void {
  user
    .command('import')
    .description(
      `add or update many accounts from a file: CSV with a header row, or JSON Lines (one object per line); ` +
        `fields: ${IMPORT_COLUMNS} (role, alternate_email and phone are optional). Contact data is recorded as ` +
        'verified, as an administrator pre-fill. Passwords are not imported: people reset theirs, or an ' +
        'administrator sends a reset link. Running the same file again changes nothing.',
    )
    .argument('<file>', 'a .csv or .jsonl file')
    .option('--format <format>', 'csv or jsonl (default: from the file name)')
    .option('--dry-run', 'check every line against the database and report, but write nothing')
    .option('--batch-size <lines>', `lines per transaction (default ${IMPORT_BATCH_SIZE})`)
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { format?: string; dryRun?: boolean; batchSize?: string; json?: boolean }) => {
      const format = chooseFormat(file, opts.format);
      const batchSize = opts.batchSize === undefined ? IMPORT_BATCH_SIZE : Number(opts.batchSize);
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
        throw new CliFailure(EXIT_REFUSED, [
          'error: --batch-size takes a whole number of lines from 1 to 10000. (import_batch_size_invalid)',
        ]);
      }
      const text = await readImportFile(file);
      const parsed = parseImport(text, format);
      if (!parsed.ok) {
        throw new CliFailure(EXIT_REFUSED, [
          `error: ${oneLine(parsed.detail ?? parsed.error)} Nothing was imported. (${parsed.error})`,
        ]);
      }
      const report = await withApp(ctx, (app) =>
        app.directory.importAccounts(parsed.value.records, parsed.value.errors, {
          actor: CLI_ACTOR,
          dryRun: opts.dryRun ?? false,
          batchSize,
        }),
      );
      if (opts.json) print(ctx, JSON.stringify(report, null, 2));
      else printReport(ctx, report);
      if (report.counts.error > 0) {
        throw new CliFailure(EXIT_REFUSED, [
          `error: ${report.counts.error} line(s) were refused (see the report); the other lines were ${report.dryRun ? 'checked' : 'applied'}. Fix those lines and run the same file again: lines already imported are reported unchanged. (import_lines_refused)`,
        ]);
      }
    });
}

function chooseFormat(file: string, option: string | undefined): ImportFormat {
  if (option !== undefined) {
    const f = option.trim().toLowerCase();
    if (f === 'csv' || f === 'jsonl') return f;
    throw new CliFailure(EXIT_REFUSED, [
      `error: "${oneLine(option)}" is not a format; use --format csv or --format jsonl. (import_format_unknown)`,
    ]);
  }
  const f = formatOfFileName(file);
  if (f) return f;
  throw new CliFailure(EXIT_REFUSED, [
    'error: cannot tell the format from the file name; name it .csv or .jsonl, or pass --format csv|jsonl. (import_format_unknown)',
  ]);
}

async function readImportFile(file: string): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new CliFailure(EXIT_REFUSED, [
      `error: cannot read ${oneLine(file)} (${typeof code === 'string' ? code : 'unreadable'}); check the path. (import_file_unreadable)`,
    ]);
  }
  if (buffer.length > MAX_FILE_BYTES) {
    throw new CliFailure(EXIT_REFUSED, [
      `error: ${oneLine(file)} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; split it. (import_file_too_large)`,
    ]);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new CliFailure(EXIT_REFUSED, [
      `error: ${oneLine(file)} is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in spreadsheet programs). (import_file_encoding)`,
    ]);
  }
}

function printReport(ctx: CliContext, report: ImportReport): void {
  if (report.lines.length === 0) {
    print(ctx, 'The file has no account lines.');
    return;
  }
  print(
    ctx,
    formatTable(
      ['LINE', 'LOGIN', 'RESULT', 'DETAIL'],
      report.lines.map((l) => [String(l.line), l.login || '-', l.outcome, l.reason ? oneLine(l.reason) : '']),
    ),
  );
  const c = report.counts;
  const summary = `${c.added} added, ${c.updated} updated, ${c.unchanged} unchanged, ${c.error} refused`;
  print(ctx);
  print(ctx, report.dryRun ? `Dry run: ${summary}. Nothing was written.` : `${summary}.`);
  if (report.failedBatches > 0) {
    warn(ctx, `warning: ${report.failedBatches} batch(es) failed in the database and were rolled back.`);
  }
}
