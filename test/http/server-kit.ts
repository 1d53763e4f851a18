import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/http/server.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { createTestApp, type TestAppOptions } from '../helpers/test-app.ts';

export interface TestServer {
  readonly app: App;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

/**
 * A real App on a temp SQLite file and the HTTP server built around it (Fastify logging through
 * `app.log`). `routes` may add test-only routes before the server is ready.
 */
export async function createTestServer(
  overrides: Record<string, string> = {},
  options: TestAppOptions & { readonly routes?: (server: FastifyInstance) => void } = {},
): Promise<TestServer> {
  const { app, cleanup } = await createTestApp(overrides, options);
  let server: FastifyInstance;
  try {
    server = await buildServer(app);
    options.routes?.(server);
    await server.ready();
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    app,
    server,
    async close() {
      try {
        await server.close();
      } finally {
        await cleanup();
      }
    },
  };
}

/** The headers every response must carry, whatever its status or type. */
export const EXPECTED_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;form-action 'self';frame-ancestors 'none';base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};
