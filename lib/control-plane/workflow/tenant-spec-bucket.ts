import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, LifecycleRule, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/compliance';

/** Every TenantSpec lives under this prefix: `specs/<clusterId>.json`, one version per write. */
export const SPEC_KEY_PREFIX = 'specs/';

export interface TenantSpecBucketProps {
  /** The control plane key: the specs are encrypted with it (SSE-KMS with an S3 bucket key). */
  readonly encryptionKey: IKey;

  /**
   * Noncurrent versions of a spec (the specs a cluster was deployed with before) are kept this
   * long after they were superseded...
   *
   * @default 3 years
   */
  readonly noncurrentVersionRetention?: Duration;

  /**
   * ...but the newest ones are kept whatever their age.
   *
   * @default 10
   */
  readonly noncurrentVersionsToKeep?: number;

  /**
   * Object Lock default retention (governance mode) of every spec version: within it, no version
   * can be deleted or overwritten except by a principal allowed `s3:BypassGovernanceRetention`.
   *
   * @default 1 year
   */
  readonly specLockRetention?: Duration;

  /** How long server access logs are kept. @default 1 year */
  readonly accessLogRetention?: Duration;

  /** @default RemovalPolicy.RETAIN: the specs are the record of what was deployed */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The bucket of TenantSpecs: the documents the workflow writes and the runner deploys. Versioned
 * (the version a cluster was deployed with is kept) and under Object Lock (governance mode),
 * KMS-encrypted with the control plane key, public access blocked, TLS only, objects owned by the
 * bucket owner (no ACLs), events to EventBridge, server access logs to a bucket of their own, and
 * a lifecycle for superseded versions.
 *
 * Grants are to `specs/*` only (`grantReadSpecs`, `grantReadWriteSpecs`), and acknowledge the
 * wildcard there: cluster ids, hence spec keys, are made at run time.
 */
export class TenantSpecBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogs: Bucket;
  private readonly encryptionKey: IKey;

