import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { Option, type Command } from 'commander';
import { describeConfig } from '../config/load.ts';
import type { ConfigKey } from '../config/schema.ts';
import { setupDemo } from '../service/demo.ts';
import { CLI_ACTOR, loadCliConfig, openApp, print, type CliContext } from './cli-context.ts';
import { printDemo, refuseDemoInProduction } from './directory-commands.ts';
import {
  hostOf,
  listenFailure,
  printBanner,
  refuseWorkers,
  serveAsWorker,
  startWorkers,
  warnInsecure,
  workerCount,
  type ServeFlags,
} from './serve-workers.ts';

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
    .option(
      '--workers <n>',
      'processes on this host sharing the port, or auto: one per CPU core (overrides SSPR_WORKERS)',
    )
    .option('--demo', 'first create the demo tenant and accounts when they are missing (see: sspr demo)')
    .addOption(new Option('--worker-slot <n>', 'set by the primary of --workers for each worker').hideHelp())
    .action(async (opts: ServeFlags) => {
      const overrides: Partial<Record<ConfigKey, string>> = {};
      if (opts.port !== undefined) overrides.port = opts.port;
      if (opts.host !== undefined) overrides.host = opts.host;
      if (opts.workers !== undefined) overrides.workers = opts.workers;
      let config = loadCliConfig(ctx, overrides);
      if (cluster.isWorker)
        return serveAsWorker(ctx, config, Number(opts.workerSlot ?? cluster.worker?.id ?? 1), opts.demo === true);
      if (opts.demo) refuseDemoInProduction(config);
      const workers = workerCount(config);
      if (workers > 1) refuseWorkers(config, workers);
      // Port 0: take the free port now, so that the default public URL (and every link) names it.
      if (config.port === 0) config = loadCliConfig(ctx, { ...overrides, port: await freePort(config.host) });
      if (workers > 1) {
        const log = await startWorkers(config, workers, opts.demo === true);
        printBanner(ctx, config, `http://${hostOf(config)}:${config.port}`, workers, log);
        return;
      }
      const [{ createApp, sizeHeapForServing }, { buildServer }, { serve }] = await Promise.all([
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
        sizeHeapForServing(config);
      } catch (e) {
        await app.close();
        throw listenFailure(config, e);
      }
      warnInsecure(config, app.log);
      printBanner(ctx, config, address, 1, app.log, app.devOutbox !== null);
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
