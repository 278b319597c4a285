import { tenantAssumeBoundaryStatements, tenantAssumeStatements, tenantTagSessionStatements } from '../../../lib/access/tenant-assume-policy';
import { tenantStackName } from '../../../lib/contract/tenant-spec';
import { TenantStack } from '../../../lib/tenant/tenant-stack';
import { cdkApp } from '../../support/cdk-app';
import { fixtureSpec, platformConfig, type FixtureName } from '../../support/fixtures';
import { TemplateJson, type Json } from '../../support/template';

/**
 * The tenant side in CDK renders the same generator the owner-side simulations are run against: the
 * synthesized Starburst role's policy and boundary hold exactly `tenantAssumeStatements` and
 * `tenantAssumeBoundaryStatements` of the spec's datasources. (No datasource, no statement: see the
 * generator's own tests; the tenant stack's tests cover the fixture without datasources.)
 */

function starburstPolicies(fixture: FixtureName) {
  const spec = fixtureSpec(fixture);
  const stack = new TenantStack(cdkApp(), tenantStackName(spec.clusterId), { spec, config: platformConfig() });
  const cfn = TemplateJson.fromStack(stack);
  const [role] = cfn.ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('StarburstRole'));
  const [policyId] = role[1].Properties.ManagedPolicyArns.map((arn: Json) => arn.Ref);
  const boundaryId = role[1].Properties.PermissionsBoundary.Ref;
  const statementsOf = (id: string): Json[] => cfn.resources[id].Properties.PolicyDocument.Statement;
  const isAssume = (s: Json) => [s.Action].flat().some((a: string) => a.startsWith('sts:'));
  return { spec, policy: statementsOf(policyId).filter(isAssume), boundary: statementsOf(boundaryId).filter(isAssume) };
}

test('L (three datasources): the synthesized STS statements are tenantAssumeStatements then tenantTagSessionStatements, in order', () => {
  const { spec, policy, boundary } = starburstPolicies('L');
  expect(spec.datasources).toHaveLength(3);
  expect(policy).toEqual([...tenantAssumeStatements(spec.datasources), ...tenantTagSessionStatements(spec.datasources)]);
  expect(boundary).toEqual([...tenantAssumeBoundaryStatements(spec.datasources), ...tenantTagSessionStatements(spec.datasources)]);
});
