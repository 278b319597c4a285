#!/usr/bin/env node
import '../lambda/local/quiet-sdk-node-warning';
import { Command } from 'commander';
import { loadPlatformConfig, DEFAULT_PLATFORM_CONFIG_FILE } from '../lib/config/load-platform-config';
import { startLocalControlPlane, type LocalControlPlane } from '../lambda/local/local-control-plane';
import { guardProcess } from '../lambda/local/local-server';

/** `npm start`: the SICI control plane on this machine, no AWS account needed. */
const program = new Command()
  .name('sici-local')
  .description('Run the SICI control plane locally: REST API with SigV4, DynamoDB (dynalite), the same handlers as in AWS.')
  .option('--port <port>', 'port on 127.0.0.1 (env PORT)', process.env.PORT ?? '8787')
  .option('--data <dir>', 'data folder (env SICI_DATA_DIR)', process.env.SICI_DATA_DIR ?? '.sici/local')
  .option('--config <file>', 'platform configuration (env SICI_CONFIG)', process.env.SICI_CONFIG ?? DEFAULT_PLATFORM_CONFIG_FILE)
  .option('--hold-jobs', 'accept jobs but leave them PENDING (env SICI_HOLD_JOBS=1)', process.env.SICI_HOLD_JOBS === '1')
  .option('--quiet', 'no access log line per request on stdout (env SICI_QUIET=1)', process.env.SICI_QUIET === '1')
  .parse();

async function main() {
  // Whatever still slips past a request's own error handling is logged; the server keeps serving.
  guardProcess((line) => console.error(line));
  const options = program.opts<{ port: string; data: string; config: string; holdJobs: boolean; quiet: boolean }>();
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port (or PORT) must be a port number from 0 to 65535, not "${options.port}"`);
  }
  const config = loadPlatformConfig(options.config);
  const controlPlane = await startLocalControlPlane({
    config,
    configFile: options.config,
    dataDir: options.data,
    port,
    holdJobs: options.holdJobs,
    log: (line) => console.log(line),
    accessLog: options.quiet ? undefined : (line) => console.log(line),
  });
  const teamA = controlPlane.profiles.profiles['sici-team-a'];
  console.log(`data: ${options.data}   credentials: ${controlPlane.profiles.credentialsFile} (profiles sici-admin, sici-team-a, sici-team-b)`);
  console.log('\nCreate a cluster as team-a:\n');
  console.log(
    `curl -s --aws-sigv4 "aws:amz:us-east-1:execute-api" --user "${teamA.accessKeyId}:${teamA.secretAccessKey}" \\\n` +
      `  -H 'content-type: application/json' -d '{"environment":"dev","tier":"S"}' ${controlPlane.url}/clusters\n`,
  );
  console.log(`SICI local control plane listening on ${controlPlane.url} (Ctrl-C stops it)`);
  stopOnSignalOrOrphaning(controlPlane);
}

/** A signal that arrives this soon after the first is the same stop: npm forwards the Ctrl-C the terminal also sent us. */
const SAME_STOP_MS = 500;

/**
 * SIGINT, SIGTERM or SIGHUP stop the control plane (see `stop`: running jobs resume at the next
 * start) and exit; another one during the stop exits at once, killing the synths. When the process
 * that started this one goes away (npm killed, a terminal closed), it stops too, rather than serve
 * on as an orphan.
 */
function stopOnSignalOrOrphaning(controlPlane: LocalControlPlane): void {
  let firstSignalAt: number | undefined;
  let stopping = false;
  const stop = (why: string) => {
    stopping = true;
    console.log(`${why}: stopping (running jobs resume at the next start; Ctrl-C again to exit at once)…`);
    controlPlane.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      if (!stopping) stop(signal);
    } else if (Date.now() - firstSignalAt > SAME_STOP_MS) {
      console.log(`${signal}: exiting at once`);
      process.exit(130);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // Whatever the way out, no synth outlives this process.
  process.on('exit', () => controlPlane.kill());

  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    if (!stopping) stop(`the process that started this one (${parent}) is gone`);
  }, 1000).unref();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
