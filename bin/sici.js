#!/usr/bin/env node
'use strict';
/* global __dirname, __filename, Buffer -- Node's CommonJS module scope */
// The `sici` command (package.json "bin"), for `npx sici …` in a clone after `npm ci`: runs
// bin/sici.ts without a build step. Its sources are bundled once per change with esbuild (a
// devDependency; about 0.2 s) into node_modules/.cache/sici/cli/, where Node finds the project's
// packages; later runs check the sources' fingerprint and load the bundle.
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const entry = path.join('bin', 'sici.ts');
const cache = path.join(root, 'node_modules', '.cache', 'sici', 'cli');
const manifestFile = path.join(cache, 'manifest.json');

/** A fingerprint of the bundle's inputs (paths relative to the root) and of this recipe. */
function fingerprint(inputs) {
  const hash = createHash('sha256');
  for (const file of [...inputs, path.relative(root, __filename)].sort()) {
    let content;
    try {
      content = fs.readFileSync(path.join(root, file));
    } catch {
      content = Buffer.from('\0missing');
    }
    hash.update(`${file}\0${content.length}\0`).update(content);
  }
  return hash.digest('hex').slice(0, 16);
}

function writeAtomically(file, content) {
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, content);
  fs.renameSync(staging, file);
}

/** The bundle for the current sources: the cached one, or a new one. */
function bundle() {
  try {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const file = path.join(cache, `sici-${manifest.fingerprint}.js`);
    if (fingerprint(manifest.inputs) === manifest.fingerprint && fs.existsSync(file)) return file;
  } catch {
    // no bundle yet, or an unreadable manifest: build one
  }
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    process.stderr.write('error: sici runs from a clone of SICI after `npm ci` (it needs the devDependency esbuild)\n');
    process.exit(4);
  }
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    outfile: path.join(cache, 'sici.js'),
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const id = fingerprint(inputs);
  const file = path.join(cache, `sici-${id}.js`);
  fs.mkdirSync(cache, { recursive: true });
  writeAtomically(file, result.outputFiles[0].contents);
  writeAtomically(manifestFile, JSON.stringify({ fingerprint: id, inputs }, null, 2));
  for (const old of fs.readdirSync(cache)) {
    if (/^sici-[0-9a-f]{16}\.js$/.test(old) && old !== path.basename(file)) fs.rmSync(path.join(cache, old), { force: true });
  }
  return file;
}

void require(bundle()).main(process.argv.slice(2), root);
