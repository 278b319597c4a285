import { loadDocument, parseDocument } from '../contract/documents';
import { PlatformConfig } from './platform-config';

export const DEFAULT_PLATFORM_CONFIG_FILE = 'config/platform.json';

/** How a platform configuration is named in its errors. */
export const PLATFORM_CONFIG_KIND = 'SICI platform configuration';

/** Validates an already-parsed document; `source` names it in error messages. */
export function parsePlatformConfig(document: unknown, source = 'platform configuration'): PlatformConfig {
  return parseDocument(PlatformConfig, document, { kind: PLATFORM_CONFIG_KIND, source });
}

/** Reads and validates the platform configuration file: the one config loader of SICI. */
export function loadPlatformConfig(file: string = DEFAULT_PLATFORM_CONFIG_FILE): PlatformConfig {
  return loadDocument(file, PlatformConfig, PLATFORM_CONFIG_KIND);
}
