import * as z from 'zod';
import { TenantDatasource } from '../contract/tenant-spec';
import type { PolicyStatement } from './policy-document';
import { objectArns, S3Access } from './s3-access';

/**
 * What the datasource role needs in its owner's account beyond S3: the Glue Data Catalog that the
 * engine's catalog uses as its metastore (`hive.metastore.glue.*`, the same role and ExternalId as
 * for S3, for both `s3-hive` and `s3-iceberg`), and the owner's customer-managed KMS keys for
 * buckets encrypted with SSE-KMS.
 *
 * The partition of every ARN comes from the bucket ARN (`arn:aws-cn:s3:::…` → `aws-cn`), so that
 * the Glue, KMS and S3 ARNs of one document never disagree.
 */

/** S3 access plus where the owner's catalog and keys are: its account and the datasource's region. */
export const OwnerAccess = S3Access.extend({
  /** The account that owns the bucket, the Glue catalog and the KMS keys. */
  externalAccountId: TenantDatasource.shape.externalAccountId,
  /** Region of the bucket, of the Glue catalog and of the keys. */
  region: TenantDatasource.shape.region,
});
export type OwnerAccess = z.infer<typeof OwnerAccess>;

/**
 * The Glue calls of Trino's Glue metastore (Hive connector) and Glue catalog (Iceberg connector)
 * when reading: databases, tables, partitions, and the column statistics the planner reads (a
 * refused statistics read fails the query rather than planning without them).
 */
export const GLUE_READ_ACTIONS = [
  'glue:GetDatabase',
  'glue:GetDatabases',
  'glue:GetTable',
  'glue:GetTables',
  'glue:GetPartition',
  'glue:GetPartitions',
  'glue:BatchGetPartition',
  'glue:GetColumnStatisticsForTable',
  'glue:GetColumnStatisticsForPartition',
] as const;

/**
 * The Glue calls of writes, only for `read-write`: tables (CREATE/DROP/ALTER TABLE, Iceberg
 * commits), partitions (the ones Trino calls: batch create, update, batch update, delete), and the
 * column statistics Trino keeps up to date on INSERT and ANALYZE.
 *
 * Not granted: CreateDatabase, UpdateDatabase and DeleteDatabase, so CREATE, ALTER and DROP SCHEMA
 * stay with the owner. A Glue database is not confined to the datasource's prefixes, and
 * DeleteDatabase removes every table in it, those of other datasources included. Nor are
 * user-defined functions granted: Trino takes a refused listing of functions for none.
 */
export const GLUE_WRITE_ACTIONS = [
  'glue:CreateTable',
  'glue:UpdateTable',
  'glue:DeleteTable',
  'glue:BatchCreatePartition',
  'glue:UpdatePartition',
  'glue:BatchUpdatePartition',
  'glue:DeletePartition',
  'glue:UpdateColumnStatisticsForTable',
  'glue:UpdateColumnStatisticsForPartition',
  'glue:DeleteColumnStatisticsForTable',
  'glue:DeleteColumnStatisticsForPartition',
] as const;

/** SSE-KMS: S3 decrypts objects on GetObject (and on completing a multipart upload) with kms:Decrypt. */
const KEY_READ_ACTIONS = ['kms:Decrypt'] as const;
/** S3 asks for a data key on PutObject and CreateMultipartUpload; it never calls kms:Encrypt. */
const KEY_WRITE_ACTIONS = ['kms:GenerateDataKey'] as const;

/** The S3 encryption context key of SSE-KMS: its value is the ARN of the object (or of the bucket, see below). */
export const S3_ENCRYPTION_CONTEXT_KEY = 'kms:EncryptionContext:aws:s3:arn';

function partitionOf(bucketArn: string): string {
  return bucketArn.split(':')[1];
}

/** The owner's default Glue catalog in the datasource's region, its databases and their tables. */
export function glueCatalogArns(access: OwnerAccess): string[] {
  const base = `arn:${partitionOf(access.bucketArn)}:glue:${access.region}:${access.externalAccountId}`;
  return [`${base}:catalog`, `${base}:database/*`, `${base}:table/*/*`];
}

/** Any KMS key of the owner in the datasource's region: the request names no key, the conditions narrow its use. */
export function ownerKeysArn(access: OwnerAccess): string {
  return `arn:${partitionOf(access.bucketArn)}:kms:${access.region}:${access.externalAccountId}:key/*`;
}

/** The `kms:ViaService` value of S3 in the datasource's region. */
function s3ViaService(region: string): string {
  return `s3.${region}.amazonaws.com`;
}

/**
 * The Glue and KMS statements of the datasource role.
 *
 * Keys: only through S3 in the datasource's region (`kms:ViaService`), and only for the objects
 * under the prefixes: S3 passes the object ARN as encryption context (`aws:s3:arn`). A bucket with
 * S3 Bucket Keys passes the bucket ARN instead, so that is allowed too; it opens no object beyond
 * the prefixes, because S3 calls KMS only for a request that the role's S3 permissions allowed.
 * An IAM policy grants a key's use only if the key policy lets IAM policies do so, as the default
 * key policy does; an owner whose key policy does not must name the role in it.
 */
export function catalogAndKeyStatements(access: OwnerAccess): PolicyStatement[] {
  const writable = access.accessMode === 'read-write';
  const catalog = glueCatalogArns(access);
  const statements: PolicyStatement[] = [{ Sid: 'ReadGlueCatalog', Effect: 'Allow', Action: [...GLUE_READ_ACTIONS], Resource: catalog }];
  if (writable) {
    statements.push({ Sid: 'WriteGlueTables', Effect: 'Allow', Action: [...GLUE_WRITE_ACTIONS], Resource: catalog });
  }
  statements.push({
    Sid: 'UseKeysThroughS3UnderPrefixes',
    Effect: 'Allow',
    Action: writable ? [...KEY_READ_ACTIONS, ...KEY_WRITE_ACTIONS] : [...KEY_READ_ACTIONS],
    Resource: ownerKeysArn(access),
    Condition: {
      StringEquals: { 'kms:ViaService': s3ViaService(access.region) },
      StringLike: { [S3_ENCRYPTION_CONTEXT_KEY]: [...objectArns(access.bucketArn, access.prefixes), access.bucketArn] },
    },
  });
  return statements;
}
