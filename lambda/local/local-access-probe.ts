import { assumeStatementSid } from '../../lib/access/tenant-assume-policy';
import type { AccessCheck, AccessProbe } from '../workflow/ports';
import { DatasourceAccessError } from '../workflow/workflow-errors';
import type { DeployedTemplate } from './local-deployer';


const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/**
 * The local stand-in for the access validation (no AWS account, so no role to assume and no bucket
 * to list). It checks the cluster's side of the access as far as it exists locally: the TenantStack
 * the local deployer synthesized must grant the Starburst role `sts:AssumeRole` on the datasource's
 * role in exactly one statement, bound to its ExternalId, and nothing else in the template may
 * allow assuming that role. It says in its account of the check that the owner's side was not.
 */
export class LocalAccessProbe implements AccessProbe {
  constructor(private readonly deployedTemplate: (clusterId: string) => DeployedTemplate) {}

  async check(request: AccessCheck): Promise<string> {
    const ds = request.datasource;
    const template = this.deployedTemplate(request.clusterId);
    const statements = Object.values(template.Resources)
      .filter((resource) => resource.Type === 'AWS::IAM::ManagedPolicy' || resource.Type === 'AWS::IAM::Policy')
      .flatMap((resource) => resource.Properties?.PolicyDocument?.Statement ?? []);
    const assuming = statements.filter(
      (s) => s.Effect === 'Allow' && asList(s.Action).includes('sts:AssumeRole') && asList(s.Resource).includes(ds.roleArn),
    );
    const sid = assumeStatementSid(ds.id);
    const granted = assuming.filter((s) => s.Sid === sid && s.Condition?.StringEquals?.['sts:ExternalId'] === ds.externalId);
    // The permissions boundary names the role too (it caps, it grants nothing): only identity policies without a condition would widen.
    const unbound = assuming.filter((s) => s.Sid !== sid && s.Sid !== 'AssumeApprovedDatasourceRoles');
    if (granted.length !== 1 || unbound.length > 0) {
      throw new DatasourceAccessError(
        `the synthesized TenantStack does not grant sts:AssumeRole on ${ds.roleArn} exactly once with its ExternalId ` +
          `(${granted.length} statement(s) ${sid} with the ExternalId, ${unbound.length} other statement(s) allowing it)`,
      );
    }
    return (
      `local check: the synthesized TenantStack grants the Starburst role sts:AssumeRole on ${ds.roleArn} only with its ExternalId (statement ${sid}); ` +
      `the owner's role and s3://${ds.bucketArn.split(':::')[1]}/ were not checked (no AWS account locally)`
    );
  }
}
