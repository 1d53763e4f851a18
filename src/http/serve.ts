import type { FastifyInstance } from 'fastify';
import type { App } from '../service/app.ts';

export interface ServeOptions {
  /** Install SIGTERM/SIGINT handlers (default true). */
  readonly handleSignals?: boolean;
  /** How the process ends after a signal (default `process.exit`); injectable for tests. */
  readonly exit?: (code: number) => void;
}

export interface Serving {
  /** `http://host:port` the server listens on (the real port when `port` is 0). */
  readonly address: string;
  /**
   * Graceful stop: stop accepting connections, let requests in flight finish (new requests on
   * open connections get 503), then `app.close()` (stops the outbox worker after the sends in
   * flight and closes the database). Rejects when it takes longer than `shutdown_timeout_ms`.
   * Safe to call more than once.
   */
  close(): Promise<void>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Listens on `app.config.host`/`port` and handles SIGTERM/SIGINT with a graceful stop bounded by
 * `app.config.shutdown_timeout_ms`: exit code 0 when everything closed in time, 1 otherwise. A
 * second signal during the stop exits at once with 1.
 */
export async function serve(app: App, server: FastifyInstance, options: ServeOptions = {}): Promise<Serving> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = app.config.shutdown_timeout_ms;
  const log = app.log.child({ component: 'http' });

  await server.listen({ host: app.config.host, port: app.config.port });
  const bound = server.server.address();
  const port = typeof bound === 'object' && bound !== null ? bound.port : app.config.port;
  const host = app.config.host.includes(':') ? `[${app.config.host}]` : app.config.host;
  const address = `http://${host}:${port}`;

  let closing: Promise<void> | null = null;
  function removeSignalHandlers(): void {
    for (const signal of SIGNALS) process.off(signal, onSignal);
  }

  function close(): Promise<void> {
    if (closing) return closing;
    const work = (async () => {
      try {
        await server.close();
      } finally {
        await app.close();
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Whatever is still open will not finish in time: cut it off.
        server.server.closeAllConnections();
        reject(new Error(`shutdown did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    closing = Promise.race([work, deadline]).finally(() => {
      clearTimeout(timer);
      removeSignalHandlers();
    });
    return closing;
  }

  function onSignal(signal: NodeJS.Signals): void {
    if (closing) {
      log.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    log.info({ signal, timeoutMs }, 'shutting down: finishing requests and message sends in flight');
    close().then(
      () => {
        log.info('stopped');
        exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed or timed out');
        exit(1);
      },
    );
  }

  if (options.handleSignals ?? true) for (const signal of SIGNALS) process.on(signal, onSignal);
  return { address, close };
}
