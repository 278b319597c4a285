import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTenantSpec, type TenantSpec } from '../../lib/contract/tenant-spec';
import type { SpecLocation } from '../../lib/contract/workflow';
import type { SpecStore } from '../workflow/ports';

/** TenantSpecs under the local data folder: `specs/<clusterId>/v<n>.json`, one file per version. */
export class FileSpecStore implements SpecStore {
  constructor(private readonly folder: string) {}

  async put(spec: TenantSpec): Promise<SpecLocation> {
    const dir = join(this.folder, spec.clusterId);
    mkdirSync(dir, { recursive: true });
    const version = String(readdirSync(dir).filter((file) => /^v\d+\.json$/.test(file)).length + 1);
    writeFileSync(join(dir, `v${version}.json`), `${JSON.stringify(spec, null, 2)}\n`, { flag: 'wx' });
    return { uri: `file://${dir}`, version };
  }

  async get(location: SpecLocation): Promise<TenantSpec> {
    return parseTenantSpec(JSON.parse(readFileSync(this.fileOf(location), 'utf8')), location.uri);
  }

  async latest(clusterId: string): Promise<SpecLocation | undefined> {
    const dir = join(this.folder, clusterId);
    let versions: number[];
    try {
      versions = readdirSync(dir).flatMap((file) => /^v(\d+)\.json$/.exec(file)?.[1] ?? []).map(Number);
    } catch {
      return undefined;
    }
    return versions.length ? { uri: `file://${dir}`, version: String(Math.max(...versions)) } : undefined;
  }

  fileOf(location: SpecLocation): string {
    return join(location.uri.replace(/^file:\/\//, ''), `v${location.version}.json`);
  }
}
