import { ROUTES } from '../lib/contract/routes';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { ALL_OPERATIONS } from '../lambda/api/all-operations';
import type { Dependencies } from '../lambda/api/operation';
import { createRouter } from '../lambda/api/router';
import { LocalUpgrades } from '../lambda/local/local-upgrades';
import { synthesizedUpgradeDefinition } from '../lambda/local/upgrade-definition';
import { startLocalTables } from '../test/support/local-tables';
import { createSimulatedClusters, SimulatedJobRunner } from '../test/support/simulated-fleet';

export interface FleetUpgradeFigures {
  readonly clusters: number;
  readonly wallSeconds: number;
  /** Every DynamoDB command of the run (API, state machine steps, the simulated jobs), per cluster. */
  readonly dynamodbCommandsPerCluster: number;
  /** The same, without the simulated jobs' own commands: what the upgrade adds per cluster. */
  readonly upgradeCommandsPerCluster: number;
}

/**
 * A fleet upgrade of `sizes` simulated clusters through the local engine: the upgrade state
 * machine as synthesized, run by aws-local-stepfunctions, its steps in-process on dynalite, each
 * UPDATE job finished at once by a simulated runner (canary 2, batches of 10, concurrency 10).
 * DynamoDB commands are counted by a middleware on the document client.
 */
export async function benchFleetUpgrade(sizes: readonly number[] = [100, 500]): Promise<FleetUpgradeFigures[]> {
  const config = loadPlatformConfig('config/platform.json');
  const admin = config.admins[0];
  const figures: FleetUpgradeFigures[] = [];
  for (const size of sizes) {
    const local = await startLocalTables();
    try {
      let commands = 0;
      let jobCommands = 0;
      let inJob = 0;
      local.tables.doc.middlewareStack.add(
        (next) => async (args) => {
          commands++;
          if (inJob > 0) jobCommands++;
          return next(args);
        },
        { step: 'initialize', name: 'countCommands' },
      );
      const runner = new SimulatedJobRunner(local.tables);
      const counted: SimulatedJobRunner['start'] = async (job) => {
        inJob++;
        try {
          await runner.start(job);
        } finally {
          inJob--;
        }
      };
      const upgrades = new LocalUpgrades({
        definition: synthesizedUpgradeDefinition(),
        deps: { tables: local.tables, config, jobStarter: { start: counted }, now: () => new Date() },
        pollIntervalMs: 0,
        busyRetryIntervalMs: 0,
        retryIntervalMs: 0,
      });
      const deps: Dependencies = { tables: local.tables, config, jobStarter: { start: async () => undefined }, now: () => new Date(), upgrades, warn: () => undefined };
      const route = createRouter(ROUTES, ALL_OPERATIONS, deps);
      const call = (method: string, path: string, body?: unknown) =>
        route({ method, path, query: {}, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined, principalArn: admin, sourceIp: '127.0.0.1', requestId: `bench-${Math.random()}` });
      const team = await call('PUT', '/teams/bench-fleet', { principals: ['arn:aws:iam::123456789012:role/bench-fleet'], entitlements: { tiers: ['S'], environments: ['dev'], maxClusters: size } });
      if (team.status !== 200) throw new Error(`team: ${team.status} ${team.body}`);
      await createSimulatedClusters(local.tables, config, { teamId: 'bench-fleet', count: size });

      commands = 0;
      jobCommands = 0;
      const started = process.hrtime.bigint();
      const answer = await call('POST', '/fleet/upgrades', {
        target: { engine: { chartVersion: config.engine.chart.version, imageDigest: config.engine.image.digest } },
        selector: { teamId: 'bench-fleet' },
        canary: 2,
        batchSize: 10,
        maxConcurrency: 10,
      });
      if (answer.status !== 202) throw new Error(`startUpgrade: ${answer.status} ${answer.body}`);
      const { upgradeId } = JSON.parse(answer.body) as { upgradeId: string };
      const outcome = await upgrades.settled({ upgradeId, attempt: 1 });
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const run = JSON.parse((await call('GET', `/fleet/upgrades/${upgradeId}`)).body) as { status: string; counts: { succeeded: number } };
      if (outcome.status !== 'SUCCEEDED' || run.status !== 'SUCCEEDED' || run.counts.succeeded !== size) throw new Error(`upgrade of ${size}: ${JSON.stringify(outcome)} ${JSON.stringify(run)}`);
      figures.push({
        clusters: size,
        wallSeconds: Math.round(wallSeconds * 100) / 100,
        dynamodbCommandsPerCluster: Math.round((commands / size) * 100) / 100,
        upgradeCommandsPerCluster: Math.round(((commands - jobCommands) / size) * 100) / 100,
      });
      upgrades.stop();
    } finally {
      await local.stop();
    }
  }
  return figures;
}

if (require.main === module) {
  void benchFleetUpgrade().then((figures) => console.log(JSON.stringify(figures, null, 2)));
}
