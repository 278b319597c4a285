import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { PlatformConfig } from './platform-config';

export const DEFAULT_PLATFORM_CONFIG_FILE = 'config/platform.json';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is not a valid SICI platform configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One line per problem, each naming the field by its path and what was expected there. */
export function describeIssues(issues: z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    return `${field}: ${issue.message}`;
  });
}

/** Validates an already-parsed document; `source` names it in error messages. */
export function parsePlatformConfig(document: unknown, source = 'platform configuration'): PlatformConfig {
  const result = PlatformConfig.safeParse(document);
  if (!result.success) throw new ConfigError(source, describeIssues(result.error.issues));
  return result.data;
}

/** Reads and validates the platform configuration file: the one config loader of SICI. */
export function loadPlatformConfig(file: string = DEFAULT_PLATFORM_CONFIG_FILE): PlatformConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [`is not JSON: ${(error as Error).message}`]);
  }
  return parsePlatformConfig(document, file);
}
