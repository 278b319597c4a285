import { driftDetectionStatements } from '../../../../lib/access/drift-detection-permissions';
import '../../../../lambda/local/promise-with-resolvers';
import aslValidator from 'asl-validator';
import { Stack } from 'aws-cdk-lib';
import { BuildSpec, Project } from 'aws-cdk-lib/aws-codebuild';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { StateMachine as LocalStateMachine } from 'aws-local-stepfunctions';
import { ENV } from '../../../../lib/contract/function-environment';
import {
  DATASOURCE_ACCESS_ERROR,
  RESULT_KEYS,
  RUNNER_ENV,
  STATE_NAMES,
  TENANT_READER_ROLE_NAME,
  TRANSIENT_ERROR,
  WORKFLOW_STEPS,
} from '../../../../lib/contract/workflow';
import { WORKFLOW_PLACEHOLDERS, workflowDefinitionFromTemplate } from '../../../../lib/control-plane/workflow/definition-from-template';
import { CDK_BOOTSTRAP_QUALIFIER, CDK_BOOTSTRAP_ROLES } from '../../../../lib/control-plane/workflow/deploy-runner';
import { WORKFLOW_QUERY_INDEXES, WORKFLOW_STATE_TABLE_ACTIONS, tenantReaderRolePolicy } from '../../../../lib/control-plane/workflow/provisioning-workflow';
import { RUNNER_SCRIPT_FILE } from '../../../../lib/control-plane/workflow/runner-bundle';
import {
  CODEBUILD_TRANSIENT_ERRORS,
  LAMBDA_TRANSIENT_ERRORS,
  RECORD_FAILURE_PREFIX,
  buildTaskTimeout,
  lambdaTaskTimeout,
} from '../../../../lib/control-plane/workflow/workflow-state-machine';
import { expectCleanSynth } from '../../../support/compliance-report';
import { platformConfig } from '../../../support/fixtures';
import { SynthesizedControlPlane, synthControlPlane } from '../../../support/synth-control-plane';
import { asArray, Json, mentions, renderArn, TemplateResource } from '../../../support/template';

/**
 * The provisioning workflow in the SiciControlPlane stack. One synth, shared by every test: with
 * every compliance pack, and asset bundling skipped, as the local control plane synthesizes it
 * (../control-plane-stack.test.ts synthesizes with bundling). The ASL is read with
 * `workflowDefinitionFromTemplate`, as the local host does.
 */

const config = platformConfig();

let cp: SynthesizedControlPlane;
let asl: Json;

beforeAll(() => {
  cp = synthControlPlane({ complianceChecks: true });
  asl = workflowDefinitionFromTemplate(cp.json, workflowMachine()[0]);
});

afterAll(() => cp?.remove());

const functionByDescription = (pattern: RegExp): [string, TemplateResource] => {
  const found = cp.ofType('AWS::Lambda::Function').filter(([, fn]) => pattern.test(fn.Properties.Description ?? ''));
  expect(found).toHaveLength(1);
  return found[0];
};
const statementsOfFunction = (pattern: RegExp): Json[] => cp.statementsOfRole(functionByDescription(pattern)[1].Properties.Role['Fn::GetAtt'][0]);
const actionsOn = (statements: Json[], logicalId: string): string[] =>
  [...new Set(statements.filter((s) => mentions(s.Resource, logicalId)).flatMap((s) => asArray<string>(s.Action)))].sort();

