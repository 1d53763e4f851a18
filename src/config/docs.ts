import { z } from 'zod';
import { configSchema, envName, type KeySpec } from './schema.ts';

/** Renders docs/configuration.md from the schema; `test/config/docs.test.ts` fails when the file is stale. */
export function renderConfigDocs(): string {
  const rows = Object.entries(configSchema).map(([key, raw]) => {
    const s = raw as KeySpec;
    const def = s.defaultDoc ?? defaultOf(s.schema);
    const cells = [
      `\`${envName(key)}\``,
      `\`${key}\``,
      escape(typeOf(s.schema)),
      def === undefined ? '—' : escape(def),
      s.unit ?? '',
      escape(s.description) +
        (s.example ? ` Example: \`${s.example}\`.` : '') +
        (s.secret ? ' **Secret**: masked by `sspr config check`, never logged.' : ''),
    ];
    return `| ${cells.join(' | ')} |`;
  });
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/config/schema.ts by `npm run docs:config`. Do not edit by hand: a test fails when this file is stale. -->',
    '',
    "sspr reads its settings once at start, from a JSON file named by `SSPR_CONFIG_FILE` (keys as in the second column), then from `SSPR_*` environment variables (which win), then from command-line flags (`sspr serve --port`). Every problem is reported at once with the key's name, and the process refuses to start. `sspr config check` prints the resolved configuration with secrets masked.",
    '',
    'An `SSPR_*` variable (or a file key) that is not in the table below is refused, not ignored: a typo would otherwise leave a setting at its default without a word. The message names the nearest known setting, e.g. `SSPR_SMTP_ULR: unknown setting (did you mean SSPR_SMTP_URL?)`.',
    '',
    'Development vs production: with `NODE_ENV=production`, `SSPR_SMTP_URL` and `SSPR_SECRET_KEY` are required, `SSPR_PUBLIC_URL` must be an `https://` address (browsers drop `__Host-` cookies and do not run the CAPTCHA over plain http, so nobody could reset; `SSPR_ALLOW_INSECURE_PUBLIC_URL=true` lets a lab start anyway, with a warning in the log), logs are JSON lines, and the dev outbox (`/dev/outbox`) does not exist. In development the console log is one readable line per event.',
    '',
    '| variable | file key | type | default | unit | description |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function defaultOf(schema: z.ZodType): string | undefined {
  const r = schema.safeParse(undefined);
  if (r.success && r.data !== undefined) return `\`${String(r.data)}\``;
  return undefined;
}

function typeOf(schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as {
    type?: string | string[];
    enum?: unknown[];
    anyOf?: { enum?: unknown[]; type?: string }[];
  };
  const en = json.enum ?? json.anyOf?.find((a) => a.enum)?.enum;
  if (en) return en.map((v) => String(v)).join(' | ');
  // a yes/no setting: a boolean in the file, `true`/`false` in the environment
  if (Array.isArray(json.type)) return json.type.includes('boolean') ? 'boolean' : json.type.join(' | ');
  return (
    json.type ??
    json.anyOf
      ?.map((a) => a.type)
      .filter(Boolean)
      .join(' | ') ??
    'string'
  );
}

const escape = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
