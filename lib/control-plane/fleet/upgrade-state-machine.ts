import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Errors,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  type RetryProps,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/compliance';
import { UPGRADE_STATE_NAMES, type UpgradeStep } from '../../contract/upgrade-workflow';
import { ManagedPolicyRole } from '../managed-policy-role';
import { LAMBDA_TRANSIENT_ERRORS, lambdaTaskTimeout } from '../workflow/workflow-state-machine';

/** Prefix of the Pass state a cluster's Catch goes to first; the rest is the failed state's name. */
export const RECORD_CLUSTER_FAILURE_PREFIX = 'Record cluster failure: ';

export interface UpgradeStateMachineProps {
  /** The upgrade-steps function (`lambda/fleet/upgrade-steps.handler.ts`): every Lambda task invokes it with `{ step, state }`. */
  readonly stepsFunction: IFunction;

  /** Encrypts the execution log group. */
  readonly encryptionKey: IKey;

  /** Between two polls of a cluster's UPDATE job. @default 1 minute */
  readonly pollInterval?: Duration;

  /** Before a retry wave of clusters that were busy (a job in flight) when their wave came. @default 3 minutes */
  readonly busyRetryInterval?: Duration;

  /**
   * How long one run (one attempt) may take: its waves one after the other, each as long as its
   * slowest UPDATE job. @default 7 days
   */
  readonly timeout?: Duration;

  /** Retries of the Lambda tasks. @default interval 2 s, backoff rate 2, 4 attempts, full jitter */
  readonly lambdaRetry?: RetryProps;

  /** @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The fleet upgrade state machine (Standard), one execution per attempt of a run, with the state
 * names of `UPGRADE_STATE_NAMES`:
 *
 *   Plan upgrade → Next wave? ─ WAVE ──────────────────────────────▶ Open wave → Upgrade wave → Close wave ─┐
 *                      ▲      ├ RETRY → Wait before retrying busy clusters ┘                                 │
 *                      │      └ END → Upgrade run ended                                                      │
 *                      └─────────────────────────────────────────────────────────────────────────────────────┘
 *
 * `Upgrade wave` is a distributed Map over the wave's cluster ids (child executions: Standard, as a
 * cluster's iteration lasts as long as its UPDATE job), at most the run's `maxConcurrency` at a time
 * (MaxConcurrencyPath). Each iteration: `Start cluster upgrade` (an UPDATE job under the cluster's
 * job lock; BUSY or SKIPPED end the iteration) → `Job running?` → `Wait for job` → `Check cluster
 * upgrade` → … → `Cluster done`. A step that fails past its retries is caught into `Record
 * cluster failure: <state>` → `Record cluster error` (the cluster FAILED with that state and
 * error), so one cluster never fails the wave. The bound, cancellation and the retry waves of busy
 * clusters are decided by `Close wave`, from the run's counters in the state table; the execution
 * carries only ids and the wave's results. A failure outside the iterations halts the run
 * (`Halt run` → `Upgrade run failed`).
 */
export class UpgradeStateMachine extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly role: ManagedPolicyRole;
  public readonly logGroup: LogGroup;

  private readonly props: UpgradeStateMachineProps;

