#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchApiLatency } from './api-latency';
import { benchLambdaBundles } from './lambda-bundles';

/** `npm run bench`: SICI's speed and size figures, printed against their targets. */
async function main() {
  console.log('SICI benchmarks (targets: p99 < 50 ms at 16 clients; each Lambda bundle < 300 KB)\n');

  console.log('Local control plane API over HTTP, SigV4-signed by the SDK signer:');
  for (const f of await benchApiLatency(16, 60)) {
    console.log(`  ${f.route.padEnd(15)} ${f.requests} requests, ${f.concurrency} clients: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, max ${f.maxMs} ms, ${f.throughputPerSecond} req/s ${f.p99Ms < 50 ? '(target met)' : '(TARGET MISSED)'}`);
  }

  console.log('\nLambda bundles (minified, as synthesized):');
  for (const b of benchLambdaBundles()) {
    const kb = b.bytes / 1024;
    console.log(`  ${b.functionId.padEnd(40)} ${kb.toFixed(1)} KB ${kb < 300 ? '(target met)' : '(TARGET MISSED)'}`);
  }

  if (existsSync(join(__dirname, 'tenant-synth.ts'))) {
    // Written alongside the TenantStack; loaded by path so this runner does not depend on it.
    const { benchTenantSynth } = require(join(__dirname, 'tenant-synth')) as { benchTenantSynth(): Promise<{ medianMs: number; resourceCount: number }> };
    const t = await benchTenantSynth();
    console.log(`\nTenantStack synth with all compliance checks (M tier, two datasources): median of 5 ${Math.round(t.medianMs)} ms, ${t.resourceCount} resources`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
