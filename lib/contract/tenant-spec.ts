import * as z from 'zod';
import { AcmCertificateArn, AwsAccountId, AwsRegion, HostName } from './aws-names';
import { loadDocument, parseDocument } from './documents';
import { ConnectorType, EngineConfig, EnvironmentName, TierName } from './platform-names';
import { QueryGroups } from './query-access';
import { ClusterId, DatasourceId, TeamId } from './ids';
import { expecting } from './validation-messages';

/**
 * The TenantSpec: the one contract between the control plane and the data plane. The provisioning
 * workflow writes it; `TenantStack` is synthesized from it and from nothing else the team controls.
 * zod only (no aws-cdk-lib), so the control plane's Lambdas can validate specs they write.
 */

/** A VPC CIDR of a /16 to /24 IPv4 network whose host bits are zero, e.g. `10.64.16.0/20`. */
export const VpcCidr = z
  .cidrv4()
  .refine((cidr) => {
    const prefix = Number(cidr.split('/')[1]);
    return prefix >= 16 && prefix <= 24;
  }, 'a /16 to /24 network')
  .refine(isNetworkAddress, 'a network address (host bits zero), e.g. 10.64.16.0/20');

function isNetworkAddress(cidr: string): boolean {
  const [address, prefixText] = cidr.split('/');
  const prefix = Number(prefixText);
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const hostBits = 2 ** (32 - prefix);
  return value % hostBits === 0;
}

export const IamRoleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'an IAM role ARN such as arn:aws:iam::123456789012:role/name');

/** What the datasource role's trust policy requires in `sts:ExternalId`: long, random, unguessable. */
export const ExternalId = z.string().regex(/^[A-Za-z0-9-]{32,128}$/, '32 to 128 letters, digits or hyphens');

/** S3 bucket naming rules for general purpose buckets (no dots: they break virtual-hosted TLS). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const RESERVED_BUCKET_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_BUCKET_SUFFIXES = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'];

const BUCKET_ARN_EXPECTED = 'an S3 bucket ARN such as arn:aws:s3:::my-bucket';

const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[^/]+$/;

export const S3BucketArn = z
  .string()
  // A bucket's name (or its s3:// URL) where its ARN belongs is the likeliest mistake: say how to write it.
  .regex(BUCKET_ARN, { error: ({ input }) => `${BUCKET_ARN_EXPECTED}${bucketArnHint(input)}` })
  .superRefine((arn, ctx) => {
    // Only an ARN has a bucket name to check (the pattern above reports anything else).
    const bucket = BUCKET_ARN.test(arn) ? arn.slice(arn.indexOf(':::') + 3) : undefined;
    const problem = bucket === undefined ? undefined : bucketNameProblem(bucket);
    if (problem) ctx.addIssue({ code: 'custom', message: `bucket name "${bucket}" ${problem}` });
  });

/** For a bucket's name or `s3://` URL given as its ARN: how to write the ARN. */
function bucketArnHint(input: unknown): string {
  if (typeof input !== 'string') return '';
  const url = /^s3:\/\/([^/]+)\/?$/.exec(input);
  const bucket = url ? url[1] : input;
  if (bucketNameProblem(bucket) !== undefined) return '';
  return ` (got a bucket ${url ? 'URL' : 'name'}: use arn:aws:s3:::${bucket})`;
}

function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET_NAME.test(bucket)) {
    return 'must be 3 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit';
  }
  if (RESERVED_BUCKET_PREFIXES.some((p) => bucket.startsWith(p))) return 'uses a prefix reserved by S3';
  if (RESERVED_BUCKET_SUFFIXES.some((s) => bucket.endsWith(s))) return 'uses a suffix reserved by S3';
  return undefined;
}

/**
 * An S3 key prefix the team may use: relative, literal (no wildcard) and without `..` segments. A
 * prefix names a folder, and is kept in its folder form wherever it is parsed (the API's request,
 * the datasource as stored, the TenantSpec, the access documents): `events` becomes `events/`, which
 * is what every generated policy grants (`events/*`), never `events-archive/` nor the object `events`.
 */
export const S3Prefix = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9!_.'()=/-]+$/, "letters, digits and ! _ . ' ( ) = / - only (no wildcard)")
  .refine((p) => !p.startsWith('/'), 'must not start with a slash')
  .refine((p) => !p.split('/').includes('..'), 'must not contain a ".." segment')
  .refine((p) => !p.includes('//'), 'must not contain an empty segment ("//")')
  .overwrite((p) => (p.endsWith('/') ? p : `${p}/`))
  .max(512, 'at most 512 characters, with the trailing slash');

