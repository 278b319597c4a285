import { catalogName, type TenantDatasource, type TenantSpec } from '../contract/tenant-spec';
import { trinoVersion } from './trino-version';

/**
 * The Trino catalogs of a cluster, one per datasource: what the engine is given to reach the data
 * owner's bucket and Glue catalog through the datasource's role, with its ExternalId. Generated for
 * the engine's values at synth and shown to teams by the datasource setup route.
 */

/** The oldest Trino release the generated catalogs are written for (the platform's first pin). */
export const OLDEST_TRINO_VERSION = 476;
/** From this release, native S3 only assumes `s3.iam-role` with `s3.auth-type=IAM_ROLE`, a property earlier releases reject. */
const S3_AUTH_TYPE_SINCE = 483;

/**
 * Trino catalog properties of one datasource: Hive or Iceberg over native S3 with a Glue metastore
 * in the data owner's account, valid for the given Trino release.
 */
export function catalogProperties(ds: TenantDatasource, trinoRelease: number = OLDEST_TRINO_VERSION): Record<string, string> {
  const connector = ds.type === 's3-iceberg' ? 'iceberg' : 'hive';
  const readOnly = ds.accessMode === 'read-only';
  return {
    'connector.name': connector,
    ...(connector === 'iceberg' ? { 'iceberg.catalog.type': 'glue' } : { 'hive.metastore': 'glue' }),
    // Connector-level security as a second fence behind the system access control rules.
    [`${connector}.security`]: readOnly ? 'read-only' : 'allow-all',
    'hive.metastore.glue.region': ds.region,
    'hive.metastore.glue.catalogid': ds.externalAccountId,
    'hive.metastore.glue.iam-role': ds.roleArn,
    'hive.metastore.glue.external-id': ds.externalId,
    'fs.native-s3.enabled': 'true',
    's3.region': ds.region,
    ...(trinoRelease >= S3_AUTH_TYPE_SINCE ? { 's3.auth-type': 'IAM_ROLE' } : {}),
    's3.iam-role': ds.roleArn,
    's3.external-id': ds.externalId,
  };
}

/** Renders a Java properties file; values here never contain newlines (the spec's schemas forbid them). */
export function renderProperties(properties: Record<string, string>): string {
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

/** One catalog per datasource, named after its id, for the Trino release of the spec's engine. */
export function catalogs(spec: Pick<TenantSpec, 'datasources' | 'engine'>): Record<string, string> {
  const release = trinoVersion(spec.engine);
  return Object.fromEntries(spec.datasources.map((ds) => [catalogName(ds.id), renderProperties(catalogProperties(ds, release))]));
}
