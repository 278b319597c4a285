import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
// CDK code imported by runtime code: the local host runs the state machine it would deploy, so it synthesizes it.
import { UpgradeStateMachine } from '../../lib/control-plane/fleet/upgrade-state-machine';
import { workflowDefinitionFromTemplate } from '../../lib/control-plane/workflow/definition-from-template';

const PROJECT_ROOT = resolve(__dirname, '../..');

/** What the definition is made from: a change to any of them synthesizes it again. */
const SOURCES = [
  'lib/control-plane/fleet/upgrade-state-machine.ts',
  'lib/control-plane/workflow/workflow-state-machine.ts',
  'lib/contract/upgrade-workflow.ts',
  'package-lock.json',
];

let memo: { fingerprint: string; definition: object } | undefined;

/**
 * The fleet upgrade state machine's ASL exactly as the construct synthesizes it for AWS, from a
 * stack holding the construct alone (with a stand-in steps function: only the definition is
 * used). Kept in the project's cache under a fingerprint of its sources, and in memory.
 */
export function synthesizedUpgradeDefinition(): object {
  const hash = createHash('sha256');
  for (const source of SOURCES) hash.update(source).update(readFileSync(join(PROJECT_ROOT, source)));
  const fingerprint = hash.digest('hex').slice(0, 16);
  if (memo?.fingerprint === fingerprint) return memo.definition;
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache', 'sici');
  const cached = join(cache, `upgrade-definition-${fingerprint}.json`);
  let definition: object;
  if (existsSync(cached)) {
    definition = JSON.parse(readFileSync(cached, 'utf8')) as object;
  } else {
    definition = synthesize();
    mkdirSync(cache, { recursive: true });
    const written = `${cached}.${process.pid}`;
    writeFileSync(written, JSON.stringify(definition));
    renameSync(written, cached);
  }
  memo = { fingerprint, definition };
  return definition;
}

function synthesize(): object {
  const outdir = mkdtempSync(join(tmpdir(), 'sici-upgrades-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'SiciFleetUpgrades');
    const stepsFunction = new LambdaFunction(stack, 'UpgradeSteps', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('exports.handler = async () => null;'),
      timeout: Duration.minutes(1),
    });
    new UpgradeStateMachine(stack, 'Upgrades', { stepsFunction, encryptionKey: new Key(stack, 'Key') });
    return workflowDefinitionFromTemplate(app.synth().getStackByName(stack.stackName).template as object);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
