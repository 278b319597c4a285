import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack, type IPolicyValidationContextBeta1, type PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { CfnGuardChecks } from '../../../lib/compliance/cfn-guard-checks';
import { ControlPlaneStack } from '../../../lib/control-plane/control-plane-stack';
import { CONTROL_PLANE_STACK_NAME, tenantStackName } from '../../../lib/contract/tenant-spec';
import { TenantStack } from '../../../lib/tenant/tenant-stack';
import { cdkApp } from '../../support/cdk-app';
import { tenantInputs } from '../../support/fixtures';

/**
 * CfnGuardChecks gives cfn-guard only the Control Tower rule files that can apply to the synth's
 * templates. Over SICI's own templates and a plainly non-compliant one, it must report exactly
 * what `CfnGuardValidator` with every rule reports.
 */

let outdir: string;
let context: IPolicyValidationContextBeta1;
beforeAll(() => {
  outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-guard-'));
  const app = cdkApp({ outdir, bundling: false });
  new ControlPlaneStack(app, CONTROL_PLANE_STACK_NAME, { config: tenantInputs('S').config });
  for (const [fixture, variant] of [['M2', {}], ['L', { nat: 1, trino: true }]] as const) {
    const { spec, config } = tenantInputs(fixture, variant);
    new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
  }
  // S3-managed encryption only, no access logs, no versioning: cfn-guard's S3 rules fail it.
  new Bucket(new Stack(app, 'NonCompliant'), 'Bucket');
  const assembly = app.synth();
  context = { templatePaths: assembly.stacks.map((stack) => path.join(outdir, stack.templateFile)), appConstruct: app };
});
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

/** Each finding as rule, template and resource, in a stable order. */
const findings = (report: PolicyValidationPluginReportBeta1) =>
  report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${path.basename(r.templatePath)} ${r.resourceLogicalId}`))
    .sort();

test('reports exactly the findings of cfn-guard with every Control Tower rule', () => {
  const all = new CfnGuardValidator().validate(context);
  const filtered = new CfnGuardChecks().validate(context);
  expect(findings(all).length).toBeGreaterThan(3);
  expect(findings(all).some((finding) => finding.includes('NonCompliant'))).toBe(true);
  expect(findings(filtered)).toEqual(findings(all));
  expect(filtered.success).toBe(all.success);
});

test('names itself and its rules as CfnGuardValidator does, so acknowledgements keep their ids', () => {
  const checks = new CfnGuardChecks();
  const validator = new CfnGuardValidator();
  expect([checks.name, checks.version, checks.ruleIds]).toEqual([validator.name, validator.version, validator.ruleIds]);
});
