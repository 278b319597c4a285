import { readFileSync } from 'node:fs';
import { BUNDLED_CONFIG_DEFINE, ENV } from '../../../lib/contract/function-environment';
import { bundledPlatformConfig, optionalEnv, requiredEnv } from '../../../lambda/core/env';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

test('a required variable that is missing is named in the error', () => {
  delete process.env[ENV.stateTable];
  expect(() => requiredEnv('stateTable')).toThrow(/Environment variable SICI_STATE_TABLE is not set/);
  process.env[ENV.stateTable] = 'sici-state';
  expect(requiredEnv('stateTable')).toBe('sici-state');
});

test('an optional variable is undefined when missing or empty', () => {
  delete process.env[ENV.stateMachineArn];
  expect(optionalEnv('stateMachineArn')).toBeUndefined();
  process.env[ENV.stateMachineArn] = '';
  expect(optionalEnv('stateMachineArn')).toBeUndefined();
  process.env[ENV.stateMachineArn] = 'arn:aws:states:us-east-1:123456789012:stateMachine:jobs';
  expect(optionalEnv('stateMachineArn')).toBe('arn:aws:states:us-east-1:123456789012:stateMachine:jobs');
});

test('the bundled configuration is validated, and its absence is an error naming it', () => {
  delete process.env.SICI_PLATFORM_CONFIG_JSON;
  expect(() => bundledPlatformConfig()).toThrow(/bundled platform configuration is not a valid SICI platform configuration/);
  process.env.SICI_PLATFORM_CONFIG_JSON = readFileSync('config/platform.json', 'utf8');
  expect(bundledPlatformConfig().admins.length).toBeGreaterThan(0);
});

test('the function reads the configuration through the very expression the stack has esbuild replace', () => {
  expect(readFileSync('lambda/core/env.ts', 'utf8')).toContain(`JSON.parse(${BUNDLED_CONFIG_DEFINE} ?? 'null')`);
});
