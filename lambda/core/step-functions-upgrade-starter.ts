import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { UpgradeStarter } from './fleet-work';

/** Starts the fleet upgrade state machine; the execution is named by the run and its attempt, so a second start of the same attempt is a no-op. */
export class StepFunctionsUpgradeStarter implements UpgradeStarter {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client = new SFNClient({}),
  ) {}

  async start(upgrade: { upgradeId: string; attempt: number }): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: `${upgrade.upgradeId}-${upgrade.attempt}`, input: JSON.stringify(upgrade) }),
      );
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw error;
    }
  }
}
