import './promise-with-resolvers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ProvisioningJob } from '../../lib/contract/api';
import { StartBuildParameters } from '../../lib/contract/workflow';
import type { JobStarter } from '../core/job-starter';
import { runStep, type WorkflowDependencies } from '../workflow/workflow-steps';
import type { BuildResult } from './local-deployer';

type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  /** The state machine's ASL, as synthesized for AWS (see workflow-definition.ts). */
  readonly definition: object;
  readonly deps: WorkflowDependencies;
  readonly deployer: { runBuild(parameters: StartBuildParameters): Promise<BuildResult> };
  /** Pause between retries, instead of the definition's backoff (tests keep it short). */
  readonly retryIntervalMs?: number;
  /** Lets a test stand between a state and its handler, e.g. to inject a failure. */
  readonly wrapTask?: (stateName: string, handler: TaskHandler) => TaskHandler;
  readonly log?: (line: string) => void;
}

export type ExecutionOutcome = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string };

interface AslState {
  Type: string;
  Resource?: string;
}

/**
 * The provisioning workflow on one machine: the state machine definition synthesized for AWS,
 * executed by aws-local-stepfunctions, with each Lambda task state running the workflow step it
 * would invoke in AWS and the CodeBuild states running the local deployer. Starting a job twice
 * is a no-op, as an execution named by the job id is in AWS.
 */
export class LocalWorkflow implements JobStarter {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, TaskHandler> = {};
  private readonly retryIntervals: Record<string, number> = {};
  private readonly executions = new Map<string, Promise<ExecutionOutcome>>();

  constructor(private readonly options: LocalWorkflowOptions) {
    this.machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const states = (options.definition as { States: Record<string, AslState> }).States;
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const handler: TaskHandler = /codebuild/.test(state.Resource ?? '')
        ? (parameters) => options.deployer.runBuild(StartBuildParameters.parse(parameters))
        : (invocation) => runStep(options.deps, invocation);
      this.handlers[name] = options.wrapTask ? options.wrapTask(name, handler) : handler;
      if (options.retryIntervalMs !== undefined) this.retryIntervals[name] = options.retryIntervalMs;
    }
  }

  async start(job: ProvisioningJob): Promise<void> {
    if (this.executions.has(job.jobId)) return;
    const execution = this.machine.run(
      { jobId: job.jobId },
      { overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryIntervals } },
    );
    const outcome = execution.result.then(
      (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output }),
      (error: Error): ExecutionOutcome => ({ status: 'FAILED', error: `${error.name}: ${error.message}` }),
    );
    this.executions.set(job.jobId, outcome);
    void outcome.then((result) => this.options.log?.(`job ${job.jobId} (${job.operationType} ${job.clusterId}): execution ${result.status}`));
  }

  /** The outcome of a job's execution, once it ends. */
  settled(jobId: string): Promise<ExecutionOutcome> {
    const execution = this.executions.get(jobId);
    if (!execution) throw new Error(`No local execution for job ${jobId}`);
    return execution;
  }

  /** Waits for every execution started so far. */
  async idle(): Promise<void> {
    await Promise.all(this.executions.values());
  }
}
