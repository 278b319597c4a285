import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient, type AssumeRoleCommandInput, type STSClientConfig } from '@aws-sdk/client-sts';
import { policyDocument } from '../../lib/access/policy-document';
import { folderPrefixes } from '../../lib/access/s3-access';
import { tenantAssumeStatements, tenantTagSessionStatements } from '../../lib/access/tenant-assume-policy';
import { awsPartition, type TenantDatasource } from '../../lib/contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../lib/contract/workflow';
import type { AccessCheck, AccessProbe } from './ports';
import { DatasourceAccessError, PermanentError, TransientError } from './workflow-errors';

/** How the probe's SDK clients reach AWS; tests put a fake HTTP handler here. */
export interface AwsClientOptions {
  /** @default the SDK's Node.js HTTP handler */
  readonly requestHandler?: STSClientConfig['requestHandler'];
  /** The workflow function's own credentials, where the chain of roles starts. @default the SDK's default provider chain */
  readonly credentials?: STSClientConfig['credentials'];
  /** Attempts per call, retries of throttling and server errors included. @default the SDK's (3) */
  readonly maxAttempts?: number;
}

interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** The sibling folder of a granted one that the role must not list, e.g. `sales-sici-outside/` next to `sales/`. */
const OUTSIDE_SUFFIX = '-sici-outside/';

/**
 * Checks a datasource as the cluster's engine reaches it: from the workflow function through the
 * environment account's `sici-tenant-reader` role into the cluster's Starburst role, and from there
 * with the ExternalId into the owner's datasource role, whose credentials must list inside each
 * granted prefix and be refused at the bucket root and in a sibling folder of each prefix.
 *
 * The Starburst session carries a session policy that allows only what the engine does next
 * (AssumeRole and TagSession on this datasource's role), so the probe cannot use the Starburst role
 * for anything else. The datasource AssumeRole passes a session tag, as the engine's chained call
 * carries Pod Identity's transitive tags: it needs the trust policy's `sts:TagSession` too.
 */
export class StsS3AccessProbe implements AccessProbe {
  constructor(private readonly options: AwsClientOptions = {}) {}

  async check(request: AccessCheck): Promise<string> {
    const { clusterId, environment, starburstRoleArn, datasource: ds } = request;
    const sessionName = `sici-probe-${ds.id}`;
    const readerArn = `arn:${awsPartition(environment.region)}:iam::${environment.account}:role/${TENANT_READER_ROLE_NAME}`;

    const reader = await this.assumePlatformRole(this.options.credentials, environment.region, { RoleArn: readerArn, RoleSessionName: sessionName });
    const starburst = await this.assumePlatformRole(reader, environment.region, {
      RoleArn: starburstRoleArn,
      RoleSessionName: sessionName,
      Policy: JSON.stringify(policyDocument([...tenantAssumeStatements([ds]), ...tenantTagSessionStatements([ds])])),
    });
    const datasourceRole = await this.assumeDatasourceRole(starburst, environment.region, ds, clusterId, sessionName);

    const s3 = new S3Client({ ...this.clientConfig(), region: ds.region, credentials: datasourceRole });
    const bucket = ds.bucketArn.slice(ds.bucketArn.indexOf(':::') + 3);
    const granted = folderPrefixes(ds.prefixes);
    for (const prefix of granted) await this.expectListing(s3, bucket, prefix);
    const outside = ['', ...granted.map((prefix) => prefix.slice(0, -1) + OUTSIDE_SUFFIX).filter((p) => !granted.some((g) => p.startsWith(g)))];
    for (const prefix of outside) await this.expectDenied(s3, bucket, prefix);

    return `${ds.roleArn} assumed with its ExternalId; listed ${granted.length} granted prefix(es) of s3://${bucket}/; denied at the bucket root and ${outside.length - 1} sibling prefix(es)`;
  }

  private clientConfig() {
    return { requestHandler: this.options.requestHandler, maxAttempts: this.options.maxAttempts };
  }

  /** The reader and Starburst roles are the platform's own: a refusal there is not the data owner's to fix. */
  private async assumePlatformRole(
    credentials: AwsClientOptions['credentials'],
    region: string,
    input: AssumeRoleCommandInput,
  ): Promise<SessionCredentials> {
    try {
      return await this.assumeRole(credentials, region, input);
    } catch (error) {
      if (isTransient(error)) throw new TransientError(`AssumeRole of ${input.RoleArn}: ${describe(error)}`);
      throw new PermanentError(
        `AssumeRole of ${input.RoleArn} failed (${describe(error)}): the environment account's ${TENANT_READER_ROLE_NAME} role or the cluster's Starburst role is not set up as the platform generates it`,
      );
    }
  }

