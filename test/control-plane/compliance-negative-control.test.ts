import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { addComplianceChecks } from '../../lib/compliance/compliance';

/**
 * The negative control of the compliance test in control-plane-stack.test.ts: the same checks
 * make a synth throw on a stack that is plainly non-compliant, so a passing compliance test
 * means something.
 */
test('a bucket without KMS encryption, logging or TLS enforcement fails the synth with ValidationFailed and a report naming its findings', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-negative-control-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'NonCompliant');
    // S3-managed encryption only, no access logs, no TLS-only policy, no versioning.
    new Bucket(stack, 'Bucket');
    addComplianceChecks(app);

    let error: unknown;
    try {
      app.synth();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ValidationFailed');

    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const rules: string[] = report.pluginReports.flatMap((p: { violations: { ruleName: string }[] }) => p.violations.map((v) => v.ruleName));
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'NIST.800.53.R5-S3DefaultEncryptionKMS']));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
