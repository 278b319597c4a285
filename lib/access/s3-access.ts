import * as z from 'zod';
import { parseDocument } from '../contract/documents';
import { AccessMode, S3BucketArn, S3Prefix } from '../contract/tenant-spec';

/**
 * What a datasource may reach in its bucket, validated with the TenantSpec's own schemas, and the
 * prefix rules every generated S3 statement follows.
 *
 * Prefix rules (`S3Prefix` of the TenantSpec): relative (no leading `/`), literal (no `*`, `?` or
 * `$`, so a prefix never widens into a pattern or a policy variable), no `..` and no empty segment.
 * On top of those, **a prefix names a folder**: `sales` and `sales/` both mean "every key under
 * `sales/`", never `sales-archive/…` nor the object `sales` itself. Duplicates and prefixes inside
 * another listed prefix are dropped; the result is sorted, so documents are stable.
 */
export const S3Access = z.strictObject({
  bucketArn: S3BucketArn,
  prefixes: z.array(S3Prefix).min(1).max(20),
  accessMode: AccessMode,
});
export type S3Access = z.infer<typeof S3Access>;

/** The folder form of the prefixes: each ends with `/`, none inside another, sorted. */
export function folderPrefixes(prefixes: readonly string[]): string[] {
  const folders = [...new Set(prefixes.map((p) => (p.endsWith('/') ? p : `${p}/`)))].sort();
  return folders.filter((folder) => !folders.some((other) => other !== folder && folder.startsWith(other)));
}

/** `arn:…:s3:::bucket/prefix/*` for each folder prefix. */
export function objectArns(bucketArn: string, prefixes: readonly string[]): string[] {
  return folderPrefixes(prefixes).map((p) => `${bucketArn}/${p}*`);
}

/** The `s3:prefix` patterns a ListBucket may use: `prefix/*` for each folder prefix. */
export function listPrefixPatterns(prefixes: readonly string[]): string[] {
  return folderPrefixes(prefixes).map((p) => `${p}*`);
}

/** Reading objects: GetObject (which also covers HeadObject). */
export const READ_ACTIONS = ['s3:GetObject'] as const;

/**
 * Writing objects, only for `read-write`: PutObject (which also covers multipart uploads) and
 * DeleteObject, plus AbortMultipartUpload, so that the engine can clean up an upload it gave up on
 * instead of leaving billed parts behind.
 */
const WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;

export function objectActions(accessMode: AccessMode): string[] {
  return accessMode === 'read-write' ? [...READ_ACTIONS, ...WRITE_ACTIONS] : [...READ_ACTIONS];
}

/** How access documents are named in their errors. */
const ACCESS_DOCUMENT_KIND = 'SICI access document';

export function parseAccessDocument<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  return parseDocument(schema, input, { kind: ACCESS_DOCUMENT_KIND, source: what });
}
