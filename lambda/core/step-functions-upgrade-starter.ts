import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { UpgradeExecutions, UpgradeExecutionState, UpgradeStarter } from './fleet-work';

/** Starts the fleet upgrade state machine; the execution is named by the run and its attempt, so a second start of the same attempt is a no-op. */
export class StepFunctionsUpgradeStarter implements UpgradeStarter, UpgradeExecutions {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client = new SFNClient({}),
  ) {}

  async start(upgrade: { upgradeId: string; attempt: number }): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: executionName(upgrade), input: JSON.stringify(upgrade) }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }

  async executionState(upgrade: { upgradeId: string; attempt: number }): Promise<UpgradeExecutionState> {
    // arn:aws:states:<region>:<account>:stateMachine:<name> → arn:aws:states:<region>:<account>:execution:<name>:<execution>
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName(upgrade)}`;
    try {
      const { status } = await this.client.send(new DescribeExecutionCommand({ executionArn }));
      // PENDING_REDRIVE: a redrive of the execution is about to run it on.
      return status === 'RUNNING' || status === 'PENDING_REDRIVE' ? 'RUNNING' : 'ENDED';
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return 'NOT_STARTED';
      throw error;
    }
  }
}

const executionName = (upgrade: { upgradeId: string; attempt: number }) => `${upgrade.upgradeId}-${upgrade.attempt}`;
