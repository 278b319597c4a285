import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { BuildSpec, CfnProject, ComputeType, LinuxBuildImage, Project, Source } from 'aws-cdk-lib/aws-codebuild';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/compliance';
import { PlatformConfig } from '../../config/platform-config';
import { ENV } from '../../contract/function-environment';
import { ManagedPolicyRole } from '../managed-policy-role';
import { PROJECT_ROOT } from '../sici-function';
import { RUNNER_SCRIPT_FILE, buildRunnerBundle, runnerBundleFingerprint } from './runner-bundle';
import { TenantSpecBucket } from './tenant-spec-bucket';

/** The qualifier of the CDK bootstrap stacks in the environment accounts (the default one). */
export const CDK_BOOTSTRAP_QUALIFIER = 'hnb659fds';

/**
 * The CDK bootstrap roles the runner assumes in each environment: `deploy` (CloudFormation),
 * `file-publishing` (the TenantStack's file assets: Lambda code, the kubectl and AWS CLI layers)
 * and `lookup` (read-only; the CLI reads through it, e.g. the deployed template). Not
 * `image-publishing`: a TenantStack has no Docker image asset.
 */
export const CDK_BOOTSTRAP_ROLES = ['deploy', 'file-publishing', 'lookup'] as const;

export interface DeployRunnerProps {
  /** The platform configuration: the environments whose bootstrap roles the runner may assume, and what the bundle deploys with. */
  readonly config: PlatformConfig;

  /** The specs the runner reads (`specs/*` only). */
  readonly specs: TenantSpecBucket;

  /** The control plane key: the project's encryption key and its log group's. */
  readonly encryptionKey: IKey;

  /**
   * How long one deploy or destroy may take. A TenantStack (VPC, EKS, node groups, the engine's
   * Helm release) takes 25 to 40 minutes to create and about as long to delete.
   *
   * @default 90 minutes
   */
  readonly timeout?: Duration;

  /**
   * Builds that may run at once (one per job; jobs of different clusters run in parallel). Further
   * builds wait in the queue, then fail with the StartBuild call, which the workflow retries.
   *
   * @default 10
   */
  readonly concurrentBuildLimit?: number;

  /** @default ComputeType.MEDIUM (7 GB: synthesizing the control plane and a TenantStack with every compliance check) */
  readonly computeType?: ComputeType;

  /** Retention of the build logs. @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log group */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The deploy runner: a CodeBuild project that runs `cdk deploy` (or `cdk destroy`) of one
 * `TenantStack-<clusterId>` from its TenantSpec, with this control plane's own code and
 * configuration, which its source (an S3 asset, see `runner-bundle.ts`) carries together with
 * every package it needs: no `npm install` and no registry at run time.
 *
 * The state machine starts it with `SICI_ACTION`, `SICI_SPEC_URI`, `SICI_JOB_ID` and
 * `SICI_CLUSTER_ID` (`RUNNER_ENV`) and waits for it (`startBuild.sync`).
 *
 * Its role may only: read the asset it runs, read TenantSpecs (`specs/*`, any version, decrypting
 * with the control plane key), write its own log group, and `sts:AssumeRole` the CDK bootstrap
 * roles (`CDK_BOOTSTRAP_ROLES`) of each configured environment: those do the deploying, so each
 * environment account must be bootstrapped trusting the control plane account
 * (`cdk bootstrap aws://<account>/<region> --trust <control plane account>
 * --trust-for-lookup <control plane account> --cloudformation-execution-policies <policy>`). The
 * CDK's own statements on the project role (default log group, report groups) are not added.
 *
 * The image is CodeBuild's standard Ubuntu image (x86_64) with Node.js 22; unprivileged (no Docker).
 */
export class DeployRunner extends Construct {
  public readonly project: Project;
  public readonly role: ManagedPolicyRole;
  public readonly logGroup: LogGroup;
  public readonly source: Asset;

