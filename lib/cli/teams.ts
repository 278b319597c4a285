import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Team, TeamChange } from '../contract/api';
import type { BodyInput } from './api-client';
import { count, group, list, repeatable, withExamples } from './arguments';
import { contextOf, type CliIo } from './context';
import { UsageError } from './errors';
import { formatTime, joinList, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';

/** `sici teams list | get | put` (platform admins): the team registry, its principals, entitlements and query groups. */

export function renderTeam(team: Team | TeamChange): string {
  const e = team.entitlements;
  const lines = renderFields([
    ['team', team.teamId],
    ['tiers', joinList(e.tiers)],
    ['environments', joinList(e.environments)],
    ['max clusters', e.maxClusters],
    ['clusters', team.clusterCount],
    ['read-write', e.readWriteDatasources ? 'yes' : 'no'],
    ['data accounts', e.dataAccounts ? joinList(e.dataAccounts) : 'any'],
    ['created', formatTime(team.createdAt)],
    ['updated', formatTime(team.updatedAt)],
  ]);
  const principals = `\nprincipals:\n${team.principals.map((arn) => `  ${arn}\n`).join('')}`;
  const groups = team.groups.length > 0 ? `\ngroups:\n${team.groups.map((g) => `  ${g.name}  ${g.role}\n`).join('')}` : '\ngroups: none (nobody can query its clusters)\n';
  const updates = 'clusterUpdates' in team && team.clusterUpdates ? renderClusterUpdates(team.clusterUpdates) : '';
  return lines + principals + groups + updates;
}

function renderClusterUpdates(updates: NonNullable<TeamChange['clusterUpdates']>): string {
  const started = updates.started.map((u) => `  ${u.clusterId}  UPDATE job ${u.jobId} started (re-renders its access rules)\n`);
  const deferred = updates.deferred.map((u) => `  ${u.clusterId}  ${u.status}${u.activeJobId ? `, job ${u.activeJobId} in flight` : ''}: its next job renders them\n`);
  return `\ncluster updates:\n${[...started, ...deferred].join('') || '  none\n'}`;
}

export const renderTeams = (teams: readonly Team[]): string =>
  renderTable(teams, [
    { header: 'TEAM', value: (t) => t.teamId },
    { header: 'PRINCIPALS', value: (t) => t.principals.length, right: true },
    { header: 'TIERS', value: (t) => joinList(t.entitlements.tiers) },
    { header: 'ENVIRONMENTS', value: (t) => joinList(t.entitlements.environments) },
    { header: 'CLUSTERS', value: (t) => `${t.clusterCount}/${t.entitlements.maxClusters}` },
    { header: 'RW', value: (t) => (t.entitlements.readWriteDatasources ? 'yes' : 'no') },
    { header: 'GROUPS', value: (t) => t.groups.map((g) => `${g.name}=${g.role}`).join(','), max: 60 },
  ]);

export interface PutTeamOptions {
  readonly file?: string;
  readonly principal?: string[];
  readonly tiers?: string[];
  readonly environments?: string[];
  readonly maxClusters?: number;
  readonly readWriteDatasources?: boolean;
  readonly dataAccount?: string[];
  readonly group?: { name: string; role: string }[];
}

/** Fields of a Team document (`sici teams get -o json`) that are the registry's, not the request's. */
const READ_ONLY_FIELDS = ['teamId', 'clusterCount', 'createdAt', 'updatedAt', 'clusterUpdates'];

type PutTeamBody = BodyInput<'putTeam'>;

/**
 * The body of `PUT /teams/{teamId}`: the document of `--file` (a PutTeamRequest, or a Team as
 * `teams get --output json` prints it), with each option given replacing its field.
 */
export function putTeamBody(teamId: string, options: PutTeamOptions, fileText?: string): PutTeamBody {
  let base: Record<string, unknown> = {};
  if (fileText !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fileText);
    } catch (error) {
      throw new UsageError(`--file ${options.file} is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`--file ${options.file} must hold a JSON object`);
    base = { ...(parsed as Record<string, unknown>) };
    if (base.teamId !== undefined && base.teamId !== teamId) {
      throw new UsageError(`--file ${options.file} is team ${JSON.stringify(base.teamId)}, not ${teamId}`);
    }
    for (const field of READ_ONLY_FIELDS) delete base[field];
  }
  const entitlements: Record<string, unknown> = typeof base.entitlements === 'object' && base.entitlements !== null ? { ...(base.entitlements) } : {};
  if (options.tiers) entitlements.tiers = options.tiers;
  if (options.environments) entitlements.environments = options.environments;
  if (options.maxClusters !== undefined) entitlements.maxClusters = options.maxClusters;
  if (options.readWriteDatasources !== undefined) entitlements.readWriteDatasources = options.readWriteDatasources;
  if (options.dataAccount) entitlements.dataAccounts = options.dataAccount;
  const body: Record<string, unknown> = { ...base, entitlements };
  if (options.principal) body.principals = options.principal;
  if (options.group) body.groups = options.group;

  const missing = [
    body.principals === undefined && '--principal',
    entitlements.tiers === undefined && '--tiers',
    entitlements.environments === undefined && '--environments',
    entitlements.maxClusters === undefined && '--max-clusters',
  ].filter((flag): flag is string => typeof flag === 'string');
  if (missing.length > 0) {
    throw new UsageError(`teams put replaces the whole registration: give ${missing.join(', ')} (or --file with them)`, [
      `to change one thing, start from the current one: sici teams get ${teamId} --output json > team.json, then sici teams put ${teamId} --file team.json ...`,
    ]);
  }
  return body as PutTeamBody;
}

async function readInput(io: CliIo, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --file ${file}: ${(error as Error).message}`);
    }
  }
  const stdin = io.stdin ?? process.stdin;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

