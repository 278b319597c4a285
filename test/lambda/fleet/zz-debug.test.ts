import { LocalUpgrades } from '../../../lambda/local/local-upgrades';
import { synthesizedUpgradeDefinition } from '../../../lambda/local/upgrade-definition';
import { ADMIN, ApiHarness, principalOf } from '../../support/api-harness';
import { createSimulatedClusters, SimulatedJobRunner } from '../../support/simulated-fleet';
test('dbg', async () => {
  const harness = await ApiHarness.start();
  const runner = new SimulatedJobRunner(harness.tables);
  const upgrades = new LocalUpgrades({ definition: synthesizedUpgradeDefinition(), deps: { tables: harness.tables, config: harness.deps.config, jobStarter: runner, now: () => new Date() }, pollIntervalMs: 0, busyRetryIntervalMs: 0, retryIntervalMs: 0,
    wrapStep: (step, handler) => async (input) => { try { const r = await handler(input); console.log(step, JSON.stringify(input).slice(0,300), '=>', JSON.stringify(r).slice(0, 300)); return r; } catch (e) { console.log(step, 'ERR', e); throw e; } } });
  Object.assign(harness.deps, { upgrades });
  await harness.registerTeam('t1', [principalOf('t1')]);
  await createSimulatedClusters(harness.tables, harness.deps.config, { teamId: 't1', count: 3 });
  const a = await harness.call(ADMIN, 'POST', '/fleet/upgrades', { body: { target: { engine: { chartVersion: harness.deps.config.engine.chart.version, imageDigest: harness.deps.config.engine.image.digest } }, selector: { teamId: 't1' }, canary: 1, batchSize: 2 } });
  console.log(a.status, a.body);
  console.log(await upgrades.settled({ upgradeId: a.json.upgradeId, attempt: 1 }));
  await harness.stop();
});
