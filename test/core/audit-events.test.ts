import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { AUDIT_EVENT_TYPES, isAuditEventType } from '../../src/core/audit-events.ts';
import { auditEventLabelId, eventTypeOptions } from '../../src/core/audit-view.ts';
import { catalogue, LOCALES, translate } from '../../src/core/i18n.ts';
import { EMAIL_TEMPLATE_IDS, SMS_TEMPLATE_IDS } from '../../src/core/message-templates.ts';
import type { AuditEvent } from '../../src/service/request-context.ts';

/**
 * Every audit event type sspr can write has a label in the viewer, in every language (issue 12).
 * Two guards: the services can only write a type of AUDIT_EVENT_TYPES (AuditEvent.type is typed
 * with it: an unknown literal does not compile, checked below with @ts-expect-error), and a scan of
 * src/ for the type literals in audit calls, so a literal that slips past the types still fails.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? sources(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [],
    );
}

const EVENT_LIKE = /^(?:[a-z_]+\.[a-z_]+|signout)$/;
const MESSAGE_TEMPLATES: ReadonlySet<string> = new Set<string>([...EMAIL_TEMPLATE_IDS, ...SMS_TEMPLATE_IDS]);

/** The event-like literals of src/ in audit contexts (`type:`, `auditType:`, credential-paths' `event:`, the audit helpers' arguments), by literal → where. */
function scanEventLiterals(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of sources(path.join(ROOT, 'src'))) {
    const text = fs.readFileSync(file, 'utf8');
    const where = path.relative(ROOT, file);
    const add = (literal: string): void => {
      // an email or SMS template id beside an audit call is a message, not an event
      if (!EVENT_LIKE.test(literal) || MESSAGE_TEMPLATES.has(literal)) return;
      found.set(literal, [...(found.get(literal) ?? []), where]);
    };
    // `event:` is the audit event in credential-paths.ts; elsewhere it names a log line
    const keys =
      where === 'src/service/credential-paths.ts'
        ? /\b(?:type|event):\s*([^\n,]*)/g
        : /\b(?:type|auditType):\s*([^\n,]*)/g;
    for (const m of text.matchAll(keys)) for (const l of m[1]!.matchAll(/'([^']+)'/g)) add(l[1]!);
    for (const m of text.matchAll(/\b_EVENT\s*=\s*'([^']+)'/g)) add(m[1]!);
    for (const m of text.matchAll(
      /\b(?:appendSelfEvent|auditFlow|auditChange|auditSyncChange|noteFailure|audit)\(([^;]*?)\)[;,\n]/gs,
    ))
      for (const l of m[1]!.matchAll(/'([^']+)'/g)) add(l[1]!);
  }
  return found;
}

describe('audit event types', () => {
  test('the list has no duplicates, and every type has a label in all 7 locales', () => {
    assert.equal(new Set(AUDIT_EVENT_TYPES).size, AUDIT_EVENT_TYPES.length);
    for (const type of AUDIT_EVENT_TYPES) {
      const id = auditEventLabelId(type);
      assert.equal(id, `admin.audit.event.${type}`);
      for (const locale of LOCALES) {
        assert.ok(Object.hasOwn(catalogue(locale), id!), `${type} has a label in ${locale}`);
        assert.ok(translate(locale, id!).trim().length > 2, `${type} label in ${locale}`);
      }
      assert.notEqual(translate('de', id!), translate('en', id!), `${type}: the German label is German`);
    }
    assert.equal(auditEventLabelId('zzz.custom'), null, 'an unknown type has no label (shown by its id)');
    assert.ok(!isAuditEventType('zzz.custom'));
  });

  test('every event-type literal in an audit call of src/ is in the list, and every listed type is written somewhere', () => {
    const found = scanEventLiterals();
    const unknown = [...found].filter(([literal]) => !isAuditEventType(literal));
    assert.deepEqual(unknown, [], 'audit event types written but not listed in core/audit-events.ts');
    assert.ok(found.size >= 50, `the scan finds the audit calls (${found.size} types found)`);

    // the other way: a listed type is written as a literal, or by a template (`message.${outcome}`)
    const service = sources(path.join(ROOT, 'src/service'))
      .map((f) => fs.readFileSync(f, 'utf8'))
      .join('\n');
    const stale = AUDIT_EVENT_TYPES.filter(
      (type) => !service.includes(`'${type}'`) && !service.includes(`\`${type.split('.')[0]}.\${`),
    );
    assert.deepEqual(stale, [], 'listed types no code writes');
  });

  test('only appendAudit writes to the audit repo, and its type (and appendSelfEvent’s) is AuditEventType', () => {
    const writers = sources(path.join(ROOT, 'src'))
      .filter((f) => /\.audit\.append\(/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(ROOT, f));
    assert.deepEqual(writers, ['src/service/request-context.ts']);
    const context = fs.readFileSync(path.join(ROOT, 'src/service/request-context.ts'), 'utf8');
    assert.match(context, /interface AuditEvent \{[^}]*readonly type: AuditEventType;/s);
    const self = fs.readFileSync(path.join(ROOT, 'src/service/audit-context.ts'), 'utf8');
    assert.match(self, /appendSelfEvent\([^)]*type: AuditEventType,/s);
    // compile-time: a type outside the list does not type-check (npm test runs tsc on this file)
    // @ts-expect-error -- not an audit event type
    const wrong: AuditEvent['type'] = 'account.exploded';
    assert.ok(!isAuditEventType(wrong));
  });

  test('the viewer’s type select offers every listed type, labelled, plus unknown types found in the log', () => {
    const options = eventTypeOptions(['zzz.custom']);
    for (const type of AUDIT_EVENT_TYPES) {
      const option = options.find((o) => o.value === type);
      assert.equal(option?.label, `${translate('en', auditEventLabelId(type)!)} (${type})`);
    }
    assert.ok(options.some((o) => o.value === 'zzz.custom' && o.label === 'zzz.custom'));
  });
});
