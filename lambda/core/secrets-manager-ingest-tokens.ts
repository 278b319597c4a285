import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PlatformConfig } from '../../lib/config/platform-config';
import { ingestTokenSecretName } from '../../lib/contract/tenant-spec';
import type { IngestTokenSource } from './ingest-tokens';
import { tenantReaderCredentials, type AwsClientOptions } from './tenant-reader';

/**
 * A cluster's current ingest token, where its tenant stack keeps it: the Secrets Manager secret
 * `sici/<clusterId>/ingest-token` in the cluster's environment account, read through that account's
 * `sici-tenant-reader` role. A token read is reused for `refreshAfterMs`, so that a stream of forged
 * tokens costs at most one read per cluster per interval, while a rotated token is found within it.
 */
export class SecretsManagerIngestTokens implements IngestTokenSource {
  private readonly clients = new Map<string, SecretsManagerClient>();
  private readonly read = new Map<string, { token: string | undefined; at: number }>();

  constructor(
    private readonly config: Pick<PlatformConfig, 'environments'>,
    private readonly options: AwsClientOptions & { readonly refreshAfterMs?: number; readonly now?: () => number } = {},
  ) {}

  async currentToken(cluster: { clusterId: string; environment: string }): Promise<string | undefined> {
    const now = (this.options.now ?? Date.now)();
    const known = this.read.get(cluster.clusterId);
    if (known && now - known.at < (this.options.refreshAfterMs ?? 10_000)) return known.token;
    const token = await this.fetch(cluster);
    this.read.set(cluster.clusterId, { token, at: now });
    return token;
  }

  private async fetch(cluster: { clusterId: string; environment: string }): Promise<string | undefined> {
    const client = this.client(cluster.environment);
    if (!client) return undefined;
    try {
      const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: ingestTokenSecretName(cluster.clusterId) }));
      return SecretString;
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return undefined; // not deployed yet, or destroyed
      throw error;
    }
  }

  private client(environmentName: string): SecretsManagerClient | undefined {
    const environment = this.config.environments[environmentName as keyof PlatformConfig['environments']];
    if (!environment) return undefined;
    let client = this.clients.get(environmentName);
    if (!client) {
      const credentials = tenantReaderCredentials(environment, 'sici-ingest-token', this.options);
      client = new SecretsManagerClient({ region: environment.region, credentials, requestHandler: this.options.requestHandler });
      this.clients.set(environmentName, client);
    }
    return client;
  }
}
