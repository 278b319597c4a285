import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RUNNER_ENV } from '../../../../lib/contract/workflow';
import { ENV } from '../../../../lib/contract/function-environment';
import {
  RUNNER_MANIFEST_FILE,
  RUNNER_SCRIPT_FILE,
  RUNNER_SCRIPT_SOURCE,
  RunnerBundleManifest,
  buildRunnerBundle,
  runnerBundleFingerprint,
} from '../../../../lib/control-plane/workflow/runner-bundle';
import { FIXTURES, platformConfig } from '../../../support/fixtures';

/**
 * The deploy runner's bundle, built once into a folder outside the repository (so nothing in it
 * can resolve a module from the repository's node_modules): what is in it, that its own CDK CLI
 * and node_modules synthesize a TenantStack with no network and no install; and the runner script
 * (run-tenant-stack.sh), run by bash: its syntax, its variables, its guards.
 */

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const config = platformConfig();
const FIXTURE = FIXTURES.S;
const CLUSTER_ID: string = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')).clusterId;

let bundle: string;
let manifest: RunnerBundleManifest;

beforeAll(() => {
  bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sici-runner-')), 'bundle');
  manifest = buildRunnerBundle(bundle, { projectRoot: ROOT, config });
});

afterAll(() => {
  if (bundle) fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
});

