import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Datasource, DatasourceSetup } from '../contract/api';
import { repeatable, withExamples } from './arguments';
import { idempotencyKey } from './clusters';
import { contextOf, type CliIo, type CommandContext } from './context';
import { acceptedJob } from './jobs';
import { formatTime, renderFields, renderTable } from './output';
import { listPages, withPageOptions, type PageOptions } from './pages';
import { scriptName, writeSetupFiles } from './setup-files';

/** `sici datasources add | list | get | setup | remove`: approved S3 datasources of a cluster. */

export function renderDatasource(ds: Datasource): string {
  return renderFields([
    ['datasource', ds.datasourceId],
    ['cluster', ds.clusterId],
    ['type', ds.type],
    ['status', ds.status],
    ['reason', ds.statusReason],
    ['account', ds.externalAccountId],
    ['bucket', ds.bucketArn],
    ['prefixes', ds.prefixes.join(', ')],
    ['region', ds.region],
    ['access', ds.accessMode],
    ['catalog', ds.catalog],
    ['role', ds.roleArn],
    ['external id', ds.externalId],
    ['policy', ds.iamPolicyReference],
    ['job in flight', ds.activeJobId],
    ['created', formatTime(ds.createdAt)],
    ['updated', formatTime(ds.updatedAt)],
  ]);
}

export const renderDatasources = (items: readonly Datasource[]): string =>
  renderTable(items, [
    { header: 'DATASOURCE', value: (d) => d.datasourceId },
    { header: 'TYPE', value: (d) => d.type },
    { header: 'STATUS', value: (d) => d.status },
    { header: 'ACCESS', value: (d) => d.accessMode },
    { header: 'CATALOG', value: (d) => d.catalog },
    { header: 'ACCOUNT', value: (d) => d.externalAccountId },
    { header: 'BUCKET', value: (d) => d.bucketArn },
    { header: 'PREFIXES', value: (d) => d.prefixes.join(',') },
  ]);

/** The setup on a terminal: the identifiers, then each document and script (`--out` writes them as files instead). */
export function renderSetup(setup: DatasourceSetup): string {
  const json = (document: unknown) => JSON.stringify(document, null, 2);
  const sections = [
    renderFields([
      ['datasource', setup.datasourceId],
      ['role', setup.roleArn],
      ['role name', setup.roleName],
      ['role path', setup.rolePath],
      ['external id', setup.externalId],
      ['trusted role', setup.starburstRoleArn],
      ['catalog', setup.catalog.name],
    ]),
    `== Trust policy of the role\n${json(setup.trustPolicy)}\n`,
    `== Permissions policy of the role (S3, Glue catalog, KMS keys)\n${json(setup.permissionsPolicy)}\n`,
    `== Or: bucket policy statements for the role\n${json(setup.bucketPolicy)}\n`,
    `== ... with this policy of the role (Glue catalog and KMS keys only)\n${json(setup.catalogAndKeyPolicy)}\n`,
    ...Object.entries(setup.commands).map(([key, lines]) => `== Script ${scriptName(key)}\n${lines.join('\n')}\n`),
    `== Catalog ${setup.catalog.name}\n${Object.entries(setup.catalog.properties)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n')}\n`,
  ];
  return `${sections.join('\n')}\n(sici datasources setup ${'<clusterId>'} ${setup.datasourceId} --out DIR writes these as files for the data owner)\n`;
}

async function showDatasource(ctx: CommandContext, clusterId: string, datasourceId: string): Promise<void> {
  ctx.print((await ctx.call('getDatasource', { params: { clusterId, datasourceId } })).document, renderDatasource);
}

interface AddOptions {
  type: string;
  account: string;
  bucketArn: string;
  prefix: string[];
  bucketRegion: string;
  accessMode?: string;
  idempotencyKey?: string;
  wait?: boolean;
}

