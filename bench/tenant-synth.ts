import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tenantStackName } from '../lib/contract/tenant-spec';
import { cachedCompiledApp } from '../lib/control-plane/workflow/compiled-app';
import { eksBlueprintsPeer, PEER_CONTEXT } from './peer-eks-blueprints';

const ROOT = join(__dirname, '..');
/** The M-tier fixture with two datasources (the README's example). */
export const BENCH_SPEC = join(ROOT, 'test/fixtures/tenant-m-two-datasources.json');
const BENCH_CLUSTER = 'c-m0000000000000c3';
const CDK_CLI = join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');
const RUNS = 5;

/** One way of running a synth, whole process, and its median time. */
export interface SynthRun {
  readonly how: string;
  readonly medianMs: number;
  readonly resourceCount: number;
}

export interface SynthFigures {
  /** SICI's TenantStack with every check: as the runner and the local deployer run it, and through the CDK CLI with cdk.json's app. */
  readonly sici: { compiled: SynthRun; cli: SynthRun };
  /** EKS Blueprints, one cluster and one team, no checks, the same two ways; or why it could not be measured. */
  readonly peer: { compiled: SynthRun; cli: SynthRun } | { missing: string };
}

/** The median of `RUNS` whole-process synths into fresh folders; the template read is `template` in the output. */
function measure(how: string, template: string, run: (outdir: string) => { command: string; args: string[]; cwd: string; env?: NodeJS.ProcessEnv }): SynthRun {
  const times: number[] = [];
  let resourceCount = 0;
  for (let i = 0; i < RUNS; i++) {
    const outdir = mkdtempSync(join(tmpdir(), 'sici-synth-bench-'));
    try {
      const { command, args, cwd, env } = run(outdir);
      const started = performance.now();
      const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true', ...env } });
      times.push(performance.now() - started);
      const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
      // The CDK CLI answers 0 even when a synth ends with errors; a synth that left context missing is not complete.
      if (result.status !== 0 || /finished with errors/.test(result.stderr) || manifest.missing?.length) throw new Error(`${how} failed:\n${result.stderr.slice(-2000)}`);
      resourceCount = Object.keys((JSON.parse(readFileSync(join(outdir, template), 'utf8')) as { Resources: object }).Resources).length;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
  times.sort((a, b) => a - b);
  return { how, medianMs: times[Math.floor(times.length / 2)], resourceCount };
}

/**
 * TenantStack synthesis with every compliance check, whole process (node start, module loading,
 * construct tree, asset staging, cdk-nag's three packs, cfn-guard, aws-cdk-lib's CloudFormation
 * validation), side by side with EKS Blueprints' one-cluster-plus-team synth without checks, both
 * run the same two ways: plain `node` on compiled JavaScript, and the CDK CLI running each
 * project's TypeScript app with `ts-node --transpile-only`.
 */
export function benchTenantSynth(): SynthFigures {
  const context = (JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }).context;
  const app = cachedCompiledApp(ROOT);
  const stack = tenantStackName(BENCH_CLUSTER);
  const sici = {
    compiled: measure('node bin/app.js (compiled)', `${stack}.template.json`, (outdir) => ({
      command: process.execPath,
      args: [app],
      cwd: ROOT,
      env: { CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...context, tenantSpec: BENCH_SPEC, platformConfig: join(ROOT, 'config/platform.json') }) },
    })),
    cli: measure('cdk synth, app with ts-node', `${stack}.template.json`, (outdir) => ({
      command: process.execPath,
      args: [CDK_CLI, 'synth', stack, '-c', `tenantSpec=${BENCH_SPEC}`, '-o', outdir, '-q', '--no-notices'],
      cwd: ROOT,
    })),
  };
  const installed = eksBlueprintsPeer();
  if ('missing' in installed) return { sici, peer: installed };
  const peerTemplate = 'eks-blueprint.template.json';
  return {
    sici,
    peer: {
      compiled: measure('node app.js (compiled)', peerTemplate, (outdir) => ({
        command: process.execPath,
        args: [installed.jsEntry],
        cwd: installed.dir,
        env: { CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(PEER_CONTEXT) },
      })),
      cli: measure('cdk synth, app with ts-node', peerTemplate, (outdir) => ({
        command: process.execPath,
        args: [CDK_CLI, 'synth', '--app', `npx ts-node --transpile-only ${installed.tsEntry}`, '-o', outdir, '-q', '--no-notices'],
        cwd: dirname(installed.tsEntry),
      })),
    },
  };
}

if (require.main === module) console.log(JSON.stringify(benchTenantSynth(), null, 2));
