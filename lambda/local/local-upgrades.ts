import './promise-with-resolvers';
import { StateMachine } from 'aws-local-stepfunctions';
import { UPGRADE_STATE_NAMES } from '../../lib/contract/upgrade-workflow';
import type { UpgradeExecutions, UpgradeExecutionState, UpgradeStarter } from '../core/fleet-work';
import { runUpgradeStep, type UpgradeStepsDependencies } from '../fleet/upgrade-steps';

type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalUpgradesOptions {
  /** The fleet upgrade state machine's ASL, as synthesized for AWS (see upgrade-definition.ts). */
  readonly definition: object;
  readonly deps: UpgradeStepsDependencies;
  /** Between two polls of a cluster's job, instead of the definition's minute. @default 200 ms */
  readonly pollIntervalMs?: number;
  /** Before a retry wave of busy clusters, instead of the definition's minutes. @default 1 s */
  readonly busyRetryIntervalMs?: number;
  /** Pause between retries of a failed step, instead of the definition's backoff. @default 100 ms */
  readonly retryIntervalMs?: number;
  /** Lets a test stand between a step and its handler, e.g. to act when a cluster is found busy. */
  readonly wrapStep?: (step: string, handler: TaskHandler) => TaskHandler;
  readonly log?: (line: string) => void;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: { step?: string };
  ItemProcessor?: { States: Record<string, AslState> };
}

export type UpgradeExecutionOutcome = { status: 'SUCCEEDED' } | { status: 'FAILED'; error: string } | { status: 'STOPPED' };

/**
 * Fleet upgrades on one machine: the upgrade state machine synthesized for AWS, executed by
 * aws-local-stepfunctions, each Lambda task (in the waves' Map too) running its upgrade step
 * in-process. An execution is named by run and attempt, as in AWS: starting one twice is a no-op.
 */
export class LocalUpgrades implements UpgradeStarter, UpgradeExecutions {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, TaskHandler> = {};
  private readonly retryIntervals: Record<string, number> = {};
  private readonly executions = new Map<string, { outcome: Promise<UpgradeExecutionOutcome>; abort: () => void; ended?: boolean }>();
  private stopping = false;

  constructor(private readonly options: LocalUpgradesOptions) {
    this.machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const visit = (states: Record<string, AslState>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.ItemProcessor) visit(state.ItemProcessor.States);
        if (state.Type !== 'Task') continue;
        const step = state.Parameters?.step ?? name;
        const handler: TaskHandler = (invocation) => runUpgradeStep(options.deps, invocation);
        this.handlers[name] = options.wrapStep ? options.wrapStep(step, handler) : handler;
        this.retryIntervals[name] = options.retryIntervalMs ?? 100;
      }
    };
    visit((options.definition as { States: Record<string, AslState> }).States);
  }

  async start(upgrade: { upgradeId: string; attempt: number }): Promise<void> {
    const name = `${upgrade.upgradeId}-${upgrade.attempt}`;
    if (this.executions.has(name) || this.stopping) return;
    const execution = this.machine.run(upgrade, {
      overrides: {
        taskResourceLocalHandlers: this.handlers as never,
        retryIntervalOverrides: this.retryIntervals,
        waitTimeOverrides: {
          [UPGRADE_STATE_NAMES.waitForJob]: this.options.pollIntervalMs ?? 200,
          [UPGRADE_STATE_NAMES.waitBeforeRetry]: this.options.busyRetryIntervalMs ?? 1000,
        },
      },
    });
    const outcome = execution.result.then(
      (): UpgradeExecutionOutcome => ({ status: 'SUCCEEDED' }),
      (error: Error): UpgradeExecutionOutcome => (this.stopping ? { status: 'STOPPED' } : { status: 'FAILED', error: `${error.name}: ${error.message}` }),
    );
    const entry: { outcome: Promise<UpgradeExecutionOutcome>; abort: () => void; ended?: boolean } = { outcome, abort: execution.abort };
    this.executions.set(name, entry);
    void outcome.then((result) => {
      entry.ended = true;
      this.options.log?.(`upgrade ${name}: execution ${result.status}`);
    });
  }

  /** Only this process runs executions: one it did not start (before a restart) was lost. */
  async executionState(upgrade: { upgradeId: string; attempt: number }): Promise<UpgradeExecutionState> {
    const execution = this.executions.get(`${upgrade.upgradeId}-${upgrade.attempt}`);
    if (!execution) return 'NOT_STARTED';
    return execution.ended ? 'ENDED' : 'RUNNING';
  }

  /** The outcome of an attempt's execution, once it ends. */
  settled(upgrade: { upgradeId: string; attempt: number }): Promise<UpgradeExecutionOutcome> {
    const execution = this.executions.get(`${upgrade.upgradeId}-${upgrade.attempt}`);
    if (!execution) throw new Error(`No local execution for upgrade ${upgrade.upgradeId} attempt ${upgrade.attempt}`);
    return execution.outcome;
  }

  /** Abandons the running executions (a resume of the run, after the next start, carries on from the table). */
  stop(): void {
    this.stopping = true;
    for (const execution of this.executions.values()) execution.abort();
  }
}
