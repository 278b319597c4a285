import { getStringFromEnv } from '@aws-lambda-powertools/commons/utils/env';
import { parsePlatformConfig } from '../../lib/config/load-platform-config';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { ENV } from '../../lib/contract/function-environment';
import { connectTables, type Tables } from './tables';

/**
 * The one way a SICI function reads its environment: the variables the control plane stack sets
 * (their names are contract, lib/contract/function-environment.ts), and the platform configuration
 * bundled into the function, each read and validated once at start with an error naming what is
 * missing.
 */

export type FunctionVariable = keyof typeof ENV;

export function requiredEnv(variable: FunctionVariable): string {
  const key = ENV[variable];
  return getStringFromEnv({ key, errorMessage: `Environment variable ${key} is not set; the control plane stack sets it on every function that needs it` });
}

/** A variable that only some functions get (e.g. the state machine, for the one API function that starts jobs). */
export function optionalEnv(variable: FunctionVariable): string | undefined {
  return getStringFromEnv({ key: ENV[variable], defaultValue: '' }) || undefined;
}

export function tablesFromEnv(): Tables {
  return connectTables(requiredEnv('stateTable'), requiredEnv('auditTable'));
}

export function bundledPlatformConfig(): PlatformConfig {
  // esbuild replaces this exact expression by the configuration's JSON text (BUNDLED_CONFIG_DEFINE).
  return parsePlatformConfig(JSON.parse(process.env.SICI_PLATFORM_CONFIG_JSON ?? 'null'), 'bundled platform configuration');
}
