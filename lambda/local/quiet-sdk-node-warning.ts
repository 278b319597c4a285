/**
 * Imported first by every entry point that runs AWS SDK clients on the developer's Node.js (`npm
 * start`, the test suite through jest's setupFiles): turns off the SDK's NodeVersionSupportWarning,
 * by the switch its emitter reads (`emitWarningIfUnsupportedVersion` in @aws-sdk/core).
 *
 * The SDK prints that warning on Node.js before 22 once per module registry, which is once per
 * process here and once per test file in jest, and again in every child process. What it says,
 * that Node.js 22 is needed, package.json's `engines` says once at `npm ci`; the Lambdas run
 * Node.js 24 and never see it. Set in the environment, child processes (the local deployer's
 * synths, a control plane a test starts) inherit it. A caller's own setting is kept.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
