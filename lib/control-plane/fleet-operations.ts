import * as path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { TENANT_OPERATOR_ROLE_NAME } from '../access/tenant-operator-policy';
import { acknowledgeFindings } from '../compliance/compliance';
import { PlatformConfig } from '../config/platform-config';
import { ENV } from '../contract/function-environment';
import { STATE_TABLE_KEYS } from '../contract/tables';
import { UpgradeStateMachine } from './fleet/upgrade-state-machine';
import { PROJECT_ROOT, SiciFunction, acknowledgeLambdaOutsideVpc, acknowledgeLambdaWithoutDlq, createSiciFunction } from './sici-function';
import { indexArns } from './state-tables';
import { tenantReaderRoleArns } from './workflow/provisioning-workflow';

/** What each fleet function does on the state table (items on the table; Query on the table and its indexes). */
export const FLEET_STATE_TABLE_ACTIONS = {
  // Operations and their outcomes, clusters' suspension and drift, their events; jobs of suspended clusters.
  worker: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Finds idle ACTIVE clusters (fleet index, query records) and records their suspension with its operation.
  autoSuspend: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Records the scheduled drift check of the fleet.
  driftSchedule: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query'],
  // Upgrade runs: the run and its planned clusters (BatchWriteItem of their items), UPDATE jobs under
  // each cluster's job lock (transactions with the run's counters).
  upgradeSteps: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
} as const;

export interface FleetOperationsProps {
  readonly config: PlatformConfig;
  readonly stateTable: ITable;
  readonly auditTable: ITable;
  readonly encryptionKey: IKey;
  /** The provisioning workflow: upgrade steps start UPDATE jobs on it. */
  readonly provisioningStateMachine?: IStateMachine;
  /** @default every hour */
  readonly autoSuspendEvery?: Duration;
  /** @default every day */
  readonly driftCheckEvery?: Duration;
  readonly logRetention?: RetentionDays;
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The platform team's fleet operations behind the fleet routes: the fleet worker (shutdown, resume
 * and drift checks, invoked asynchronously; it blocks endpoints and scales node groups through each
 * environment's `sici-tenant-operator` role, and detects drift through `sici-tenant-reader`), the
 * hourly auto-suspend of idle clusters, the daily drift check of the fleet, and the upgrade state
 * machine with its steps function.
 */
export class FleetOperations extends Construct {
  public readonly worker: SiciFunction;
  public readonly autoSuspend: SiciFunction;
  public readonly driftSchedule: SiciFunction;
  public readonly upgradeSteps: SiciFunction;
  public readonly upgrades: UpgradeStateMachine;

