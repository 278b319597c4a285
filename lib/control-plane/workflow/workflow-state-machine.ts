import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { BuildEnvironmentVariableType, CfnProject, IProject } from 'aws-cdk-lib/aws-codebuild';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DefinitionBody,
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  RetryProps,
  StateMachine,
  StateMachineType,
  TaskInput,
  TaskStateBase,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CodeBuildStartBuild, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeFindings } from '../../compliance/compliance';
import { DATASOURCE_ACCESS_ERROR, RESULT_KEYS, RUNNER_ENV, RunnerAction, STATE_NAMES, TRANSIENT_ERROR, WorkflowStep } from '../../contract/workflow';
import { ManagedPolicyRole } from '../managed-policy-role';
import { SPEC_KEY_PREFIX } from './tenant-spec-bucket';

/** Errors of a Lambda task that are worth another attempt: the Lambda service's own, and the steps' `SiciTransientError`. */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  TRANSIENT_ERROR,
] as const;

/**
 * Errors of StartBuild worth another attempt: the account's concurrent build limit, and CodeBuild's
 * generic exception, which is how throttling reaches Step Functions. A build that runs and fails
 * (`States.TaskFailed`) is not retried: its job fails, with the build in the error's cause.
 */
export const CODEBUILD_TRANSIENT_ERRORS = ['CodeBuild.AccountLimitExceededException', 'CodeBuild.AWSCodeBuildException'] as const;

/**
 * What a task's timeout adds to the longest its work may take: for a Lambda task, a cold start and
 * the service's own latency; for a build, the phases CodeBuild still runs after its build timeout
 * and Step Functions' polling of the `.sync` integration.
 */
export const TASK_TIMEOUT_MARGIN = { lambda: Duration.seconds(30), build: Duration.minutes(5) } as const;

/** Prefix of the Pass state each Catch goes to first; the rest of the name is the failed state's. */
export const RECORD_FAILURE_PREFIX = 'Record failure: ';

export interface WorkflowStateMachineProps {
  /** The one workflow function (`lambda/workflow/workflow-steps.handler.ts`): every Lambda task invokes it with `{ step, state }`. */
  readonly stepsFunction: IFunction;

  /** The deploy runner: deploy and destroy start a build of it and wait for its end (`.sync`). */
  readonly runner: IProject;

  /** The TenantSpec bucket: a destroy deploys nothing new, it names the cluster's current spec in it. */
  readonly specBucket: IBucket;

  /** Encrypts the execution log group. */
  readonly encryptionKey: IKey;

  /**
   * How long one job may run. Longer than the runner's build timeout plus the Lambda steps and
   * their retries, and shorter than what the reconciler waits before failing a RUNNING job.
   *
   * @default 2 hours
   */
  readonly timeout?: Duration;

  /** Retries of the Lambda tasks. @default interval 2 s, backoff rate 2, 3 attempts, full jitter */
  readonly lambdaRetry?: RetryProps;

  /**
   * Retries of `Validate datasource access` when the datasource is not reachable as generated: the
   * data owner may still be applying the setup. @default interval 30 s, backoff rate 1.5, 8 attempts
   * (about 25 minutes in all), full jitter
   */
  readonly accessRetry?: RetryProps;

  /** Retries of StartBuild. @default interval 10 s, backoff rate 2, 4 attempts, full jitter */
  readonly codeBuildRetry?: RetryProps;

  /** @default one year */
  readonly logRetention?: RetentionDays;

  /** @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * The provisioning workflow's state machine (Standard), with the state names of `STATE_NAMES`:
 *
 *   Start job → Route operation ─ DELETE → Destroy tenant stack ───────────────────────────────┐
 *                                └ other → Validate entitlement → Allocate cluster             │
 *                      ┌─────────────────▶ Write TenantSpec → Deploy tenant stack            │
 *                      │                   → Register endpoint → Validate datasource access   │
 *                      │                   → Complete job ◀───────────────────────────────────┘
 *   Reject datasource ◀┘ (Validate datasource access, SiciDatasourceAccessError after its retries)
 *
 * An ADD_DATASOURCE job whose datasource cannot be reached as generated takes it out again: `Reject
 * datasource` marks it FAILED, and the spec is written and deployed once more without it, so the
 * cluster ends as it was; `Complete job` then fails the job and leaves the cluster ACTIVE.
 *
 * Every task has a timeout as long as its work may take in AWS (`lambdaTaskTimeout`,
 * `buildTaskTimeout`): Step Functions' own default is 99999999 s, but a runtime with a shorter
 * default (aws-local-stepfunctions: 60 s) must not time out a build that waits in a queue.
 *
 * Every task retries its transient errors with exponential backoff; every task but `Fail job`
 * catches everything (`States.ALL`, the error at `$.error`) into `Record failure: <state>` (which
 * sets `$.failedState`), then `Fail job` (which records the failure and retries, with no catch)
 * and `Job failed`. `Complete job` ends the execution (no separate Succeed state: every state of
 * the definition is one of `STATE_NAMES` or a `Record failure: …`).
 *
 * Logging: every event (level ALL) to a KMS-encrypted log group, without execution data (the
 * execution history keeps inputs and outputs; the log carries no job state); X-Ray tracing.
 */
export class WorkflowStateMachine extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly role: ManagedPolicyRole;
  public readonly logGroup: LogGroup;

