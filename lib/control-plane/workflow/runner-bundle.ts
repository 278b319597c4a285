import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PlatformConfig } from '../../config/platform-config';
import { compileApp, listFiles } from './compiled-app';

/**
 * The deploy runner's bundle: everything the CodeBuild job needs to run `cdk deploy` (or
 * `cdk destroy`) of one TenantStack with the code and configuration of this control plane, and
 * nothing it would have to download: no `npm install`, no `npx`, no registry at run time.
 *
 * Layout (the root of the CodeBuild source):
 *
 *   bin/app.js, lib/**.js, lambda/core/*.js   the CDK app, compiled (see compiled-app.ts); given a
 *                                            TenantSpec it builds that TenantStack only
 *   config/platform.json                     the validated configuration this stack was made with
 *   cdk.json                                 the project's, with `app: node bin/app.js`
 *   package.json, package-lock.json, tsconfig.json
 *   node_modules/                            the production dependency closure of the app (found
 *                                            from esbuild's metafile) plus the aws-cdk CLI, copied
 *                                            from this machine's node_modules without type
 *                                            declarations, jsii metadata and docs
 *   run-tenant-stack.sh                      the runner script (RUNNER_SCRIPT_SOURCE)
 *   runner-bundle.json                       what went in: packages and versions, fingerprint
 *
 * Trade-offs: the bundle is about 200 MB (80 MB zipped; aws-cdk-lib, the kubectl and AWS CLI
 * layers, the CDK CLI, the cfn-guard binary), uploaded once per change of the control plane's
 * code, configuration or lock file, and downloaded by each build (seconds, inside the region).
 * Native binaries come from the machine that synthesizes: the cfn-guard validator's (it ships
 * every platform's; the runner runs the Linux x86_64 one, as the CodeBuild image is, and the macOS
 * builds are left out). A pre-built runner image
 * (ECR, by digest) would make builds start faster but needs an image pipeline and Docker; it is
 * a possible later `DeployRunner` option, not needed for correctness.
 */

/**
 * The package the runner needs besides those the app imports: the CDK CLI. A tenant deploy never
 * constructs the control plane, so the bundle holds no Lambda sources.
 */
const RUNNER_TOOL_PACKAGES = ['aws-cdk'] as const;

/** The runner script in the bundle's root. */
export const RUNNER_SCRIPT_FILE = 'run-tenant-stack.sh';

/** The runner script in the repository, beside this file; the bundle holds a copy. */
export const RUNNER_SCRIPT_SOURCE = path.join(__dirname, RUNNER_SCRIPT_FILE);

/** The bundle's manifest in its root. */
export const RUNNER_MANIFEST_FILE = 'runner-bundle.json';

/** Files of the project root copied into the bundle as they are. */
const ROOT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** Files in node_modules that nothing reads at run time (type declarations, jsii metadata, docs, sources, maps). */
const PRUNED_FILE = /(\.d\.[cm]?ts|\.ts|\.map|\.jsii|\.jsii\.gz|\.jsii\.tabl\.json|\.jsii\.tabl\.json\.gz|^(README|CHANGELOG|API)\.md)$/;
/** Folders in node_modules that nothing on the CodeBuild image (Linux x86_64) runs. */
const PRUNED_FOLDERS = [path.join('@cdklabs', 'cdk-validator-cfnguard', 'bin', 'macos')];

export interface RunnerBundleOptions {
  /** The project root (the folder of `bin/`, `lib/`, `lambda/`, `node_modules/`). */
  readonly projectRoot: string;
  /** The configuration the control plane is synthesized with: the runner deploys tenants with it. */
  readonly config: PlatformConfig;
}

export interface RunnerBundleManifest {
  /** Packages under node_modules, by path relative to node_modules, with their versions. */
  readonly packages: Record<string, string>;
  /** The app's files transpiled to JavaScript, relative to the bundle's root. */
  readonly appFiles: string[];
  readonly fingerprint: string;
}

/**
 * A fingerprint of everything the bundle is made from: the app's sources (the runner script among
 * them), the lock file (which fixes node_modules), cdk.json, the configuration, and this file (the
 * recipe). Cheap to compute: it reads source files, never node_modules.
 */
export function runnerBundleFingerprint(options: RunnerBundleOptions): string {
  const hash = createHash('sha256');
  const add = (name: string, content: string | Buffer) => hash.update(`${name}\0${content.length}\0`).update(content);
  for (const folder of ['bin', 'lib', 'lambda']) {
    for (const file of listFiles(path.join(options.projectRoot, folder))) {
      add(path.relative(options.projectRoot, file), fs.readFileSync(file));
    }
  }
  for (const file of [...ROOT_FILES, 'cdk.json']) add(file, fs.readFileSync(path.join(options.projectRoot, file)));
  add('config', JSON.stringify(options.config));
  add('recipe', fs.readFileSync(__filename));
  return hash.digest('hex');
}