const STEPS_FUNCTION = /^SICI provisioning workflow: the steps/;
/** The tasks a CREATE runs, in order. */
const CREATE_TASKS = [
  STATE_NAMES.startJob,
  STATE_NAMES.validateEntitlement,
  STATE_NAMES.allocateCluster,
  STATE_NAMES.writeTenantSpec,
  STATE_NAMES.deployTenantStack,
  STATE_NAMES.registerEndpoint,
  STATE_NAMES.validateAccess,
  STATE_NAMES.completeJob,
];
const RECONCILER_FUNCTION = /^SICI provisioning workflow: re-drives/;
const states = (): Record<string, Json> => asl.States;
const tasks = () => Object.entries(states()).filter(([, state]) => state.Type === 'Task');
/** The provisioning workflow's state machine (the stack also holds the fleet upgrade state machine). */
function workflowMachine(): [string, Json] {
  const machines = cp.ofType('AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith('WorkflowStateMachine'));
  expect(machines).toHaveLength(1);
  return machines[0];
}
const stateMachine = (): Json => workflowMachine()[1].Properties;

describe('compliance', () => {
  test('the stack with its workflow synthesizes with AwsSolutions, NIST 800-53 R5, HIPAA and cfn-guard and no unacknowledged finding', () => {
    expectCleanSynth(cp.synthError, cp.outdir);
  });

  test('the synth needs no context lookup', () => {
    expect(cp.manifest.missing ?? []).toEqual([]);
  });
});

describe('state machine resource', () => {
  test('Standard, X-Ray tracing, every event logged (no execution data) to a KMS-encrypted log group kept a year', () => {
    const machine = stateMachine();
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.StateMachineName).toBeUndefined();
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
    const logGroupId = machine.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
    expect(cp.resources[logGroupId].Type).toBe('AWS::Logs::LogGroup');
    expect(cp.resources[logGroupId].Properties.KmsKeyId).toBeDefined();
    expect(cp.resources[logGroupId].Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
  });

  test('a job may run 2 hours, longer than a runner build (90 minutes)', () => {
    expect(asl.TimeoutSeconds).toBe(2 * 60 * 60);
    const [, project] = cp.onlyOfType('AWS::CodeBuild::Project');
    expect(project.Properties.TimeoutInMinutes).toBe(90);
    expect(project.Properties.TimeoutInMinutes * 60).toBeLessThan(asl.TimeoutSeconds);
  });
});

describe('definition (ASL)', () => {
  test('passes asl-validator', () => {
    // (The validator adds QueryLanguage to every state: give it a copy.)
    const validation = aslValidator(structuredClone(asl));
    expect(validation.isValid ? '' : validation.errorsText('\n')).toBe('');
  });

  test('has every state of STATE_NAMES, starts at Start job, and holds nothing else but the Record failure states', () => {
    expect(asl.StartAt).toBe(STATE_NAMES.startJob);
    const names = Object.keys(states());
    expect(names).toEqual(expect.arrayContaining(Object.values(STATE_NAMES)));
    const others = names.filter((name) => !(Object.values(STATE_NAMES) as string[]).includes(name));
    for (const name of others) expect(name.startsWith(RECORD_FAILURE_PREFIX)).toBe(true);
  });

  test('each workflow step is one Lambda task invoking the workflow function with { step, state: $ }, its result where RESULT_KEYS says', () => {
    const lambdaTasks = tasks().filter(([, state]) => state.Resource === WORKFLOW_PLACEHOLDERS.functionArn);
    expect(lambdaTasks.map(([, state]) => state.Parameters.step).sort()).toEqual([...WORKFLOW_STEPS].sort());
    for (const step of WORKFLOW_STEPS) {
      const state = states()[STATE_NAMES[step]];
      expect([step, state.Parameters]).toEqual([step, { step, 'state.$': '$' }]);
      const key = RESULT_KEYS[step];
      expect([step, state.ResultPath]).toEqual([step, key === null ? null : `$.${key}`]);
    }
  });

  test('every task times out when its work could no longer end in AWS: a Lambda task after its function\'s timeout and 30 s, a build after the runner\'s queued and build timeouts and 5 minutes', () => {
    const [, fn] = functionByDescription(STEPS_FUNCTION);
    const [, project] = cp.onlyOfType('AWS::CodeBuild::Project');
    expect([fn.Properties.Timeout, project.Properties.QueuedTimeoutInMinutes, project.Properties.TimeoutInMinutes]).toEqual([60, 30, 90]);
    const timeouts = Object.fromEntries(tasks().map(([name, state]) => [name, state.TimeoutSeconds]));
    const expected = Object.fromEntries(
      tasks().map(([name, state]) => [
        name,
        state.Resource === WORKFLOW_PLACEHOLDERS.functionArn ? fn.Properties.Timeout + 30 : (project.Properties.QueuedTimeoutInMinutes + project.Properties.TimeoutInMinutes + 5) * 60,
      ]),
    );
    expect(timeouts).toEqual(expected);
    expect(timeouts[STATE_NAMES.deployTenantStack]).toBe(125 * 60);
    expect(timeouts[STATE_NAMES.startJob]).toBe(90);
  });

  test('task timeouts of a function or project the app did not create are the service maximums, and the service defaults where unset', () => {
    const stack = new Stack();
    const imported = { fn: LambdaFunction.fromFunctionArn(stack, 'Fn', 'arn:aws:lambda:us-east-1:123456789012:function:x'), project: Project.fromProjectName(stack, 'P', 'x') };
    expect(lambdaTaskTimeout(imported.fn).toSeconds()).toBe(15 * 60 + 30);
    expect(buildTaskTimeout(imported.project).toMinutes()).toBe(8 * 60 + 36 * 60 + 5);
    const plain = new LambdaFunction(stack, 'Plain', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => null') });
    const project = new Project(stack, 'Project', { buildSpec: BuildSpec.fromObject({ version: '0.2' }) });
    expect(lambdaTaskTimeout(plain).toSeconds()).toBe(3 + 30);
    expect(buildTaskTimeout(project).toMinutes()).toBe(8 * 60 + 60 + 5);
  });

  test('every task retries its transient errors with exponential backoff', () => {
    for (const [name, state] of tasks()) {
      // Validate datasource access also retries the owner's setup (next test).
      expect([name, asArray(state.Retry).length]).toEqual([name, name === STATE_NAMES.validateAccess ? 2 : 1]);
      const [retry] = state.Retry;
      const expected = state.Resource === WORKFLOW_PLACEHOLDERS.functionArn ? LAMBDA_TRANSIENT_ERRORS : CODEBUILD_TRANSIENT_ERRORS;
      expect([name, retry.ErrorEquals]).toEqual([name, [...expected]]);
      expect(retry).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(retry.IntervalSeconds).toBeGreaterThan(0);
      expect(retry.MaxAttempts).toBeGreaterThanOrEqual(3);
    }
    expect(LAMBDA_TRANSIENT_ERRORS).toEqual(
      expect.arrayContaining(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', TRANSIENT_ERROR]),
    );
  });

  test('Validate datasource access retries an unreachable datasource for a while (the owner may be applying the setup), then rejects it and writes the spec again', () => {
    const validate = states()[STATE_NAMES.validateAccess];
    expect(validate.Retry[1]).toMatchObject({ ErrorEquals: [DATASOURCE_ACCESS_ERROR], JitterStrategy: 'FULL' });
    expect(validate.Retry[1].MaxAttempts).toBeGreaterThanOrEqual(3);
    expect(validate.Catch[0]).toEqual({ ErrorEquals: [DATASOURCE_ACCESS_ERROR], ResultPath: '$.error', Next: STATE_NAMES.rejectDatasource });
    expect(states()[STATE_NAMES.rejectDatasource].Next).toBe(STATE_NAMES.writeTenantSpec);
  });

  test('every task but Fail job catches States.ALL into $.error, then "Record failure: <state>" sets $.failedState and goes to Fail job', () => {
    for (const [name, state] of tasks().filter(([n]) => n !== STATE_NAMES.failJob)) {
      // Validate datasource access catches DATASOURCE_ACCESS_ERROR first (previous test).
      const catches = name === STATE_NAMES.validateAccess ? state.Catch.slice(1) : state.Catch;
      expect([name, catches]).toEqual([name, [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `${RECORD_FAILURE_PREFIX}${name}` }]]);
      expect(states()[`${RECORD_FAILURE_PREFIX}${name}`]).toEqual({
        Type: 'Pass',
        Result: name,
        ResultPath: '$.failedState',
        Next: STATE_NAMES.failJob,
      });
    }
  });

  test('Fail job retries, catches nothing, and ends in Job failed with the caught error and cause', () => {
    const failJob = states()[STATE_NAMES.failJob];
    expect(failJob.Retry).toBeDefined();
    expect(failJob.Catch).toBeUndefined();
    expect(failJob.Next).toBe(STATE_NAMES.jobFailed);
    expect(states()[STATE_NAMES.jobFailed]).toEqual({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' });
  });

  test('Route operation sends DELETE to Destroy tenant stack and everything else to Validate entitlement', () => {
    const route = states()[STATE_NAMES.routeOperation];
    expect(route.Type).toBe('Choice');
    expect(route.Choices).toEqual([{ Variable: '$.job.operationType', StringEquals: 'DELETE', Next: STATE_NAMES.destroyTenantStack }]);
    expect(route.Default).toBe(STATE_NAMES.validateEntitlement);
  });

  test('the happy paths: create through deploy and register, delete through destroy, both ending at Complete job', () => {
    const walk = (from: string, choose: (state: Json) => string): string[] => {
      const path: string[] = [];
      for (let name: string | undefined = from; name; ) {
        path.push(name);
        const state: Json = states()[name];
        name = state.Type === 'Choice' ? choose(state) : state.End ? undefined : state.Next;
      }
      return path;
    };
    const create = walk(asl.StartAt, (choice) => choice.Default);
    const remove = walk(asl.StartAt, (choice) => choice.Choices[0].Next);
    const S = STATE_NAMES;
    expect(create).toEqual([S.startJob, S.routeOperation, ...CREATE_TASKS.slice(1)]);
    expect(remove).toEqual([S.startJob, S.routeOperation, S.destroyTenantStack, S.completeJob]);
  });

  test('deploy and destroy run the runner with startBuild.sync and the RUNNER_ENV overrides, keeping only the build id and status', () => {
    const overrides = (name: string) =>
      Object.fromEntries((states()[name].Parameters.EnvironmentVariablesOverride as Json[]).map((v) => [v.Name, v.Value ?? v['Value.$']]));
    for (const [name, action] of [
      [STATE_NAMES.deployTenantStack, 'deploy'],
      [STATE_NAMES.destroyTenantStack, 'destroy'],
    ]) {
      const state = states()[name];
      expect(state.Resource).toBe('arn:aws:states:::codebuild:startBuild.sync');
      expect(state.Parameters.ProjectName).toBe(WORKFLOW_PLACEHOLDERS.projectName);
      expect(Object.keys(overrides(name)).sort()).toEqual(Object.values(RUNNER_ENV).sort());
      expect(overrides(name)).toMatchObject({ [RUNNER_ENV.action]: action, [RUNNER_ENV.jobId]: '$.jobId', [RUNNER_ENV.clusterId]: '$.job.clusterId' });
      expect(state.ResultSelector).toEqual({ 'id.$': '$.Build.Id', 'status.$': '$.Build.BuildStatus' });
      expect(state.ResultPath).toBe('$.build');
    }
    // A deploy names the exact spec version the workflow wrote; a destroy the cluster's current spec.
    expect(overrides(STATE_NAMES.deployTenantStack)[RUNNER_ENV.specUri]).toBe("States.Format('{}?versionId={}', $.spec.uri, $.spec.version)");
    expect(overrides(STATE_NAMES.destroyTenantStack)[RUNNER_ENV.specUri]).toBe(
      `States.Format('s3://{}/specs/{}.json', '${WORKFLOW_PLACEHOLDERS.bucketName}', $.job.clusterId)`,
    );
  });
});

describe('definition executed by aws-local-stepfunctions (as the local control plane runs it), with stand-in tasks', () => {
  const JOB_ID = 'j-0123456789abcdef';
  const CLUSTER_ID = 'c-0123456789abcdef';

  /** Runs the definition; each task records what it got and answers like the real step or build, or throws where `fail` says. */
  const execute = async (operationType: string, fail: Record<string, { name: string; times: number }> = {}) => {
    const calls: { state: string; input: Json }[] = [];
    const handlers: Record<string, (input: Json) => Promise<unknown>> = {};
    for (const [name] of tasks()) {
      handlers[name] = async (input) => {
        calls.push({ state: name, input });
        if (fail[name] && fail[name].times-- > 0) throw Object.assign(new Error(`${name} failed`), { name: fail[name].name });
        if (input.EnvironmentVariablesOverride) return { Build: { Id: 'runner:1', BuildStatus: 'SUCCEEDED', Logs: { big: 'dropped' } } };
        if (input.step === 'startJob') return { jobId: JOB_ID, clusterId: CLUSTER_ID, operationType };
        if (input.step === 'writeTenantSpec') return { uri: `s3://specs/specs/${CLUSTER_ID}.json`, version: 'v7' };
        return { from: input.step };
      };
    }
    const machine = new LocalStateMachine(structuredClone(asl), { validationOptions: { checkArn: false } });
    const retryIntervalOverrides = Object.fromEntries(Object.keys(handlers).map((name) => [name, 0]));
    const execution = machine.run({ jobId: JOB_ID }, { overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides } });
    const outcome = await execution.result.then(
      (output: Json) => ({ status: 'SUCCEEDED', output }),
      (error: Error) => ({ status: 'FAILED', error: error.message }),
    );
    const env = (state: string) =>
      Object.fromEntries((calls.find((c) => c.state === state)!.input.EnvironmentVariablesOverride as Json[]).map((v) => [v.Name, v.Value]));
    return { outcome, states: calls.map((c) => c.state), calls, env };
  };

  test('a CREATE runs every step, deploys the spec version just written, and keeps only the build id and status', async () => {
    const { outcome, states: visited, env } = await execute('CREATE');
    const S = STATE_NAMES;
    expect(visited).toEqual(CREATE_TASKS);
    expect(env(S.deployTenantStack)).toEqual({
      [RUNNER_ENV.action]: 'deploy',
      [RUNNER_ENV.specUri]: `s3://specs/specs/${CLUSTER_ID}.json?versionId=v7`,
      [RUNNER_ENV.jobId]: JOB_ID,
      [RUNNER_ENV.clusterId]: CLUSTER_ID,
    });
    expect(outcome).toMatchObject({ status: 'SUCCEEDED', output: { jobId: JOB_ID, build: { id: 'runner:1', status: 'SUCCEEDED' }, spec: { version: 'v7' } } });
    expect((outcome as Json).output.build).toEqual({ id: 'runner:1', status: 'SUCCEEDED' });
  });

  test('a DELETE destroys with the cluster’s current spec and completes', async () => {
    const { outcome, states: visited, env } = await execute('DELETE');
    expect(visited).toEqual([STATE_NAMES.startJob, STATE_NAMES.destroyTenantStack, STATE_NAMES.completeJob]);
    expect(env(STATE_NAMES.destroyTenantStack)).toMatchObject({
      [RUNNER_ENV.action]: 'destroy',
      [RUNNER_ENV.specUri]: `s3://${WORKFLOW_PLACEHOLDERS.bucketName}/specs/${CLUSTER_ID}.json`,
    });
    expect(outcome.status).toBe('SUCCEEDED');
  });

  test('a transient error is retried; a failed build goes through Record failure to Fail job with the state and error, and the execution fails', async () => {
    const { outcome, states: visited, calls } = await execute('CREATE', {
      [STATE_NAMES.allocateCluster]: { name: TRANSIENT_ERROR, times: 1 },
      [STATE_NAMES.deployTenantStack]: { name: 'States.TaskFailed', times: 1 },
    });
    expect(visited.filter((s) => s === STATE_NAMES.allocateCluster)).toHaveLength(2);
    expect(visited.at(-1)).toBe(STATE_NAMES.failJob);
    expect(visited).not.toContain(STATE_NAMES.registerEndpoint);
    const failJob = calls.at(-1)!.input;
    expect(failJob.step).toBe('failJob');
    expect(failJob.state).toMatchObject({ jobId: JOB_ID, failedState: STATE_NAMES.deployTenantStack, error: { Error: 'States.TaskFailed' } });
    expect(outcome.status).toBe('FAILED');
  });
});

describe('workflowDefinitionFromTemplate', () => {
  const machine = (definition: Json, extra: Record<string, TemplateResource> = {}) => ({
    Resources: { Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: definition } }, ...extra },
  });

  test('joins the definition and puts placeholders for pseudo parameters and the function, project and bucket', () => {
    const definition = {
      'Fn::Join': [
        '',
        ['{"A":"', { 'Fn::GetAtt': ['Fn', 'Arn'] }, '","B":"', { Ref: 'Project' }, '","C":"', { Ref: 'Bucket' }, '","D":"arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, '"}'],
      ],
    };
    const extra = { Fn: { Type: 'AWS::Lambda::Function' }, Project: { Type: 'AWS::CodeBuild::Project' }, Bucket: { Type: 'AWS::S3::Bucket' } };
    expect(workflowDefinitionFromTemplate(machine(definition, extra))).toEqual({
      A: WORKFLOW_PLACEHOLDERS.functionArn,
      B: WORKFLOW_PLACEHOLDERS.projectName,
      C: WORKFLOW_PLACEHOLDERS.bucketName,
      D: 'arn:aws:x:us-east-1:123456789012',
    });
    expect(workflowDefinitionFromTemplate(machine('{"StartAt":"A"}'))).toEqual({ StartAt: 'A' });
  });

  test('fails clearly on what it cannot render, rather than returning a wrong definition', () => {
    expect(() => workflowDefinitionFromTemplate({ Resources: {} })).toThrow(/Expected one AWS::StepFunctions::StateMachine/);
    expect(() => workflowDefinitionFromTemplate(machine({ 'Fn::Join': ['', ['{"A":"', { Ref: 'Queue' }, '"}']] }, { Queue: { Type: 'AWS::SQS::Queue' } }))).toThrow(
      /No placeholder for \{ Ref: Queue \} \(AWS::SQS::Queue\)/,
    );
    expect(() =>
      workflowDefinitionFromTemplate(
        machine({ 'Fn::Join': ['', ['{"A":"', { 'Fn::GetAtt': ['F1', 'Arn'] }, '","B":"', { 'Fn::GetAtt': ['F2', 'Arn'] }, '"}']] }, {
          F1: { Type: 'AWS::Lambda::Function' },
          F2: { Type: 'AWS::Lambda::Function' },
        }),
      ),
    ).toThrow(/two resources of one kind \(F1 and F2\)/);
  });
});

describe('TenantSpec bucket', () => {
  const specBucket = (): [string, Json] => {
    const found = cp.ofType('AWS::S3::Bucket').filter(([, b]) => b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm === 'aws:kms');
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('versioned, KMS (the control plane key), public access blocked, no ACLs, Object Lock, retained', () => {
    const [, bucket] = specBucket();
    const [keyId] = cp.onlyOfType('AWS::KMS::Key');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const [rule] = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration;
    expect(mentions(rule.ServerSideEncryptionByDefault.KMSMasterKeyID, keyId)).toBe(true);
    expect(rule.BucketKeyEnabled).toBe(true);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration.Rule.DefaultRetention).toMatchObject({ Mode: 'GOVERNANCE' });
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
  });

  test('TLS only: the bucket policy denies every request without aws:SecureTransport', () => {
    const [bucketId] = specBucket();
    const policy = cp.ofType('AWS::S3::BucketPolicy').find(([, p]) => mentions(p.Properties.Bucket, bucketId))!;
    expect(asArray(policy[1].Properties.PolicyDocument.Statement)).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } }),
    );
  });

  test('puts may use only the control plane key: no other key, no AES256, no aws:kms without a key id (that is aws/s3)', () => {
    const [bucketId] = specBucket();
    const [keyId] = cp.onlyOfType('AWS::KMS::Key');
    const policy = cp.ofType('AWS::S3::BucketPolicy').find(([, p]) => mentions(p.Properties.Bucket, bucketId))!;
    const denies = asArray<Json>(policy[1].Properties.PolicyDocument.Statement).filter((s) => s.Effect === 'Deny' && s.Action === 's3:PutObject');
    const sse = 's3:x-amz-server-side-encryption';
    const sseKey = 's3:x-amz-server-side-encryption-aws-kms-key-id';
    expect(denies.map((s) => s.Condition)).toEqual([
      { StringNotEquals: { [sse]: 'aws:kms' }, Null: { [sse]: 'false' } },
      { StringNotEquals: { [sseKey]: { 'Fn::GetAtt': [keyId, 'Arn'] } }, Null: { [sseKey]: 'false' } },
      { StringEquals: { [sse]: 'aws:kms' }, Null: { [sseKey]: 'true' } },
    ]);
    // What each kind of put meets: only the default (no headers) and the control plane key pass.
    const denied = (headers: Record<string, unknown>) =>
      denies.some((statement) =>
        Object.entries<Record<string, unknown>>(statement.Condition).every(([operator, keys]) =>
          Object.entries(keys).every(([key, value]) => {
            const present = key in headers;
            if (operator === 'Null') return String(!present) === value;
            if (operator === 'StringEquals') return present && JSON.stringify(headers[key]) === JSON.stringify(value);
            return !present || JSON.stringify(headers[key]) !== JSON.stringify(value); // StringNotEquals
          }),
        ),
      );
    const controlPlaneKey = { 'Fn::GetAtt': [keyId, 'Arn'] };
    expect(denied({})).toBe(false);
    expect(denied({ [sse]: 'aws:kms', [sseKey]: controlPlaneKey })).toBe(false);
    expect(denied({ [sse]: 'aws:kms' })).toBe(true);
    expect(denied({ [sse]: 'AES256' })).toBe(true);
    expect(denied({ [sse]: 'aws:kms', [sseKey]: 'arn:aws:kms:us-east-1:111111111111:key/other' })).toBe(true);
  });

  test('server access logs go to a logs bucket; superseded spec versions have a lifecycle', () => {
    const [, bucket] = specBucket();
    const logsId = bucket.Properties.LoggingConfiguration.DestinationBucketName.Ref;
    expect(cp.resources[logsId].Type).toBe('AWS::S3::Bucket');
    expect(cp.resources[logsId].Properties.PublicAccessBlockConfiguration.BlockPublicPolicy).toBe(true);
    const rules: Json[] = bucket.Properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: expect.objectContaining({ NewerNoncurrentVersions: 10 }) }));
  });
});