  constructor(scope: Construct, id: string, props: FleetOperationsProps) {
    super(scope, id);
    const fleetDir = path.join(PROJECT_ROOT, 'lambda', 'fleet');
    const tableEnvironment = { [ENV.stateTable]: props.stateTable.tableName, [ENV.auditTable]: props.auditTable.tableName };
    const make = (name: string, entry: string, description: string, options: { timeout: Duration; reservedConcurrency?: number; environment?: Record<string, string> }) =>
      createSiciFunction(new Construct(this, name), {
        config: props.config,
        entry: path.join(fleetDir, entry),
        description,
        roleDescription: `${description}: the function's own role`,
        serviceName: `sici-${name.replace(/[A-Z]/g, (c, i) => `${i ? '-' : ''}${c.toLowerCase()}`)}`,
        encryptionKey: props.encryptionKey,
        environment: { ...tableEnvironment, ...options.environment },
        timeout: options.timeout,
        reservedConcurrency: options.reservedConcurrency,
        logRetention: props.logRetention,
        logRemovalPolicy: props.removalPolicy,
      });

    this.worker = make('FleetWorker', 'fleet-worker.handler.ts', 'SICI fleet: carries out shutdowns, resumes and drift checks', {
      timeout: Duration.minutes(15),
      reservedConcurrency: 5,
    });
    this.grantTables(this.worker, FLEET_STATE_TABLE_ACTIONS.worker, props);
    const stack = Stack.of(this);
    const accounts = [...new Set(Object.values(props.config.environments).map((environment) => environment.account))];
    const operatorRoles = accounts.map((account) => stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: TENANT_OPERATOR_ROLE_NAME }));
    this.worker.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...operatorRoles, ...tenantReaderRoleArns(stack, props.config)] }));
    // A run near its timeout hands what is left to a new invocation of itself.
    // Its own policy: in the role's grants it would make the function depend on itself.
    new ManagedPolicy(this, 'FleetWorkerSelfInvoke', {
      description: 'SICI fleet worker: hand the rest of a long run to a new invocation of itself',
      roles: [this.worker.role],
      statements: [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.worker.fn.functionArn] })],
    });
    this.worker.fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });

    this.autoSuspend = make('AutoSuspend', 'auto-suspend.handler.ts', 'SICI fleet: suspends clusters idle past their environment threshold', {
      timeout: Duration.minutes(5),
      reservedConcurrency: 1,
      environment: { [ENV.fleetWorkerFunction]: this.worker.fn.functionName },
    });
    this.grantTables(this.autoSuspend, FLEET_STATE_TABLE_ACTIONS.autoSuspend, props);
    this.autoSuspend.role.addToPrincipalPolicy(this.invokeWorker());
    this.schedule('AutoSuspendSchedule', this.autoSuspend, props.autoSuspendEvery ?? Duration.hours(1), 'SICI: suspend idle clusters');

    this.driftSchedule = make('DriftSchedule', 'drift-schedule.handler.ts', 'SICI fleet: starts the scheduled drift check of the fleet', {
      timeout: Duration.minutes(1),
      reservedConcurrency: 1,
      environment: { [ENV.fleetWorkerFunction]: this.worker.fn.functionName },
    });
    this.grantTables(this.driftSchedule, FLEET_STATE_TABLE_ACTIONS.driftSchedule, props);
    this.driftSchedule.role.addToPrincipalPolicy(this.invokeWorker());
    this.schedule('DriftCheckSchedule', this.driftSchedule, props.driftCheckEvery ?? Duration.days(1), 'SICI: detect drift of every tenant stack');

    this.upgradeSteps = make('UpgradeSteps', 'upgrade-steps.handler.ts', 'SICI fleet: the steps of the upgrade state machine', {
      timeout: Duration.seconds(60),
      environment: props.provisioningStateMachine ? { [ENV.stateMachineArn]: props.provisioningStateMachine.stateMachineArn } : {},
    });
    this.grantTables(this.upgradeSteps, FLEET_STATE_TABLE_ACTIONS.upgradeSteps, props);
    props.provisioningStateMachine?.grantStartExecution(this.upgradeSteps.role);
    this.upgrades = new UpgradeStateMachine(this, 'Upgrades', {
      stepsFunction: this.upgradeSteps.fn,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });

    // CDK gives a distributed Map's state machine an inline policy to run and follow its child executions.
    const inlineReason =
      "CDK's DistributedMap adds this policy to the state machine's role itself (no property makes it a managed policy): StartExecution of this state machine and Describe/Stop of its own executions only, nothing else.";
    acknowledgeFindings(this.upgrades.stateMachine, {
      'NIST.800.53.R5-IAMNoInlinePolicy': inlineReason,
      'HIPAA.Security-IAMNoInlinePolicy': inlineReason,
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(this.upgrades.stateMachine.node.defaultChild as CfnElement)}"}]}]}:*]`]:
        "The upgrade state machine's distributed Map follows its own executions only (DescribeExecution, StopExecution); their names are upgrade run ids, made at run time.",
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${stack.getLogicalId(this.upgrades.stateMachine.node.defaultChild as CfnElement)}"}]}]}/*:*]`]:
        "The distributed Map's child executions (one per wave's Map run) of this state machine only; their names are made by Step Functions at run time.",
    });

    for (const fn of [this.worker, this.autoSuspend, this.driftSchedule, this.upgradeSteps]) {
      acknowledgeLambdaOutsideVpc(
        fn.fn,
        "SICI's fleet functions reach DynamoDB, Lambda, Step Functions, STS and (through the environments' tenant operator and reader roles) EKS, Elastic Load Balancing and CloudFormation, all over AWS public endpoints with IAM auth; none connects into a tenant VPC.",
      );
    }
    acknowledgeLambdaWithoutDlq(
      this.worker.fn,
      "Invoked asynchronously by the fleet routes and schedules, with two retries: each cluster's outcome is in the state table, so a retried run does only what is left, and an operation that never finishes shows its clusters PENDING on GET /fleet/operations/{id}.",
    );
    acknowledgeLambdaWithoutDlq(this.autoSuspend.fn, 'Invoked by an hourly schedule with no retries: each run looks at every ACTIVE cluster again, so a failed run leaves nothing to replay.');
    acknowledgeLambdaWithoutDlq(this.driftSchedule.fn, 'Invoked by a daily schedule with no retries: a failed run is logged and the next one checks the fleet again; POST /fleet/drift checks on demand.');
    acknowledgeLambdaWithoutDlq(this.upgradeSteps.fn, 'Invoked synchronously by the upgrade state machine only: a failed invocation is retried by the task state and then caught into the cluster or run failure it records.');
  }

  /** Invoking the worker's unqualified ARN only (`grantInvoke` would add its versions, `:*`). */
  invokeWorker(): PolicyStatement {
    return new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.worker.fn.functionArn] });
  }

  private schedule(id: string, fn: SiciFunction, every: Duration, description: string): Rule {
    fn.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(15) });
    return new Rule(this, id, { description, schedule: Schedule.rate(every), targets: [new LambdaFunction(fn.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(15) })] });
  }

  private grantTables(fn: SiciFunction, actions: readonly string[], props: FleetOperationsProps): void {
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: actions.filter((action) => action !== 'dynamodb:Query'), resources: [props.stateTable.tableArn] }));
    if (actions.includes('dynamodb:Query')) {
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [props.stateTable.tableArn, ...indexArns(props.stateTable, STATE_TABLE_KEYS)] }));
    }
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [props.auditTable.tableArn] }));
    props.encryptionKey.grant(fn.role, 'kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey');
  }
}
