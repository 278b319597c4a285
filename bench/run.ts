#!/usr/bin/env node
import '../lambda/local/quiet-sdk-node-warning';
import { benchApiLatency } from './api-latency';
import { benchLambdaBundles } from './lambda-bundles';
import { benchLocalProvisioning } from './local-provisioning';
import { benchRunnerStartup } from './runner-startup';
import { profileTenantSynth } from './synth-profile';
import { benchTenantSynth, type SynthRun } from './tenant-synth';
import { benchFleetShutdown } from './fleet-shutdown';
import { benchFleetUpgrade } from './fleet-upgrade';
import { benchUsageIngest } from './usage-ingest';

/** `npm run bench`: SICI's speed and size figures, printed against their targets. */
async function main() {
  console.log('SICI benchmarks (targets: p99 < 50 ms at 16 clients; each Lambda bundle < 300 KB)\n');

  console.log('Local control plane API over HTTP, SigV4-signed by the SDK signer:');
  for (const f of await benchApiLatency(16, 60)) {
    console.log(`  ${f.route.padEnd(15)} ${f.requests} requests, ${f.concurrency} clients: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms, ${f.throughputPerSecond} req/s ${f.p99Ms < 50 ? '(target met)' : '(TARGET MISSED)'}`);
  }

  const usage = await benchUsageIngest();
  const { usageQuery: report, reads } = usage;
  console.log(
    `\nUsage through the local server: ingest of ${usage.events} QueryCompletedEvents at ${usage.concurrency} clients ${usage.eventsPerSecond} events/s ` +
      `${usage.eventsPerSecond >= 500 ? '(target ≥ 500/s met)' : '(TARGET ≥ 500/s MISSED)'}`,
  );
  console.log(
    `  90-day usage report at day granularity (${report.windows} windows), ${report.requests} requests: p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, max ${report.maxMs} ms ` +
      `${report.p99Ms < 100 ? '(target p99 < 100 ms met)' : '(TARGET p99 < 100 ms MISSED)'}`,
  );
  console.log(
    `  DynamoDB reads of one such request (no caller cached): ${Object.entries(reads.requests).map(([command, n]) => `${n} ${command.replace(/Command$/, '')}`).join(', ')}; ` +
      `${reads.items} items, ${reads.readCapacityUnits} read capacity units`,
  );

  const shutdown = await benchFleetShutdown(500);
  console.log(
    `\nEmergency shutdown through the local control plane, ${shutdown.clusters} clusters: answered (202) in ${(shutdown.acceptedMs / 1000).toFixed(2)} s, ` +
      `every endpoint blocked ${(shutdown.allBlockedMs / 1000).toFixed(1)} s after the request, every cluster SUSPENDED (nodes at zero) after ${(shutdown.allSuspendedMs / 1000).toFixed(1)} s`,
  );

  console.log('\nFleet upgrade through the local engine (the upgrade state machine as synthesized, on aws-local-stepfunctions; canary 2, batches of 10, concurrency 10; UPDATE jobs finished by a simulated runner):');
  for (const run of await benchFleetUpgrade([100, 500])) {
    console.log(
      `  ${String(run.clusters).padStart(4)} clusters: ${run.wallSeconds.toFixed(1)} s, DynamoDB commands per cluster ${run.dynamodbCommandsPerCluster.toFixed(2)} ` +
        `(${run.upgradeCommandsPerCluster.toFixed(2)} of them the upgrade's own, the rest the simulated jobs')`,
    );
  }

  console.log('\nLambda bundles (minified, as synthesized):');
  for (const b of benchLambdaBundles()) {
    const kb = b.bytes / 1024;
    console.log(`  ${b.functionId.padEnd(40)} ${kb.toFixed(1)} KB ${kb < 300 ? '(target met)' : '(TARGET MISSED)'}`);
  }

  const provisioning = await benchLocalProvisioning();
  console.log(
    `\nLocal provisioning (M tier; the local deployer synthesizes and checks TenantStack instead of deploying it): ` +
      `create → ACTIVE ${(provisioning.createToActiveMs / 1000).toFixed(1)} s, ` +
      `add datasource → ACTIVE ${(provisioning.addDatasourceToActiveMs / 1000).toFixed(1)} s, ` +
      `remove datasource → DELETED ${(provisioning.removeDatasourceToDeletedMs / 1000).toFixed(1)} s, ` +
      `delete → DELETED ${(provisioning.deleteToDeletedMs / 1000).toFixed(1)} s ` +
      `${provisioning.createToActiveMs < 5000 ? '(create target < 5 s met)' : '(CREATE TARGET < 5 s MISSED)'}`,
  );
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const { total, byPart } = provisioning.dataFolderPerCluster;
  console.log(
    `Local data folder per created cluster, after its 4 jobs (create, add and remove a datasource, delete): ${kb(total)} ` +
      `(${Object.entries(byPart).filter(([, bytes]) => bytes !== 0).map(([part, bytes]) => `${part}/ ${kb(bytes)}`).join(', ')})`,
  );

  const runner = benchRunnerStartup();
  const runnerSeconds = (runner.copyMs + runner.synthMs) / 1000;
  console.log(
    `\nDeploy runner, clean directory → start of cdk deploy: ${runnerSeconds.toFixed(1)} s ` +
      `(unpack ${(runner.copyMs / 1000).toFixed(1)} s + synth with checks ${(runner.synthMs / 1000).toFixed(1)} s; no npm install) ` +
      `${runnerSeconds < 5 ? '(target < 5 s met)' : '(TARGET < 5 s MISSED)'}`,
  );

  console.log('\nTenantStack synth with every check (M tier, two datasources), whole process, median of 5, beside EKS Blueprints (one cluster, one team, no checks):');
  const synth = benchTenantSynth();
  const line = (who: string, run: SynthRun) => `  ${who.padEnd(16)} ${run.how.padEnd(30)} ${(run.medianMs / 1000).toFixed(2)} s, ${run.resourceCount} resources`;
  console.log(line('SICI', synth.sici.compiled));
  console.log(line('SICI', synth.sici.cli));
  if ('missing' in synth.peer) {
    console.log(`  EKS Blueprints   not measured (${synth.peer.missing}): the ratio is missing`);
  } else {
    console.log(line('EKS Blueprints', synth.peer.compiled));
    console.log(line('EKS Blueprints', synth.peer.cli));
    for (const way of ['compiled', 'cli'] as const) {
      const ratio = synth.sici[way].medianMs / synth.peer[way].medianMs;
      console.log(`  ratio SICI / EKS Blueprints, ${synth.sici[way].how}: ${ratio.toFixed(2)}× ${ratio <= 1 ? '(target ≤ 1.0× met)' : '(TARGET ≤ 1.0× MISSED)'}`);
    }
  }
  console.log('\nWhere one TenantStack synth spends its time (compiled app, in process):');
  for (const { phase, ms } of profileTenantSynth()) console.log(`  ${phase.padEnd(48)} ${String(ms).padStart(5)} ms`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