describe('deploy runner (CodeBuild)', () => {
  const project = (): [string, Json] => cp.onlyOfType('AWS::CodeBuild::Project');
  const runnerStatements = (): Json[] => cp.statementsOfRole(project()[1].Properties.ServiceRole['Fn::GetAtt'][0]);

  test('the role may assume only the CDK bootstrap roles of the configured environments', () => {
    const assume = runnerStatements().filter((s) => asArray<string>(s.Action).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    expect(asArray<string>(assume[0].Action).sort()).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    const expected = Object.values(config.environments).flatMap((env) =>
      CDK_BOOTSTRAP_ROLES.map((role) => `arn:<AWS::Partition>:iam::${env.account}:role/cdk-${CDK_BOOTSTRAP_QUALIFIER}-${role}-role-${env.account}-${env.region}`),
    );
    expect(asArray(assume[0].Resource).map(renderArn).sort()).toEqual(expected.sort());
    expect(CDK_BOOTSTRAP_ROLES).toEqual(['deploy', 'file-publishing', 'lookup']);
  });

  test('the role reads specs (specs/* only, no writes), its source object, and writes its own log group; nothing else', () => {
    // One (action, resource) pair per line, whatever statements cdk.json's minimizePolicies merged.
    const grants = runnerStatements().flatMap((s) => asArray<string>(s.Action).flatMap((action) => asArray(s.Resource).map((r) => `${action} ${renderArn(r)}`)));
    const [bucketId] = cp.ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.ObjectLockEnabled)!;
    const assetBucket = 'arn:<AWS::Partition>:s3:::' + JSON.stringify({ 'Fn::Sub': `cdk-${CDK_BOOTSTRAP_QUALIFIER}-assets-\${AWS::AccountId}-\${AWS::Region}` });
    const s3 = grants.filter((g) => g.startsWith('s3:')).map((g) => g.replace(/\/[0-9a-f]{64}\.zip$/, '/<source>.zip'));
    expect(s3.sort()).toEqual(
      [
        `s3:GetObject <${bucketId}.Arn>/specs/*`,
        `s3:GetObjectVersion <${bucketId}.Arn>/specs/*`,
        `s3:GetObject ${assetBucket}/<source>.zip`,
        `s3:GetObjectVersion ${assetBucket}/<source>.zip`,
        `s3:GetBucketAcl ${assetBucket}`,
        `s3:GetBucketLocation ${assetBucket}`,
      ].sort(),
    );
    const logGroupId = project()[1].Properties.LogsConfig.CloudWatchLogs.GroupName.Ref;
    expect(grants.filter((g) => g.startsWith('logs:')).sort()).toEqual([`logs:CreateLogStream <${logGroupId}.Arn>`, `logs:PutLogEvents <${logGroupId}.Arn>`]);
    const [keyId] = cp.onlyOfType('AWS::KMS::Key');
    expect(grants.filter((g) => g.startsWith('kms:')).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'].map((a) => `${a} <${keyId}.Arn>`));
    const services = [...new Set(grants.map((g) => g.split(':')[0]))].sort();
    expect(services).toEqual(['kms', 'logs', 's3', 'sts']);
  });

  test('KMS-encrypted logs and build output, unprivileged standard image, S3 source with the runner script, SICI_SPEC_BUCKET set', () => {
    const [, runner] = project();
    const [keyId] = cp.onlyOfType('AWS::KMS::Key');
    expect(mentions(runner.Properties.EncryptionKey, keyId)).toBe(true);
    const logGroupId = runner.Properties.LogsConfig.CloudWatchLogs.GroupName.Ref;
    expect(runner.Properties.LogsConfig.CloudWatchLogs.Status).toBe('ENABLED');
    expect(mentions(cp.resources[logGroupId].Properties.KmsKeyId, keyId)).toBe(true);
    expect(runner.Properties.Environment).toMatchObject({ Image: 'aws/codebuild/standard:7.0', PrivilegedMode: false, Type: 'LINUX_CONTAINER' });
    const variables = Object.fromEntries((runner.Properties.Environment.EnvironmentVariables as Json[]).map((v) => [v.Name, v.Value]));
    expect(variables[ENV.specBucket]).toEqual({ Ref: cp.ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.ObjectLockEnabled)![0] });
    expect(runner.Properties.Source.Type).toBe('S3');
    expect(runner.Properties.Source.BuildSpec).toContain(`bash ${RUNNER_SCRIPT_FILE}`);
    expect(runner.Properties.Source.BuildSpec).not.toMatch(/npm (ci|install)|npx /);
    expect(runner.Properties.Artifacts).toEqual({ Type: 'NO_ARTIFACTS' });
  });
});