  constructor(scope: Construct, id: string, props: UpgradeStateMachineProps) {
    super(scope, id);
    this.props = props;

    // One cluster's iteration.
    const recordClusterError = this.lambdaStep('recordClusterError');
    const startCluster = this.catchingCluster(this.lambdaStep('startCluster'), recordClusterError);
    const checkCluster = this.catchingCluster(this.lambdaStep('checkCluster'), recordClusterError);
    const waitForJob = new Wait(this, 'WaitForJob', { stateName: UPGRADE_STATE_NAMES.waitForJob, time: WaitTime.duration(props.pollInterval ?? Duration.minutes(1)) });
    const clusterDone = new Succeed(this, 'ClusterDone', { stateName: UPGRADE_STATE_NAMES.clusterDone });
    const jobRunning = new Choice(this, 'JobRunning', { stateName: UPGRADE_STATE_NAMES.jobRunning })
      .when(Condition.stringEquals('$.status', 'RUNNING'), waitForJob)
      .otherwise(clusterDone);
    startCluster.next(jobRunning);
    recordClusterError.next(clusterDone);
    waitForJob.next(checkCluster);
    checkCluster.next(jobRunning);

    const wave = new DistributedMap(this, 'UpgradeWave', {
      stateName: UPGRADE_STATE_NAMES.upgradeWave,
      mapExecutionType: StateMachineType.STANDARD,
      itemsPath: '$.members',
      itemSelector: {
        upgradeId: JsonPath.stringAt('$.upgradeId'),
        attempt: JsonPath.numberAt('$.attempt'),
        clusterId: JsonPath.stringAt('$$.Map.Item.Value'),
      },
      maxConcurrencyPath: '$.maxConcurrency',
      resultPath: '$.results',
    });
    wave.itemProcessor(startCluster);

    // The run.
    const halt = this.lambdaStep('haltRun', JsonPath.DISCARD);
    halt.next(new Fail(this, 'RunFailed', { stateName: UPGRADE_STATE_NAMES.runFailed, errorPath: '$.error.Error', causePath: '$.error.Cause' }));
    const plan = this.lambdaStep('plan');
    const openWave = this.lambdaStep('openWave', '$.members');
    const closeWave = this.lambdaStep('closeWave');
    for (const state of [plan, openWave, wave, closeWave]) state.addCatch(halt, { errors: [Errors.ALL], resultPath: '$.error' });
    const retryWait = new Wait(this, 'WaitBeforeRetry', {
      stateName: UPGRADE_STATE_NAMES.waitBeforeRetry,
      time: WaitTime.duration(props.busyRetryInterval ?? Duration.minutes(3)),
    });
    const nextWave = new Choice(this, 'NextWave', { stateName: UPGRADE_STATE_NAMES.nextWave })
      .when(Condition.stringEquals('$.next', 'WAVE'), openWave)
      .when(Condition.stringEquals('$.next', 'RETRY'), retryWait)
      .otherwise(new Succeed(this, 'RunEnded', { stateName: UPGRADE_STATE_NAMES.runEnded }));
    plan.next(nextWave);
    retryWait.next(openWave);
    openWave.next(wave);
    wave.next(closeWave);
    closeWave.next(nextWave);

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'SICI fleet upgrades: invokes the upgrade-steps function and runs the child executions of its waves',
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'SICI fleet upgrade in waves: one execution per attempt of a run, named <upgradeId>-<attempt>',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(plan),
      timeout: props.timeout ?? Duration.days(7),
      role: this.role,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });

    acknowledgeFindings(this.role, {
      'AwsSolutions-IAM5[Resource::*]':
        "Resource '*' is only what Step Functions needs for vended log delivery and X-Ray (none of those actions has resource-level permissions).",
      [`AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.stepsFunction.node.defaultChild as CfnElement)}.Arn>:*]`]:
        'lambda:InvokeFunction on the upgrade-steps function and its qualified ARNs only.',
    });
  }

  /**
   * A Lambda task: `{ step, state: $ }` to the upgrade-steps function, its result at `resultPath`
   * (default: the result is the state; no `ResultPath: "$"`, which aws-local-stepfunctions 3 sets
   * as a key named `$` instead of replacing the state).
   */
  private lambdaStep(step: UpgradeStep, resultPath?: string): LambdaInvoke {
    const task = new LambdaInvoke(this, step.charAt(0).toUpperCase() + step.slice(1), {
      stateName: UPGRADE_STATE_NAMES[step],
      lambdaFunction: this.props.stepsFunction,
      payload: TaskInput.fromObject({ step, state: JsonPath.entirePayload }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(lambdaTaskTimeout(this.props.stepsFunction)),
      ...(resultPath ? { resultPath } : {}),
    });
    task.addRetry({ errors: [...LAMBDA_TRANSIENT_ERRORS], interval: Duration.seconds(2), backoffRate: 2, maxAttempts: 4, jitterStrategy: JitterType.FULL, ...this.props.lambdaRetry });
    return task;
  }

  /** A cluster's task catches everything into `Record cluster failure: <state>` (→ `$.failedState`), then `Record cluster error`. */
  private catchingCluster(task: LambdaInvoke, recordClusterError: LambdaInvoke): LambdaInvoke {
    const record = new Pass(this, `RecordFailure${task.node.id}`, {
      stateName: `${RECORD_CLUSTER_FAILURE_PREFIX}${task.stateId}`,
      result: Result.fromString(task.stateId),
      resultPath: '$.failedState',
    });
    record.next(recordClusterError);
    task.addCatch(record, { errors: [Errors.ALL], resultPath: '$.error' });
    return task;
  }
}