  private readonly failJob: LambdaInvoke;
  private readonly props: WorkflowStateMachineProps;

  constructor(scope: Construct, id: string, props: WorkflowStateMachineProps) {
    super(scope, id);
    this.props = props;

    // Failure path: Fail job → Job failed (error and cause of the state that failed).
    this.failJob = this.lambdaStep('failJob');
    this.failJob.next(new Fail(this, 'JobFailed', { stateName: STATE_NAMES.jobFailed, errorPath: '$.error.Error', causePath: '$.error.Cause' }));

    const startJob = this.catching(this.lambdaStep('startJob'));
    const validateEntitlement = this.catching(this.lambdaStep('validateEntitlement'));
    const allocateCluster = this.catching(this.lambdaStep('allocateCluster'));
    const writeTenantSpec = this.catching(this.lambdaStep('writeTenantSpec'));
    const registerEndpoint = this.catching(this.lambdaStep('registerEndpoint'));
    const rejectDatasource = this.catching(this.lambdaStep('rejectDatasource'));
    const validateAccess = this.lambdaStep('validateAccess');
    validateAccess.addRetry({
      errors: [DATASOURCE_ACCESS_ERROR],
      interval: Duration.seconds(30),
      backoffRate: 1.5,
      maxAttempts: 8,
      jitterStrategy: JitterType.FULL,
      ...props.accessRetry,
    });
    validateAccess.addCatch(rejectDatasource, { errors: [DATASOURCE_ACCESS_ERROR], resultPath: '$.error' });
    this.catching(validateAccess);
    const completeJob = this.catching(this.lambdaStep('completeJob'));

    // Deploy exactly the spec version the workflow just wrote.
    const deploy = this.catching(
      this.runnerBuild(STATE_NAMES.deployTenantStack, 'deploy', JsonPath.format('{}?versionId={}', JsonPath.stringAt('$.spec.uri'), JsonPath.stringAt('$.spec.version'))),
    );
    // Destroy with the cluster's current spec (see run-tenant-stack.sh): the one of its last deploy.
    const destroy = this.catching(
      this.runnerBuild(
        STATE_NAMES.destroyTenantStack,
        'destroy',
        JsonPath.format(`s3://{}/${SPEC_KEY_PREFIX}{}.json`, props.specBucket.bucketName, JsonPath.stringAt('$.job.clusterId')),
      ),
    );

    const route = new Choice(this, 'RouteOperation', { stateName: STATE_NAMES.routeOperation })
      .when(Condition.stringEquals('$.job.operationType', 'DELETE'), destroy)
      .otherwise(validateEntitlement);

    startJob.next(route);
    validateEntitlement.next(allocateCluster).next(writeTenantSpec).next(deploy).next(registerEndpoint).next(validateAccess).next(completeJob);
    rejectDatasource.next(writeTenantSpec);
    destroy.next(completeJob);

    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'SICI provisioning workflow: invokes the workflow function and runs the deploy runner',
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'SICI provisioning workflow: one execution per job, named by the job id',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(startJob),
      timeout: props.timeout ?? Duration.hours(2),
      role: this.role,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });

    acknowledgeFindings(this.role, {
      'AwsSolutions-IAM5[Resource::*]':
        "Resource '*' is only what Step Functions needs for vended log delivery (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets): none of them has resource-level permissions.",
      [`AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.stepsFunction.node.defaultChild as CfnElement)}.Arn>:*]`]:
        'lambda:InvokeFunction on the workflow function and its qualified ARNs (versions, aliases) only: Step Functions adds the `:*` form for qualified invocations of this one function.',
    });
  }

  /** A Lambda task: `{ step, state: $ }` to the workflow function, its result at `$.<RESULT_KEYS[step]>` (or discarded). */
  private lambdaStep(step: WorkflowStep): LambdaInvoke {
    const resultKey = RESULT_KEYS[step];
    const task = new LambdaInvoke(this, pascal(step), {
      stateName: STATE_NAMES[step],
      lambdaFunction: this.props.stepsFunction,
      payload: TaskInput.fromObject({ step, state: JsonPath.entirePayload }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      taskTimeout: Timeout.duration(lambdaTaskTimeout(this.props.stepsFunction)),
      resultPath: resultKey === null ? JsonPath.DISCARD : `$.${resultKey}`,
    });
    task.addRetry({
      errors: [...LAMBDA_TRANSIENT_ERRORS],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: JitterType.FULL,
      ...this.props.lambdaRetry,
    });
    return task;
  }

  /** A runner build (`startBuild.sync`), keeping only the build's id and status at `$.build`. */
  private runnerBuild(stateName: string, action: RunnerAction, specUri: string): CodeBuildStartBuild {
    const plain = (value: string) => ({ type: BuildEnvironmentVariableType.PLAINTEXT, value });
    const task = new CodeBuildStartBuild(this, pascal(stateName), {
      stateName,
      project: this.props.runner,
      integrationPattern: IntegrationPattern.RUN_JOB,
      taskTimeout: Timeout.duration(buildTaskTimeout(this.props.runner)),
      environmentVariablesOverride: {
        [RUNNER_ENV.action]: plain(action),
        [RUNNER_ENV.specUri]: plain(specUri),
        [RUNNER_ENV.jobId]: plain(JsonPath.stringAt('$.jobId')),
        [RUNNER_ENV.clusterId]: plain(JsonPath.stringAt('$.job.clusterId')),
      },
      resultSelector: { id: JsonPath.stringAt('$.Build.Id'), status: JsonPath.stringAt('$.Build.BuildStatus') },
      resultPath: '$.build',
    });
    task.addRetry({
      errors: [...CODEBUILD_TRANSIENT_ERRORS],
      interval: Duration.seconds(10),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: JitterType.FULL,
      ...this.props.codeBuildRetry,
    });
    return task;
  }

  /** Adds the Catch of every task but `Fail job`: `$.error`, then `Record failure: <state>` (→ `$.failedState`), then `Fail job`. */
  private catching<T extends TaskStateBase>(task: T): T {
    const stateName = task.stateId;
    const record = new Pass(this, `RecordFailure${pascal(stateName)}`, {
      stateName: `${RECORD_FAILURE_PREFIX}${stateName}`,
      result: Result.fromString(stateName),
      resultPath: '$.failedState',
    });
    record.next(this.failJob);
    task.addCatch(record, { errors: [Errors.ALL], resultPath: '$.error' });
    return task;
  }
}

