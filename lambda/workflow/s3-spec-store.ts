import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseTenantSpec, type TenantSpec } from '../../lib/contract/tenant-spec';
import type { SpecLocation } from '../../lib/contract/workflow';
import type { SpecStore } from './ports';

/** TenantSpecs in the versioned, KMS-encrypted spec bucket: one object per cluster, one version per write. */
export class S3SpecStore implements SpecStore {
  constructor(
    private readonly bucket: string,
    private readonly s3 = new S3Client({}),
  ) {}

  async put(spec: TenantSpec): Promise<SpecLocation> {
    const key = `specs/${spec.clusterId}.json`;
    const { VersionId } = await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(spec, null, 2), ContentType: 'application/json' }),
    );
    if (!VersionId) throw new Error(`Bucket ${this.bucket} is not versioned: a TenantSpec must keep every version`);
    return { uri: `s3://${this.bucket}/${key}`, version: VersionId };
  }

  async latest(clusterId: string): Promise<SpecLocation | undefined> {
    const key = `specs/${clusterId}.json`;
    try {
      const { VersionId } = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { uri: `s3://${this.bucket}/${key}`, version: VersionId! };
    } catch (error) {
      if ((error as Error).name === 'NotFound') return undefined;
      throw error;
    }
  }

  async get(location: SpecLocation): Promise<TenantSpec> {
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(location.uri) ?? [];
    const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: location.version }));
    return parseTenantSpec(JSON.parse(await Body!.transformToString()), location.uri);
  }
}
