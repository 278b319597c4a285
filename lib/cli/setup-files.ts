import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Datasource, DatasourceSetup } from '../contract/api';
import { CliError, EXIT, UsageError } from './errors';

/**
 * `sici datasources setup --out DIR`: what the data owner applies in their account, as files to
 * hand over: the role's trust policy, its permissions policy, the bucket-policy variant and the
 * catalog-and-key policy that goes with it (JSON), one executable bash script per way of granting
 * S3 (AWS CLI commands, as the API generates them), and a README.txt saying what to run.
 *
 * The JSON files have the names the scripts give them (`sici-<datasourceId>-<kind>.json`): a script
 * run in the folder writes the same documents again and applies them.
 */

/** What each script of the setup's `commands` does, by its key. */
const ROUTES: Readonly<Record<string, string>> = {
  rolePolicy: "the role's own policy grants S3 within the prefixes, the Glue catalog and the KMS keys",
  bucketPolicy:
    "the bucket policy grants S3 to the role (merged into the bucket's current policy; needs jq), the role's policy the Glue catalog and the KMS keys",
};

export const scriptName = (key: string) => `setup-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}.sh`;

/** The files of the owner's package, name → content (scripts end in `.sh`). */
export function setupFiles(setup: DatasourceSetup, datasource: Datasource): Map<string, string> {
  const id = setup.datasourceId;
  if (!/^ds-[0-9a-z]{16}$/.test(id)) throw new CliError(`the API answered an unexpected datasource id: ${JSON.stringify(id)}`, EXIT.apiError);
  const json = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;
  const documents: [string, string, unknown][] = [
    [`sici-${id}-trust.json`, `trust policy of the role: only the cluster's Starburst role may assume it, with the ExternalId`, setup.trustPolicy],
    [`sici-${id}-permissions.json`, "the role's permissions policy (route 1: S3 within the prefixes, the Glue catalog, KMS keys)", setup.permissionsPolicy],
    [`sici-${id}-catalog-and-keys.json`, "the role's policy for route 2 (the Glue catalog and KMS keys only)", setup.catalogAndKeyPolicy],
    [`sici-${id}-bucket-policy.json`, "route 2: this datasource's statements for the bucket policy", setup.bucketPolicy],
  ];
  const files = new Map<string, string>();
  for (const [name, , document] of documents) files.set(name, json(document));

  const account = datasource.externalAccountId;
  const scripts: [string, string][] = [];
  for (const [key, lines] of Object.entries(setup.commands)) {
    if (!/^[a-z][A-Za-z0-9]{0,40}$/.test(key)) throw new CliError(`the API answered an unexpected setup script name: ${JSON.stringify(key)}`, EXIT.apiError);
    const name = scriptName(key);
    const what = ROUTES[key] ?? key;
    const header = [
      '#!/usr/bin/env bash',
      `# SICI datasource ${id}: ${what}.`,
      `# Run it once, in this folder, with credentials of AWS account ${account} (AWS CLI v2); see README.txt.`,
    ];
    files.set(name, `${[...header, ...lines].join('\n')}\n`);
    scripts.push([name, what]);
  }

  const prefixes = datasource.prefixes.map((prefix) => `s3://${bucketName(datasource.bucketArn)}/${prefix}`).join(', ');
  const readme = [
    `SICI datasource ${id}: what the data owner applies`,
    '',
    `A Starburst cluster (${datasource.clusterId}, team ${datasource.teamId}) is to reach ${prefixes}`,
    `(${datasource.accessMode}, region ${datasource.region}) and its Glue catalog, through a role that`,
    `you create in AWS account ${account}:`,
    '',
    `  role        ${setup.roleArn}`,
    `  trusted     ${setup.starburstRoleArn}`,
    `  ExternalId  ${setup.externalId} (generated for this datasource; the trust policy requires it)`,
    '',
    'Pick ONE way of granting S3 access and run its script in this folder, with credentials of',
    `account ${account}:`,
    '',
    ...scripts.map(([name, what], i) => `  ${i + 1}. bash ${name}\n     ${what}`),
    '',
    'The scripts write the JSON documents below (the same files as here) and apply them with the',
    'AWS CLI. SICI checks access while its job runs (for about 25 minutes) and makes the datasource',
    'ACTIVE once the cluster can reach the prefixes and nothing else; if time runs out it is FAILED',
    'and the team adds it again.',
    '',
    'Files:',
    ...documents.map(([name, what]) => `  ${name}\n      ${what}`),
    ...scripts.map(([name]) => `  ${name}`),
    '',
  ].join('\n');
  files.set('README.txt', readme);
  return files;
}

/** Writes the owner's package into `dir` (created if need be; files of the same names are replaced); returns the paths written. */
export function writeSetupFiles(dir: string, setup: DatasourceSetup, datasource: Datasource): string[] {
  try {
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`--out ${dir} exists and is not a folder`);
    mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const [name, content] of setupFiles(setup, datasource)) {
      const path = join(dir, name);
      const mode = name.endsWith('.sh') ? 0o755 : 0o644;
      writeFileSync(path, content, { mode });
      chmodSync(path, mode); // a file that was there keeps its mode otherwise
      written.push(path);
    }
    return written;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot write the setup files to ${dir}: ${(error as Error).message}`, EXIT.apiError);
  }
}

const bucketName = (bucketArn: string) => bucketArn.slice(bucketArn.indexOf(':::') + 3);