describe('workflow function', () => {
  test('Node.js 24 on arm64, X-Ray, tables and spec bucket in its environment', () => {
    const [, fn] = functionByDescription(STEPS_FUNCTION);
    const [bucketId] = cp.ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.ObjectLockEnabled)!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' } });
    const env = fn.Properties.Environment.Variables;
    expect(Object.keys(env).sort()).toEqual([ENV.auditTable, ENV.stateTable, ENV.specBucket, 'NODE_OPTIONS', 'POWERTOOLS_SERVICE_NAME'].sort());
    expect(env[ENV.specBucket]).toEqual({ Ref: bucketId });
  });

  test('state table actions of WORKFLOW_STATE_TABLE_ACTIONS.steps (Query on the table and named indexes), audit PutItem only, specs read/write', () => {
    const statements = statementsOfFunction(STEPS_FUNCTION);
    const [stateTableId] = cp.ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('State'))!;
    const [auditTableId] = cp.ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('Audit'))!;
    expect(actionsOn(statements, stateTableId)).toEqual([...WORKFLOW_STATE_TABLE_ACTIONS.steps].sort());
    const query = statements.find((s) => asArray<string>(s.Action).includes('dynamodb:Query'));
    expect(asArray(query.Resource).map(renderArn).sort()).toEqual(
      [`<${stateTableId}.Arn>`, ...WORKFLOW_QUERY_INDEXES.steps.map((index) => `<${stateTableId}.Arn>/index/${index}`)].sort(),
    );
    expect(actionsOn(statements, auditTableId)).toEqual(['dynamodb:PutItem']);
    const [bucketId] = cp.ofType('AWS::S3::Bucket').find(([, b]) => b.Properties.ObjectLockEnabled)!;
    const onSpecs = statements.filter((s) => mentions(s.Resource, bucketId));
    expect(onSpecs.map((s) => renderArn(s.Resource))).toEqual([`<${bucketId}.Arn>/specs/*`]);
    expect(actionsOn(statements, bucketId)).toEqual(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject']);
  });

  test('in the environment accounts it may only assume the tenant reader role (the one of the workflow contract)', () => {
    expect(TENANT_READER_ROLE_NAME).toBe('sici-tenant-reader');
    const statements = statementsOfFunction(STEPS_FUNCTION);
    const assume = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('sts:')));
    expect(assume).toHaveLength(1);
    expect(asArray(assume[0].Action)).toEqual(['sts:AssumeRole']);
    const accounts = [...new Set(Object.values(config.environments).map((env) => env.account))];
    expect(asArray(assume[0].Resource).map(renderArn).sort()).toEqual(accounts.map((a) => `arn:<AWS::Partition>:iam::${a}:role/${TENANT_READER_ROLE_NAME}`).sort());
    const services = [...new Set(statements.flatMap((s) => asArray<string>(s.Action)).map((a) => a.split(':')[0]))].sort();
    expect(services).toEqual(['dynamodb', 'iam', 'kms', 'logs', 's3', 'sts', 'xray']);
  });

  test('in IAM it may only simulate custom policies (no resource-level permissions), in a policy of its own', () => {
    const statements = statementsOfFunction(STEPS_FUNCTION);
    const iam = statements.filter((s) => asArray<string>(s.Action).some((a) => a.startsWith('iam:')));
    expect(iam).toEqual([{ Effect: 'Allow', Action: 'iam:SimulateCustomPolicy', Resource: '*' }]);
    const policies = cp.ofType('AWS::IAM::ManagedPolicy').filter(([, p]) => asArray(p.Properties.PolicyDocument.Statement).some((s: Json) => s.Action === 'iam:SimulateCustomPolicy'));
    expect(policies).toHaveLength(1);
    expect(asArray(policies[0][1].Properties.PolicyDocument.Statement)).toHaveLength(1);
  });

  test('the tenant reader role of an environment may describe its TenantStacks and their EKS clusters, assume their Starburst roles, detect drift, read node metrics and ingest tokens, nothing else', () => {
    const policy = tenantReaderRolePolicy(config.environments.dev!).toJSON();
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: 'arn:aws:cloudformation:us-east-1:111111111111:stack/TenantStack-*/*' },
      { Effect: 'Allow', Action: 'eks:DescribeCluster', Resource: 'arn:aws:eks:us-east-1:111111111111:cluster/sici-*' },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::111111111111:role/sici-c-*-starburst' },
      ...driftDetectionStatements(config.environments.dev!),
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:sici/c-*/ingest-token-*' },
    ]);
  });
});

