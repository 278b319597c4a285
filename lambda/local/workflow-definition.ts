import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { CONTROL_PLANE_STACK_NAME } from '../../lib/contract/tenant-spec';
// The one import of CDK code by runtime code: the local host runs the state machine it would deploy, so it synthesizes it.
import { ControlPlaneStack } from '../../lib/control-plane/control-plane-stack';
import { workflowDefinitionFromTemplate } from '../../lib/control-plane/workflow/definition-from-template';

/**
 * The provisioning state machine's ASL exactly as the control plane stack synthesizes it for AWS
 * (asset bundling skipped: only the definition is needed), so the local runtime executes the
 * definition that would be deployed, not a copy of it.
 */
export function synthesizedWorkflowDefinition(config: PlatformConfig): object {
  const outdir = mkdtempSync(join(tmpdir(), 'sici-workflow-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ControlPlaneStack(app, CONTROL_PLANE_STACK_NAME, { config });
    const template: object = app.synth().getStackByName(stack.stackName).template as object;
    return workflowDefinitionFromTemplate(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
