import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The peer SICI's synth is measured against: an EKS Blueprints app with one cluster and one team,
 * installed on first use into a cache folder outside the repository (it never becomes a
 * dependency of the project). Pinned to the versions the comparison was made with.
 */
export const PEER_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sici-bench', 'eks-blueprints');

const PACKAGES = ['@aws-quickstart/eks-blueprints@1.19.0', 'aws-cdk-lib@2.261.0', 'constructs@10.8.1', 'typescript@5.9.3', 'ts-node@10.9.2', '@types/node@20.19.43'];

/** The blueprints' quick-start app: one EKS cluster (default VPC and node group) with one application team. */
const APP = `import * as cdk from 'aws-cdk-lib';
import { ArnPrincipal } from 'aws-cdk-lib/aws-iam';
import * as blueprints from '@aws-quickstart/eks-blueprints';

const app = new cdk.App();
blueprints.EksBlueprint.builder()
  .account('111111111111')
  .region('us-east-1')
  .version('auto')
  .teams(new blueprints.ApplicationTeam({ name: 'team-a', users: [new ArnPrincipal('arn:aws:iam::111111111111:user/alice')] }))
  .build(app, 'eks-blueprint');
`;

/**
 * The app's one context lookup (its VPC's availability zones), answered as a project's committed
 * cdk.context.json answers it, so that its synth completes without AWS, as SICI's does.
 */
export const PEER_CONTEXT = { 'availability-zones:account=111111111111:region=us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c'] };

export interface Peer {
  /** Its app in TypeScript, as its projects run it (`ts-node`). */
  readonly tsEntry: string;
  /** The same app compiled to JavaScript. */
  readonly jsEntry: string;
  readonly dir: string;
}

/** The installed peer, installing it the first time; undefined (with the reason) when it cannot be installed. */
export function eksBlueprintsPeer(): Peer | { missing: string } {
  const tsEntry = join(PEER_DIR, 'app.ts');
  const jsEntry = join(PEER_DIR, 'app.js');
  if (!existsSync(join(PEER_DIR, 'node_modules', '@aws-quickstart', 'eks-blueprints'))) {
    mkdirSync(PEER_DIR, { recursive: true });
    writeFileSync(join(PEER_DIR, 'package.json'), JSON.stringify({ name: 'sici-bench-peer', private: true }));
    const install = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', ...PACKAGES], { cwd: PEER_DIR, encoding: 'utf8' });
    if (install.status !== 0) return { missing: `npm install of the peer into ${PEER_DIR} failed: ${install.stderr.trim().split('\n').slice(-2).join(' ')}` };
  }
  writeFileSync(tsEntry, APP);
  writeFileSync(join(PEER_DIR, 'cdk.context.json'), JSON.stringify(PEER_CONTEXT, null, 2));
  writeFileSync(join(PEER_DIR, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', esModuleInterop: true, skipLibCheck: true } }));
  const compile = spawnSync(process.execPath, [join(PEER_DIR, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', PEER_DIR], { cwd: PEER_DIR, encoding: 'utf8' });
  if (compile.status !== 0 || !existsSync(jsEntry)) return { missing: `the peer app does not compile: ${compile.stdout.slice(0, 300)}` };
  return { tsEntry, jsEntry, dir: PEER_DIR };
}
