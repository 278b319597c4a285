import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { CONTROL_PLANE_STACK_NAME } from '../../lib/contract/tenant-spec';
// CDK code imported by runtime code: the local host runs the state machine it would deploy, so it synthesizes it.
import { appSourcesFingerprint } from '../../lib/control-plane/workflow/compiled-app';
import { workflowDefinitionFromTemplate } from '../../lib/control-plane/workflow/definition-from-template';

const PROJECT_ROOT = resolve(__dirname, '../..');

/**
 * The provisioning state machine's ASL exactly as the control plane stack synthesizes it for AWS
 * (asset bundling skipped: only the definition is needed), so the local runtime executes the
 * definition that would be deployed, not a copy of it. A synthesized definition is kept in the
 * project's cache under a fingerprint of everything it is made from (the app's sources, cdk.json,
 * the lock file that fixes aws-cdk-lib, and the configuration), so the control plane is
 * synthesized once per change, not at every start.
 */
export async function synthesizedWorkflowDefinition(config: PlatformConfig): Promise<object> {
  const fingerprint = createHash('sha256')
    .update(appSourcesFingerprint(PROJECT_ROOT))
    .update(readFileSync(join(PROJECT_ROOT, 'package-lock.json')))
    .update(JSON.stringify(config))
    .digest('hex');
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'sici');
  const cached = join(cache, `workflow-definition-${fingerprint.slice(0, 16)}.json`);
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as object;

  const definition = await synthesize(config);
  mkdirSync(cache, { recursive: true });
  const written = `${cached}.${process.pid}`;
  writeFileSync(written, JSON.stringify(definition));
  renameSync(written, cached);
  return definition;
}

async function synthesize(config: PlatformConfig): Promise<object> {
  const { ControlPlaneStack } = await import('../../lib/control-plane/control-plane-stack');
  const outdir = mkdtempSync(join(tmpdir(), 'sici-workflow-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new ControlPlaneStack(app, CONTROL_PLANE_STACK_NAME, { config });
    const template: object = app.synth().getStackByName(stack.stackName).template as object;
    // The stack also holds the fleet upgrade state machine: read the provisioning workflow's.
    const machine = stack.workflow!.workflow.stateMachine.node.defaultChild as CfnElement;
    return workflowDefinitionFromTemplate(template, stack.getLogicalId(machine));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
