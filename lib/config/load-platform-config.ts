import { DocumentError, loadJsonDocument, parseDocument } from '../contract/json-document';
import { PlatformConfig } from './platform-config';

export const DEFAULT_PLATFORM_CONFIG_FILE = 'config/platform.json';

export class ConfigError extends DocumentError {
  constructor(source: string, problems: string[]) {
    super(source, 'SICI platform configuration', problems);
  }
}

/** Validates an already-parsed document; `source` names it in error messages. */
export function parsePlatformConfig(document: unknown, source = 'platform configuration'): PlatformConfig {
  return parseDocument(PlatformConfig, document, (problems) => new ConfigError(source, problems));
}

/** Reads and validates the platform configuration file: the one config loader of SICI. */
export function loadPlatformConfig(file: string = DEFAULT_PLATFORM_CONFIG_FILE): PlatformConfig {
  return loadJsonDocument(file, (document) => parsePlatformConfig(document, file), (problems) => new ConfigError(file, problems));
}
