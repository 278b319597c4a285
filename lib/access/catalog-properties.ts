import { catalogName, type TenantDatasource, type TenantSpec } from '../contract/tenant-spec';

/**
 * The Trino catalogs of a cluster, one per datasource: what the engine is given to reach the data
 * owner's bucket and Glue catalog through the datasource's role, with its ExternalId. Generated for
 * the engine's values at synth and shown to teams by the datasource setup route.
 */

/** Trino catalog properties of one datasource: Hive or Iceberg over native S3 with a Glue metastore in the data owner's account. */
export function catalogProperties(ds: TenantDatasource): Record<string, string> {
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

/** One catalog per datasource, named after its id. */
export function catalogs(spec: TenantSpec): Record<string, string> {
  return Object.fromEntries(spec.datasources.map((ds) => [catalogName(ds.id), renderProperties(catalogProperties(ds))]));
}
