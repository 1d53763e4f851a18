import type { Command } from 'commander';
import { print, withApp, type CliContext } from './cli-context.ts';

/** `sspr purge`: delete expired data once (what `serve` does every `purge_interval_ms`). */
export function registerPurgeCommand(program: Command, ctx: CliContext): void {
  program
    .command('purge')
    .description(
      'delete expired data now, in small batches: finished flows and their codes and delivered messages older than the retention, expired sessions, old failure records; audit events only past SSPR_AUDIT_RETENTION_MS, leaving a signed checkpoint',
    )
    .option('--json', 'print the counts as JSON')
    .action(async (opts: { json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const outcome = await app.purge.runOnce();
        if (opts.json) return print(ctx, JSON.stringify(outcome));
        if (!outcome.ran) return print(ctx, 'Another instance is purging right now; nothing was done.');
        const parts = Object.entries(outcome.deleted).map(([table, n]) => `${table} ${n}`);
        print(ctx, `Deleted: ${parts.join(', ')} (${outcome.tookMs} ms).`);
      });
    });
}
