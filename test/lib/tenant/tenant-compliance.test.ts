import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { addComplianceChecks } from '../../../lib/compliance/compliance';
import { tenantStackName } from '../../../lib/contract/tenant-spec';
import { TenantStack } from '../../../lib/tenant/tenant-stack';
import { cdkApp } from '../../support/cdk-app';
import { synthError, validationReport } from '../../support/compliance-report';
import { FixtureName, tenantInputs, TenantVariant } from '../../support/fixtures';

/**
 * Every finding of AwsSolutions, NIST 800-53 R5, HIPAA Security and cfn-guard (Control Tower) is
 * either fixed or acknowledged with a reason next to its resource: synthesis with all packs must
 * not throw. One synth per tier (each runs every pack, which takes seconds).
 */
describe('compliance of the TenantStack', () => {
  const cases: Array<[string, FixtureName, TenantVariant]> = [
    ['tier S, no datasource, no NAT, Starburst', 'S', { nat: 0, trino: false }],
    ['tier M, two datasources, no NAT, Starburst', 'M2', { nat: 0, trino: false }],
    ['tier L, three datasources, one NAT, Trino', 'L', { nat: 1, trino: true }],
  ];

  test.each(cases)('%s: synthesizes with all packs and no unacknowledged finding', (_name, fixture, variant) => {
    const { spec, config } = tenantInputs(fixture, variant);
    const outdir = mkdtempSync(join(tmpdir(), 'tenant-compliance-'));
    const app = cdkApp({ outdir });
    new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
    addComplianceChecks(app);

    const failure = synthError(app);
    const report = validationReport(outdir)!;
    const unacknowledged = report.pluginReports.flatMap((plugin) =>
      plugin.violations.filter((v) => v.severity === 'error' || v.severity === 'fatal').map((v) => `${plugin.pluginName}: ${v.ruleName}`),
    );
    expect(unacknowledged).toEqual([]);
    expect(failure).toBeUndefined();
    // All four packs ran.
    expect(report.pluginReports.map((p) => p.pluginName)).toEqual(
      expect.arrayContaining(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'cdk-validator-cfnguard']),
    );
  });

  test('the checks are live: an unacknowledged finding fails the synth', () => {
    const app = cdkApp({ outdir: mkdtempSync(join(tmpdir(), 'tenant-compliance-')) });
    const stack = new Stack(app, 'Probe', { env: { account: '111111111111', region: 'us-east-1' } });
    new logs.LogGroup(stack, 'Unencrypted', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY });
    addComplianceChecks(app);
    expect(() => app.synth()).toThrow(/CloudWatch Log Group is not encrypted with an AWS KMS key - .*\(NIST\.800\.53\.R5\)/);
  });
});