export const ACCESS_MODES = ['read-only', 'read-write'] as const;
export const AccessMode = z.enum(ACCESS_MODES);
export type AccessMode = z.infer<typeof AccessMode>;

export const TenantDatasource = z
  .strictObject({
    id: DatasourceId,
    type: ConnectorType,
    /** The account that owns the bucket, the Glue catalog and `roleArn`. */
    externalAccountId: AwsAccountId,
    /** Role in `externalAccountId` that the cluster's Starburst role assumes, only with `externalId`. */
    roleArn: IamRoleArn,
    externalId: ExternalId,
    bucketArn: S3BucketArn,
    prefixes: z.array(S3Prefix).min(1).max(20),
    /** Region of the bucket and of the Glue catalog. */
    region: AwsRegion,
    accessMode: AccessMode,
  })
  .superRefine((ds, ctx) => {
    for (const field of ['roleArn', 'bucketArn'] as const) {
      const problem = partitionProblem(ds[field], ds.region);
      if (problem) ctx.addIssue({ code: 'custom', path: [field], message: problem });
    }
    const roleAccount = ds.roleArn.split(':')[4];
    if (roleAccount !== undefined && roleAccount !== ds.externalAccountId) {
      ctx.addIssue({
        code: 'custom',
        path: ['roleArn'],
        message: `must be a role in externalAccountId ${ds.externalAccountId}, not in ${roleAccount}`,
      });
    }
  });
export type TenantDatasource = z.infer<typeof TenantDatasource>;

export const SecretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/, "1 to 256 letters, digits or / _ + = . @ -");

/** User tag keys and values, as AWS accepts them; `aws:` and `sici:` keys are reserved. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TagValue = z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, 'up to 256 letters, digits, spaces or _ . : / = + - @');
// Keys are checked here rather than by a key schema, so that the message names the key and says what is wrong.
const Tags = z.record(z.string(), TagValue).superRefine((tags, ctx) => {
  for (const key of Object.keys(tags)) {
    if (!TAG_KEY.test(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'a tag key of 1 to 128 letters, digits, spaces or _ . : / = + - @' });
    } else if (/^(aws|sici):/i.test(key)) {
      ctx.addIssue({ code: 'custom', path: [key], message: 'keys starting with aws: or sici: are reserved' });
    }
  }
});

const HttpsUrl = z.url({ protocol: /^https$/, error: expecting('an https:// URL') });

export const TenantSpec = z
  .strictObject({
    clusterId: ClusterId,
    teamId: TeamId,
    environment: EnvironmentName,
    tier: TierName,
    /** Allocated by the control plane from `network.tenantCidrPool`; unique per environment. */
    vpcCidr: VpcCidr,
    /** The engine pins in force when the cluster was created or last upgraded; platform config changes do not move them. */
    engine: EngineConfig,
    datasources: z.array(TenantDatasource).max(20),
    /**
     * The team's identity provider groups with their query roles: only their members get access, and
     * only to the team's catalogs (a team without groups: nobody may query).
     */
    groups: QueryGroups,
    /** Where the cluster's http event listener posts completed queries. */
    ingest: z.strictObject({
      endpoint: HttpsUrl,
      /**
       * Name of the Secrets Manager secret the stack creates with the cluster's ingest token; the
       * ingest route reads the same secret to authenticate the cluster. Contains the cluster id.
       */
      tokenSecretName: SecretName,
    }),
    /** The TLS query endpoint: its DNS name and the ACM certificate (in the environment's account and region) that covers it. */
    queryEndpoint: z.strictObject({
      hostname: HostName,
      certificateArn: AcmCertificateArn,
    }),
    /** Extra tags for every resource; the mandatory `sici:*` tags cannot be overridden. */
    tags: Tags.default({}),
    /**
     * The cluster is suspended (a fleet shutdown, its team, or idle): its node groups are deployed at
     * zero and its query endpoint answers 503, so that a deploy does not undo a suspension.
     */
    suspended: z.literal(true).optional(),
  })
  .superRefine((spec, ctx) => {
    const ids = new Map<string, number>();
    const locations = new Map<string, string>();
    spec.datasources.forEach((ds, index) => {
      const first = ids.get(ds.id);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['datasources', index, 'id'], message: `duplicates datasources.${first}.id (${ds.id})` });
      } else {
        ids.set(ds.id, index);
      }
      ds.prefixes.forEach((prefix, p) => {
        const key = `${ds.bucketArn}/${prefix}`;
        const seen = locations.get(key);
        if (seen !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['datasources', index, 'prefixes', p],
            message: `bucket and prefix ${ds.bucketArn} ${prefix} already belong to ${seen}`,
          });
        } else {
          locations.set(key, `datasources.${index} (${ds.id})`);
        }
      });
    });
    if (!spec.ingest.tokenSecretName.includes(spec.clusterId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ingest', 'tokenSecretName'],
        message: `must contain the cluster id ${spec.clusterId}, so that secrets of different clusters never collide`,
      });
    }
  });
