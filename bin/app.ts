#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance/compliance';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { CONTROL_PLANE_STACK_NAME, loadTenantSpec, tenantStackName } from '../lib/contract/tenant-spec';

/**
 * The one SICI CDK app. It builds what it is asked for: the `SiciControlPlane` stack by default,
 * or, given a TenantSpec (`-c tenantSpec=FILE`, as the deploy runner and the local deployer do),
 * that one `TenantStack-<clusterId>` and nothing else: a tenant deploy never loads, builds or
 * bundles the control plane. Either way every compliance check runs.
 */
async function main(): Promise<void> {
  // aws-cdk-lib's CloudFormation validation runs a large WebAssembly module once per synth, for about
  // a second: V8's optimizing tier costs more to compile than it saves (about 0.4 s of a 3.5 s synth
  // here). Set before the module is first compiled, during the synth.
  setFlagsFromString('--liftoff-only');
  const app = new App();

  /** A context value of the app (`-c key=value`, always a string on the command line), if given. */
  const contextString = (key: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(key);
    if (value === undefined || typeof value === 'string') return value;
    throw new Error(`context ${key} must be a file name, not ${JSON.stringify(value)}`);
  };

  const config = loadPlatformConfig(contextString('platformConfig') ?? process.env.SICI_CONFIG);
  const tenantSpecFile = contextString('tenantSpec');
  if (tenantSpecFile) {
    const spec = loadTenantSpec(tenantSpecFile);
    const { TenantStack } = await import('../lib/tenant/tenant-stack');
    new TenantStack(app, tenantStackName(spec.clusterId), { spec, config });
  } else {
    const { ControlPlaneStack } = await import('../lib/control-plane/control-plane-stack');
    new ControlPlaneStack(app, CONTROL_PLANE_STACK_NAME, { config });
  }
  addComplianceChecks(app);
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.exit(1);
});
