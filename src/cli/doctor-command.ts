import type { Command } from 'commander';
import type { DoctorVerdict } from '../core/doctor-rules.ts';
import { CLI_ACTOR, print, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, oneLine } from './cli-failure.ts';
import { checkLines } from './directory-settings-commands.ts';

const VERDICT_LINE: Readonly<Record<DoctorVerdict, string>> = {
  healthy: 'Verdict: healthy: nothing to fix.',
  warnings: 'Verdict: warnings: sspr works, with the weak spots above to fix when you can.',
  problems:
    'Verdict: problems: fix the FAIL lines above (something does not work, or is unsafe), then run sspr doctor again.',
};

/**
 * `sspr doctor`: the configuration's weak spots (no HTTPS, proxies trusted from anywhere), each
 * tenant's (fewer than two administrators, an administrator with SMS alone, a lab-only directory),
 * and the directory check of every tenant with a directory. Exit 0 when healthy or with warnings;
 * 1 when there are problems.
 */
export function registerDoctorCommand(program: Command, ctx: CliContext): void {
  program
    .command('doctor')
    .description(
      'check the installation: HTTPS, trusted proxies, administrators and their second check, and every tenant’s directory (sspr directory check). Exit 1 when something must be fixed.',
    )
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const verdict = await withApp(ctx, async (app) => {
        const report = await app.doctor.run({ kind: 'cli', name: CLI_ACTOR });
        if (opts.json) {
          print(ctx, JSON.stringify(report, null, 2));
          return report.verdict;
        }
        print(ctx, `sspr doctor: ${report.tenantsChecked} tenant(s), ${report.directories.length} directory check(s).`);
        if (report.findings.length === 0) print(ctx, 'No weak spots found.');
        for (const f of report.findings) {
          print(ctx, `  ${f.severity === 'fail' ? 'FAIL' : 'WARN'}  [${oneLine(f.subject)}] ${oneLine(f.message)}`);
          print(ctx, `        fix: ${oneLine(f.fix)}`);
        }
        for (const d of report.directories) {
          print(ctx, '');
          print(ctx, `Directory check of tenant "${d.tenant}":`);
          for (const line of checkLines(d.tenant, d.report)) print(ctx, line);
        }
        print(ctx, '');
        print(ctx, VERDICT_LINE[report.verdict]);
        return report.verdict;
      });
      if (verdict === 'problems') throw new CliFailure(EXIT_REFUSED, []);
    });
}
