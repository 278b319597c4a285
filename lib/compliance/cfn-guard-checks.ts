import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/** The Control Tower proactive rules that `CfnGuardValidator` ships and runs by default. */
const CONTROL_TOWER_RULES_DIR = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

interface RuleFile {
  readonly file: string;
  /** The resource types the rule file selects; it is NOT_APPLICABLE to a template without any of them. */
  readonly types: readonly string[];
}

let ruleFiles: RuleFile[] | undefined;

/** Every Control Tower rule file with the resource types it names (read once per process). */
function controlTowerRules(): RuleFile[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
  ruleFiles ??= walk(CONTROL_TOWER_RULES_DIR)
    .sort()
    .map((file) => ({ file, types: [...new Set(fs.readFileSync(file, 'utf8').match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? [])] }));
  return ruleFiles;
}

function resourceTypesOf(templatePaths: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const templatePath of templatePaths) {
    const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type?: unknown }> };
    for (const resource of Object.values(template.Resources ?? {})) if (typeof resource.Type === 'string') types.add(resource.Type);
  }
  return types;
}

/**
 * cfn-guard with the Control Tower proactive rules, as `CfnGuardValidator` runs them (one cfn-guard
 * process per synth, over every template), given only the rule files that can apply: each rule
 * file selects its resources by type, and one whose types are in no template is NOT_APPLICABLE.
 * cfn-guard evaluates every rule it is given against every template, so passing the ~20 rules
 * that can apply instead of all 237 is what makes it fast; the findings are the same (a rule
 * file that names no type would always be passed; every Control Tower rule file names its types).
 */
export class CfnGuardChecks implements IPolicyValidationPluginBeta1 {
  private readonly validator = new CfnGuardValidator();
  readonly name = this.validator.name;
  readonly version = this.validator.version;
  readonly ruleIds = this.validator.ruleIds;

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const present = resourceTypesOf(context.templatePaths);
    const rules = controlTowerRules().filter((rule) => rule.types.length === 0 || rule.types.some((type) => present.has(type)));
    if (rules.length === 0) return { success: true, violations: [] };
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: rules.map((rule) => rule.file) }).validate(context);
  }
}
