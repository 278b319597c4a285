import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FleetOperations } from '../fleet-operations';
import { acknowledgeFindings } from '../../compliance/compliance';
import { EnvironmentConfig, PlatformConfig } from '../../config/platform-config';
import { driftDetectionStatements } from '../../access/drift-detection-permissions';
import { ingestTokenSecretName, starburstRoleName } from '../../contract/tenant-spec';
import { TENANT_READER_ROLE_NAME } from '../../contract/workflow';
import { ENV } from '../../contract/function-environment';
import { STATE_TABLE_KEYS } from '../../contract/tables';
import { PROJECT_ROOT, SiciFunction, acknowledgeLambdaOutsideVpc, acknowledgeLambdaWithoutDlq, createSiciFunction } from '../sici-function';
import { indexArns } from '../state-tables';
import { DeployRunner } from './deploy-runner';
import { TenantSpecBucket } from './tenant-spec-bucket';
import { WorkflowStateMachine } from './workflow-state-machine';

/** Actions of each workflow function on the state table (items on the table; Query also on the indexes of `WORKFLOW_QUERY_INDEXES`). */
export const WORKFLOW_STATE_TABLE_ACTIONS = {
  // Jobs, clusters, events, CIDR counters: conditional puts and updates, in transactions too
  // (ConditionCheck). Nothing is ever deleted.
  steps: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Finds PENDING and RUNNING jobs (gsi2), then fails the stuck ones like `Fail job` does.
  reconciler: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
} as const;

/** The indexes each workflow function may Query (besides the table itself, for the steps). */
export const WORKFLOW_QUERY_INDEXES = {
  steps: STATE_TABLE_KEYS.indexes.map((index) => index.name),
  reconciler: ['gsi2'],
} as const;

export interface ProvisioningWorkflowProps {
  /** The platform configuration: bundled into the functions and the runner; its environments bound the cross-account permissions. */
  readonly config: PlatformConfig;
  readonly stateTable: ITable;
  readonly auditTable: ITable;
  /** The control plane key: tables, specs, logs. */
  readonly encryptionKey: IKey;

  /** Folder of the workflow's Lambda entries (`workflow-steps.handler.ts`, `reconciler.handler.ts`). @default `lambda/workflow` of this repository */
  readonly entryDirectory?: string;

  /** How long one job may run (the state machine's timeout). @default 2 hours */
  readonly jobTimeout?: Duration;

  /** How long one deploy or destroy build may run. @default 90 minutes */
  readonly buildTimeout?: Duration;

  /** How often the reconciler runs. @default every 5 minutes */
  readonly reconcileEvery?: Duration;

  /** Retention of every log group of the workflow. @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN for the log groups and the spec buckets */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The provisioning workflow of SICI's jobs: the TenantSpec bucket, the workflow function (the
 * steps), the deploy runner (CodeBuild), the state machine, and the reconciler on a schedule.
 *
 * Cross-account: tenants live in the environment accounts of `config.environments`. The runner
 * deploys through each account's CDK bootstrap roles (see `DeployRunner`); the workflow function
 * reads a deployed stack's outputs and its EKS cluster through each account's
 * `sici-tenant-reader` role (`TENANT_READER_ROLE_NAME`, policy `tenantReaderRolePolicy`, trusting
 * the control plane account), through which it also assumes a cluster's Starburst role to validate
 * a new datasource's access, and holds nothing else in those accounts. Before a deploy it simulates
 * the generated tenant policy (`iam:SimulateCustomPolicy`, which reads no account data).
 */
export class ProvisioningWorkflow extends Construct {
  public readonly specs: TenantSpecBucket;
  public readonly steps: SiciFunction;
  public readonly runner: DeployRunner;
  public readonly workflow: WorkflowStateMachine;
  public readonly reconciler: SiciFunction;
  public readonly schedule: Rule;

  private readonly stateTable: ITable;

