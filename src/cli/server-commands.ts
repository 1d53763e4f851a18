import { createServer } from 'node:net';
import type { Command } from 'commander';
import { describeConfig } from '../config/load.ts';
import type { ConfigKey } from '../config/schema.ts';
import { setupDemo } from '../service/demo.ts';
import { CLI_ACTOR, loadCliConfig, openApp, print, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED } from './cli-failure.ts';
import { printDemo, refuseDemoInProduction } from './directory-commands.ts';

/** A port that is free on `host` right now (the OS picks it). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const bound = probe.address();
      probe.close(() => (typeof bound === 'object' && bound ? resolve(bound.port) : reject(new Error('no port'))));
    });
  });
}

/** `sspr serve`, `sspr migrate`, `sspr config check`. */
export function registerServerCommands(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description(
      'run the web server and the message worker (stop with Ctrl+C or SIGTERM: requests and sends in flight finish first)',
    )
    .option('--port <n>', 'TCP port, 0 picks a free one (overrides SSPR_PORT)')
    .option('--host <h>', 'address to listen on (overrides SSPR_HOST)')
    .option('--demo', 'first create the demo tenant and accounts when they are missing (see: sspr demo)')
    .action(async (opts: { port?: string; host?: string; demo?: boolean }) => {
      const overrides: Partial<Record<ConfigKey, string>> = {};
      if (opts.port !== undefined) overrides.port = opts.port;
      if (opts.host !== undefined) overrides.host = opts.host;
      let config = loadCliConfig(ctx, overrides);
      if (opts.demo) refuseDemoInProduction(config);
      // Port 0: take the free port now, so that the default public URL (and every link) names it.
      if (config.port === 0) config = loadCliConfig(ctx, { ...overrides, port: await freePort(config.host) });
      const [{ createApp }, { buildServer }, { serve }] = await Promise.all([
        import('../compose.ts'),
        import('../http/server.ts'),
        import('../http/serve.ts'),
      ]);
      const app = await createApp(config, { startWorker: true });
      let address: string;
      try {
        await app.migrate();
        if (opts.demo) printDemo(ctx, await setupDemo(app.directory, app.random, CLI_ACTOR), true);
        const server = await buildServer(app);
        ({ address } = await serve(app, server));
      } catch (e) {
        await app.close();
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' || (e as NodeJS.ErrnoException).code === 'EACCES') {
          throw new CliFailure(EXIT_REFUSED, [
            `error: cannot listen on ${config.host}:${config.port} (${(e as NodeJS.ErrnoException).code}). ` +
              'Stop the program using it, or choose another port with --port <n> (or SSPR_PORT).',
          ]);
        }
        throw e;
      }
      const url = config.public_url;
      if (config.allow_insecure_public_url && config.production && url.startsWith('http:'))
        app.log.warn(
          { publicUrl: url },
          'SSPR_ALLOW_INSECURE_PUBLIC_URL=true: serving a production instance at a plain http address. Browsers drop the __Host- cookies and may not run the CAPTCHA there, so resets can fail; use it in a lab only',
        );
      if (config.production) {
        // production: every line on stdout is a JSON log line, the banner too
        app.log.info(
          { address, publicUrl: url, reset: `${url}/reset` },
          `sspr is listening on ${address}; people reach it at ${url}`,
        );
        return;
      }
      // development: the addresses a person follows are the public URL's (the same host as the links in emails)
      print(ctx, `sspr is listening on ${address}`);
      if (url !== address)
        print(ctx, `  people reach it at SSPR_PUBLIC_URL=${url} (links in emails are built from it)`);
      print(ctx, `  reset a password:  ${url}/reset`);
      print(ctx, `  sign in:           ${url}/signin`);
      if (app.devOutbox)
        print(ctx, `  dev outbox:        ${url}/dev/outbox  (development only: emails and text messages land here)`);
      print(ctx, 'Stop with Ctrl+C.');
    });

  program
    .command('migrate')
    .description(
      'apply pending database migrations (safe to run again; every command that uses the database does it first)',
    )
    .action(async () => {
      const app = await openApp(loadCliConfig(ctx), ctx);
      try {
        const applied = await app.migrate();
        if (applied.length === 0) print(ctx, 'The database is up to date; no migration to apply.');
        else print(ctx, `Applied ${applied.length} migration(s): ${applied.join(', ')}`);
      } finally {
        await app.close();
      }
    });

  const config = program.command('config').description('inspect the configuration');
  config
    .command('check')
    .description('print the resolved configuration with secrets masked; exit 2 listing every problem')
    .action(() => {
      const resolved = loadCliConfig(ctx);
      for (const line of describeConfig(resolved)) print(ctx, line);
      print(ctx, `NODE_ENV=${ctx.env.NODE_ENV ?? '(not set)'} (${resolved.production ? 'production' : 'development'})`);
      print(ctx, 'The configuration is valid.');
    });
}
