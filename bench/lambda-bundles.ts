import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadPlatformConfig } from '../lib/config/load-platform-config';
import { ControlPlaneStack } from '../lib/control-plane/control-plane-stack';

export interface BundleFigures {
  functionId: string;
  bytes: number;
}

/** What this benchmark reads of a synthesized resource. */
interface SynthesizedResource {
  Type: string;
  Metadata?: { 'aws:asset:path'?: string };
}

/** Minified size of each Lambda bundle exactly as the control plane stack's synth produces it. */
export function benchLambdaBundles(): BundleFigures[] {
  const outdir = mkdtempSync(join(tmpdir(), 'sici-bundles-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new ControlPlaneStack(app, 'SiciControlPlane', { config: loadPlatformConfig() });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, SynthesizedResource> };
    return Object.entries(template.Resources).flatMap(([logicalId, resource]) => {
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (resource.Type !== 'AWS::Lambda::Function' || !assetPath) return [];
      const assetDir = join(outdir, assetPath);
      const bytes = readdirSync(assetDir)
        .filter((file) => file.endsWith('.js'))
        .reduce((total, file) => total + statSync(join(assetDir, file)).size, 0);
      return [{ functionId: logicalId, bytes }];
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