  constructor(scope: Construct, id: string, props: ProvisioningWorkflowProps) {
    super(scope, id);
    this.stateTable = props.stateTable;
    const entryDirectory = props.entryDirectory ?? path.join(PROJECT_ROOT, 'lambda', 'workflow');
    const encryptionKey = props.encryptionKey;
    const tableEnvironment = { [ENV.stateTable]: props.stateTable.tableName, [ENV.auditTable]: props.auditTable.tableName };

    this.specs = new TenantSpecBucket(this, 'Specs', { encryptionKey, removalPolicy: props.removalPolicy });

    // The steps: invoked by the state machine only, synchronously.
    this.steps = createSiciFunction(new Construct(this, 'Steps'), {
      config: props.config,
      entry: path.join(entryDirectory, 'workflow-steps.handler.ts'),
      description: 'SICI provisioning workflow: the steps of the state machine',
      roleDescription: 'SICI provisioning workflow steps: the function\'s own role',
      serviceName: 'sici-workflow',
      encryptionKey,
      environment: { ...tableEnvironment, [ENV.specBucket]: this.specs.bucket.bucketName },
      // Registering an endpoint assumes a role in another account and reads CloudFormation and EKS.
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    this.grantTables(this.steps, 'steps', props);
    this.specs.grantReadWriteSpecs(this.steps.role);
    this.steps.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sts:AssumeRole'], resources: tenantReaderRoleArns(Stack.of(this), props.config) }),
    );
    // Its own policy, so that this Resource '*' is acknowledged alone (the role's grants policy has X-Ray's only).
    const policySimulator = new ManagedPolicy(this, 'StepsPolicySimulator', {
      description: 'SICI provisioning workflow steps: simulate a TenantSpec\'s generated tenant policy before it is deployed',
      roles: [this.steps.role],
      statements: [new PolicyStatement({ actions: ['iam:SimulateCustomPolicy'], resources: ['*'] })],
    });
    acknowledgeFindings(policySimulator, {
      'AwsSolutions-IAM5[Resource::*]':
        'iam:SimulateCustomPolicy has no resource-level permissions (the IAM service authorization reference lists no resource type for it); it evaluates only the policy documents passed in the call, reads nothing of the account, and changes nothing.',
    });
    acknowledgeLambdaOutsideVpc(
      this.steps.fn,
      'The workflow function reaches DynamoDB, S3, STS and (through the tenant reader role) CloudFormation and EKS APIs, all over AWS public endpoints with IAM auth; it never connects into a tenant VPC, so a VPC would add NAT/endpoint cost and protect nothing.',
    );
    acknowledgeLambdaWithoutDlq(
      this.steps.fn,
      'Invoked synchronously by Step Functions only: a failed invocation is retried by the task state and then caught into Fail job, which records it on the job; a DLQ receives only failed asynchronous invocations, of which there are none.',
    );

    this.runner = new DeployRunner(this, 'Runner', {
      config: props.config,
      specs: this.specs,
      encryptionKey,
      timeout: props.buildTimeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });

    this.workflow = new WorkflowStateMachine(this, 'StateMachine', {
      stepsFunction: this.steps.fn,
      runner: this.runner.project,
      specBucket: this.specs.bucket,
      encryptionKey,
      timeout: props.jobTimeout,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });

    // The reconciler: one run at a time (reserved concurrency 1), every few minutes.
    this.reconciler = createSiciFunction(new Construct(this, 'Reconciler'), {
      config: props.config,
      entry: path.join(entryDirectory, 'reconciler.handler.ts'),
      description: 'SICI provisioning workflow: re-drives PENDING jobs, fails jobs stuck RUNNING',
      roleDescription: 'SICI provisioning workflow reconciler: the function\'s own role',
      serviceName: 'sici-reconciler',
      encryptionKey,
      environment: { ...tableEnvironment, [ENV.stateMachineArn]: this.workflow.stateMachine.stateMachineArn },
      timeout: Duration.minutes(2),
      reservedConcurrency: 1,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    this.grantTables(this.reconciler, 'reconciler', props);
    this.workflow.stateMachine.grantStartExecution(this.reconciler.role);
    this.workflow.stateMachine.grantExecution(this.reconciler.role, 'states:DescribeExecution');
    // A failed run is not retried: the next one, minutes later, does the whole work again.
    this.reconciler.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    this.schedule = new Rule(this, 'ReconcileSchedule', {
      description: 'SICI: run the provisioning workflow reconciler',
      schedule: Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.reconciler.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(5) })],
    });
    acknowledgeFindings(this.reconciler.role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(this.workflow.stateMachine.node.defaultChild as never)}"}]}]}:*]`]:
        'states:DescribeExecution on the executions of the workflow state machine only; execution names are job ids, created at run time.',
    });
    acknowledgeLambdaOutsideVpc(
      this.reconciler.fn,
      'The reconciler reaches only DynamoDB and Step Functions over AWS public endpoints with IAM auth; a VPC would add NAT/endpoint cost with nothing to protect.',
    );
    acknowledgeLambdaWithoutDlq(
      this.reconciler.fn,
      'Invoked by an EventBridge schedule every few minutes; each run re-reads every PENDING and RUNNING job, so a failed run leaves nothing to replay: the next run does its work. Retries are off (retryAttempts 0) for that reason, and errors are in the function\'s log and metrics.',
    );
  }

  /**
   * Has the reconciler re-drive the fleet too (the fleet is made after the workflow): RUNNING fleet
   * operations whose worker is gone (gsi2) get the worker invoked again, and upgrade runs in flight
   * (gsi1) whose execution is lost are started again, after a DescribeExecution of their attempt.
   */
  reconcileFleet(fleet: FleetOperations): void {
    const role = this.reconciler.role;
    const stateMachine = fleet.upgrades.stateMachine;
    role.addToPrincipalPolicy(fleet.invokeWorker());
    stateMachine.grantStartExecution(role);
    stateMachine.grantExecution(role, 'states:DescribeExecution');
    const [listIndex] = indexArns(this.stateTable, STATE_TABLE_KEYS);
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [listIndex] }));
    this.reconciler.fn.addEnvironment(ENV.fleetWorkerFunction, fleet.worker.fn.functionName);
    this.reconciler.fn.addEnvironment(ENV.upgradeStateMachineArn, stateMachine.stateMachineArn);
    acknowledgeFindings(role, {
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${Stack.of(this).getLogicalId(stateMachine.node.defaultChild as never)}"}]}]}:*]`]:
        'states:DescribeExecution on the executions of the fleet upgrade state machine only; execution names are <upgradeId>-<attempt>, made at run time.',
    });
  }

  private grantTables(fn: SiciFunction, kind: keyof typeof WORKFLOW_STATE_TABLE_ACTIONS, props: ProvisioningWorkflowProps): void {
    const actions: readonly string[] = WORKFLOW_STATE_TABLE_ACTIONS[kind];
    const indexes: readonly string[] = WORKFLOW_QUERY_INDEXES[kind];
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: actions.filter((action) => action !== 'dynamodb:Query'), resources: [props.stateTable.tableArn] }),
    );
    const queryable = indexArns(props.stateTable, STATE_TABLE_KEYS).filter((_arn, i) => indexes.includes(STATE_TABLE_KEYS.indexes[i].name));
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: kind === 'steps' ? [props.stateTable.tableArn, ...queryable] : queryable,
      }),
    );
    // Append-only audit records.
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.auditTable.tableArn] }));
    props.encryptionKey.grant(fn.role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  }
}