describe('bundle', () => {
  test('holds the compiled app, the configuration it was made with, and cdk.json running node; no Lambda sources (a tenant deploy never builds the control plane)', () => {
    expect(fs.existsSync(path.join(bundle, 'bin', 'app.js'))).toBe(true);
    expect(manifest.appFiles).toEqual(expect.arrayContaining(['bin/app.js', 'lib/control-plane/control-plane-stack.js', 'lib/tenant/tenant-stack.js']));
    for (const file of manifest.appFiles) expect([file, fs.existsSync(path.join(bundle, file))]).toEqual([file, true]);
    for (const entry of ['lambda/workflow/workflow-steps.handler.ts', 'lambda/workflow/reconciler.handler.ts', 'lambda/api/clusters.handler.ts']) {
      expect([entry, fs.existsSync(path.join(bundle, entry))]).toEqual([entry, false]);
    }
    expect(JSON.parse(fs.readFileSync(path.join(bundle, 'config', 'platform.json'), 'utf8'))).toEqual(config);
    const cdkJson = JSON.parse(fs.readFileSync(path.join(bundle, 'cdk.json'), 'utf8'));
    expect(cdkJson.app).toBe('node bin/app.js');
    expect(cdkJson.context).toEqual(JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context);
    expect(fs.readFileSync(path.join(bundle, RUNNER_SCRIPT_FILE), 'utf8')).toBe(fs.readFileSync(RUNNER_SCRIPT_SOURCE, 'utf8'));
    expect(fs.statSync(path.join(bundle, RUNNER_SCRIPT_FILE)).mode & 0o777).toBe(0o755);
    expect(JSON.parse(fs.readFileSync(path.join(bundle, RUNNER_MANIFEST_FILE), 'utf8')).fingerprint).toBe(runnerBundleFingerprint({ projectRoot: ROOT, config }));
  });

  test('node_modules: the app’s production closure and the CDK CLI, no dev tools or SDK clients, no type declarations', () => {
    const top = Object.keys(manifest.packages).filter((dir) => !dir.includes(`${path.sep}node_modules${path.sep}`));
    expect(top).toEqual(expect.arrayContaining(['aws-cdk-lib', 'aws-cdk', 'constructs', 'zod', 'cdk-nag', '@cdklabs/cdk-validator-cfnguard', '@aws-cdk/lambda-layer-kubectl-v35', 'esbuild']));
    for (const dev of ['jest', 'typescript', 'ts-node', 'asl-validator', 'aws-local-stepfunctions', 'dynalite', '@aws-sdk/client-dynamodb', 'fast-check', '@cloud-copilot/iam-simulate', 'eslint']) {
      expect([dev, dev in manifest.packages, fs.existsSync(path.join(bundle, 'node_modules', dev))]).toEqual([dev, false, false]);
    }
    const lib = path.join(bundle, 'node_modules', 'aws-cdk-lib');
    expect(fs.existsSync(path.join(lib, 'core', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(lib, 'core', 'index.d.ts'))).toBe(false);
    expect(fs.existsSync(path.join(lib, '.jsii.gz'))).toBe(false);
    expect(fs.existsSync(path.join(bundle, 'node_modules', '@cdklabs', 'cdk-validator-cfnguard', 'bin', 'macos'))).toBe(false);
  });

  test('the fingerprint follows the configuration', () => {
    const other = { ...config, queryRecordRetentionDays: config.queryRecordRetentionDays + 1 };
    expect(runnerBundleFingerprint({ projectRoot: ROOT, config: other })).not.toBe(manifest.fingerprint);
    expect(runnerBundleFingerprint({ projectRoot: ROOT, config })).toBe(manifest.fingerprint);
  });

  test('the fingerprint follows the runner script', () => {
    // A copy of what the fingerprint reads (sources and project files, no node_modules), whose script then changes.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-runner-fingerprint-'));
    try {
      for (const entry of ['bin', 'lib', 'lambda', 'package.json', 'package-lock.json', 'tsconfig.json', 'cdk.json']) {
        fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true });
      }
      const before = runnerBundleFingerprint({ projectRoot: copy, config });
      fs.appendFileSync(path.join(copy, path.relative(ROOT, RUNNER_SCRIPT_SOURCE)), '# changed\n');
      expect(runnerBundleFingerprint({ projectRoot: copy, config })).not.toBe(before);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});

test('the bundle’s own CDK CLI synthesizes a TenantStack from a spec, offline, with every compliance check', () => {
  fs.copyFileSync(FIXTURE, path.join(bundle, 'tenant-spec.json'));
  const out = path.join(path.dirname(bundle), 'cdk.out');
  const result = spawnSync(
    process.execPath,
    [
      'node_modules/aws-cdk/bin/cdk',
      'synth',
      `TenantStack-${CLUSTER_ID}`,
      '--exclusively',
      '--no-notices',
      '--ci',
      '--quiet',
      '-c',
      'tenantSpec=tenant-spec.json',
      '-c',
      'platformConfig=config/platform.json',
      '-o',
      out,
    ],
    {
      cwd: bundle,
      encoding: 'utf8',
      // Only what a CodeBuild image has: no NODE_PATH into the repository, no AWS credentials.
      env: { PATH: process.env.PATH, HOME: path.dirname(bundle), CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' },
      timeout: 180_000,
    },
  );
  expect([result.status, result.status === 0 ? '' : `${result.stdout}\n${result.stderr}`.slice(-3000)]).toEqual([0, '']);
  const tenant = JSON.parse(fs.readFileSync(path.join(out, `TenantStack-${CLUSTER_ID}.template.json`), 'utf8'));
  const types = new Set(Object.values<{ Type: string }>(tenant.Resources).map((r) => r.Type));
  expect([...types]).toEqual(expect.arrayContaining(['AWS::EKS::Cluster', 'AWS::EC2::VPC']));
  expect(JSON.parse(fs.readFileSync(path.join(out, 'validation-report.json'), 'utf8')).pluginReports.map((p: { pluginName: string }) => p.pluginName)).toEqual(
    expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'cdk-validator-cfnguard']),
  );
  // A tenant deploy builds that tenant only: the control plane is neither constructed nor bundled.
  expect(fs.readdirSync(out).filter((file) => file.startsWith('SiciControlPlane'))).toEqual([]);
});

describe('runner script', () => {
  const script = fs.readFileSync(RUNNER_SCRIPT_SOURCE, 'utf8');

  test('is valid bash (bash -n)', () => {
    const result = spawnSync('bash', ['-n', RUNNER_SCRIPT_SOURCE], { encoding: 'utf8' });
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  test('requires exactly the variables of the contract: RUNNER_ENV from the state machine, ENV.specBucket from the project', () => {
    const contract = [...Object.values(RUNNER_ENV), ENV.specBucket].sort();
    expect([...new Set(script.match(/\bSICI_[A-Z_]+\b/g))].sort()).toEqual(contract);
    for (const name of contract) expect(script).toContain(`"\${${name}:?${name} is required}"`);
  });
});

describe('runner script guards (before anything reaches AWS)', () => {
  /** Runs the script with a stand-in `aws` that writes `spec` as the downloaded object and records its arguments. */
  const run = (env: Record<string, string>, spec: object = { clusterId: CLUSTER_ID }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-runner-script-'));
    try {
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
      fs.writeFileSync(
        path.join(bin, 'aws'),
        `#!/usr/bin/env bash\necho "$@" > "${dir}/aws-args"\ncp "${dir}/spec.json" "\${@: -1}"\n`,
        { mode: 0o755 },
      );
      // A stand-in CDK CLI: the script's last step, reached only when every guard passed.
      fs.mkdirSync(path.join(dir, 'node_modules', 'aws-cdk', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'node_modules', 'aws-cdk', 'bin', 'cdk'), `require('fs').writeFileSync('cdk-args', JSON.stringify(process.argv.slice(2)));\n`);
      fs.copyFileSync(RUNNER_SCRIPT_SOURCE, path.join(dir, RUNNER_SCRIPT_FILE));
      const result = spawnSync('bash', [RUNNER_SCRIPT_FILE], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}`, [ENV.specBucket]: 'spec-bucket', ...env },
      });
      const read = (file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : undefined);
      return { status: result.status, stderr: result.stderr, aws: read('aws-args'), cdk: read('cdk-args') && JSON.parse(read('cdk-args')!) };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const valid = {
    [RUNNER_ENV.action]: 'deploy',
    [RUNNER_ENV.specUri]: `s3://spec-bucket/specs/${CLUSTER_ID}.json?versionId=v3`,
    [RUNNER_ENV.clusterId]: CLUSTER_ID,
    [RUNNER_ENV.jobId]: 'j-0123456789abcdef',
  };

  test('a deploy fetches the exact spec version and runs cdk deploy of TenantStack-<clusterId> only', () => {
    const result = run(valid);
    expect(result.status).toBe(0);
    expect(result.aws).toBe(`s3api get-object --bucket spec-bucket --key specs/${CLUSTER_ID}.json --version-id v3 tenant-spec.json`);
    expect(result.cdk).toEqual(expect.arrayContaining(['deploy', `TenantStack-${CLUSTER_ID}`, '--exclusively', '--require-approval', 'never', 'tenantSpec=tenant-spec.json']));
  });

  test('a destroy takes the current spec (no version) and runs cdk destroy --force', () => {
    const result = run({ ...valid, [RUNNER_ENV.action]: 'destroy', [RUNNER_ENV.specUri]: `s3://spec-bucket/specs/${CLUSTER_ID}.json` });
    expect(result.status).toBe(0);
    expect(result.aws).toBe(`s3api get-object --bucket spec-bucket --key specs/${CLUSTER_ID}.json tenant-spec.json`);
    expect(result.cdk).toEqual(expect.arrayContaining(['destroy', `TenantStack-${CLUSTER_ID}`, '--force']));
  });

  test.each([
    ['an unknown action', { [RUNNER_ENV.action]: 'update' }, /must be deploy or destroy/],
    ['another bucket', { [RUNNER_ENV.specUri]: `s3://other-bucket/specs/${CLUSTER_ID}.json` }, /must come from spec-bucket/],
    ['another cluster’s spec key', { [RUNNER_ENV.specUri]: 's3://spec-bucket/specs/c-ffffffffffffffff.json' }, /is specs\/c-s0000000000000a1\.json/],
    ['a malformed cluster id', { [RUNNER_ENV.clusterId]: 'c-1; rm -rf /' }, /is not a cluster id/],
    ['a missing job id', { [RUNNER_ENV.jobId]: '' }, /SICI_JOB_ID is required/],
  ])('refuses %s', (_, change, message) => {
    const result = run({ ...valid, ...change });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.cdk).toBeUndefined();
  });

  test('refuses a spec that describes another cluster', () => {
    const result = run(valid, { clusterId: 'c-ffffffffffffffff' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/the spec describes c-ffffffffffffffff/);
    expect(result.cdk).toBeUndefined();
  });
});
