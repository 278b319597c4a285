import * as fs from 'node:fs';
import * as path from 'node:path';

/** The findings of a failed compliance synth, one line each, read from the outdir's validation report. */
export function complianceFindings(outdir: string): string[] {
  const reportFile = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(reportFile)) return [];
  const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as {
    pluginReports: { pluginName: string; violations: { ruleName: string; description: string; violatingConstructs: { constructPath: string }[] }[] }[];
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((v) => `${plugin.pluginName}: ${v.ruleName}: ${v.description}\n    at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
  );
}

/** Fails with every finding named when the synth threw. */
export function expectCleanSynth(synthError: unknown, outdir: string): void {
  if (!synthError) return;
  const findings = complianceFindings(outdir);
  throw new Error(`Synth failed: ${(synthError as Error).message}\n${findings.join('\n') || '(no validation report)'}`);
}
