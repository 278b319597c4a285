import { spawnSync } from 'node:child_process';
import { cpSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { buildRunnerBundle } from '../lib/control-plane/workflow/runner-bundle';

const FIXTURE = 'test/fixtures/tenant-m-two-datasources.json';
const CLUSTER_ID = 'c-m0000000000000c3';

/**
 * The deploy runner's time from a clean directory to the start of `cdk deploy`: its pre-bundled
 * app is unpacked into an empty folder (CodeBuild downloads and unzips the same asset; that
 * download is not counted here) and the bundle's own CDK CLI synthesizes the TenantStack with
 * every compliance check, which is all `cdk deploy` does before it calls CloudFormation.
 */
export function benchRunnerStartup(): { copyMs: number; synthMs: number } {
  const work = mkdtempSync(join(tmpdir(), 'sici-runner-bench-'));
  try {
    const built = join(work, 'asset');
    buildRunnerBundle(built, { projectRoot: resolve('.'), config: loadPlatformConfig() });
    const clean = join(work, 'build');
    let started = performance.now();
    cpSync(built, clean, { recursive: true });
    const copyMs = performance.now() - started;
    copyFileSync(FIXTURE, join(clean, 'tenant-spec.json'));
    started = performance.now();
    const result = spawnSync(
      process.execPath,
      ['node_modules/aws-cdk/bin/cdk', 'synth', `TenantStack-${CLUSTER_ID}`, '--exclusively', '--no-notices', '--ci', '--quiet', '-c', 'tenantSpec=tenant-spec.json', '-o', join(work, 'cdk.out')],
      { cwd: clean, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' } },
    );
    if (result.status !== 0) throw new Error(`runner synth failed:\n${result.stderr.slice(-2000)}`);
    return { copyMs, synthMs: performance.now() - started };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
