#!/usr/bin/env node
import { Command } from 'commander';
import { loadPlatformConfig, DEFAULT_PLATFORM_CONFIG_FILE } from '../lib/config/load-platform-config';
import { startLocalControlPlane } from '../lambda/local/local-control-plane';

/** `npm start`: the SICI control plane on this machine, no AWS account needed. */
const program = new Command()
  .name('sici-local')
  .description('Run the SICI control plane locally: REST API with SigV4, DynamoDB (dynalite), the same handlers as in AWS.')
  .option('--port <port>', 'port on 127.0.0.1 (env PORT)', process.env.PORT ?? '8787')
  .option('--data <dir>', 'data folder (env SICI_DATA_DIR)', process.env.SICI_DATA_DIR ?? '.sici/local')
  .option('--config <file>', 'platform configuration (env SICI_CONFIG)', process.env.SICI_CONFIG ?? DEFAULT_PLATFORM_CONFIG_FILE)
  .option('--hold-jobs', 'accept jobs but leave them PENDING (env SICI_HOLD_JOBS=1)', process.env.SICI_HOLD_JOBS === '1')
  .parse();

async function main() {
  const options = program.opts<{ port: string; data: string; config: string; holdJobs: boolean }>();
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
  });
  const teamA = controlPlane.profiles.profiles['sici-team-a'];
  console.log(`data: ${options.data}   credentials: ${controlPlane.profiles.credentialsFile} (profiles sici-admin, sici-team-a, sici-team-b)`);
  console.log('\nCreate a cluster as team-a:\n');
  console.log(
    `curl -s --aws-sigv4 "aws:amz:us-east-1:execute-api" --user "${teamA.accessKeyId}:${teamA.secretAccessKey}" \\\n` +
      `  -H 'content-type: application/json' -d '{"environment":"dev","tier":"S"}' ${controlPlane.url}/clusters\n`,
  );
  console.log(`SICI local control plane listening on ${controlPlane.url} (Ctrl-C stops it)`);
  const stop = async () => {
    console.log('stopping: letting running jobs finish (Ctrl-C again to stop at once; they are failed at the next start)…');
    process.once('SIGINT', () => process.exit(130));
    await controlPlane.stop();
    process.exit(0);
  };
  const onSignal = () => {
    stop().catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
