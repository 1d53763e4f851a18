import { CliFailure, EXIT_REFUSED } from './cli-failure.ts';

/**
 * Passwords reach the CLI on standard input only, never as an argument: arguments are visible to
 * every user of the machine (`ps`, /proc/<pid>/cmdline) and end up in shell history.
 *
 * - piped (`printf '%s\n' "$PW" | sspr user set-password …`): the first line, without its line end;
 * - a terminal: asked twice, without echo.
 */
const MAX_BYTES = 16 * 1024;

export interface PasswordInput {
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
}

export async function readPassword(io: PasswordInput): Promise<string> {
  if (io.stdin.isTTY) {
    const first = await promptHidden(io, 'New password: ');
    const second = await promptHidden(io, 'Type it again: ');
    if (first !== second)
      throw new CliFailure(EXIT_REFUSED, ['error: the two passwords differ. Run the command again.']);
    return nonEmpty(first);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_BYTES) {
      throw new CliFailure(EXIT_REFUSED, [
        'error: standard input is too long for a password (at most 256 characters).',
      ]);
    }
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const value = text.replace(/\r?\n$/, '');
  if (/[\r\n]/.test(value)) {
    throw new CliFailure(EXIT_REFUSED, [
      'error: standard input has more than one line; pass the password alone on one line.',
    ]);
  }
  return nonEmpty(value);
}

function nonEmpty(value: string): string {
  if (value.length === 0) {
    throw new CliFailure(EXIT_REFUSED, [
      'error: no password on standard input. Pipe it in, e.g. printf \'%s\\n\' "$PASSWORD" | sspr …, or run the command in a terminal to be asked.',
    ]);
  }
  return value;
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
function promptHidden(io: PasswordInput, prompt: string): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    io.stderr.write(prompt);
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      io.stderr.write('\n');
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliFailure(EXIT_REFUSED, ['error: cancelled.']));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
