import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { FleetWorkStarter } from './fleet-work';

/**
 * Hands a recorded fleet operation to the fleet worker Lambda, invoked asynchronously (`Event`):
 * the route answers 202 at once, and Lambda retries a failed run (the worker does each cluster's
 * work once, so a retry finishes what is left).
 */
export class LambdaFleetWorkStarter implements FleetWorkStarter {
  constructor(
    private readonly functionName: string,
    private readonly client = new LambdaClient({}),
  ) {}

  async start(operation: { operationId: string; kind: string }): Promise<void> {
    await this.client.send(
      new InvokeCommand({ FunctionName: this.functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(operation)) }),
    );
  }
}
