#!/usr/bin/env node
import '../lambda/local/quiet-sdk-node-warning';
import { resolve } from 'node:path';
import { version } from '../package.json';
import { runCli } from '../lib/cli/program';

/**
 * `sici`, SICI's command line. `npx sici …` runs it through bin/sici.js, which compiles it once per
 * change of its sources (esbuild, cached under node_modules/.cache/sici/cli); it also runs as it is
 * with `node -r ts-node/register/transpile-only bin/sici.ts …`.
 */
export async function main(args: readonly string[], projectRoot: string): Promise<void> {
  // The SDK's notice that its releases after January 2027 need Node 22 is not this command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const code = await runCli(
    args,
    {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
      cwd: process.cwd(),
      projectRoot,
      onInterrupt: (handler) => {
        const onSigint = () => {
          handler();
          process.exit(130);
        };
        process.once('SIGINT', onSigint);
        return () => process.off('SIGINT', onSigint);
      },
    },
    version,
  );
  process.exitCode = code;
}

if (require.main === module) void main(process.argv.slice(2), resolve(__dirname, '..'));
