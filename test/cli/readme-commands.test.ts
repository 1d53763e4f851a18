import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/run-cli.ts';
import type { CliContext } from '../../src/cli/cli-context.ts';
import { ROOT } from './run-sspr.ts';

const readme = readFileSync(`${ROOT}/README.md`, 'utf8');

/** Every command a person can run, as typed after `sspr` (`user set-role`, `purge`, …), from commander itself. */
function commandPaths(command: Command, prefix: readonly string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return sub.commands.length > 0 ? commandPaths(sub, path) : [path.join(' ')];
  });
}

test('the README command table lists every command of the CLI', () => {
  const ctx = { env: {}, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr } as CliContext;
  const paths = commandPaths(buildProgram(ctx));
  assert.ok(paths.length >= 20, `found ${paths.length} commands`);
  const section = readme.slice(readme.indexOf('## Command line'), readme.indexOf('## Configuration'));
  const missing = paths.filter((p) => !new RegExp(`\`sspr ${p}[\` ]`).test(section));
  assert.deepEqual(missing, [], `README.md "Command line" lacks: ${missing.join(', ')}`);
});

test('the README names the address the start banner prints, and the quick start with a directory', () => {
  assert.doesNotMatch(readme, /localhost:3000/, 'the banner and the default public URL say 127.0.0.1');
  assert.match(readme, /<http:\/\/127\.0\.0\.1:3000\/reset>/);
  // the one command that starts sspr in front of a local OpenLDAP exists in package.json
  assert.match(readme, /npm install && npm run demo:directory/);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.match(pkg.scripts['demo:directory'] ?? '', /scripts\/demo-directory\.ts/);
  assert.match(readme, /\[docs\/directories\.md\]\(docs\/directories\.md\)/);
});
