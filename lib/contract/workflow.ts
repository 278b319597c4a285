import * as z from 'zod';
import { OperationType } from './api';
import { ClusterId, JobId } from './ids';

/**
 * The contract between the provisioning workflow's state machine (lib/control-plane/workflow) and
 * the code its states run (lambda/workflow in AWS, lambda/local in the local control plane): the
 * state names, the steps the workflow Lambda performs, and the documents that flow between them.
 *
 * The execution input is `{ jobId }` (the execution name is the job id too). Each Lambda task
 * state invokes the one workflow function with `{ step, state }`, where `state` is the whole
 * execution state, and puts the result at `$.<resultKey>`.
 */

export const WORKFLOW_STEPS = [
  'startJob',
  'validateEntitlement',
  'allocateCluster',
  'writeTenantSpec',
  'registerEndpoint',
  'validateAccess',
  'rejectDatasource',
  'completeJob',
  'failJob',
] as const;
export const WorkflowStep = z.enum(WORKFLOW_STEPS);
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/** State names of the state machine, as they appear in the ASL and in job events. */
export const STATE_NAMES = {
  startJob: 'Start job',
  routeOperation: 'Route operation',
  validateEntitlement: 'Validate entitlement',
  allocateCluster: 'Allocate cluster',
  writeTenantSpec: 'Write TenantSpec',
  deployTenantStack: 'Deploy tenant stack',
  destroyTenantStack: 'Destroy tenant stack',
  registerEndpoint: 'Register endpoint',
  validateAccess: 'Validate datasource access',
  rejectDatasource: 'Reject datasource',
  completeJob: 'Complete job',
  failJob: 'Fail job',
  jobFailed: 'Job failed',
} as const;
export type StateName = (typeof STATE_NAMES)[keyof typeof STATE_NAMES];

/** Where each Lambda step's result goes in the execution state. */
export const RESULT_KEYS: Readonly<Record<WorkflowStep, string | null>> = {
  startJob: 'job',
  validateEntitlement: null,
  allocateCluster: 'allocation',
  writeTenantSpec: 'spec',
  registerEndpoint: 'endpoint',
  validateAccess: null,
  rejectDatasource: null,
  completeJob: null,
  failJob: null,
};

/** The deploy runner's environment: what CodeBuild (or the local deployer) is told to do. */
export const RUNNER_ENV = {
  action: 'SICI_ACTION',
  specUri: 'SICI_SPEC_URI',
  jobId: 'SICI_JOB_ID',
  clusterId: 'SICI_CLUSTER_ID',
} as const;
export const RunnerAction = z.enum(['deploy', 'destroy']);
export type RunnerAction = z.infer<typeof RunnerAction>;

/** What the state machine's CodeBuild task states pass to `startBuild.sync` (the parts a runner reads). */
export const StartBuildParameters = z.object({
  ProjectName: z.string().optional(),
  EnvironmentVariablesOverride: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
});
export type StartBuildParameters = z.infer<typeof StartBuildParameters>;

export const JobContext = z.object({
  jobId: JobId,
  clusterId: ClusterId,
  operationType: OperationType,
});
export type JobContext = z.infer<typeof JobContext>;

export const Allocation = z.object({ vpcCidr: z.string(), tags: z.record(z.string(), z.string()) });
export const SpecLocation = z.object({ uri: z.string(), version: z.string() });
export type SpecLocation = z.infer<typeof SpecLocation>;
export const EndpointRegistration = z.object({ endpoint: z.string(), vpcId: z.string().optional(), eksClusterArn: z.string().optional(), iamRoleArn: z.string().optional() });

/** The execution state as it grows through the workflow. */
export const ExecutionState = z.object({
  jobId: JobId,
  job: JobContext.optional(),
  allocation: Allocation.optional(),
  spec: SpecLocation.optional(),
  endpoint: EndpointRegistration.optional(),
  /** Set by the Catch of the state that failed: the state's name. */
  failedState: z.string().optional(),
  /** Set by every Catch: Step Functions' error name and cause. */
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});
export type ExecutionState = z.infer<typeof ExecutionState>;

/** What each Lambda task state sends the workflow function. */
export const StepInvocation = z.object({ step: WorkflowStep, state: ExecutionState });
export type StepInvocation = z.infer<typeof StepInvocation>;

/** Errors a step throws on purpose: transient ones are retried by the state machine, the others fail the job. */
export const TRANSIENT_ERROR = 'SiciTransientError';
export const PERMANENT_ERROR = 'SiciPermanentError';
/**
 * The cluster cannot reach a new datasource as generated (the owner's role or bucket is not set up,
 * or grants more than the prefixes). `Validate datasource access` retries it for a while, since the
 * owner may still be applying the setup, then `Reject datasource` takes the datasource out again.
 */
export const DATASOURCE_ACCESS_ERROR = 'SiciDatasourceAccessError';

/**
 * The role every environment account provides to the control plane (like the CDK bootstrap roles,
 * by a fixed name): it reads deployed TenantStacks, and it may assume the clusters' Starburst roles
 * to validate datasource access as the engine will use it.
 */
export const TENANT_READER_ROLE_NAME = 'sici-tenant-reader';
