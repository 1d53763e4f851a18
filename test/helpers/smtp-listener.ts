import type { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server for tests: plain SMTP on 127.0.0.1 (no TLS, AUTH optional), every message
 * parsed with mailparser and kept in `messages`. It can be stopped and restarted on the same port
 * (the mail server is down, then back), reject recipients with a 550, and hold each message for
 * a while before accepting it (a send in flight).
 *
 *   const smtp = await startSmtpListener();
 *   const mailer = new SmtpMailer({ url: smtp.url, from: 'sspr <no-reply@example.test>' });
 *   …
 *   const [mail] = await smtp.waitFor(1);
 *   await smtp.close();
 */

export interface ReceivedMail {
  /** MAIL FROM */
  readonly envelopeFrom: string | null;
  /** RCPT TO, in order */
  readonly envelopeTo: readonly string[];
  /** Addresses in the To header */
  readonly to: readonly string[];
  /** The From header as text */
  readonly from: string;
  readonly subject: string;
  readonly text: string;
  /** The HTML part, or null when the message had none (`cid:` links kept as sent) */
  readonly html: string | null;
  /** Attachments, inline ones (`cid:`) included */
  readonly attachments: readonly ReceivedAttachment[];
  /** The message as it came over the wire */
  readonly raw: string;
  /** The name the client gave in EHLO/HELO */
  readonly heloName: string;
  readonly receivedAt: number;
}

export interface ReceivedAttachment {
  /** Content-ID without angle brackets, or null */
  readonly cid: string | null;
  readonly contentType: string;
  /** `inline` or `attachment` */
  readonly disposition: string | null;
  readonly filename: string | null;
  readonly content: Buffer;
}

export interface SmtpListenerOptions {
  /** true: every RCPT TO gets `550 5.1.1 Mailbox unavailable`; a function decides per address. */
  readonly rejectRecipients?: boolean | ((address: string) => boolean);
  /** The reply code of a rejected recipient (default 550; 450 for a temporary refusal). */
  readonly rejectCode?: number;
  /** Wait this long after the message data arrived before answering 250. */
  readonly dataDelayMs?: number;
  /** Listen on this port (default: any free port). */
  readonly port?: number;
}

export interface SmtpListener {
  readonly port: number;
  /** `smtp://127.0.0.1:<port>` */
  readonly url: string;
  /** Accepted messages, oldest first. */
  readonly messages: ReceivedMail[];
  /** Messages whose data started arriving (accepted or not yet answered). */
  readonly dataStarted: number;
  /** Connections accepted since start. */
  readonly connections: number;
  readonly running: boolean;
  /** Resolves once at least `n` messages were accepted; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Resolves once the data of at least `n` messages started arriving (a send is in flight). */
  waitForData(n: number, timeoutMs?: number): Promise<void>;
  setRejectRecipients(reject: boolean | ((address: string) => boolean), code?: number): void;
  setDataDelay(ms: number): void;
  /** Drops every connection and stops listening; the port stays reserved for `restart()`. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startSmtpListener(options: SmtpListenerOptions = {}): Promise<SmtpListener> {
  const messages: ReceivedMail[] = [];
  let reject = options.rejectRecipients ?? false;
  let rejectCode = options.rejectCode ?? 550;
  let dataDelayMs = options.dataDelayMs ?? 0;
  let dataStarted = 0;
  let connections = 0;
  let server: SMTPServer | null = null;
  let port = options.port ?? 0;
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  const notify = (): void => waiters.forEach((w) => w());

  const create = (): SMTPServer => {
    const s = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      hideSTARTTLS: true,
      logger: false,
      closeTimeout: 20,
      size: 1024 * 1024,
      onAuth(_auth, _session, callback) {
        callback(null, { user: 'test' });
      },
      onRcptTo(address, _session, callback) {
        const refuse = typeof reject === 'function' ? reject(address.address) : reject;
        if (!refuse) return callback();
        const text = rejectCode >= 500 ? '5.1.1 Mailbox unavailable' : '4.2.1 Mailbox busy, try again later';
        const e = Object.assign(new Error(text), { responseCode: rejectCode });
        return callback(e);
      },
      onData(stream, session, callback) {
        dataStarted++;
        notify();
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e) => callback(e));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          const answer = (): void => {
            // keepCidLinks: the HTML as sent (mailparser would otherwise turn cid: into data: URLs)
            simpleParser(raw, { keepCidLinks: true })
              .then((parsed) => {
                const toHeader = parsed.to ? (Array.isArray(parsed.to) ? parsed.to : [parsed.to]) : [];
                messages.push({
                  envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                  envelopeTo: session.envelope.rcptTo.map((r) => r.address),
                  to: toHeader.flatMap((a) => a.value.map((v) => v.address ?? '')),
                  from: parsed.from?.text ?? '',
                  subject: parsed.subject ?? '',
                  text: parsed.text ?? '',
                  html: typeof parsed.html === 'string' ? parsed.html : null,
                  attachments: parsed.attachments.map((a) => ({
                    cid: a.cid ?? null,
                    contentType: a.contentType,
                    disposition: a.contentDisposition ?? null,
                    filename: a.filename ?? null,
                    content: a.content,
                  })),
                  raw: raw.toString('utf8'),
                  heloName: session.hostNameAppearsAs,
                  receivedAt: Date.now(),
                });
                callback();
                notify();
              })
              .catch((e: unknown) => callback(e instanceof Error ? e : new Error(String(e))));
          };
          if (dataDelayMs > 0) setTimeout(answer, dataDelayMs);
          else answer();
        });
      },
    });
    s.on('error', () => {
      // a client that hangs up mid-session is not the test's concern
    });
    s.server.on('connection', (socket: Socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return s;
  };

  const listen = (s: SMTPServer): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      s.server.once('error', onError);
      s.listen(port, '127.0.0.1', () => {
        s.server.off('error', onError);
        const address = s.server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });

  const stop = async (): Promise<void> => {
    const s = server;
    if (!s) return;
    server = null;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closed;
  };

  const wait = (done: () => boolean, what: () => string, timeoutMs: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (done()) return resolve();
      const check = (): void => {
        if (!done()) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`SMTP listener: ${what()} within ${timeoutMs} ms`));
      }, timeoutMs);
      waiters.add(check);
    });

  server = create();
  port = await listen(server);

  return {
    get port() {
      return port;
    },
    get url() {
      return `smtp://127.0.0.1:${port}`;
    },
    messages,
    get dataStarted() {
      return dataStarted;
    },
    get connections() {
      return connections;
    },
    get running() {
      return server !== null;
    },
    async waitFor(n, timeoutMs = 5_000) {
      await wait(
        () => messages.length >= n,
        () => `expected ${n} message(s), got ${messages.length}`,
        timeoutMs,
      );
      return messages.slice();
    },
    waitForData(n, timeoutMs = 5_000) {
      return wait(
        () => dataStarted >= n,
        () => `expected data of ${n} message(s), got ${dataStarted}`,
        timeoutMs,
      );
    },
    setRejectRecipients(value, code = 550) {
      reject = value;
      rejectCode = code;
    },
    setDataDelay(ms) {
      dataDelayMs = ms;
    },
    stop,
    async restart() {
      if (server) return;
      const s = create();
      await listen(s);
      server = s;
    },
    close: stop,
  };
}
