import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';

/** The validation report a synth with compliance checks writes into its outdir (the parts tests read). */
export interface ValidationReport {
  readonly pluginReports: Array<{
    readonly pluginName: string;
    readonly violations: Array<{
      readonly ruleName: string;
      readonly description: string;
      readonly severity: string;
      readonly violatingConstructs: Array<{ readonly constructPath: string }>;
    }>;
  }>;
}

/** The outdir's validation report; undefined when the synth wrote none. */
export function validationReport(outdir: string): ValidationReport | undefined {
  const reportFile = path.join(outdir, 'validation-report.json');
  return fs.existsSync(reportFile) ? (JSON.parse(fs.readFileSync(reportFile, 'utf8')) as ValidationReport) : undefined;
}

/** The findings of a failed compliance synth, one line each, read from the outdir's validation report. */
export function complianceFindings(outdir: string): string[] {
  return (validationReport(outdir)?.pluginReports ?? []).flatMap((plugin) =>
    plugin.violations.map((v) => `${plugin.pluginName}: ${v.ruleName}: ${v.description}\n    at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
  );
}

/** Fails with every finding named when the synth threw. */
export function expectCleanSynth(synthError: unknown, outdir: string): void {
  if (!synthError) return;
  const findings = complianceFindings(outdir);
  throw new Error(`Synth failed: ${(synthError as Error).message}\n${findings.join('\n') || '(no validation report)'}`);
}

/** Synthesizes `app`, answering the error a failed synth (e.g. a compliance finding) threw, if any. */
export function synthError(app: App): Error | undefined {
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
