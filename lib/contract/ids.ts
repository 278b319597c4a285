import { randomBytes } from 'node:crypto';
import * as z from 'zod';

/**
 * Identifiers shared by the API and the TenantSpec. Cluster ids are safe as part of CloudFormation
 * stack names, EKS cluster names, IAM role names and DNS labels.
 */
export const ClusterId = z.string().regex(/^c-[0-9a-z]{16}$/, 'a cluster id such as c-0123456789abcdef');
export const JobId = z.string().regex(/^j-[0-9a-z]{16}$/, 'a job id such as j-0123456789abcdef');
export const DatasourceId = z.string().regex(/^ds-[0-9a-z]{16}$/, 'a datasource id such as ds-0123456789abcdef');
export const TeamId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, '3 to 32 lowercase letters, digits or hyphens, starting with a letter');

/** A fleet operation (shutdown, resume, drift check) with its per-cluster outcomes. */
export const FleetOperationId = z.string().regex(/^fo-[0-9a-z]{16}$/, 'a fleet operation id such as fo-0123456789abcdef');
/** An upgrade run (one Step Functions execution, named by it). */
export const UpgradeId = z.string().regex(/^up-[0-9a-z]{16}$/, 'an upgrade id such as up-0123456789abcdef');

export type ClusterId = z.infer<typeof ClusterId>;
export type JobId = z.infer<typeof JobId>;
export type DatasourceId = z.infer<typeof DatasourceId>;
export type TeamId = z.infer<typeof TeamId>;
export type FleetOperationId = z.infer<typeof FleetOperationId>;
export type UpgradeId = z.infer<typeof UpgradeId>;

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 16 random base-36 characters (about 82 bits): unguessable and collision-free in practice. */
function randomSuffix(): string {
  const bytes = randomBytes(16);
  let suffix = '';
  for (const byte of bytes) suffix += ALPHABET[byte % 36];
  return suffix;
}

export const newClusterId = (): ClusterId => `c-${randomSuffix()}`;
export const newJobId = (): JobId => `j-${randomSuffix()}`;
export const newDatasourceId = (): DatasourceId => `ds-${randomSuffix()}`;
export const newFleetOperationId = (): FleetOperationId => `fo-${randomSuffix()}`;
export const newUpgradeId = (): UpgradeId => `up-${randomSuffix()}`;
