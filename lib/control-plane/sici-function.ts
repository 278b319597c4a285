import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../compliance/compliance';
import { PlatformConfig } from '../config/platform-config';
import { BUNDLED_CONFIG_DEFINE } from '../contract/function-environment';
import { ManagedPolicyRole } from './managed-policy-role';

/** The repository root: Lambda entries and `package-lock.json` are found from here. */
export const PROJECT_ROOT = path.join(__dirname, '..', '..');

export interface SiciFunctionProps {
  /** The platform configuration, bundled into the function (esbuild `define`), validated at start. */
  readonly config: PlatformConfig;

  /** The entry file (TypeScript), exporting `handler`. */
  readonly entry: string;

  /** The function's description. */
  readonly description: string;

  /** The description of its role. */
  readonly roleDescription: string;

  /** `POWERTOOLS_SERVICE_NAME` of the function's logs, traces and metrics. */
  readonly serviceName: string;

  /** Encrypts the function's log group. */
  readonly encryptionKey: IKey;

  /** Environment variables besides `POWERTOOLS_SERVICE_NAME` and `NODE_OPTIONS`. */
  readonly environment: Record<string, string>;

  /** @default 512 MiB (arm64: more memory is more CPU, which shortens cold starts) */
  readonly memorySize?: number;

  /** @default 10 seconds */
  readonly timeout?: Duration;

  /** Reserved concurrency: a ceiling for the function and a floor the rest of the account cannot take. @default 10 */
  readonly reservedConcurrency?: number;

  /** Retention of the log group. @default one year (Control Tower CT.CLOUDWATCH.PR.2 wants 365 days) */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log group */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** A SICI Lambda function, its own role and its own log group. */
export interface SiciFunction {
  readonly fn: NodejsFunction;
  /** A `ManagedPolicyRole`: every grant lands in a customer managed policy of its own. */
  readonly role: ManagedPolicyRole;
  readonly logGroup: LogGroup;
}

/**
 * Creates a SICI Lambda function in `scope` (children `Role`, `Logs` and `Function`): the one
 * place where the conventions of every SICI function are set.
 *
 * - Node.js 24 on arm64, X-Ray tracing, reserved concurrency.
 * - Its own role (`ManagedPolicyRole`), which may write only to its own KMS-encrypted log group
 *   (instead of AWSLambdaBasicExecutionRole, which allows every log group of the account).
 * - Bundling: minified CommonJS, external source maps without sources (readable stack traces
 *   via `--enable-source-maps`; the map is read only by Node, never served). The AWS SDK v3 is
 *   taken from the Node.js 24 runtime (`@aws-sdk/*` external), which keeps each bundle near
 *   150 KB instead of about 730 KB and cold starts short; the handlers use only stable calls,
 *   tested here against the versions pinned in package-lock.json.
 * - The platform configuration is bundled through esbuild `define` of `BUNDLED_CONFIG_DEFINE`.
 *
 * The caller adds the function's grants to `role` and acknowledges the findings that depend on
 * how the function is invoked (VPC, DLQ); the X-Ray statement's `Resource: *` is acknowledged here.
 */
export function createSiciFunction(scope: Construct, props: SiciFunctionProps): SiciFunction {
  const role = new ManagedPolicyRole(scope, 'Role', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });

  const logGroup = new LogGroup(scope, 'Logs', {
    encryptionKey: props.encryptionKey,
    retention: props.logRetention ?? RetentionDays.ONE_YEAR,
    removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, 'Function', {
    description: props.description,
    entry: props.entry,
    handler: 'handler',
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(10),
    reservedConcurrentExecutions: props.reservedConcurrency ?? 10,
    tracing: Tracing.ACTIVE,
    role,
    logGroup,
    environment: {
      ...props.environment,
      POWERTOOLS_SERVICE_NAME: props.serviceName,
      // Source maps are on (external .map files in the zip); this makes stack traces readable.
      NODE_OPTIONS: '--enable-source-maps',
    },
    bundling: {
      format: OutputFormat.CJS,
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.EXTERNAL,
      sourcesContent: false,
      // The runtime provides the AWS SDK v3 (see above).
      externalModules: ['@aws-sdk/*'],
      define: { [BUNDLED_CONFIG_DEFINE]: JSON.stringify(JSON.stringify(props.config)) },
      logLevel: LogLevel.WARNING,
    },
  });

  acknowledgeFindings(role, {
    'AwsSolutions-IAM5[Resource::*]':
      "Resource '*' is only X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords), which has no resource-level permissions; every other statement names its table, index, key, bucket, log group or role ARNs.",
  });
  return { fn, role, logGroup };
}

/** The three findings that a Lambda outside a VPC raises, acknowledged with one reason. */
export function acknowledgeLambdaOutsideVpc(fn: Construct, reason: string): void {
  acknowledgeFindings(fn, {
    'NIST.800.53.R5-LambdaInsideVPC': reason,
    'HIPAA.Security-LambdaInsideVPC': reason,
    'cfn-guard:lambda_inside_vpc_check': reason,
  });
}

/** The two findings that a Lambda without a dead-letter queue raises, acknowledged with one reason. */
export function acknowledgeLambdaWithoutDlq(fn: Construct, reason: string): void {
  acknowledgeFindings(fn, {
    'NIST.800.53.R5-LambdaDLQ': reason,
    'HIPAA.Security-LambdaDLQ': reason,
  });
}
