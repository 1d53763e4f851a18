import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prettyLine } from '../../src/adapters/pretty-log.ts';
import { createLogger } from '../../src/compose.ts';

const at = Date.UTC(2026, 11, 5, 9, 41, 7, 312);

function capture(): { sink: NodeJS.WritableStream; text(): string } {
  let text = '';
  const sink = { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream;
  return { sink, text: () => text };
}

test('a log line for a person: time, level, component, message, then the other fields', () => {
  const line = JSON.stringify({
    level: 30,
    time: at,
    pid: 1,
    hostname: 'h',
    component: 'outbox',
    msg: 'message sent',
    messageId: 'm-1',
    template: 'reset.code',
    attempt: 1,
    reason: null,
    detail: 'two words',
  });
  assert.equal(
    prettyLine(line),
    '09:41:07.312 INFO  outbox: message sent messageId=m-1 template=reset.code attempt=1 detail="two words"',
  );
});

test('request lines show method, path, status and time; an error shows its stack on indented lines', () => {
  const done = JSON.stringify({
    level: 30,
    time: at,
    reqId: 'r-1',
    res: { statusCode: 404 },
    req: { method: 'GET', url: '/nope' },
    responseTime: 1.234,
    msg: 'request completed',
  });
  assert.equal(prettyLine(done), '09:41:07.312 INFO  request completed GET /nope 404 1.2 ms reqId=r-1');
  const failed = prettyLine(
    JSON.stringify({
      level: 50,
      time: at,
      msg: 'boom',
      err: { type: 'Error', message: 'x', stack: 'Error: x\n  at f' },
    }),
  );
  assert.equal(failed, '09:41:07.312 ERROR boom err={"type":"Error","message":"x"}\n    | Error: x\n    |   at f');
  assert.equal(prettyLine('not json'), 'not json');
});

test('the dev outbox text follows on indented lines, fields already in the message are not repeated', () => {
  const line = JSON.stringify({
    level: 30,
    time: at,
    component: 'dev-outbox',
    to: 'ada@example.com',
    devText: 'Your code is 123456\n',
    msg: 'dev outbox: email to ada@example.com: Your code',
  });
  assert.equal(
    prettyLine(line),
    '09:41:07.312 INFO  dev-outbox: dev outbox: email to ada@example.com: Your code\n    | Your code is 123456',
  );
});

test('createLogger writes JSON in production and readable lines in development, redacting in both', () => {
  const prod = capture();
  createLogger({ log_level: 'info', production: true }, prod.sink).info({ password: 'hunter2' }, 'hello');
  const parsed = JSON.parse(prod.text()) as Record<string, unknown>;
  assert.equal(parsed.msg, 'hello');
  assert.equal(parsed.password, '[redacted]');

  const dev = capture();
  createLogger({ log_level: 'info', production: false }, dev.sink).info({ password: 'hunter2' }, 'hello');
  assert.match(dev.text(), /^\d\d:\d\d:\d\d\.\d{3} INFO {2}hello password=\[redacted\]\n$/);
});