export function registerDatasources(program: Command, io: CliIo): void {
  const datasources = program.command('datasources').description("S3 datasources of a cluster, in your team's AWS accounts");

  withExamples(
    datasources
      .command('add')
      .description('Add an S3 datasource (an ADD_DATASOURCE job redeploys the cluster and validates access); the data owner applies its setup meanwhile')
      .argument('<clusterId>', 'the cluster (ACTIVE, no job in flight)')
      .requiredOption('--type <type>', 'an approved connector: s3-hive or s3-iceberg')
      .requiredOption('--account <accountId>', 'the AWS account that owns the bucket and its Glue catalog')
      .requiredOption('--bucket-arn <arn>', 'the bucket, e.g. arn:aws:s3:::team-a-lake')
      .requiredOption('--prefix <prefix>', 'a folder of the bucket, e.g. sales/ (repeat for more)', repeatable)
      .requiredOption('--bucket-region <region>', 'the region of the bucket and its Glue catalog')
      .option('--access-mode <mode>', 'read-only (default) or read-write (needs the readWriteDatasources entitlement)')
      .option('--idempotency-key <key>', 'send this Idempotency-Key (default: a new random key per invocation)')
      .option('--wait', 'follow the job until the datasource is ACTIVE (exit 3 if it is rejected)')
      .action(async (clusterId: string, options: AddOptions, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (
          await ctx.call('createDatasource', {
            params: { clusterId },
            body: {
              type: options.type,
              externalAccountId: options.account,
              bucketArn: options.bucketArn,
              prefixes: options.prefix,
              region: options.bucketRegion,
              ...(options.accessMode !== undefined ? { accessMode: options.accessMode } : {}),
            },
            headers: { 'idempotency-key': idempotencyKey(options.idempotencyKey) },
          })
        ).document;
        if (!options.wait && !ctx.json && accepted.datasource) {
          ctx.note(`The data owner applies the setup meanwhile: sici datasources setup ${clusterId} ${accepted.datasource.datasourceId} --out DIR`);
        }
        const datasourceId = accepted.datasource?.datasourceId ?? '';
        await acceptedJob(ctx, accepted, options.wait, () => showDatasource(ctx, clusterId, datasourceId));
      }),
    'sici datasources add c-0123456789abcdef --type s3-hive --account 210987654321 \\\n      --bucket-arn arn:aws:s3:::team-a-lake --prefix sales/ --prefix returns/ --bucket-region eu-west-1 --wait',
  );

  withExamples(
    withPageOptions(
      datasources
        .command('list')
        .description("A cluster's datasources (DELETED ones too, for the record)")
        .argument('<clusterId>', 'the cluster')
        .option('--status <status>', 'only datasources in this status (PENDING, ACTIVE, FAILED, DELETING, DELETED)'),
      'datasources',
    ).action(async (clusterId: string, options: PageOptions & { status?: string }, command: Command) => {
      const ctx = contextOf(io, command);
      await listPages(ctx, options, renderDatasources, (nextToken) =>
        ctx.call('listDatasources', { params: { clusterId }, query: { status: options.status, limit: options.limit, nextToken } }),
      );
    }),
    'sici datasources list c-0123456789abcdef --status ACTIVE',
  );

  withExamples(
    datasources
      .command('get')
      .description('Show one datasource: status (with the reason when FAILED), role, ExternalId')
      .argument('<clusterId>', 'the cluster')
      .argument('<datasourceId>', 'the datasource, e.g. ds-0123456789abcdef')
      .action(async (clusterId: string, datasourceId: string, _options: unknown, command: Command) => showDatasource(contextOf(io, command), clusterId, datasourceId)),
    'sici datasources get c-0123456789abcdef ds-0123456789abcdef',
  );

  withExamples(
    datasources
      .command('setup')
      .description("What the data owner applies in their account: the role's trust and permissions policies, the bucket-policy variant, the AWS CLI scripts")
      .argument('<clusterId>', 'the cluster')
      .argument('<datasourceId>', 'the datasource')
      .option('--out <dir>', 'write the documents, executable .sh scripts and a README.txt into this folder, to hand to the data owner')
      .action(async (clusterId: string, datasourceId: string, options: { out?: string }, command: Command) => {
        const ctx = contextOf(io, command);
        const params = { clusterId, datasourceId };
        const [setup, datasource] = await Promise.all([
          ctx.call('getDatasourceSetup', { params }).then((answer) => answer.document),
          options.out !== undefined ? ctx.call('getDatasource', { params }).then((answer) => answer.document) : undefined,
        ]);
        if (options.out === undefined || !datasource) {
          ctx.print(setup, renderSetup);
          return;
        }
        const written = writeSetupFiles(resolve(io.cwd, options.out), setup, datasource);
        if (ctx.json) ctx.print(setup, renderSetup);
        else io.stdout.write(`${written.join('\n')}\n`);
        ctx.note(`Wrote ${written.length} files for the data owner of account ${datasource.externalAccountId}: see ${resolve(io.cwd, options.out, 'README.txt')}`);
      }),
    'sici datasources setup c-0123456789abcdef ds-0123456789abcdef --out ./for-the-data-owner',
    'sici datasources setup c-0123456789abcdef ds-0123456789abcdef --output json | jq .trustPolicy',
  );

  withExamples(
    datasources
      .command('remove')
      .description('Remove a datasource from its cluster (a REMOVE_DATASOURCE job redeploys the cluster without it)')
      .argument('<clusterId>', 'the cluster')
      .argument('<datasourceId>', 'the datasource')
      .option('--wait', 'follow the job until the datasource is DELETED (exit 3 if it fails)')
      .action(async (clusterId: string, datasourceId: string, options: { wait?: boolean }, command: Command) => {
        const ctx = contextOf(io, command);
        const accepted = (await ctx.call('deleteDatasource', { params: { clusterId, datasourceId } })).document;
        await acceptedJob(ctx, accepted, options.wait, () => showDatasource(ctx, clusterId, datasourceId));
      }),
    'sici datasources remove c-0123456789abcdef ds-0123456789abcdef --wait',
  );
}
