import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import semver from 'semver';

// Node 24 LTS is what users run (issue 10, item 7): no locked package may refuse it, so `npm ci` on
// Node 24 prints no engine warning. .ci/run pins the same version for the Node 24 test run.
const root = new URL('../../', import.meta.url);
const ciRun = readFileSync(new URL('.ci/run', root), 'utf8');
const node24 = /^NODE24_VERSION=["']?(24\.\d+\.\d+)/m.exec(ciRun)?.[1];

interface Lock {
  packages: Record<
    string,
    {
      version?: string;
      engines?: { node?: string } | string[];
      dev?: boolean;
      optional?: boolean;
      os?: string[];
      cpu?: string[];
    }
  >;
}

test('.ci/run pins a Node 24 LTS version', () => {
  assert.ok(node24, 'NODE24_VERSION=24.x.y in .ci/run');
});

/** Whether an npm `os`/`cpu` list (`["linux"]`, `["!win32"]`, or none) admits `value`. */
function admits(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const allowed = list.filter((v) => !v.startsWith('!'));
  return allowed.length === 0 || allowed.includes(value);
}

test('every package in package-lock.json admits the pinned Node 24 LTS (no engine warning at install)', () => {
  const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as Lock;
  const refused: string[] = [];
  let checked = 0;
  for (const [path, pkg] of Object.entries(lock.packages)) {
    const range = !pkg.engines || Array.isArray(pkg.engines) ? undefined : pkg.engines.node;
    if (!range) continue;
    // a platform package for another system (sharp's @img/sharp-win32-ia32 says ^20.9.0) is never
    // installed on linux-x64, the platform of the Node 24 package .ci/run pins, so npm never checks it
    if (!admits(pkg.os, 'linux') || !admits(pkg.cpu, 'x64')) continue;
    checked++;
    if (!semver.satisfies(node24!, range, { includePrerelease: true }))
      refused.push(`${path || 'sspr'}@${pkg.version}: ${range}`);
  }
  assert.ok(checked > 50, `engine ranges read: ${checked}`);
  assert.deepEqual(refused, []);
});

test('the project itself declares the Node versions the README states (20 and 24)', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { engines: { node: string } };
  assert.ok(semver.satisfies(node24!, pkg.engines.node));
  assert.ok(semver.satisfies('20.20.2', pkg.engines.node));
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  assert.match(readme, /Node(?:\.js)? 24/);
  assert.match(readme, /Node(?:\.js)? 20/);
});
