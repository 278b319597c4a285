import { DRIFT_READ_ACTIONS, driftDetectionStatements, driftReadActions } from '../../../lib/access/drift-detection-permissions';
import { tenantStackName } from '../../../lib/contract/tenant-spec';
import { TenantStack } from '../../../lib/tenant/tenant-stack';
import { cdkApp } from '../../support/cdk-app';
import { tenantInputs } from '../../support/fixtures';
import { TemplateJson } from '../../support/template';

/**
 * What drift detection needs of the reader role: the read actions of every resource type a
 * TenantStack holds (CloudFormation reads each resource with the caller's credentials), each in
 * one of the statements the reader role's policy adds.
 */

const actionsOf = (action: string | string[]) => (Array.isArray(action) ? action : [action]);

test('every resource type of a synthesized TenantStack (three datasources) has its read actions listed', () => {
  const { spec, config } = tenantInputs('L');
  const stack = new TenantStack(cdkApp(), tenantStackName(spec.clusterId), { spec, config });
  const types = new Set(Object.values(TemplateJson.fromStack(stack).resources).map((resource) => resource.Type));
  expect(types.has('AWS::EKS::Nodegroup')).toBe(true);
  const { actions, unlisted } = driftReadActions(types);
  expect(unlisted).toEqual([]);
  expect(actions).toEqual(expect.arrayContaining(['eks:DescribeNodegroup', 'iam:GetRole', 'ec2:DescribeVpcs']));
});

test('the statements grant each listed read action, the drift actions on tenant stacks, and nothing that writes', () => {
  const statements = driftDetectionStatements({ account: '111111111111', region: 'us-east-1' });
  const granted = statements.flatMap((statement) => actionsOf(statement.Action));
  for (const action of new Set(Object.values(DRIFT_READ_ACTIONS).flat())) expect(granted.filter((a) => a === action)).toEqual([action]);
  expect(granted).toEqual(expect.arrayContaining(['cloudformation:DetectStackDrift', 'cloudformation:DescribeStackDriftDetectionStatus', 'cloudformation:DescribeStackResourceDrifts']));
  expect(granted.filter((action) => !/^[a-z0-9]+:(Describe|Get|List|Detect)/.test(action))).toEqual([]);
  expect(statements.every((statement) => statement.Effect === 'Allow' && statement.Sid && /^[A-Za-z0-9]+$/.test(statement.Sid))).toBe(true);
});