  private async assumeDatasourceRole(
    credentials: SessionCredentials,
    region: string,
    ds: TenantDatasource,
    clusterId: string,
    sessionName: string,
  ): Promise<SessionCredentials> {
    try {
      return await this.assumeRole(credentials, region, {
        RoleArn: ds.roleArn,
        RoleSessionName: sessionName,
        ExternalId: ds.externalId,
        Tags: [{ Key: 'sici-access-probe', Value: clusterId }],
      });
    } catch (error) {
      if (isTransient(error)) throw new TransientError(`AssumeRole of ${ds.roleArn}: ${describe(error)}`);
      const outcome = isAccessDenied(error) ? 'was denied' : `failed (${describe(error)})`;
      throw new DatasourceAccessError(
        `AssumeRole of ${ds.roleArn} with the ExternalId ${outcome}: create the role with the setup's trust policy (GET ${setupPath(clusterId, ds)})`,
      );
    }
  }

  private async assumeRole(credentials: AwsClientOptions['credentials'], region: string, input: AssumeRoleCommandInput): Promise<SessionCredentials> {
    const sts = new STSClient({ ...this.clientConfig(), region, credentials });
    const { Credentials } = await sts.send(new AssumeRoleCommand({ DurationSeconds: 900, ...input }));
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.SessionToken) {
      throw new TransientError(`AssumeRole of ${input.RoleArn} returned no credentials`);
    }
    return { accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey, sessionToken: Credentials.SessionToken };
  }

  /** Lists as little as S3 allows: one key or common prefix under `prefix`. */
  private async list(s3: S3Client, bucket: string, prefix: string): Promise<void> {
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', MaxKeys: 1 }));
  }

  private async expectListing(s3: S3Client, bucket: string, prefix: string): Promise<void> {
    try {
      await this.list(s3, bucket, prefix);
    } catch (error) {
      if (isTransient(error)) throw new TransientError(`listing s3://${bucket}/${prefix}: ${describe(error)}`);
      if (!isAccessDenied(error)) throw new DatasourceAccessError(`listing s3://${bucket}/${prefix} failed (${describe(error)})`);
      throw new DatasourceAccessError(
        `listing s3://${bucket}/${prefix} was denied: give the role the setup's permissions policy (or bucket policy), which grants this prefix`,
      );
    }
  }

  private async expectDenied(s3: S3Client, bucket: string, prefix: string): Promise<void> {
    try {
      await this.list(s3, bucket, prefix);
    } catch (error) {
      if (isAccessDenied(error)) return;
      if (isTransient(error)) throw new TransientError(`listing s3://${bucket}/${prefix}: ${describe(error)}`);
      throw new DatasourceAccessError(`listing s3://${bucket}/${prefix} outside the granted prefixes failed other than denied (${describe(error)})`);
    }
    throw new DatasourceAccessError(
      `the role may list s3://${bucket}/${prefix} outside the granted prefixes: its permissions are wider than the generated policy; ` +
        'replace them with the setup\'s permissions policy (or bucket policy)',
    );
  }
}

function setupPath(clusterId: string, ds: TenantDatasource): string {
  return `/clusters/${clusterId}/datasources/${ds.id}/setup`;
}

interface AwsErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Error codes AWS services use for throttling (as the SDK's retry strategy knows them). */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
]);

/** Throttling, a server error, or no answer at all (network, timeout): nothing the owner or the platform decided. */
function isTransient(error: unknown): boolean {
  const e = error as AwsErrorShape;
  const status = e.$metadata?.httpStatusCode;
  return Boolean(e.$retryable) || e.$fault === 'server' || THROTTLING_CODES.has(e.name ?? '') || status === undefined || status === 429 || status >= 500;
}

function isAccessDenied(error: unknown): boolean {
  const name = (error as AwsErrorShape).name;
  return name === 'AccessDenied' || name === 'AccessDeniedException';
}

function describe(error: unknown): string {
  const e = error as AwsErrorShape;
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}
