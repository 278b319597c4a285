import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';

/**
 * The CDK app compiled to JavaScript, so that a job starts its synth as a plain `node bin/app.js`
 * with no TypeScript compilation at job time: the deploy runner's bundle carries it, and the local
 * deployer runs it from the project's cache.
 */

/** The entry of the CDK app, relative to the project root. */
const APP_ENTRY = 'bin/app.ts';

/** The compiled app's entry, relative to where it was compiled. */
export const COMPILED_APP_ENTRY = 'bin/app.js';

export interface CompiledApp {
  /** The app's files transpiled to JavaScript, relative to the output folder. */
  readonly appFiles: string[];
  /** The packages the app imports (the roots of its production dependency closure). */
  readonly importedPackages: string[];
}

/**
 * Transpiles the app (bin/app.ts and everything it imports, dynamic imports included) file by file
 * to CommonJS into `outputDir`, keeping the source layout so that `__dirname` means the same; its
 * dynamic imports become `require`s, which `node` runs as they are. Uses esbuild, a devDependency,
 * loaded here only.
 */
export function compileApp(projectRoot: string, outputDir: string): CompiledApp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on use: a synth that compiles nothing must not need esbuild
  const esbuild = require('esbuild') as typeof import('esbuild');
  const analysis = esbuild.buildSync({
    absWorkingDir: projectRoot,
    entryPoints: [APP_ENTRY],
    bundle: true,
    packages: 'external',
    platform: 'node',
    write: false,
    metafile: true,
    outdir: path.join(outputDir, '.analysis'),
    logLevel: 'silent',
  });
  const inputs = Object.keys(analysis.metafile.inputs);
  const importedPackages = new Set<string>();
  for (const input of Object.values(analysis.metafile.inputs)) {
    for (const imported of input.imports) {
      if (imported.external && !isBuiltin(imported.path) && !imported.path.startsWith('.') && !path.isAbsolute(imported.path)) {
        importedPackages.add(packageName(imported.path));
      }
    }
  }
  const typescript = inputs.filter((file) => /\.[cm]?tsx?$/.test(file));
  esbuild.buildSync({
    absWorkingDir: projectRoot,
    entryPoints: typescript,
    outdir: outputDir,
    outbase: '.',
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    supported: { 'dynamic-import': false },
    logLevel: 'warning',
  });
  for (const file of inputs.filter((f) => !typescript.includes(f))) {
    fs.mkdirSync(path.dirname(path.join(outputDir, file)), { recursive: true });
    fs.copyFileSync(path.join(projectRoot, file), path.join(outputDir, file));
  }
  return { appFiles: typescript.map((file) => file.replace(/\.[cm]?tsx?$/, '.js')), importedPackages: [...importedPackages].sort() };
}

/** A fingerprint of the app's sources (bin, lib, lambda) and cdk.json: what a compiled app is made from. */
export function appSourcesFingerprint(projectRoot: string): string {
  const hash = createHash('sha256');
  const add = (name: string, content: Buffer) => hash.update(`${name}\0${content.length}\0`).update(content);
  for (const folder of ['bin', 'lib', 'lambda']) {
    for (const file of listFiles(path.join(projectRoot, folder))) add(path.relative(projectRoot, file), fs.readFileSync(file));
  }
  add('cdk.json', fs.readFileSync(path.join(projectRoot, 'cdk.json')));
  add('recipe', fs.readFileSync(__filename));
  return hash.digest('hex');
}

/**
 * The app compiled into the project's cache (`node_modules/.cache/sici/app-<fingerprint>`, where
 * Node finds the project's packages from it), compiled on first use of a fingerprint. Returns the
 * compiled entry. A compilation is written aside and renamed into place, so concurrent users see
 * a whole app or none.
 */
export function cachedCompiledApp(projectRoot: string): string {
  const cache = path.join(projectRoot, 'node_modules', '.cache', 'sici');
  const folder = path.join(cache, `app-${appSourcesFingerprint(projectRoot).slice(0, 16)}`);
  if (!fs.existsSync(path.join(folder, COMPILED_APP_ENTRY))) {
    fs.mkdirSync(cache, { recursive: true });
    const staging = fs.mkdtempSync(path.join(cache, 'compiling-'));
    compileApp(projectRoot, staging);
    try {
      fs.renameSync(staging, folder);
    } catch {
      fs.rmSync(staging, { recursive: true, force: true }); // another process compiled it first
    }
  }
  return path.join(folder, COMPILED_APP_ENTRY);
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Files under `dir`, recursively, in a stable order (none if it does not exist). */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return listFiles(full);
      return entry.isFile() ? [full] : [];
    });
}
