import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Errors, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { acknowledgeFindings, addComplianceChecks } from '../../../lib/compliance/compliance';
import { cdkApp } from '../../support/cdk-app';
import { synthError, validationReport } from '../../support/compliance-report';

/**
 * The negative control of the compliance test in control-plane-stack.test.ts: the same checks
 * make a synth throw on a stack that is plainly non-compliant, so a passing compliance test
 * means something.
 */
test('a bucket without KMS encryption, logging or TLS enforcement fails the synth with ValidationFailed and a report naming its findings', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-negative-control-'));
  try {
    const app = cdkApp({ outdir });
    const stack = new Stack(app, 'NonCompliant');
    // S3-managed encryption only, no access logs, no TLS-only policy, no versioning.
    new Bucket(stack, 'Bucket');
    addComplianceChecks(app);

    const error = synthError(app);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ValidationFailed');

    const rules = validationReport(outdir)!.pluginReports.flatMap((p) => p.violations.map((v) => v.ruleName));
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'NIST.800.53.R5-S3DefaultEncryptionKMS']));
    // cfn-guard, given only the rules that can apply, still finds the bucket's faults.
    expect(validationReport(outdir)!.pluginReports.find((p) => p.pluginName === 'cdk-validator-cfnguard')!.violations.length).toBeGreaterThan(0);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});

test('acknowledging a rule id that no pack has fails at once, scoped to the construct acknowledged', () => {
  const bucket = new Bucket(new Stack(cdkApp(), 'Acknowledging'), 'Bucket');
  let error: unknown;
  try {
    acknowledgeFindings(bucket, { 'AwsSolution-S1': 'a typo of AwsSolutions-S1' });
  } catch (caught) {
    error = caught;
  }
  expect(Errors.isValidationError(error)).toBe(true);
  expect(error).toMatchObject({ message: expect.stringMatching(/^Unknown compliance rule id "AwsSolution-S1"/), constructPath: 'Acknowledging/Bucket' });
});