export function registerTeams(program: Command, io: CliIo): void {
  const teams = program.command('teams').description('The team registry (platform admins): principals, entitlements, query groups');

  withExamples(
    withPageOptions(teams.command('list').description('List the registered teams'), 'teams').action(async (options: PageOptions, command: Command) => {
      const ctx = contextOf(io, command);
      await listPages(ctx, options, renderTeams, (nextToken) => ctx.call('listTeams', { query: { limit: options.limit, nextToken } }));
    }),
    'sici teams list --profile sici-admin',
  );

  withExamples(
    teams
      .command('get')
      .description('Show a team: principals, entitlements, groups, cluster count')
      .argument('<teamId>', 'the team, e.g. team-a')
      .action(async (teamId: string, _options: unknown, command: Command) => {
        const ctx = contextOf(io, command);
        ctx.print((await ctx.call('getTeam', { params: { teamId } })).document, renderTeam);
      }),
    'sici teams get team-a --profile sici-admin',
  );

  withExamples(
    teams
      .command('put')
      .description(
        'Register a team, or replace its registration: principals, entitlements and query groups (all of it: what is not given is removed). ' +
          'A change of groups starts UPDATE jobs that re-render the access rules of its ACTIVE clusters.',
      )
      .argument('<teamId>', 'the team (3-32 lowercase letters, digits, hyphens)')
      .option('--file <file>', 'the registration as JSON (a PutTeamRequest, or a Team as `teams get --output json` prints it; - for stdin); options given replace its fields')
      .option('--principal <arn>', 'an IAM principal of the team: arn:aws:iam::ACCOUNT:role/NAME or user/NAME (repeat for more)', repeatable)
      .option('--tiers <tiers>', 'the tiers it may use, e.g. S,M', list)
      .option('--environments <names>', 'the environments it may use, e.g. dev,prod', list)
      .option('--max-clusters <n>', 'how many clusters it may have (DELETED ones do not count)', count)
      .option('--read-write-datasources', 'it may add read-write datasources')
      .option('--no-read-write-datasources', 'read-only datasources only (the default)')
      .option('--data-account <accountId>', "an AWS account its datasources may be in (repeat or comma-separate; default: any)", list)
      .option('--group <name=role>', 'an identity provider group and its role: reader, writer or admin (repeat for more)', group)
      .action(async (teamId: string, options: PutTeamOptions, command: Command) => {
        const ctx = contextOf(io, command);
        const fileText = options.file !== undefined ? await readInput(io, options.file) : undefined;
        const answer = await ctx.call('putTeam', { params: { teamId }, body: putTeamBody(teamId, options, fileText) });
        ctx.print(answer.document, renderTeam);
      }),
    'sici teams put team-c --principal arn:aws:iam::123456789012:role/team-c-dev --tiers S,M --environments dev \\\n      --max-clusters 2 --group team-c-analysts=reader --group team-c-engineers=writer --profile sici-admin',
    '# change one thing: start from the current registration',
    'sici teams get team-c --output json > team-c.json',
    'sici teams put team-c --file team-c.json --max-clusters 4',
  );
}
