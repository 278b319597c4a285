import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cachedCompiledApp } from '../lib/control-plane/workflow/compiled-app';
import { BENCH_SPEC } from './tenant-synth';

const ROOT = join(__dirname, '..');

export interface SynthPhase {
  readonly phase: string;
  readonly ms: number;
}

/**
 * Where one whole-process TenantStack synth's time goes, measured inside a plain `node` running the
 * compiled app's modules: process start, module loading, the construct tree, the synth itself
 * (templates and asset staging), and each check (the three cdk-nag packs, cfn-guard, and
 * aws-cdk-lib's CloudFormation validation, registered explicitly here so that it can be timed;
 * it is the plugin aws-cdk-lib adds by default).
 */
export function profileTenantSynth(): SynthPhase[] {
  const compiled = dirname(dirname(cachedCompiledApp(ROOT)));
  const work = mkdtempSync(join(tmpdir(), 'sici-synth-profile-'));
  const script = join(work, 'profile.js');
  writeFileSync(
    script,
    `require('node:v8').setFlagsFromString('--liftoff-only'); // as bin/app.ts does
const startedAt = performance.now();
const phases = [['process start (node to first line)', startedAt]];
const mark = (phase, since) => { const now = performance.now(); phases.push([phase, now - since]); return now; };
// The project's packages, as the compiled app finds them.
const projectRequire = require('node:module').createRequire(${JSON.stringify(join(ROOT, 'package.json'))});
let t = performance.now();
const cdk = projectRequire('aws-cdk-lib');
const { TenantStack } = require(${JSON.stringify(join(compiled, 'lib/tenant/tenant-stack.js'))});
const { CfnGuardChecks } = require(${JSON.stringify(join(compiled, 'lib/compliance/cfn-guard-checks.js'))});
const { loadPlatformConfig } = require(${JSON.stringify(join(compiled, 'lib/config/load-platform-config.js'))});
const { loadTenantSpec, tenantStackName } = require(${JSON.stringify(join(compiled, 'lib/contract/tenant-spec.js'))});
const nag = projectRequire('cdk-nag');
t = mark('module loading', t);
const config = loadPlatformConfig(${JSON.stringify(join(ROOT, 'config/platform.json'))});
const spec = loadTenantSpec(${JSON.stringify(BENCH_SPEC)});
const app = new cdk.App({ outdir: ${JSON.stringify(join(work, 'cdk.out'))}, context: require(${JSON.stringify(join(ROOT, 'cdk.json'))}).context });
new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
t = mark('construct tree', t);
const timed = (plugin, phase) => { const validate = plugin.validate.bind(plugin); plugin.validate = (context) => { const s = performance.now(); try { return validate(context); } finally { checks += performance.now() - s; phases.push([phase, performance.now() - s]); } }; return plugin; };
let checks = 0;
cdk.Validations.of(app).addPlugins(
  timed(new nag.AwsSolutionsChecks(app), 'cdk-nag AwsSolutions'),
  timed(new nag.NIST80053R5Checks(app), 'cdk-nag NIST 800-53 R5'),
  timed(new nag.HIPAASecurityChecks(app), 'cdk-nag HIPAA Security'),
  timed(new CfnGuardChecks(), 'cfn-guard (Control Tower rules that apply)'),
  timed(new cdk.CloudFormationValidatePlugin(), 'aws-cdk-lib CloudFormation validation'),
);
const s = performance.now();
app.synth();
phases.push(['synth: templates, asset staging, nag aspects', performance.now() - s - checks]);
phases.push(['total in process', performance.now() - startedAt]);
console.log(JSON.stringify(phases));
`,
  );
  try {
    const result = spawnSync(process.execPath, [script], { cwd: ROOT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`synth profile failed:\n${result.stderr.slice(-2000)}`);
    const phases = JSON.parse(result.stdout.trim().split('\n').pop()!) as Array<[string, number]>;
    return phases.map(([phase, ms]) => ({ phase, ms: Math.round(ms) }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (require.main === module) console.table(profileTenantSynth());
