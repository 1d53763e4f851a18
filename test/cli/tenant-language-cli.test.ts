import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { assertExit, assertRefused, sspr, tempDataDir, type Run } from './run-sspr.ts';

/** `sspr tenant language`: a tenant's default language and time zone from the command line (issue 12). */
const data = tempDataDir();
after(() => data.cleanup());

const run = (args: string[]): Promise<Run> => sspr(data.dir, args);

function rows(sqlText: string): Record<string, unknown>[] {
  const db = new Database(path.join(data.dir, 'sspr.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sqlText).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

test('show, set, refuse and clear a tenant’s default language and time zone; audited as cli', async () => {
  assertExit(await run(['tenant', 'create', 'Fabrikam', '--domain', 'fabrikam.example']), 0, 'tenant create');

  const shown = await run(['tenant', 'language', 'Fabrikam']);
  assertExit(shown, 0, 'show');
  assert.equal(shown.stdout, 'Default language: none (English)\nTime zone: none (UTC)\n');

  const set = await run(['tenant', 'language', 'Fabrikam', '--default-language', 'ja', '--time-zone', 'Asia/Tokyo']);
  assertExit(set, 0, 'set');
  assert.match(set.stdout, /^Saved: tenant "Fabrikam"\.\nDefault language: ja\nTime zone: Asia\/Tokyo\n$/);
  const [row] = rows('select default_locale, time_zone from tenant_looks');
  assert.deepEqual({ ...row }, { default_locale: 'ja', time_zone: 'Asia/Tokyo' });
  const [event] = rows("select actor, details from audit_events where type = 'admin.look_updated'");
  assert.equal(event?.actor, 'cli');
  assert.equal(JSON.parse(String(event?.details)).changed, 'defaultLocale timeZone');

  const bad = await run(['tenant', 'language', 'Fabrikam', '--time-zone', 'Mars/Olympus_Mons']);
  const line = assertRefused(bad, 'look_invalid', 'an unknown time zone');
  assert.match(line, /timeZone: Enter a time zone by its IANA name/);
  assertRefused(
    await run(['tenant', 'language', 'Nobody', '--time-zone', 'UTC']),
    'tenant_not_found',
    'no such tenant',
  );

  const cleared = await run(['tenant', 'language', 'Fabrikam', '--default-language', '']);
  assertExit(cleared, 0, 'clear');
  assert.match(cleared.stdout, /Default language: none \(English\)\nTime zone: Asia\/Tokyo\n$/);
});