  constructor(scope: Construct, id: string, props: DeployRunnerProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // The bundle is built only when this stack's assets are bundled: a synth that skips bundling
    // (the local control plane, the runner's own synth of the control plane) reads no source file
    // for it. The hash is a fingerprint of the sources, so an unchanged app is not re-uploaded.
    const bundleOptions = { projectRoot: PROJECT_ROOT, config: props.config };
    this.source = new Asset(this, 'Source', {
      path: PROJECT_ROOT,
      ...(stack.bundlingRequired ? { assetHash: runnerBundleFingerprint(bundleOptions) } : { assetHashType: AssetHashType.OUTPUT }),
      bundling: {
        // Never used: local bundling either builds the bundle or throws.
        image: DockerImage.fromRegistry('sici-runner-bundle-is-built-locally'),
        local: {
          tryBundle: (outputDir: string) => {
            buildRunnerBundle(outputDir, bundleOptions);
            return true;
          },
        },
      },
    });

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('codebuild.amazonaws.com'),
      description: 'SICI deploy runner: cdk deploy/destroy of one TenantStack through the environment accounts\' CDK bootstrap roles',
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.project = new Project(this, 'Project', {
      description: 'SICI deploy runner: cdk deploy or destroy of TenantStack-<clusterId> from its TenantSpec',
      // Every permission of the role is set below; the project adds none of its own.
      role: this.role.withoutPolicyUpdates(),
      source: Source.s3({ bucket: this.source.bucket, path: this.source.s3ObjectKey }),
      environment: {
        buildImage: LinuxBuildImage.STANDARD_7_0,
        computeType: props.computeType ?? ComputeType.MEDIUM,
        privileged: false,
        environmentVariables: {
          [ENV.specBucket]: { value: props.specs.bucket.bucketName },
          CDK_DISABLE_VERSION_CHECK: { value: 'true' },
          CDK_DISABLE_CLI_TELEMETRY: { value: 'true' },
        },
      },
      buildSpec: BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          install: { 'runtime-versions': { nodejs: '22' } },
          build: {
            commands: [`bash ${RUNNER_SCRIPT_FILE}`],
          },
        },
      }),
      timeout: props.timeout ?? Duration.minutes(90),
      queuedTimeout: Duration.minutes(30),
      concurrentBuildLimit: props.concurrentBuildLimit ?? 10,
      logging: { cloudWatch: { logGroup: this.logGroup } },
      grantReportGroupPermissions: false,
    });
    acknowledgeFindings(this.project, {
      'HIPAA.Security-CodeBuildProjectSourceRepoUrl':
        "The source is an S3 object (this control plane's own asset), read with the project's role; OAuth (Source.Auth) applies only to GitHub and Bitbucket sources, and there is no repository URL that could hold credentials.",
    });
    // Build output encryption with the control plane key. Set on the resource: the construct's
    // `encryptionKey` would also grant `kms:ReEncrypt*` and `kms:GenerateDataKey*` to the role.
    (this.project.node.defaultChild as CfnProject).encryptionKey = props.encryptionKey.keyArn;

    // The source: this one object of the bootstrap asset bucket (SSE with the bucket's AWS managed
    // key), and the bucket's location and ACL, which CodeBuild reads for an S3 source.
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.source.bucket.arnForObjects(this.source.s3ObjectKey)],
      }),
    );
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'], resources: [this.source.bucket.bucketArn] }));
    this.logGroup.grantWrite(this.role);
    props.specs.grantReadSpecs(this.role);
    props.encryptionKey.grant(this.role, 'kms:Encrypt', 'kms:GenerateDataKey');

    const bootstrapRoles = Object.values(props.config.environments).flatMap((environment) =>
      CDK_BOOTSTRAP_ROLES.map((role) =>
        stack.formatArn({
          service: 'iam',
          region: '',
          account: environment.account,
          resource: 'role',
          resourceName: `cdk-${CDK_BOOTSTRAP_QUALIFIER}-${role}-role-${environment.account}-${environment.region}`,
        }),
      ),
    );
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole', 'sts:TagSession'], resources: [...new Set(bootstrapRoles)] }));
  }
}