export type TenantSpec = z.infer<typeof TenantSpec>;
/** A spec as written, before defaults are applied. */
export type TenantSpecInput = z.input<typeof TenantSpec>;

/** How a TenantSpec is named in its errors. */
export const TENANT_SPEC_KIND = 'SICI TenantSpec';

/** Validates an already-parsed document; `source` names it in error messages. */
export function parseTenantSpec(document: unknown, source = 'TenantSpec'): TenantSpec {
  return parseDocument(TenantSpec, document, { kind: TENANT_SPEC_KIND, source });
}

/** Reads and validates a TenantSpec file, as the CDK app does for `-c tenantSpec=FILE`. */
export function loadTenantSpec(file: string): TenantSpec {
  return loadDocument(file, TenantSpec, TENANT_SPEC_KIND);
}

/** The Trino catalog name of a datasource: a plain SQL identifier derived from its id. */
export function catalogName(datasourceId: string): string {
  return datasourceId.replace(/-/g, '_');
}

/** The CloudFormation stack name of the control plane. */
export const CONTROL_PLANE_STACK_NAME = 'SiciControlPlane';

/** The CloudFormation stack name of a tenant: it follows from the cluster id alone. */
export function tenantStackName(clusterId: string): string {
  return `TenantStack-${clusterId}`;
}

/** The AWS partition of a region: `aws`, `aws-cn` or `aws-us-gov`. */
export function awsPartition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** What is wrong with an ARN outside the partition of `region`, if anything (a value that is not an ARN at all is its own schema's to report). */
export function partitionProblem(arn: string, region: string): string | undefined {
  const partition = awsPartition(region);
  const arnPartition = /^arn:([^:]+):/.exec(arn)?.[1];
  return arnPartition === undefined || arnPartition === partition ? undefined : `must be in partition ${partition} of region ${region}, not ${arnPartition}`;
}

/** The Secrets Manager secret, in the cluster's environment account, that its tenant stack keeps the engine's ingest token in (`ingest.tokenSecretName`). */
export const ingestTokenSecretName = (clusterId: string) => `sici/${clusterId}/ingest-token`;

/**
 * The name of a cluster's Starburst role. Fixed by the cluster id, so that its ARN is known before
 * the first deploy (the data owners' trust policies name it) and stays the same across redeploys.
 */
export function starburstRoleName(clusterId: string): string {
  return `sici-${clusterId}-starburst`;
}

/** The ARN of a cluster's Starburst role in its environment's account. */
export function starburstRoleArn(clusterId: string, environment: { account: string; region: string }): string {
  return `arn:${awsPartition(environment.region)}:iam::${environment.account}:role/${starburstRoleName(clusterId)}`;
}

/** The name of the role a data owner creates for one datasource (with the setup documents). */
export function datasourceRoleName(datasourceId: string): string {
  return `sici-${datasourceId}`;
}

/** The ARN of a datasource's role in the data owner's account. */
export function datasourceRoleArn(ds: { datasourceId: string; externalAccountId: string; region: string }): string {
  return `arn:${awsPartition(ds.region)}:iam::${ds.externalAccountId}:role/${datasourceRoleName(ds.datasourceId)}`;
}

/** The EKS cluster name of a tenant. */
export function tenantClusterName(clusterId: string): string {
  return `sici-${clusterId}`;
}

/** The tags every resource of a tenant carries; no construct or spec can override them. */
export function mandatoryTags(spec: Pick<TenantSpec, 'clusterId' | 'teamId' | 'environment'>): Record<string, string> {
  return {
    'sici:cluster': spec.clusterId,
    'sici:team': spec.teamId,
    'sici:environment': spec.environment,
    'sici:managed': 'true',
  };
}
