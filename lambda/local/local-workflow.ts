import './promise-with-resolvers';
import { StateMachine } from 'aws-local-stepfunctions';
import type { ProvisioningJob } from '../../lib/contract/api';
import { StartBuildParameters } from '../../lib/contract/workflow';
import { recordEvent } from '../core/event-store';
import type { JobStarter } from '../core/job-starter';
import { getJob, jobsInFlightSince } from '../core/job-store';
import { DEFAULT_RECONCILE_OPTIONS } from '../workflow/reconciler';
import { failJob, runStep, type WorkflowDependencies } from '../workflow/workflow-steps';
import type { BuildResult } from './local-deployer';

type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalWorkflowOptions {
  /** The state machine's ASL, as synthesized for AWS (see workflow-definition.ts). */
  readonly definition: object;
  readonly deps: WorkflowDependencies;
  /** Runs the CodeBuild task states; `stop` ends the builds that run (the local deployer's). */
  readonly deployer: { runBuild(parameters: StartBuildParameters): Promise<BuildResult>; stop?(): Promise<void> };
  /** Pause between retries, instead of the definition's backoff (tests keep it short). */
  readonly retryIntervalMs?: number;
  /** Lets a test stand between a state and its handler, e.g. to inject a failure. */
  readonly wrapTask?: (stateName: string, handler: TaskHandler) => TaskHandler;
  readonly log?: (line: string) => void;
}

export type ExecutionOutcome = { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string } | { status: 'STOPPED' };

interface AslState {
  Type: string;
  Resource?: string;
}

interface Execution {
  readonly outcome: Promise<ExecutionOutcome>;
  readonly abort: () => void;
}

/**
 * The provisioning workflow on one machine: the state machine definition synthesized for AWS,
 * executed by aws-local-stepfunctions, with each Lambda task state running the workflow step it
 * would invoke in AWS and the CodeBuild states running the local deployer. Starting a job twice
 * is a no-op, as an execution named by the job id is in AWS.
 *
 * Unlike an execution in AWS, a local one lives as long as the process: `stop` abandons the
 * running ones, and `resume`, at the next start, runs every job they left RUNNING again from its
 * start (every step is idempotent, so the work already done is found done).
 */
export class LocalWorkflow implements JobStarter {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, TaskHandler> = {};
  private readonly retryIntervals: Record<string, number> = {};
  private readonly executions = new Map<string, Execution>();
  /** Task handlers that have not returned yet: a stop waits for them, so that no write is cut in half. */
  private readonly running = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly options: LocalWorkflowOptions) {
    this.machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const states = (options.definition as { States: Record<string, AslState> }).States;
    for (const [name, state] of Object.entries(states)) {
      if (state.Type !== 'Task') continue;
      const handler: TaskHandler = /codebuild/.test(state.Resource ?? '')
        ? (parameters) => options.deployer.runBuild(StartBuildParameters.parse(parameters))
        : (invocation) => runStep(options.deps, invocation);
      this.handlers[name] = this.tracked(options.wrapTask ? options.wrapTask(name, handler) : handler);
      if (options.retryIntervalMs !== undefined) this.retryIntervals[name] = options.retryIntervalMs;
    }
  }

  async start(job: ProvisioningJob): Promise<void> {
    if (this.executions.has(job.jobId)) return;
    if (this.stopping) {
      this.options.log?.(`job ${job.jobId} stays ${job.status}: the local control plane is stopping (it starts at the next start)`);
      return;
    }
    const execution = this.machine.run(
      { jobId: job.jobId },
      { overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryIntervals } },
    );
    const outcome = execution.result.then(
      (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output }),
      async (error: Error): Promise<ExecutionOutcome> => {
        if (this.stopping) return { status: 'STOPPED' };
        await this.failUnfinished(job.jobId, error);
        return { status: 'FAILED', error: `${error.name}: ${error.message}` };
      },
    );
    this.executions.set(job.jobId, { outcome, abort: execution.abort });
    void outcome.then((result) => this.options.log?.(`job ${job.jobId} (${job.operationType} ${job.clusterId}): execution ${result.status}`));
  }

  /**
   * At start: the jobs the last run left in flight go on. PENDING ones start; RUNNING ones, whose
   * executions ended with that run, are resumed, and their events say so.
   */
  async resume(): Promise<{ started: string[]; resumed: string[] }> {
    const now = this.options.deps.now();
    const pending = await jobsInFlightSince(this.options.deps.tables, 'PENDING', now);
    const running = await jobsInFlightSince(this.options.deps.tables, 'RUNNING', now);
    for (const job of running) {
      await recordEvent(
        this.options.deps,
        job,
        'JOB_RESUMED',
        `${job.operationType} job ${job.jobId} resumed: the local control plane stopped while it ran; its workflow runs again from the start, and the steps already done find their work done`,
      );
      await this.start(job);
    }
    for (const job of pending) await this.start(job);
    return { started: pending.map((job) => job.jobId), resumed: running.map((job) => job.jobId) };
  }

  /** As the scheduled reconciler does in AWS for a job whose start was lost: one still PENDING after a while starts. */
  async reconcile(): Promise<string[]> {
    const before = new Date(this.options.deps.now().getTime() - DEFAULT_RECONCILE_OPTIONS.pendingAfterMs);
    const pending = (await jobsInFlightSince(this.options.deps.tables, 'PENDING', before)).filter((job) => !this.executions.has(job.jobId));
    for (const job of pending) await this.start(job);
    return pending.map((job) => job.jobId);
  }

  /** The outcome of a job's execution, once it ends. */
  settled(jobId: string): Promise<ExecutionOutcome> {
    const execution = this.executions.get(jobId);
    if (!execution) throw new Error(`No local execution for job ${jobId}`);
    return execution.outcome;
  }

  /** Waits for every execution started so far. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.outcome));
  }

  /**
   * Stops at once, leaving every job where it is for `resume`: the executions are aborted first
   * (so that no Catch records a job as FAILED because its build was cut short), then the builds
   * end; resolves when no task handler runs any more.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const execution of this.executions.values()) execution.abort();
    await this.options.deployer.stop?.();
    await Promise.allSettled([...this.running]);
  }

  /** Once stopping, a state that the runtime still enters (a retry, the state after an abort) runs nothing. */
  private tracked(handler: TaskHandler): TaskHandler {
    return (input) => {
      if (this.stopping) return Promise.reject(new Error('The local control plane is stopping'));
      const run = handler(input);
      this.running.add(run);
      const forget = () => this.running.delete(run);
      void run.then(forget, forget);
      return run;
    };
  }

  /**
   * An execution that ended without the job's own failure path finishing it (the execution's
   * timeout, or `Fail job` out of retries) leaves the job RUNNING: it is failed with that error,
   * as the reconciler does in AWS once the workflow's timeout has passed.
   */
  private async failUnfinished(jobId: string, error: Error): Promise<void> {
    try {
      const job = await getJob(this.options.deps.tables, jobId);
      if (job?.status !== 'PENDING' && job?.status !== 'RUNNING') return;
      const cause = `the execution ended without finishing the job: ${error.message}`;
      await failJob(this.options.deps, { jobId, failedState: 'Local workflow', error: { Error: error.name, Cause: cause } });
    } catch (failure) {
      this.options.log?.(`job ${jobId}: could not record its failure: ${String(failure)}`);
    }
  }
}
