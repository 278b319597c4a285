import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasourceSetup, roleNameAndPath, setupCommands, shellQuote } from '../../../lib/access/datasource-setup';
import { bucketPolicyVariant, ownerCatalogAndKeyPolicy, ownerRolePolicy, ownerRoleTrustPolicy } from '../../../lib/access/owner-documents';
import { TenantDatasource } from '../../../lib/contract/tenant-spec';
import { TENANTS } from './generated-tenants';

/**
 * The generated AWS CLI commands, run by bash against a stand-in `aws` that records each call and
 * keeps the documents it was handed, so that what an owner runs is checked, not only what it says.
 */

const STARBURST = TENANTS[0].starburstRoleArn;
const DATASOURCE = TenantDatasource.parse({
  id: 'ds-0123456789abcdef',
  type: 's3-hive',
  externalAccountId: '555555555555',
  roleArn: 'arn:aws:iam::555555555555:role/sici/datasources/sici-ds-0123456789abcdef',
  externalId: `sici-${'ab'.repeat(24)}`,
  bucketArn: 'arn:aws:s3:::owner-lake',
  prefixes: ["o'brien(raw)/", 'sales'],
  region: 'us-east-1',
  accessMode: 'read-write',
});

/** A stand-in for the AWS CLI: logs its arguments, saves `file://` documents, serves a bucket policy. */
const FAKE_AWS = `#!/usr/bin/env bash
set -euo pipefail
printf '%s\\n' "$*" >> "$FAKE_AWS_DIR/calls.log"
doc() { local target=$1 flag=$2; shift 2; while [ $# -gt 0 ]; do if [ "$1" = "$flag" ]; then cp "\${2#file://}" "$FAKE_AWS_DIR/$target"; return; fi; shift; done; echo "no $flag" >&2; exit 2; }
case "$1 $2" in
  "iam create-role") doc created-trust.json --assume-role-policy-document "$@" ;;
  "iam put-role-policy") doc role-policy.json --policy-document "$@" ;;
  "s3api get-bucket-policy")
    if [ -f "$FAKE_AWS_DIR/bucket-policy.json" ]; then cat "$FAKE_AWS_DIR/bucket-policy.json"
    elif [ -f "$FAKE_AWS_DIR/deny-read" ]; then echo "An error occurred (AccessDenied) when calling the GetBucketPolicy operation: Access Denied" >&2; exit 254
    else echo "An error occurred (NoSuchBucketPolicy) when calling the GetBucketPolicy operation: The bucket policy does not exist" >&2; exit 254; fi ;;
  "s3api put-bucket-policy") doc bucket-policy.json --policy "$@" ;;
  *) echo "unexpected aws $*" >&2; exit 2 ;;
esac
`;

interface Run {
  status: number | null;
  calls: string[];
  json: (name: string) => unknown;
}

const readJson = (dir: string, name: string): unknown => JSON.parse(readFileSync(join(dir, name), 'utf8'));

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function newAwsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sici-setup-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'aws'), FAKE_AWS);
  chmodSync(join(dir, 'aws'), 0o755);
  return dir;
}

function run(commands: string[], dir = newAwsDir()): Run {
  const work = mkdtempSync(join(dir, 'work-'));
  const result = spawnSync('bash', ['-c', commands.join('\n')], {
    cwd: work,
    env: { PATH: `${dir}:${process.env.PATH}`, FAKE_AWS_DIR: dir },
    encoding: 'utf8',
  });
  const log = join(dir, 'calls.log');
  const calls = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
  // Each run starts with a fresh log, so that a second run over the same account shows only its own calls.
  rmSync(log, { force: true });
  return { status: result.status, calls, json: (name) => readJson(dir, name) };
}

let setup: DatasourceSetup;
beforeAll(() => {
  setup = setupCommands({ datasource: DATASOURCE, starburstRoleArn: STARBURST });
});

test('jq and bash are here (the bucket-policy route needs jq)', () => {
  expect(execFileSync('jq', ['--version'], { encoding: 'utf8' })).toMatch(/^jq-/);
});

test('the documents are the generated ones, for the role in the ARN', () => {
  expect(setup.roleName).toBe('sici-ds-0123456789abcdef');
  expect(setup.rolePath).toBe('/sici/datasources/');
  expect(setup.trustPolicy).toEqual(ownerRoleTrustPolicy({ starburstRoleArn: STARBURST, externalId: DATASOURCE.externalId }));
  const access = { bucketArn: DATASOURCE.bucketArn, prefixes: DATASOURCE.prefixes, accessMode: DATASOURCE.accessMode };
  const owner = { externalAccountId: DATASOURCE.externalAccountId, region: DATASOURCE.region };
  expect(setup.permissionsPolicy).toEqual(ownerRolePolicy({ ...access, ...owner }));
  expect(setup.catalogAndKeyPolicy).toEqual(ownerCatalogAndKeyPolicy({ ...access, ...owner }));
  expect(setup.bucketPolicy).toEqual(bucketPolicyVariant({ ...access, datasourceId: DATASOURCE.id, roleArn: DATASOURCE.roleArn }));
  // The owner's catalog and keys in the datasource's region.
  expect(JSON.stringify(setup.catalogAndKeyPolicy)).toContain('arn:aws:glue:us-east-1:555555555555:catalog');
  expect(JSON.stringify(setup.catalogAndKeyPolicy)).toContain('arn:aws:kms:us-east-1:555555555555:key/*');
});

