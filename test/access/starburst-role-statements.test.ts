import { Template } from 'aws-cdk-lib/assertions';
import { tenantAssumeBoundaryStatements, tenantAssumeStatements, tenantTagSessionStatements } from '../../lib/access/tenant-assume-policy';
import { TenantStack, tenantStackName } from '../../lib/tenant/tenant-stack';
import { fixtureSpec, newApp, platformConfig, type FixtureName } from '../tenant/helpers';

/**
 * The tenant side in CDK renders the same generator the owner-side simulations are run against: the
 * synthesized Starburst role's policy and boundary hold exactly `tenantAssumeStatements` and
 * `tenantAssumeBoundaryStatements` of the spec's datasources. (No datasource, no statement: see the
 * generator's own tests; the tenant stack's tests cover the fixture without datasources.)
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function starburstPolicies(fixture: FixtureName) {
  const spec = fixtureSpec(fixture);
  const app = newApp();
  const stack = new TenantStack(app, tenantStackName(spec.clusterId), { spec, config: platformConfig() });
  const json: Json = Template.fromStack(stack).toJSON();
  const [role] = Object.entries<Json>(json.Resources).filter(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('StarburstRole'));
  const [policyId] = role[1].Properties.ManagedPolicyArns.map((arn: Json) => arn.Ref);
  const boundaryId = role[1].Properties.PermissionsBoundary.Ref;
  const statementsOf = (id: string): Json[] => json.Resources[id].Properties.PolicyDocument.Statement;
  const isAssume = (s: Json) => [s.Action].flat().some((a: string) => a.startsWith('sts:'));
  return { spec, policy: statementsOf(policyId).filter(isAssume), boundary: statementsOf(boundaryId).filter(isAssume) };
}

test('L (three datasources): the synthesized STS statements are tenantAssumeStatements then tenantTagSessionStatements, in order', () => {
  const { spec, policy, boundary } = starburstPolicies('L');
  expect(spec.datasources).toHaveLength(3);
  expect(policy).toEqual([...tenantAssumeStatements(spec.datasources), ...tenantTagSessionStatements(spec.datasources)]);
  expect(boundary).toEqual([...tenantAssumeBoundaryStatements(spec.datasources), ...tenantTagSessionStatements(spec.datasources)]);
});
