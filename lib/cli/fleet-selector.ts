import type { Command } from 'commander';
import type { FleetSelector } from '../contract/fleet';
import { list } from './arguments';
import { UsageError } from './errors';

/**
 * Which clusters a fleet command acts on, as options: exactly one of `--cluster` (repeatable or
 * comma-separated), `--environment`, `--team` or `--all` (the API's FleetSelector).
 */

export interface SelectorOptions {
  readonly cluster?: string[];
  readonly environment?: string;
  readonly team?: string;
  readonly all?: boolean;
}

export function withSelectorOptions<C extends Command>(command: C): C {
  command
    .option('--cluster <clusterId>', 'these clusters (repeat or comma-separate)', list)
    .option('--environment <name>', "every cluster of this environment")
    .option('--team <teamId>', "every cluster of this team")
    .option('--all', 'every cluster of the fleet');
  return command;
}

/** The selector the options give; a usage error (exit 2) unless exactly one form is given. */
export function selectorOf(options: SelectorOptions): FleetSelector {
  const given = [
    options.cluster !== undefined && '--cluster',
    options.environment !== undefined && '--environment',
    options.team !== undefined && '--team',
    options.all === true && '--all',
  ].filter((flag): flag is string => typeof flag === 'string');
  if (given.length !== 1) {
    throw new UsageError(`choose the clusters with exactly one of --cluster, --environment, --team or --all${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`);
  }
  if (options.cluster) return { clusterIds: options.cluster };
  if (options.environment !== undefined) return { environment: options.environment as FleetSelector['environment'] };
  if (options.team !== undefined) return { teamId: options.team };
  return { all: true };
}
