import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * The AWS SDK's Node.js version warning (`emitWarningIfUnsupportedVersion` of @aws-sdk/core, which
 * every client calls with `process.version`), turned off by lambda/local/quiet-sdk-node-warning.ts
 * in the process that imports it and in the processes it starts. Each check runs in a process of
 * its own, without the switch in its environment (this test's own has it, from jest's setupFiles).
 */

const run = promisify(execFile);
const SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';
/** What a client does on Node.js 20, whatever the Node.js running the test. */
const WARN = "require('@aws-sdk/core/client').emitWarningIfUnsupportedVersion('v20.20.2');";
const QUIET = "require('./lambda/local/quiet-sdk-node-warning');";
const CHILD = `require('node:child_process').execFileSync(process.execPath, ['-e', ${JSON.stringify(WARN)}], { stdio: 'inherit' });`;

async function stderrOf(script: string, switchValue?: string): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[SWITCH];
  if (switchValue !== undefined) env[SWITCH] = switchValue;
  const { stderr } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { env });
  return stderr;
}

it('the SDK warns without the module, in the process and in its children', async () => {
  expect(await stderrOf(`${WARN}${CHILD}`)).toMatch(/NodeVersionSupportWarning[\s\S]*NodeVersionSupportWarning/);
});

it('imported first, the module turns the warning off in the process and in its children', async () => {
  expect(await stderrOf(`${QUIET}${WARN}${CHILD}`)).toBe('');
});

it("keeps a caller's own setting", async () => {
  expect(await stderrOf(`${QUIET}${WARN}`, 'false')).toContain('NodeVersionSupportWarning');
});

it('is imported first by npm start, and loaded by jest before each test file', () => {
  expect(readFileSync('bin/local.ts', 'utf8').split('\n').find((line) => line.startsWith('import'))).toBe("import '../lambda/local/quiet-sdk-node-warning';");
  expect(readFileSync('jest.config.js', 'utf8')).toContain("setupFiles: ['<rootDir>/lambda/local/quiet-sdk-node-warning.ts']");
});
