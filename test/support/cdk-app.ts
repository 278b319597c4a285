import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';

const CDK_JSON = join(__dirname, '..', '..', 'cdk.json');

export interface CdkAppOptions {
  /** Where the cloud assembly goes. @default - a temporary folder of aws-cdk-lib's choosing */
  readonly outdir?: string;
  /**
   * Whether assets are bundled (esbuild for the Lambda functions, the deploy runner's bundle).
   * @default true, as `cdk synth` does
   */
  readonly bundling?: boolean;
}

/** An App with the context of cdk.json (its feature flags), so that a test synthesizes what `cdk synth` would. */
export function cdkApp(options: CdkAppOptions = {}): App {
  const { context } = JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> };
  return new App({
    outdir: options.outdir,
    context: { ...context, ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}) },
  });
}
