import type { FleetOperationKind } from '../../lib/contract/fleet';
import type { FleetWorkStarter } from '../core/fleet-work';
import { runFleetOperation, type FleetWorkerDependencies } from '../fleet/fleet-worker';

/**
 * Fleet operations on one machine: each start runs the fleet worker in this process, in the
 * background (the route answers 202 at once, as the asynchronous Lambda invocation does in AWS).
 */
export class LocalFleetWork implements FleetWorkStarter {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: FleetWorkerDependencies,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  async start(operation: { operationId: string; kind: FleetOperationKind }): Promise<void> {
    const run = runFleetOperation(this.deps, operation.operationId).then(
      (result) => this.log(`fleet operation ${operation.operationId} (${operation.kind}) ${result.finished ? 'finished' : 'left clusters waiting for their jobs'}`),
      (error) => this.log(`fleet operation ${operation.operationId} (${operation.kind}) failed: ${error}`),
    );
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves once no operation runs (tests, the benchmark, and a stop). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