  constructor(scope: Construct, id: string, props: TenantSpecBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Log delivery through a bucket policy for logging.s3.amazonaws.com (scoped to the source
    // bucket and account), not the legacy LogDeliveryWrite ACL, so ACLs stay disabled everywhere.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    const abortUploads: LifecycleRule = { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) };

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      // S3 server access logs can only be delivered to a bucket with SSE-S3 (SSE-KMS is not supported).
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        abortUploads,
        {
          id: 'ExpireAccessLogs',
          expiration: props.accessLogRetention ?? Duration.days(365),
          noncurrentVersionExpiration: Duration.days(30),
          expiredObjectDeleteMarker: false,
        },
      ],
      removalPolicy,
    });
    // (cdk-nag recognizes a server access log target by itself; Control Tower's CT.S3.PR.2 does not.)
    const accessLogBucket =
      'This is the server access log bucket of the TenantSpec bucket; logging access to it would log its own log deliveries without end (or need a third bucket with the same question).';
    const sseS3Only =
      'S3 server access log delivery supports only SSE-S3 (AES-256) on the target bucket, not SSE-KMS; the logs hold request metadata, no spec contents.';
    const noReplication =
      'Access logs are kept in the control plane region only: replication would need a second region with its own bucket and key, which this single-region control plane does not have; the bucket is versioned.';
    acknowledgeFindings(this.accessLogs, {
      'cfn-guard:s3_bucket_logging_enabled_check': accessLogBucket,
      'NIST.800.53.R5-S3DefaultEncryptionKMS': sseS3Only,
      'HIPAA.Security-S3DefaultEncryptionKMS': sseS3Only,
      'cfn-guard:s3_bucket_default_encryption_kms_check': sseS3Only,
      'NIST.800.53.R5-S3BucketReplicationEnabled': noReplication,
      'HIPAA.Security-S3BucketReplicationEnabled': noReplication,
      'cfn-guard:s3_bucket_object_lock_enabled_check':
        'S3 server access logging does not deliver to a target bucket with an Object Lock default retention; the logs expire by lifecycle after a year.',
      'cfn-guard:s3_event_notifications_enabled_check':
        'Log objects are delivered every few minutes and nothing acts on their arrival; the TenantSpec bucket itself sends its events to EventBridge.',
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      // A spec version is the record of what was deployed: locked for a year (governance mode).
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.governance(props.specLockRetention ?? Duration.days(365)),
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'tenant-specs/',
      lifecycleRules: [
        abortUploads,
        {
          id: 'KeepRecentSpecVersions',
          noncurrentVersionExpiration: props.noncurrentVersionRetention ?? Duration.days(3 * 365),
          noncurrentVersionsToRetain: props.noncurrentVersionsToKeep ?? 10,
        },
      ],
      removalPolicy,
    });
    // Every spec is encrypted with the control plane key: a put may rely on the bucket default
    // (no encryption header) or name this key, nothing else. Each Deny needs its header present
    // (Null false), so a put without encryption headers, which gets the default, passes.
    const sse = 's3:x-amz-server-side-encryption';
    const sseKey = 's3:x-amz-server-side-encryption-aws-kms-key-id';
    const denyPuts = (sid: string, conditions: Record<string, Record<string, string>>) =>
      this.bucket.addToResourcePolicy(
        new PolicyStatement({ sid, effect: Effect.DENY, principals: [new AnyPrincipal()], actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')], conditions }),
      );
    denyPuts('NoOtherEncryptionThanKms', { StringNotEquals: { [sse]: 'aws:kms' }, Null: { [sse]: 'false' } });
    denyPuts('NoOtherKeyThanTheControlPlaneKey', { StringNotEquals: { [sseKey]: props.encryptionKey.keyArn }, Null: { [sseKey]: 'false' } });
    // `aws:kms` with no key id would get the AWS managed aws/s3 key, not the bucket default.
    denyPuts('NoAwsManagedKey', { StringEquals: { [sse]: 'aws:kms' }, Null: { [sseKey]: 'true' } });

    // Object events (a spec written) to EventBridge, for audit and automation. Set on the resource:
    // the construct's `eventBridgeEnabled` goes through a custom resource Lambda instead.
    (this.bucket.node.defaultChild as CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    acknowledgeFindings(this.bucket, {
      'NIST.800.53.R5-S3BucketReplicationEnabled':
        'Specs are kept in the control plane region only: replication would need a second region with its own bucket and key, which this single-region control plane does not have. Every version is kept (versioning, Object Lock) and each spec can be regenerated from the state table, which has PITR and AWS Backup.',
      'HIPAA.Security-S3BucketReplicationEnabled':
        'Specs are kept in the control plane region only: replication would need a second region with its own bucket and key, which this single-region control plane does not have. Every version is kept (versioning, Object Lock) and each spec can be regenerated from the state table, which has PITR and AWS Backup.',
    });
  }

  /** The ARN pattern of every TenantSpec object (`specs/*`). */
  public get specObjectsArn(): string {
    return this.bucket.arnForObjects(`${SPEC_KEY_PREFIX}*`);
  }

  /** Reading specs, any version: `s3:GetObject` and `s3:GetObjectVersion` on `specs/*`, and decrypting them. */
  public grantReadSpecs(grantee: IGrantable & IConstruct): void {
    this.acknowledgeSpecsWildcard(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [this.specObjectsArn] }),
    );
    this.encryptionKey.grant(grantee, 'kms:Decrypt');
  }

  /** Writing and reading specs: `s3:PutObject` besides the reads, and encrypting with the key. */
  public grantReadWriteSpecs(grantee: IGrantable & IConstruct): void {
    this.acknowledgeSpecsWildcard(grantee);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'], resources: [this.specObjectsArn] }),
    );
    this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey');
  }

  private acknowledgeSpecsWildcard(grantee: IConstruct): void {
    acknowledgeFindings(grantee, {
      [`AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/${SPEC_KEY_PREFIX}*]`]:
        `The TenantSpec objects: ${SPEC_KEY_PREFIX}<clusterId>.json, one per cluster, whose ids are made at run time; nothing else in the bucket.`,
    });
  }
}