describe('reconciler', () => {
  test('runs every 5 minutes, one run at a time, with no retries of a failed run', () => {
    const [fnId, fn] = functionByDescription(RECONCILER_FUNCTION);
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(1);
    const [, rule] = cp.ofType('AWS::Events::Rule').find(([, r]) => mentions(r.Properties.Targets, fnId))!;
    expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    expect(mentions(rule.Properties.Targets[0].Arn, fnId)).toBe(true);
    expect(rule.Properties.Targets[0].RetryPolicy).toMatchObject({ MaximumRetryAttempts: 0 });
    const [, invokeConfig] = cp.ofType('AWS::Lambda::EventInvokeConfig').find(([, c]) => mentions(c.Properties.FunctionName, fnId))!;
    expect(invokeConfig.Properties.MaximumRetryAttempts).toBe(0);
  });

  test('starts and describes executions of the workflow and of the fleet upgrade state machine only; invokes the fleet worker; Query on gsi2 and gsi1 only', () => {
    const [machineId] = workflowMachine();
    const [upgradeMachineId] = cp.ofType('AWS::StepFunctions::StateMachine').find(([id]) => id.startsWith('FleetUpgrades'))!;
    const [workerId] = cp.ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.Description.startsWith('SICI fleet: carries out shutdowns'))!;
    const [, fn] = functionByDescription(RECONCILER_FUNCTION);
    expect(fn.Properties.Environment.Variables[ENV.stateMachineArn]).toEqual({ Ref: machineId });
    expect(fn.Properties.Environment.Variables[ENV.upgradeStateMachineArn]).toEqual({ Ref: upgradeMachineId });
    expect(fn.Properties.Environment.Variables[ENV.fleetWorkerFunction]).toEqual({ Ref: workerId });
    const statements = statementsOfFunction(RECONCILER_FUNCTION);
    const start = statements.filter((s) => asArray<string>(s.Action).includes('states:StartExecution'));
    const resources = (found: Json[]) => found.flatMap((s) => asArray<Json>(s.Resource));
    expect(resources(start)).toHaveLength(2);
    expect(resources(start)).toEqual(expect.arrayContaining([{ Ref: machineId }, { Ref: upgradeMachineId }]));
    const describe = statements.filter((s) => asArray<string>(s.Action).includes('states:DescribeExecution'));
    expect(resources(describe).map(renderArn).sort()).toEqual([
      expect.stringMatching(/:execution:.*FleetUpgrades.*:\*$/),
      expect.stringMatching(/:execution:.*WorkflowStateMachine.*:\*$/),
    ]);
    const invoke = statements.filter((s) => asArray<string>(s.Action).includes('lambda:InvokeFunction'));
    expect(resources(invoke)).toEqual([{ 'Fn::GetAtt': [workerId, 'Arn'] }]);
    const [stateTableId] = cp.ofType('AWS::DynamoDB::Table').find(([id]) => id.includes('State'))!;
    const query = statements.filter((s) => asArray<string>(s.Action).includes('dynamodb:Query'));
    expect(resources(query).map(renderArn).sort()).toEqual([`<${stateTableId}.Arn>/index/gsi1`, `<${stateTableId}.Arn>/index/gsi2`]);
    expect(actionsOn(statements, stateTableId)).toEqual([...WORKFLOW_STATE_TABLE_ACTIONS.reconciler].sort());
  });
});

