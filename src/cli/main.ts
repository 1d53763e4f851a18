// Entry point of `sspr` (bin/sspr.js runs it through tsx). The commands are in run-cli.ts.
import { runCli } from './run-cli.ts';
import { EXIT_OK } from './cli-failure.ts';

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});
process.exitCode = code;
const serving = process.argv[2] === 'serve' && code === EXIT_OK;
// One-shot commands close everything they open, so the process ends by itself; should a stray
// handle linger, this timer ends it (unref'd: it never keeps the process alive on its own).
if (!serving) setTimeout(() => process.exit(code), 2_000).unref();