test('role route: creates the role with the trust policy, then puts the permissions policy (S3, Glue, KMS)', () => {
  const result = run(setup.commands.rolePolicy);
  expect(result.status).toBe(0);
  expect(result.calls).toHaveLength(2);
  expect(result.calls[0]).toMatch(/^iam create-role --role-name sici-ds-0123456789abcdef --path \/sici\/datasources\/ /);
  expect(result.calls[0]).toContain('--tags Key=sici:datasource,Value=ds-0123456789abcdef');
  expect(result.calls[1]).toMatch(/^iam put-role-policy --role-name sici-ds-0123456789abcdef --policy-name sici-ds-0123456789abcdef-access /);
  expect(result.json('created-trust.json')).toEqual(setup.trustPolicy);
  expect(result.json('role-policy.json')).toEqual(setup.permissionsPolicy);
});

test('bucket route on a bucket without a policy: the role gets the Glue and KMS policy, the datasource statements become the bucket policy', () => {
  const result = run(setup.commands.bucketPolicy);
  expect(result.status).toBe(0);
  expect(result.calls.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual(['iam create-role', 'iam put-role-policy', 's3api get-bucket-policy', 's3api put-bucket-policy']);
  expect(result.calls[1]).toMatch(/^iam put-role-policy --role-name sici-ds-0123456789abcdef --policy-name sici-ds-0123456789abcdef-catalog-and-keys /);
  expect(result.calls[3]).toMatch(/^s3api put-bucket-policy --bucket owner-lake /);
  expect(result.json('created-trust.json')).toEqual(setup.trustPolicy);
  expect(result.json('role-policy.json')).toEqual(setup.catalogAndKeyPolicy);
  expect(result.json('bucket-policy.json')).toEqual(setup.bucketPolicy);
});

test("bucket route on a bucket with a policy: keeps the owner's statements, replaces this datasource's, and is idempotent", () => {
  const dir = newAwsDir();
  const foreign = { Sid: 'OwnerAnalysts', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::555555555555:role/Analyst' }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::owner-lake/*' };
  const otherDatasource = bucketPolicyVariant({
    bucketArn: DATASOURCE.bucketArn,
    prefixes: ['other/'],
    accessMode: 'read-only',
    datasourceId: 'ds-fedcba9876543210',
    roleArn: 'arn:aws:iam::555555555555:role/sici-ds-fedcba9876543210',
  }).Statement;
  const stale = { ...setup.bucketPolicy.Statement[1], Resource: ['arn:aws:s3:::owner-lake/old/*'] };
  // A single statement as an object rather than an array, as some hand-written policies have it.
  writeFileSync(join(dir, 'bucket-policy.json'), JSON.stringify({ Version: '2012-10-17', Statement: foreign }));
  expect(run(setup.commands.bucketPolicy, dir).status).toBe(0);
  const other = { ...DATASOURCE, id: 'ds-fedcba9876543210', prefixes: ['other/'], accessMode: 'read-only' as const, roleArn: 'arn:aws:iam::555555555555:role/sici-ds-fedcba9876543210' };
  expect(run(setupCommands({ datasource: other, starburstRoleArn: STARBURST }).commands.bucketPolicy, dir).status).toBe(0);
  // An older version of this datasource's statements is replaced, not kept beside the new one.
  const withStale = readJson(dir, 'bucket-policy.json') as { Statement: unknown[] };
  writeFileSync(join(dir, 'bucket-policy.json'), JSON.stringify({ ...withStale, Statement: [...withStale.Statement, stale] }));
  expect(run(setup.commands.bucketPolicy, dir).status).toBe(0);
  const merged = readJson(dir, 'bucket-policy.json') as { Statement: unknown[] };
  const ownStatements = setup.bucketPolicy.Statement.slice(0, -1);
  const tls = setup.bucketPolicy.Statement.at(-1)!;
  expect(merged.Statement).toEqual(expect.arrayContaining([foreign, ...otherDatasource.slice(0, -1), ...ownStatements, tls]));
  expect(merged.Statement).toHaveLength(1 + (otherDatasource.length - 1) + ownStatements.length + 1);
  expect(merged.Statement).not.toContainEqual(stale);
  // Running it again changes nothing.
  expect(run(setup.commands.bucketPolicy, dir).status).toBe(0);
  expect(readJson(dir, 'bucket-policy.json')).toEqual(merged);
});

test('bucket route stops before writing when the current bucket policy cannot be read', () => {
  const dir = newAwsDir();
  writeFileSync(join(dir, 'deny-read'), '');
  const result = run(setup.commands.bucketPolicy, dir);
  expect(result.status).not.toBe(0);
  expect(result.calls.some((c) => c.startsWith('s3api put-bucket-policy'))).toBe(false);
  expect(existsSync(join(dir, 'bucket-policy.json'))).toBe(false);
});

test('a role without a path gets the root path', () => {
  expect(roleNameAndPath('arn:aws:iam::555555555555:role/sici-ds')).toEqual({ roleName: 'sici-ds', rolePath: '/' });
});

test('shell quoting survives quotes and spaces', () => {
  const word = `it's a "test" $HOME \`x\``;
  expect(execFileSync('bash', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' })).toBe(word);
});

test('an invalid datasource or Starburst role is refused with the field named', () => {
  expect(() => setupCommands({ datasource: { ...DATASOURCE, prefixes: ['*'] }, starburstRoleArn: STARBURST })).toThrow(/datasource\.prefixes\.0/);
  expect(() => setupCommands({ datasource: DATASOURCE, starburstRoleArn: 'arn:aws:iam::111111111111:root' })).toThrow(/starburstRoleArn/);
  expect(() => setupCommands({ datasource: { ...DATASOURCE, roleArn: 'arn:aws:iam::999999999999:role/x' }, starburstRoleArn: STARBURST })).toThrow(/datasource\.roleArn/);
});