/** `arn:<partition>:iam::<account>:role/sici-tenant-reader` of each configured environment account. */
export function tenantReaderRoleArns(stack: Stack, config: PlatformConfig): string[] {
  const accounts = [...new Set(Object.values(config.environments).map((environment) => environment.account))];
  return accounts.map((account) =>
    stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: TENANT_READER_ROLE_NAME }),
  );
}

/**
 * The permissions of the `sici-tenant-reader` role in an environment account (created with the
 * account's baseline, e.g. next to its CDK bootstrap; trust: the control plane account, ideally
 * its workflow function's role): read the TenantStacks and their EKS clusters, and assume the
 * clusters' Starburst roles (whose trust policies admit this role) to validate datasource access
 * as the engine will use it, read the clusters' node metrics (usage) and their ingest tokens; nothing else.
 */
export function tenantReaderRolePolicy(environment: EnvironmentConfig, partition = 'aws'): PolicyDocument {
  return new PolicyDocument({
    statements: [
      new PolicyStatement({
        actions: ['cloudformation:DescribeStacks'],
        resources: [`arn:${partition}:cloudformation:${environment.region}:${environment.account}:stack/TenantStack-*/*`],
      }),
      new PolicyStatement({
        actions: ['eks:DescribeCluster'],
        resources: [`arn:${partition}:eks:${environment.region}:${environment.account}:cluster/sici-*`],
      }),
      // Every cluster id starts with `c-`: this names Starburst roles (sici-c-*-starburst) and nothing else.
      new PolicyStatement({
        actions: ['sts:AssumeRole'],
        resources: [`arn:${partition}:iam::${environment.account}:role/${starburstRoleName('c-*')}`],
      }),
      // Drift: CloudFormation drift detection of the TenantStacks, and the reads it makes of their resources.
      ...driftDetectionStatements(environment, partition).map((statement) => PolicyStatement.fromJson(statement)),
      // Usage: the clusters' node metrics from Container Insights (GetMetricData has no resource-level permissions).
      new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      // The ingest route: a cluster's current ingest token, once it was rotated (secrets `sici/<clusterId>/ingest-token`).
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`arn:${partition}:secretsmanager:${environment.region}:${environment.account}:secret:${ingestTokenSecretName('c-*')}-*`],
      }),
    ],
  });
}
