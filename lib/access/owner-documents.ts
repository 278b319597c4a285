import * as z from 'zod';
import { DatasourceId } from '../contract/ids';
import { ExternalId, IamRoleArn } from '../contract/tenant-spec';
import { catalogAndKeyStatements, OwnerAccess } from './catalog-and-key-access';
import { PolicyDocument, policyDocument, PolicyStatement, sidPart } from './policy-document';
import { listPrefixPatterns, objectActions, objectArns, parseAccessDocument, READ_ACTIONS, S3Access } from './s3-access';

/**
 * The documents a data owner applies in their own account so that one cluster can read (or write)
 * a few prefixes of one bucket: the datasource role's trust policy, its permissions policy, and the
 * bucket-policy alternative to its S3 part. Each grants exactly what the engine's catalog uses and
 * nothing else: S3 under the prefixes, the owner's Glue catalog, and the owner's KMS keys through S3.
 */

// ---- Trust policy of the datasource role ---------------------------------------------------------

export const OwnerTrustInput = z.strictObject({
  /** The cluster's Starburst role (the tenant stack's `StarburstRoleArn` output). */
  starburstRoleArn: IamRoleArn,
  externalId: ExternalId,
});
export type OwnerTrustInput = z.infer<typeof OwnerTrustInput>;

/**
 * Only the cluster's Starburst role may assume the datasource role, and only with the ExternalId.
 * The second statement lets it carry EKS Pod Identity's transitive session tags into the session
 * (`sts:TagSession` has no `sts:ExternalId` in its request context, so it cannot be conditioned on
 * it; without an allowed AssumeRole it gives nothing).
 */
export function ownerRoleTrustPolicy(input: OwnerTrustInput): PolicyDocument {
  const { starburstRoleArn, externalId } = parseAccessDocument(OwnerTrustInput, input, 'datasource role trust');
  return policyDocument([
    {
      Sid: 'SiciStarburstAssumeWithExternalId',
      Effect: 'Allow',
      Principal: { AWS: starburstRoleArn },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'sts:ExternalId': externalId } },
    },
    {
      Sid: 'SiciStarburstTransitiveSessionTags',
      Effect: 'Allow',
      Principal: { AWS: starburstRoleArn },
      Action: 'sts:TagSession',
    },
  ]);
}

// ---- Permissions policy of the datasource role ---------------------------------------------------

/**
 * The S3 statements shared by the role policy and the bucket policy: list only within the prefixes
 * (`s3:prefix`, so a listing of the bucket root or of another folder is refused), read objects under
 * the prefixes, and for `read-write` write and delete them. No `s3:GetBucketLocation`: the engine's
 * catalog names the bucket's region (`s3.region`), so it never asks.
 */
function s3Statements(access: S3Access, sidPrefix: string, principal?: PolicyStatement['Principal']): PolicyStatement[] {
  const objects = objectArns(access.bucketArn, access.prefixes);
  const withPrincipal = principal ? { Principal: principal } : {};
  const statements: PolicyStatement[] = [
    {
      Sid: `${sidPrefix}ListWithinPrefixes`,
      Effect: 'Allow',
      ...withPrincipal,
      Action: 's3:ListBucket',
      Resource: access.bucketArn,
      Condition: { StringLike: { 's3:prefix': listPrefixPatterns(access.prefixes) } },
    },
    { Sid: `${sidPrefix}ReadObjects`, Effect: 'Allow', ...withPrincipal, Action: [...READ_ACTIONS], Resource: objects },
  ];
  const write = objectActions(access.accessMode).filter((action) => !(READ_ACTIONS as readonly string[]).includes(action));
  if (write.length > 0) {
    statements.push({ Sid: `${sidPrefix}WriteObjects`, Effect: 'Allow', ...withPrincipal, Action: write, Resource: objects });
  }
  return statements;
}

/** The datasource role's permissions policy (an inline policy of the role): S3, Glue catalog and KMS keys. */
export function ownerRolePolicy(input: OwnerAccess): PolicyDocument {
  const access = parseAccessDocument(OwnerAccess, input, 'datasource access');
  return policyDocument([...s3Statements(access, ''), ...catalogAndKeyStatements(access)]);
}

/**
 * The role's policy when S3 is granted in the bucket policy instead (`bucketPolicyVariant`): the
 * Glue catalog and KMS statements only, which a bucket policy cannot grant.
 */
export function ownerCatalogAndKeyPolicy(input: OwnerAccess): PolicyDocument {
  return policyDocument(catalogAndKeyStatements(parseAccessDocument(OwnerAccess, input, 'datasource access')));
}

// ---- Bucket policy variant -----------------------------------------------------------------------

export const BucketPolicyInput = S3Access.extend({
  /** Names the statements (`Sici<id>…`), so that several datasources share a bucket policy and each can be replaced alone. */
  datasourceId: DatasourceId,
  /** The datasource role (in the bucket's account) that the engine assumes with the ExternalId. */
  roleArn: IamRoleArn,
});
export type BucketPolicyInput = z.infer<typeof BucketPolicyInput>;

/** The `Sid` of the TLS-only statement; one per bucket, shared by all SICI datasources of the bucket. */
export const DENY_INSECURE_TRANSPORT_SID = 'SiciDenyInsecureTransport';

/** The prefix of a datasource's statement ids in a bucket policy, e.g. `SiciDs0123456789abcdef`. */
export function bucketPolicySidPrefix(datasourceId: string): string {
  const part = sidPart(datasourceId);
  return `Sici${part.charAt(0).toUpperCase()}${part.slice(1)}`;
}

/**
 * For owners who grant S3 access in the bucket policy rather than in the role's policy: the same
 * actions on the same resources, with the datasource role as the only principal, plus a bucket-wide
 * deny of requests without TLS.
 *
 * The principal is the datasource role, not the cluster's Starburst role: the engine always reaches
 * S3 through the role it assumes with the ExternalId (`s3.iam-role`), and the Starburst role holds no
 * S3 permission of its own, so a grant to it would never be used and would bypass the ExternalId.
 * With this variant the role needs its trust policy and `ownerCatalogAndKeyPolicy`.
 */
export function bucketPolicyVariant(input: BucketPolicyInput): PolicyDocument {
  const { datasourceId, roleArn, ...access } = parseAccessDocument(BucketPolicyInput, input, 'datasource bucket policy');
  const bucketArn = access.bucketArn;
  return policyDocument([
    ...s3Statements(access, bucketPolicySidPrefix(datasourceId), { AWS: roleArn }),
    {
      Sid: DENY_INSECURE_TRANSPORT_SID,
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
  ]);
}
