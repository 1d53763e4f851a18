import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

// The layer walls of eslint.config.js: each forbidden import, linted as if it were written in a
// file of that layer, is reported; the allowed ones beside it are not.
const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function wallMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

const FORBIDDEN: readonly (readonly [file: string, code: string, says: RegExp])[] = [
  [
    'src/http/x.ts',
    "import { openSqlStore } from '../adapters/sql/sql-store.ts';\nvoid openSqlStore;\n",
    /http\/cli never import adapters/,
  ],
  [
    'src/http/admin/x.ts',
    "import type { Mailer } from '../../adapters/mail/smtp-mailer.ts';\nexport type M = Mailer;\n",
    /http\/cli never import adapters/,
  ],
  ['src/http/x.ts', "export { systemClock } from '../adapters/system-clock.ts';\n", /http\/cli never import adapters/],
  [
    'src/cli/x.ts',
    "export const load = () => import('../adapters/sql/sql-store.ts');\n",
    /http\/cli never import adapters/,
  ],
  [
    'src/cli/x.ts',
    "import { systemClock } from '../adapters/system-clock.ts';\nvoid systemClock;\n",
    /http\/cli never import adapters/,
  ],
  [
    'src/service/x.ts',
    "import { loadConfig } from '../config/load.ts';\nvoid loadConfig;\n",
    /service never imports config/,
  ],
  [
    'src/service/x.ts',
    "import type { Config } from '../config/schema.ts';\nexport type C = Config;\n",
    /service never imports config/,
  ],
  [
    'src/service/x.ts',
    "import { systemClock } from '../adapters/system-clock.ts';\nvoid systemClock;\n",
    /service never imports/,
  ],
  [
    'src/service/x.ts',
    "import { buildServer } from '../http/server.ts';\nvoid buildServer;\n",
    /service never imports/,
  ],
  [
    'src/core/x.ts',
    "import type { Clock } from '../ports/clock.ts';\nexport type C = Clock;\n",
    /core imports nothing outside core/,
  ],
  [
    'src/core/x.ts',
    "import { createApp } from '../compose.ts';\nvoid createApp;\n",
    /core imports nothing outside core/,
  ],
  [
    'src/core/x.ts',
    "import type { App } from '../service/app.ts';\nexport type A = App;\n",
    /core imports nothing outside core/,
  ],
  ['src/core/x.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;\n", /core does no I\/O/],
  [
    'test/x.test.ts',
    "import { test } from 'node:test';\nawait test('a', () => {});\n",
    /No top-level await in a test file/,
  ],
];

const ALLOWED: readonly (readonly [file: string, code: string])[] = [
  ['src/http/x.ts', "import type { App } from '../service/app.ts';\nexport type A = App;\n"],
  ['src/cli/x.ts', "export const load = () => import('../compose.ts');\n"],
  ['src/service/x.ts', "import type { Clock } from '../ports/clock.ts';\nexport type C = Clock;\n"],
  ['src/core/x.ts', "import { ok } from './result.ts';\nvoid ok;\n"],
  ['test/x.test.ts', "import { test } from 'node:test';\ntest('a', async () => {\n  await Promise.resolve();\n});\n"],
];

test('every layer wall reports a forbidden import in that layer', async () => {
  for (const [file, code, says] of FORBIDDEN) {
    const messages = await wallMessages(file, code);
    assert.ok(
      messages.some((m) => says.test(m)),
      `${file}: ${code.split('\n')[0]} → ${JSON.stringify(messages)}`,
    );
  }
});

test('the walls let the allowed imports through (ports and services, the composition root, core itself)', async () => {
  for (const [file, code] of ALLOWED) {
    assert.deepEqual(await wallMessages(file, code), [], `${file}: ${code.split('\n')[0]}`);
  }
});
