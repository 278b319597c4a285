#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lib/contract/openapi';
import { version } from '../package.json';

/** `npm run openapi`: writes docs/openapi.json from the zod schemas (never edit it by hand). */
export const OPENAPI_FILE = 'docs/openapi.json';

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, `${JSON.stringify(openApiDocument(version), null, 2)}\n`);
  console.log(`wrote ${OPENAPI_FILE}`);
}
