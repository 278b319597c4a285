#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance/compliance';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { ControlPlaneStack } from '../lib/control-plane/control-plane-stack';
import { loadTenantSpec, tenantStackName } from '../lib/contract/tenant-spec';
import { TenantStack } from '../lib/tenant/tenant-stack';

/**
 * The one SICI CDK app: always the `SiciControlPlane` stack; one `TenantStack-<clusterId>` when
 * given a TenantSpec (`-c tenantSpec=FILE`), as the provisioning job's CodeBuild runner does.
 */
const app = new App();

/** A context value of the app (`-c key=value`, always a string on the command line), if given. */
function contextString(key: string): string | undefined {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || typeof value === 'string') return value;
  throw new Error(`context ${key} must be a file name, not ${JSON.stringify(value)}`);
}

const config = loadPlatformConfig(contextString('platformConfig') ?? process.env.SICI_CONFIG);

new ControlPlaneStack(app, 'SiciControlPlane', { config });

const tenantSpecFile = contextString('tenantSpec');
if (tenantSpecFile) {
  const spec = loadTenantSpec(tenantSpecFile);
  new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
}

addComplianceChecks(app);
