import { Command, CommanderError, Option } from 'commander';
import { registerAudit } from './audit';
import { registerChargeback } from './chargeback';
import { registerClusters } from './clusters';
import { DEFAULT_ENDPOINT } from './connection';
import type { CliIo } from './context';
import { registerDatasources } from './datasources';
import { CliError, EXIT, EXIT_CODES_HELP } from './errors';
import { registerEvents } from './events';
import { registerFleet } from './fleet';
import { registerJobs } from './jobs';
import { OUTPUT_FORMATS, renderJson } from './output';
import { ApiError, clean } from './problem';
import { registerQueries } from './queries';
import { registerTeams } from './teams';
import { registerUsage } from './usage';

/**
 * The `sici` command line: the global options, the command groups, and how a run ends (its exit
 * code, and an error as one clear line, never a stack trace).
 */

/** The command groups, in the order `sici --help` lists them; each adds its commands to the program. */
export const COMMAND_GROUPS: readonly ((program: Command, io: CliIo) => void)[] = [
  registerClusters,
  registerJobs,
  registerEvents,
  registerDatasources,
  registerUsage,
  registerQueries,
  registerTeams,
  registerFleet,
  registerAudit,
  registerChargeback,
];

const ENVIRONMENT_HELP = [
  'Environment:',
  `  SICI_ENDPOINT   the API's base URL, as --endpoint (default ${DEFAULT_ENDPOINT}: the local control plane)`,
  '  AWS_PROFILE     the profile to sign with, as --profile',
  '  AWS_REGION      the signing region when the endpoint does not tell it (a custom domain)',
  '  SICI_DATA_DIR   the local control plane\'s data folder, whose credentials file is used for a local endpoint (default .sici/local)',
  '  AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_ACCESS_KEY_ID, ...: as for the AWS CLI',
].join('\n');

const EXAMPLES = [
  'Examples:',
  '  # against the local control plane (npm start): its profiles are found without set-up',
  '  $ sici clusters create --environment dev --tier S --wait --profile sici-team-a',
  '  $ sici clusters list --profile sici-team-a',
  '  # against the API in AWS',
  '  $ export SICI_ENDPOINT=https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  '  $ sici clusters list --profile my-team --output json',
].join('\n');

export function buildProgram(io: CliIo, version: string): Command {
  const program = new Command('sici')
    .description('SICI from a terminal: dedicated Starburst clusters for your team, their jobs, datasources and usage, and the platform admin routes.')
    .version(version, '--version', 'print the version')
    .addOption(new Option('--endpoint <url>', `the API's base URL (env SICI_ENDPOINT; default ${DEFAULT_ENDPOINT})`))
    .addOption(new Option('--profile <name>', 'the AWS profile to sign with (env AWS_PROFILE; default: the default credential chain)'))
    .addOption(new Option('--region <region>', "the API's region, for SigV4 (default: from the endpoint; us-east-1 locally)"))
    .addOption(new Option('-o, --output <format>', "table, or json: the API's document as it is").choices(OUTPUT_FORMATS).default('table'))
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text),
    })
    .showHelpAfterError('(add --help for usage and examples)')
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}\n\n${EXAMPLES}\n`);
  // Subcommands take these settings from their parent when created (see Command.copyInheritedSettings).
  for (const register of COMMAND_GROUPS) register(program, io);
  return program;
}

/** Runs the command line on `args` (the words after `sici`); resolves with the exit code. */
export async function runCli(args: readonly string[], io: CliIo, version = '0.0.0'): Promise<number> {
  const program = buildProgram(io, version);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    return report(error, io, program.opts<{ output?: string }>().output === 'json');
  }
}

function report(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof CommanderError) {
    // Commander printed its message (or the help) already.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    if (json && error instanceof ApiError && typeof error.body === 'object') io.stdout.write(renderJson(error.body));
    io.stderr.write(`error: ${clean(error.message)}\n${error.details.map((line) => `  ${clean(line)}\n`).join('')}`);
    return error.exitCode;
  }
  // A defect of the command line itself: still one line (SICI_DEBUG=1 shows where).
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error: ${clean(message)}\n`);
  if (io.env.SICI_DEBUG === '1' && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return EXIT.apiError;
}