describe('wiring and least privilege', () => {
  test('of the API functions only the clusters function may start executions, and it knows the state machine ARN', () => {
    const [machineId] = workflowMachine();
    const withArn = cp.ofType('AWS::Lambda::Function').filter(([, fn]) => ENV.stateMachineArn in fn.Properties.Environment.Variables);
    // Besides the reconciler, the fleet's upgrade steps start UPDATE jobs.
    expect(withArn.map(([, fn]) => fn.Properties.Description).sort()).toEqual(
      ['SICI API: the clusters routes', 'SICI fleet: the steps of the upgrade state machine', 'SICI provisioning workflow: re-drives PENDING jobs, fails jobs stuck RUNNING'].sort(),
    );
    for (const [, fn] of withArn) expect(fn.Properties.Environment.Variables[ENV.stateMachineArn]).toEqual({ Ref: machineId });
    const starters = cp
      .ofType('AWS::IAM::ManagedPolicy')
      .filter(([, p]) => asArray(p.Properties.PolicyDocument.Statement).some((s: Json) => asArray(s.Action).includes('states:StartExecution') && mentions(s.Resource, machineId)));
    expect(starters.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/^ApiFunctionsClusters/),
      expect.stringMatching(/^FleetUpgradeSteps/),
      expect.stringMatching(/^WorkflowReconciler/),
    ]);
  });

  test('no statement allows "*" or "service:*" actions or NotAction; no inline policies; no AWS managed policy on workflow roles', () => {
    const found = cp.allStatements();
    expect(found.length).toBeGreaterThan(0);
    for (const { owner, statement } of found) {
      const wildcards = asArray<unknown>(statement.Action).filter((a) => typeof a === 'string' && (a === '*' || /^[\w-]+:\*$/.test(a)));
      // The only service:* is the TLS-only Deny of the bucket policies.
      if (statement.Effect === 'Allow') expect([owner, wildcards, statement.NotAction]).toEqual([owner, [], undefined]);
    }
    // The one inline policy: CDK's, for the fleet upgrade state machine's distributed Map (see control-plane-stack.test.ts).
    expect(cp.ofType('AWS::IAM::Policy').map(([id]) => id)).toEqual([expect.stringMatching(/^FleetUpgradesStateMachineDistributedMapPolicy/)]);
    for (const [id, role] of cp.ofType('AWS::IAM::Role').filter(([roleId]) => roleId.startsWith('Workflow'))) {
      expect([id, role.Properties.Policies, role.Properties.ManagedPolicyArns]).toEqual([id, undefined, undefined]);
    }
  });

  test('outputs: the state machine ARN and the spec bucket name', () => {
    expect(Object.keys(cp.json.Outputs)).toEqual(expect.arrayContaining(['WorkflowStateMachineArn', 'TenantSpecBucketName']));
  });
});
