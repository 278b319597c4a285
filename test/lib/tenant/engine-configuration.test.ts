import { catalogProperties } from '../../../lib/access/catalog-properties';
import { trinoVersion } from '../../../lib/access/trino-version';
import type { TenantSpec } from '../../../lib/contract/tenant-spec';
import { unsupportedRelease } from '../../../lib/tenant/engine-authentication';
import { engineSecretProviderClass, ENGINE_ENV_K8S_SECRET } from '../../../lib/tenant/engine-secrets';
import { engineRelease, eventListenerProperties } from '../../../lib/tenant/starburst-values';
import { engineInputs } from '../../support/engine-inputs';
import { fixtureSpec, platformConfig, TRINO_ENGINE } from '../../support/fixtures';
import type { Json } from '../../support/template';

/**
 * The engine's configuration files as the pods get them, property by property, for both engines:
 * how clients authenticate at the coordinator, how nodes authenticate each other, how requests
 * forwarded by the load balancer are treated, and for which Trino releases it is valid.
 */

const config = platformConfig();
const asTrino = (spec: TenantSpec): TenantSpec => ({ ...spec, engine: TRINO_ENGINE });

function parseProperties(text: string): Record<string, string> {
  const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const keys = lines.map((line) => line.slice(0, line.indexOf('=')));
  // Trino refuses a properties file that sets a property twice.
  expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

/**
 * `config.properties` of a node as the chart writes it from the values. Starburst Enterprise: the
 * chart's base file, then `<role>.additionalProperties`. Trino chart 1.41.0
 * (templates/configmap-coordinator.yaml, configmap-worker.yaml): the base file, then
 * `http-server.authentication.type` from `server.config.authenticationType`, the
 * `additionalConfigProperties` (both roles), then `server.coordinatorExtraConfig` or
 * `server.workerExtraConfig`. The base files hold only ports, discovery and memory.
 */
function configProperties(values: Json, kind: 'starburst' | 'trino', role: 'coordinator' | 'worker'): Record<string, string> {
  if (kind === 'starburst') return parseProperties(values[role].additionalProperties);
  const authenticationType = values.server.config.authenticationType;
  const extra = role === 'coordinator' ? values.server.coordinatorExtraConfig : values.server.workerExtraConfig;
  return parseProperties(
    [
      ...(role === 'coordinator' && authenticationType ? [`http-server.authentication.type=${authenticationType}`] : []),
      ...values.additionalConfigProperties,
      extra ?? '',
    ].join('\n'),
  );
}

/** Every `${ENV:NAME}` a value refers to. */
function environmentReferences(values: Json): string[] {
  return [...JSON.stringify(values).matchAll(/\$\{ENV:([A-Za-z0-9_]+)\}/g)].map((m) => m[1]);
}

describe.each([
  ['starburst', (spec: TenantSpec) => spec],
  ['trino', asTrino],
] as const)('%s engine', (kind, variant) => {
  const spec = variant(fixtureSpec('M2'));
  const { values } = engineRelease(engineInputs(spec, config)) as { values: Json };
  const coordinator = configProperties(values, kind, 'coordinator');
  const worker = configProperties(values, kind, 'worker');
  const idp = config.identityProvider;

  test('coordinator: OAuth 2.0 for clients and the web UI, property by property', () => {
    const security = Object.fromEntries(
      Object.entries(coordinator).filter(([key]) => /^(http-server\.(authentication|process-forwarded)|deprecated\.|web-ui\.|internal-communication\.)/.test(key)),
    );
    expect(security).toEqual({
      'http-server.authentication.type': 'oauth2',
      'http-server.authentication.allow-insecure-over-http': 'false',
      'http-server.authentication.oauth2.issuer': 'https://login.example.com/oauth2/default',
      'http-server.authentication.oauth2.client-id': 'sici-query-clusters',
      'http-server.authentication.oauth2.client-secret': '${ENV:SICI_OAUTH2_CLIENT_SECRET}',
      'http-server.authentication.oauth2.scopes': 'openid,email,groups',
      'http-server.authentication.oauth2.principal-field': 'email',
      'deprecated.http-server.authentication.oauth2.groups-field': 'groups',
      'web-ui.authentication.type': 'oauth2',
      'http-server.process-forwarded': 'true',
      'internal-communication.shared-secret': '${ENV:SICI_INTERNAL_SHARED_SECRET}',
    });
    expect([idp.issuer, idp.clientId, idp.userClaim, idp.groupsClaim]).toEqual(['https://login.example.com/oauth2/default', 'sici-query-clusters', 'email', 'groups']);
  });

  test('coordinator: no other way in (no password or header authenticator, no plain-HTTP path, no HTTPS port of its own)', () => {
    expect(coordinator['http-server.authentication.type']).toBe('oauth2');
    expect(Object.keys(coordinator).filter((key) => /password|insecure\.user|header|https\.enabled/.test(key))).toEqual([]);
    // Trino 476 knows the groups claim only by its deprecated name and would refuse to start on the old one.
    expect(coordinator['http-server.authentication.oauth2.groups-field']).toBeUndefined();
    if (kind === 'starburst') expect(values.userDatabase).toEqual({ enabled: false });
    else expect(values.auth).toBeUndefined();
  });

  test('workers: the shared secret and forwarded-header handling, nothing of the identity provider', () => {
    expect(worker['internal-communication.shared-secret']).toBe('${ENV:SICI_INTERNAL_SHARED_SECRET}');
    expect(worker['http-server.process-forwarded']).toBe('true');
    expect(Object.keys(worker).filter((key) => key.startsWith('http-server.authentication') || key.startsWith('web-ui.'))).toEqual([]);
    expect(JSON.stringify(worker)).not.toContain(idp.clientId);
  });

  test('every secret is an environment reference, and every reference is a key of the Kubernetes secret the CSI driver syncs', () => {
    const spc = engineSecretProviderClass(
      {
        ingestTokenSecretName: spec.ingest.tokenSecretName,
        internalSharedSecretName: 'sici/c/internal-shared-secret',
        oauth2ClientSecretArn: idp.clientSecretArn,
        starburstLicenseSecretArn: kind === 'starburst' ? config.environments.dev!.engineLicenseSecretArn : undefined,
      },
      'us-east-1',
    ) as Json;
    const envKeys = spc.spec.secretObjects.find((o: Json) => o.secretName === ENGINE_ENV_K8S_SECRET).data.map((d: Json) => d.key);
    expect([...new Set(environmentReferences(values))].sort()).toEqual([...envKeys].sort());
    expect(envKeys.sort()).toEqual(['SICI_INGEST_TOKEN', 'SICI_INTERNAL_SHARED_SECRET', 'SICI_OAUTH2_CLIENT_SECRET']);
    const envFrom = kind === 'starburst' ? [values.coordinator.envFrom, values.worker.envFrom] : [values.envFrom];
    for (const refs of envFrom) expect(refs).toEqual([{ secretRef: { name: ENGINE_ENV_K8S_SECRET } }]);
  });

  test('the secrets volume is mounted by the coordinator and every worker (the CSI driver syncs only for mounting pods)', () => {
    const csi = (volumes: Json[]) => volumes.filter((v) => (v.csi ?? v.volume?.csi)?.volumeAttributes?.secretProviderClass === 'sici-engine-secrets');
    if (kind === 'starburst') {
      expect(csi(values.additionalVolumes)).toHaveLength(1);
    } else {
      for (const role of ['coordinator', 'worker']) {
        expect(csi(values[role].additionalVolumes)).toHaveLength(1);
        expect(values[role].additionalVolumeMounts.map((m: Json) => m.name)).toContain('engine-secrets');
      }
    }
  });

  test(kind === 'starburst' ? 'the licence: the chart mounts the synced Kubernetes secret' : 'no licence', () => {
    if (kind === 'starburst') expect(values.starburstPlatformLicense).toBe('sici-starburst-license');
    else expect(JSON.stringify(values)).not.toMatch(/licen[cs]e/i);
  });
});

describe('the secret provider class', () => {
  const sources = {
    ingestTokenSecretName: 'sici/c-1/ingest-token',
    internalSharedSecretName: 'sici/c-1/internal-shared-secret',
    oauth2ClientSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:sici/identity-provider-client-AbCdEf',
  };

  test('reads the four secrets with Pod Identity and syncs the environment and, for Starburst, the licence file', () => {
    const license = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:sici/starburst-license-GhIjKl';
    const spc = engineSecretProviderClass({ ...sources, starburstLicenseSecretArn: license }, 'us-east-1') as Json;
    expect(spc.metadata).toEqual({ name: 'sici-engine-secrets', namespace: 'starburst' });
    expect(spc.spec.parameters).toMatchObject({ region: 'us-east-1', usePodIdentity: 'true' });
    expect(JSON.parse(spc.spec.parameters.objects)).toEqual([
      { objectName: 'sici/c-1/ingest-token', objectType: 'secretsmanager', objectAlias: 'ingest-token' },
      { objectName: 'sici/c-1/internal-shared-secret', objectType: 'secretsmanager', objectAlias: 'internal-shared-secret' },
      { objectName: sources.oauth2ClientSecretArn, objectType: 'secretsmanager', objectAlias: 'oauth2-client-secret' },
      { objectName: license, objectType: 'secretsmanager', objectAlias: 'starburst-license' },
    ]);
    expect(spc.spec.secretObjects).toEqual([
      {
        secretName: 'sici-engine-env',
        type: 'Opaque',
        data: [
          { objectName: 'ingest-token', key: 'SICI_INGEST_TOKEN' },
          { objectName: 'internal-shared-secret', key: 'SICI_INTERNAL_SHARED_SECRET' },
          { objectName: 'oauth2-client-secret', key: 'SICI_OAUTH2_CLIENT_SECRET' },
        ],
      },
      { secretName: 'sici-starburst-license', type: 'Opaque', data: [{ objectName: 'starburst-license', key: 'starburstdata.license' }] },
    ]);
  });

  test('without a licence (Trino), no licence object and no licence secret', () => {
    const spc = engineSecretProviderClass(sources, 'us-east-1') as Json;
    expect(JSON.parse(spc.spec.parameters.objects).map((o: Json) => o.objectAlias)).toEqual(['ingest-token', 'internal-shared-secret', 'oauth2-client-secret']);
    expect(spc.spec.secretObjects.map((o: Json) => o.secretName)).toEqual(['sici-engine-env']);
  });
});

describe('Trino releases the generated configuration is valid for', () => {
  const RELEASES = Array.from({ length: 15 }, (_, i) => 476 + i);
  const ds = fixtureSpec('M2').datasources[1];

  test('the engine\'s release follows from its pinned image: Starburst 476-e.1 is Trino 476', () => {
    expect(trinoVersion(fixtureSpec('M2').engine)).toBe(476);
    expect(trinoVersion(TRINO_ENGINE)).toBe(476);
    expect(trinoVersion({ kind: 'starburst', image: { ...TRINO_ENGINE.image, tag: '479-e' } })).toBe(479);
    expect(() => trinoVersion({ kind: 'starburst', image: { ...TRINO_ENGINE.image, tag: 'latest' } })).toThrow(/476-e\.1/);
    expect(() => trinoVersion({ kind: 'trino', image: { ...TRINO_ENGINE.image, tag: '476-e.1' } })).toThrow(/Trino release such as 476/);
  });

  test('the event listener never sets http-event-listener.log-split (rejected from Trino 477 on; false is its default)', () => {
    expect(Object.keys(eventListenerProperties(fixtureSpec('M2')))).not.toContain('http-event-listener.log-split');
  });

  test.each(RELEASES)('Trino %i: s3.auth-type=IAM_ROLE with s3.iam-role from 483 on, and not before (earlier releases reject it)', (release) => {
    const props = catalogProperties(ds, release);
    expect(props['s3.iam-role']).toBe(ds.roleArn);
    expect(props['s3.auth-type']).toBe(release >= 483 ? 'IAM_ROLE' : undefined);
  });

  test('the catalogs in the values follow the engine\'s release', () => {
    const at = (tag: string) => engineRelease(engineInputs(fixtureSpec('M2', (doc) => (doc.engine.image.tag = tag)), config)).values as Json;
    expect(at('476-e.1').catalogs.ds_m000000000000012).not.toContain('s3.auth-type');
    expect(at('483-e').catalogs.ds_m000000000000012).toContain('s3.auth-type=IAM_ROLE\ns3.iam-role=');
  });

  test('the whole configuration is valid for Trino 476 to 479 (Starburst Enterprise 476-e to 479-e); from 480 the engine is refused at synth', () => {
    const valid = RELEASES.filter((release) => unsupportedRelease(release) === undefined);
    expect(valid).toEqual([476, 477, 478, 479]);
    expect(unsupportedRelease(480)).toMatch(/Trino 480 no longer reads groups from the OAuth 2.0 token/);
    console.log(`engine configuration valid for Trino ${valid[0]}–${valid.at(-1)}; catalogs valid for ${RELEASES[0]}–${RELEASES.at(-1)} (s3.auth-type from 483)`);
  });
});
