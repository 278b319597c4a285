import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance/compliance';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { loadTenantSpec, tenantStackName } from '../lib/contract/tenant-spec';
import { TenantStack } from '../lib/tenant/tenant-stack';

const ROOT = join(__dirname, '..');
/** The M-tier fixture with two datasources (the README's example). */
export const BENCH_SPEC = join(ROOT, 'test/fixtures/tenant-m-two-datasources.json');

/**
 * TenantStack synthesis with every compliance pack (what the provisioning job's `cdk synth` does
 * for one tenant), in process: the median wall time of `runs` synths and the stack's CloudFormation
 * resource count. Each run builds a fresh App, so construct and validation work are all counted.
 */
export async function benchTenantSynth(runs = 5): Promise<{ medianMs: number; resourceCount: number }> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const context = cdkJson.context ?? {};
  const config = loadPlatformConfig(join(ROOT, 'config/platform.json'));
  const spec = loadTenantSpec(BENCH_SPEC);
  const times: number[] = [];
  let resourceCount = 0;
  for (let run = 0; run < runs; run++) {
    const outdir = mkdtempSync(join(tmpdir(), 'tenant-synth-bench-'));
    try {
      const started = performance.now();
      const app = new App({ context, outdir });
      const stack = new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
      addComplianceChecks(app);
      const assembly = app.synth();
      times.push(performance.now() - started);
      const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, unknown> };
      resourceCount = Object.keys(template.Resources).length;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)], resourceCount };
}

if (require.main === module) {
  benchTenantSynth()
    .then((result) => console.log(JSON.stringify(result)))
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
