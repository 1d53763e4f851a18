/**
 * The development console: pino writes its JSON lines here and a person reads one short line per
 * event instead — time, level, component, message, then the other fields as `key=value`:
 *
 *   09:41:07.312 INFO  outbox: message sent messageId=5f0c… channel=email template=reset.code
 *   09:41:07.318 INFO  request completed GET /reset/flow 200 4.1 ms reqId=0b2e…
 *
 * The dev outbox's message text (`devText`) follows on indented lines, so a code can be read off
 * the console. Redaction has already happened in pino: this only changes the layout. Production
 * logs stay JSON (compose.ts never uses this there).
 */
export interface LineSink {
  write(s: string): unknown;
  readonly isTTY?: boolean;
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Readonly<Record<number, string>> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };
/** Fields shown in the line's head, or not at all. */
const HEAD = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'req', 'res', 'responseTime', 'devText']);

export function prettyDestination(out: LineSink, colour = out.isTTY === true && !process.env.NO_COLOR) {
  let partial = '';
  return {
    write(chunk: string): void {
      const text = partial + chunk;
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') out.write(prettyLine(line, colour) + '\n');
    },
  };
}

/** One JSON log line as a person reads it; a line that is not JSON is passed through. */
export function prettyLine(json: string, colour = false): string {
  let entry: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return json;
    entry = parsed as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const name = (LEVELS[level] ?? String(level)).padEnd(5);
  const parts: string[] = [time, colour && COLOURS[level] ? `${COLOURS[level]}${name}\x1b[0m` : name];
  const component = typeof entry.component === 'string' ? `${entry.component}: ` : '';
  parts.push(`${component}${typeof entry.msg === 'string' ? entry.msg : ''}`.trimEnd());

  const req = entry.req as { method?: unknown; url?: unknown } | undefined;
  if (req && typeof req === 'object') parts.push(`${String(req.method ?? '')} ${String(req.url ?? '')}`.trim());
  const res = entry.res as { statusCode?: unknown } | undefined;
  if (res && typeof res === 'object' && res.statusCode !== undefined) parts.push(String(res.statusCode));
  if (typeof entry.responseTime === 'number') parts.push(`${entry.responseTime.toFixed(1)} ms`);

  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  for (const [key, value] of Object.entries(entry)) {
    if (HEAD.has(key) || value === undefined || value === null) continue;
    if (typeof value === 'string' && value.length > 2 && msg.includes(value)) continue; // said already
    parts.push(`${key}=${show(value)}`);
  }
  let line = parts.filter((p) => p !== '').join(' ');
  if (typeof entry.devText === 'string') line += '\n' + indent(entry.devText);
  const stack = (entry.err as { stack?: unknown } | undefined)?.stack;
  if (typeof stack === 'string') line += '\n' + indent(stack);
  return line;
}

function show(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value !== null && typeof value === 'object' && 'stack' in value) {
    const { stack: _stack, ...rest } = value as Record<string, unknown>;
    return JSON.stringify(rest);
  }
  return JSON.stringify(value);
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    | ${l}`)
    .join('\n');
}