/**
 * Builds the bundle into `outputDir` (empty or missing). Uses esbuild (a devDependency, loaded
 * only here: a synth that skips bundling, like the runner's own, never needs it).
 */
export function buildRunnerBundle(outputDir: string, options: RunnerBundleOptions): RunnerBundleManifest {
  const root = options.projectRoot;

  // 1. The app, compiled, and the packages it imports.
  const app = compileApp(root, outputDir);

  // 2. Configuration and project files.
  fs.mkdirSync(path.join(outputDir, 'config'), { recursive: true });
  fs.writeFileSync(path.join(outputDir, 'config', 'platform.json'), JSON.stringify(options.config, null, 2));
  for (const file of ROOT_FILES) fs.copyFileSync(path.join(root, file), path.join(outputDir, file));
  const { watch: _watch, ...cdkJson } = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(outputDir, 'cdk.json'), JSON.stringify({ ...cdkJson, app: 'node bin/app.js' }, null, 2));
  fs.copyFileSync(RUNNER_SCRIPT_SOURCE, path.join(outputDir, RUNNER_SCRIPT_FILE));
  fs.chmodSync(path.join(outputDir, RUNNER_SCRIPT_FILE), 0o755);

  // 3. node_modules: the dependency closure of the imported packages and the CLI.
  const packages = dependencyClosure(root, [...app.importedPackages, ...RUNNER_TOOL_PACKAGES]);
  const nodeModules = path.join(root, 'node_modules');
  const copied: string[] = [];
  for (const dir of Object.keys(packages).sort((a, b) => a.length - b.length)) {
    if (copied.some((parent) => dir.startsWith(parent + path.sep))) continue; // nested: came with its parent
    copied.push(dir);
    copyTree(path.join(nodeModules, dir), path.join(outputDir, 'node_modules', dir), (file, isDirectory) =>
      isDirectory ? !PRUNED_FOLDERS.some((pruned) => path.relative(nodeModules, file) === pruned) : !PRUNED_FILE.test(path.basename(file)),
      true,
    );
  }

  const manifest: RunnerBundleManifest = {
    packages,
    appFiles: app.appFiles,
    fingerprint: runnerBundleFingerprint(options),
  };
  fs.writeFileSync(path.join(outputDir, RUNNER_MANIFEST_FILE), JSON.stringify(manifest, null, 2));
  return manifest;
}

/**
 * The packages `roots` need at run time, resolved the way Node does (from the requiring package's
 * folder upward): dependencies and optional dependencies, transitively. Keys are folders relative
 * to `<projectRoot>/node_modules` (nested ones included), values versions.
 */
function dependencyClosure(projectRoot: string, roots: string[]): Record<string, string> {
  const nodeModules = path.join(projectRoot, 'node_modules');
  const found: Record<string, string> = {};
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = resolvePackage(name, fromDir, projectRoot);
    if (!dir) {
      if (optional) return;
      throw new Error(`The deploy runner needs package ${name} (required from ${path.relative(projectRoot, fromDir) || '.'}), which is not installed`);
    }
    const key = path.relative(nodeModules, dir);
    if (key in found) return;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    found[key] = manifest.version;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, dir, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {})) visit(dependency, dir, true);
  };
  for (const name of roots) visit(name, projectRoot, false);
  return found;
}

/** The parts of a package's package.json read here. */
interface PackageJson {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

function resolvePackage(name: string, fromDir: string, projectRoot: string): string | undefined {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === projectRoot || path.dirname(dir) === dir) return undefined;
  }
}

/**
 * Copies a tree. With `link`, files are hard-linked where the file system allows (node_modules and
 * the cloud assembly are usually on one file system; nothing writes to the bundle's node_modules,
 * it is only zipped) and copied otherwise. Symbolic links are recreated as they are.
 */
function copyTree(from: string, to: string, keep: (file: string, isDirectory: boolean) => boolean, link: boolean): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      if (keep(source, true)) copyTree(source, target, keep, link);
    } else if (entry.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(source), target);
    } else if (entry.isFile() && keep(source, false)) {
      if (link) {
        try {
          fs.linkSync(source, target);
          continue;
        } catch {
          // another file system, or links not allowed: copy
        }
      }
      fs.copyFileSync(source, target);
    }
  }
}
