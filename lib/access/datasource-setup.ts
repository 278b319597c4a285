import * as z from 'zod';
import { IamRoleArn, TenantDatasource } from '../contract/tenant-spec';
import { OwnerAccess } from './catalog-and-key-access';
import {
  bucketPolicySidPrefix,
  bucketPolicyVariant,
  DENY_INSECURE_TRANSPORT_SID,
  ownerCatalogAndKeyPolicy,
  ownerRolePolicy,
  ownerRoleTrustPolicy,
} from './owner-documents';
import { PolicyDocument, POLICY_VERSION } from './policy-document';
import { parseAccessDocument } from './s3-access';

/**
 * Everything a data owner runs in their account to approve one datasource, as documents and as
 * AWS CLI commands. Two ways to grant S3 access, pick one:
 * - `commands.rolePolicy`: create the role with its trust policy and put its permissions policy
 *   (S3, Glue catalog, KMS keys);
 * - `commands.bucketPolicy`: create the role with its trust policy, put its Glue catalog and KMS
 *   policy, and merge the datasource's S3 statements into the bucket policy (for owners who govern
 *   access in the bucket policy).
 *
 * Each list is a bash script, one command per element, to run in order in the owner's account with
 * `bash -euo pipefail` (the first element sets that for a paste into a shell). The documents are
 * written by here-documents, so the list is complete on its own. The bucket-policy route needs `jq`.
 */
export interface DatasourceSetup {
  readonly roleName: string;
  /** The role's IAM path, `/` unless the role ARN has one. */
  readonly rolePath: string;
  readonly trustPolicy: PolicyDocument;
  /** The role's policy on the role-policy route: S3, Glue catalog and KMS keys. */
  readonly permissionsPolicy: PolicyDocument;
  /** The role's policy on the bucket-policy route: Glue catalog and KMS keys only. */
  readonly catalogAndKeyPolicy: PolicyDocument;
  /** The datasource's statements for the bucket policy (a whole policy for a bucket that has none). */
  readonly bucketPolicy: PolicyDocument;
  readonly commands: { readonly rolePolicy: string[]; readonly bucketPolicy: string[] };
}

export const DatasourceSetupInput = z.strictObject({
  datasource: TenantDatasource,
  /** The cluster's Starburst role (the tenant stack's `StarburstRoleArn` output). */
  starburstRoleArn: IamRoleArn,
});
export type DatasourceSetupInput = z.input<typeof DatasourceSetupInput>;

/** The role name and IAM path of a role ARN: `arn:aws:iam::1:role/a/b/name` → `name`, `/a/b/`. */
export function roleNameAndPath(roleArn: string): { roleName: string; rolePath: string } {
  const segments = roleArn.slice(roleArn.indexOf(':role/') + ':role/'.length).split('/');
  const roleName = segments.pop() ?? '';
  return { roleName, rolePath: segments.length > 0 ? `/${segments.join('/')}/` : '/' };
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function writeFile(name: string, document: PolicyDocument): string {
  return `cat > ${shellQuote(name)} <<'SICI_JSON'\n${JSON.stringify(document, null, 2)}\nSICI_JSON`;
}

export function setupCommands(input: DatasourceSetupInput): DatasourceSetup {
  const { datasource: ds, starburstRoleArn } = parseAccessDocument(DatasourceSetupInput, input, 'datasource setup');
  const { roleName, rolePath } = roleNameAndPath(ds.roleArn);
  const trustPolicy = ownerRoleTrustPolicy({ starburstRoleArn, externalId: ds.externalId });
  const { bucketArn, prefixes, accessMode, externalAccountId, region } = ds;
  const access: OwnerAccess = { bucketArn, prefixes, accessMode, externalAccountId, region };
  const permissionsPolicy = ownerRolePolicy(access);
  const catalogAndKeyPolicy = ownerCatalogAndKeyPolicy(access);
  const bucketPolicy = bucketPolicyVariant({ bucketArn, prefixes, accessMode, datasourceId: ds.id, roleArn: ds.roleArn });
  const bucket = ds.bucketArn.slice(ds.bucketArn.indexOf(':::') + 3);

  const file = (kind: string) => `sici-${ds.id}-${kind}.json`;
  const q = shellQuote;
  const createRole = [
    `aws iam create-role --role-name ${q(roleName)} --path ${q(rolePath)}`,
    `--description ${q(`SICI datasource ${ds.id}: assumed by one Starburst cluster with its ExternalId`)}`,
    `--assume-role-policy-document ${q(`file://${file('trust')}`)}`,
    `--tags ${q(`Key=sici:datasource,Value=${ds.id}`)}`,
  ].join(' ');
  const putRolePolicy = (policyName: string, kind: string) =>
    `aws iam put-role-policy --role-name ${q(roleName)} --policy-name ${q(policyName)} --policy-document ${q(`file://${file(kind)}`)}`;

  const rolePolicy = [
    'set -euo pipefail',
    writeFile(file('trust'), trustPolicy),
    createRole,
    writeFile(file('permissions'), permissionsPolicy),
    putRolePolicy(`sici-${ds.id}-access`, 'permissions'),
  ];

  // put-bucket-policy replaces the whole policy: read the current one, drop this datasource's
  // statements (and the shared TLS-only one) from it, add ours. Re-running gives the same policy.
  const current = file('current-bucket-policy');
  const merged = file('merged-bucket-policy');
  const ownSids = bucketPolicySidPrefix(ds.id);
  const emptyPolicy = JSON.stringify({ Version: POLICY_VERSION, Statement: [] });
  const jqProgram =
    `{Version: "${POLICY_VERSION}", Statement: (([.[0].Statement] | flatten | map(select(((.Sid // "") | startswith("${ownSids}") or . == "${DENY_INSECURE_TRANSPORT_SID}") | not))) + .[1].Statement)}`;
  const bucketPolicyCommands = [
    'set -euo pipefail',
    writeFile(file('trust'), trustPolicy),
    createRole,
    writeFile(file('catalog-and-keys'), catalogAndKeyPolicy),
    putRolePolicy(`sici-${ds.id}-catalog-and-keys`, 'catalog-and-keys'),
    writeFile(file('bucket-policy'), bucketPolicy),
    // A bucket without a policy starts from an empty one; any other failure to read it stops the script.
    `if ! aws s3api get-bucket-policy --bucket ${q(bucket)} --query Policy --output text > ${q(current)} 2> ${q(`${current}.err`)}; then ` +
      `grep -q NoSuchBucketPolicy ${q(`${current}.err`)} || { cat ${q(`${current}.err`)} >&2; exit 1; }; echo ${q(emptyPolicy)} > ${q(current)}; fi`,
    `jq -s ${q(jqProgram)} ${q(current)} ${q(file('bucket-policy'))} > ${q(merged)}`,
    `aws s3api put-bucket-policy --bucket ${q(bucket)} --policy ${q(`file://${merged}`)}`,
  ];

  return {
    roleName,
    rolePath,
    trustPolicy,
    permissionsPolicy,
    catalogAndKeyPolicy,
    bucketPolicy,
    commands: { rolePolicy, bucketPolicy: bucketPolicyCommands },
  };
}