/**
 * How long one invocation of the workflow function may take: its timeout (Lambda's default, 3 s,
 * when it sets none; for a function imported from elsewhere, Lambda's maximum, 15 minutes), plus
 * the margin.
 */
export function lambdaTaskTimeout(fn: IFunction): Duration {
  const timeout = fn instanceof LambdaFunction ? (fn.timeout ?? Duration.seconds(3)) : Duration.minutes(15);
  return timeout.plus(TASK_TIMEOUT_MARGIN.lambda);
}

/**
 * How long one build of the runner may take from StartBuild to its end: the time it may wait in
 * CodeBuild's queue (`queuedTimeout`; CodeBuild's default, 8 hours, when unset) and run
 * (`timeout`; default 1 hour), plus the margin. For a project imported from elsewhere, CodeBuild's
 * maximums (8 and 36 hours).
 */
export function buildTaskTimeout(project: IProject): Duration {
  const resource = project.node.defaultChild;
  const [queued, running] = resource instanceof CfnProject ? [resource.queuedTimeoutInMinutes ?? 8 * 60, resource.timeoutInMinutes ?? 60] : [8 * 60, 36 * 60];
  return Duration.minutes(queued + running).plus(TASK_TIMEOUT_MARGIN.build);
}

/** `validateEntitlement` → `ValidateEntitlement`, `Deploy tenant stack` → `DeployTenantStack`: construct ids. */
function pascal(name: string): string {
  return name.replace(/(^|[\s_-]+)(\w)/g, (_, __, letter: string) => letter.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
}
