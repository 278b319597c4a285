import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { addComplianceChecks } from '../../lib/compliance/compliance';
import { ControlPlaneStack } from '../../lib/control-plane/control-plane-stack';
import { CONTROL_PLANE_STACK_NAME } from '../../lib/contract/tenant-spec';
import { cdkApp } from './cdk-app';
import { synthError } from './compliance-report';
import { platformConfig } from './fixtures';
import { TemplateJson, type Json } from './template';

export const CONTROL_PLANE_STACK = CONTROL_PLANE_STACK_NAME;

export interface ControlPlaneSynthOptions {
  /**
   * Bundle the Lambda functions (esbuild) and build the deploy runner's bundle, as `cdk deploy` does.
   * @default false: skipped, as the local control plane synthesizes the stack
   */
  readonly bundling?: boolean;
  /**
   * Run every compliance pack (AwsSolutions, NIST 800-53 R5, HIPAA, cfn-guard). Findings do not
   * throw here: they are kept in `synthError` for `expectCleanSynth`, and the template is read all the same.
   * @default false
   */
  readonly complianceChecks?: boolean;
  /**
   * A state machine made in the app, which the control plane then uses instead of its own workflow.
   * @default - the stack's own provisioning workflow
   */
  readonly stateMachine?: (app: App) => IStateMachine;
}

/** The SiciControlPlane stack as synthesized into its own folder. */
export class SynthesizedControlPlane extends TemplateJson {
  constructor(
    json: Json,
    /** The cloud assembly: templates, assets, manifest.json, the validation report. */
    readonly outdir: string,
    /** What the synth threw (the compliance checks' findings); undefined when it passed. */
    readonly synthError: unknown,
  ) {
    super(json);
  }

  /** The cloud assembly's manifest. */
  get manifest(): Json {
    return JSON.parse(fs.readFileSync(path.join(this.outdir, 'manifest.json'), 'utf8'));
  }

  remove(): void {
    fs.rmSync(this.outdir, { recursive: true, force: true });
  }
}

/**
 * The one way tests synthesize SiciControlPlane: with the feature flags of cdk.json and the
 * platform configuration of config/platform.json, into a temporary folder (`remove()` it after).
 * Each synth takes seconds: do it once per test file, in `beforeAll`.
 */
export function synthControlPlane(options: ControlPlaneSynthOptions = {}): SynthesizedControlPlane {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'sici-control-plane-'));
  const app = cdkApp({ outdir, bundling: options.bundling ?? false });
  new ControlPlaneStack(app, CONTROL_PLANE_STACK, { config: platformConfig(), stateMachine: options.stateMachine?.(app) });
  if (options.complianceChecks) addComplianceChecks(app);
  const failure = synthError(app);
  if (failure && !options.complianceChecks) throw failure;
  // The compliance checks run after the templates are written; anything that failed earlier has none.
  const template = path.join(outdir, `${CONTROL_PLANE_STACK}.template.json`);
  if (!fs.existsSync(template)) throw failure ?? new Error(`${CONTROL_PLANE_STACK} wrote no template`);
  return new SynthesizedControlPlane(JSON.parse(fs.readFileSync(template, 'utf8')), outdir, failure);
}
