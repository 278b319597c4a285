import { TIERS } from '../../../lib/contract/platform-names';
import { catalogName, TenantSpec } from '../../../lib/contract/tenant-spec';
import { engineNamespaceManifests, queryIngressManifest } from '../../../lib/tenant/engine-manifests';
import { accessControlRules } from '../../../lib/access/access-control-rules';
import { catalogProperties, renderProperties } from '../../../lib/access/catalog-properties';
import { engineRelease, eventListenerProperties, HEAP_SHARE, jvmConfig, nodeTooSmall, podSizing } from '../../../lib/tenant/starburst-values';
import { engineInputs } from '../../support/engine-inputs';
import { fixtureSpec, platformConfig, TRINO_ENGINE } from '../../support/fixtures';
import type { Json } from '../../support/template';

const config = platformConfig();
const trinoEngine = TRINO_ENGINE;
const asTrino = (spec: TenantSpec): TenantSpec => ({ ...spec, engine: trinoEngine });

/** Parses a Trino data size such as `4096MB` (MB = MiB in Trino) into MiB. */
function mibOf(size: string): number {
  const match = /^(\d+)(MB|M|Mi)$/.exec(size);
  if (!match) throw new Error(`not a size in MiB: ${size}`);
  return Number(match[1]);
}

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

type Values = Json;

describe('pod sizing', () => {
  test.each(TIERS.flatMap((tier) => (['coordinator', 'worker'] as const).map((role) => [tier, role] as const)))(
    'tier %s %s: requests = limits below the node, heap ~80%% of the container, query memory + headroom below heap',
    (tier, role) => {
      const node = config.tiers[tier][role];
      const sizing = podSizing(node);
      expect(sizing.containerMemoryMiB).toBeLessThan(node.memoryGiB * 1024 - 1536);
      expect(sizing.containerMemoryMiB % 256).toBe(0);
      expect(sizing.cpuMillis).toBeLessThan(node.vcpu * 1000);
      expect(sizing.cpuMillis).toBeGreaterThan(node.vcpu * 1000 * 0.6);
      expect(sizing.heapMiB / sizing.containerMemoryMiB).toBeCloseTo(HEAP_SHARE, 2);
      expect(sizing.heapMiB).toBeLessThanOrEqual(sizing.containerMemoryMiB * HEAP_SHARE);
      expect(sizing.queryMaxMemoryPerNodeMiB + sizing.heapHeadroomPerNodeMiB).toBeLessThan(sizing.heapMiB);
      expect(sizing.queryMaxMemoryPerNodeMiB).toBeGreaterThan(0);
      expect(sizing.heapHeadroomPerNodeMiB).toBeGreaterThan(0);
    },
  );

  test('exact plan of an M worker (8 vCPU, 64 GiB)', () => {
    expect(podSizing({ vcpu: 8, memoryGiB: 64 })).toEqual({
      cpuMillis: 6800,
      // 64 GiB - (1.5 GiB + 7.5%) = 57.7 GiB, rounded down to 256 MiB; heap 80% of that.
      containerMemoryMiB: 58880,
      heapMiB: 47104,
      queryMaxMemoryPerNodeMiB: 23552,
      heapHeadroomPerNodeMiB: 14131,
    });
  });

  test('a node too small for a Trino pod is refused', () => {
    expect(() => podSizing({ vcpu: 1, memoryGiB: 2 })).toThrow(/too small/);
  });

  test('nodeTooSmall says why a node cannot hold a pod (memory or CPU), and nothing for every configured tier', () => {
    expect(nodeTooSmall({ vcpu: 8, memoryGiB: 3 })).toBe('A node of 8 vCPU and 3 GiB is too small for a Trino pod');
    expect(nodeTooSmall({ vcpu: 2, memoryGiB: 64 })).toBe('A node of 2 vCPU and 64 GiB is too small for a Trino pod');
    for (const tier of TIERS) {
      expect([tier, nodeTooSmall(config.tiers[tier].coordinator), nodeTooSmall(config.tiers[tier].worker)]).toEqual([tier, undefined, undefined]);
    }
  });
});

describe.each([
  ['starburst', (spec: TenantSpec) => spec],
  ['trino', asTrino],
])('%s chart values', (engine, variant) => {
  test.each(TIERS)('tier %s: resources, heap and memory properties follow the tier', (tierName) => {
    const spec = variant(fixtureSpec(tierName === 'S' ? 'S' : tierName === 'M' ? 'M2' : 'L'));
    const tier = config.tiers[tierName];
    const release = engineRelease(engineInputs(spec, config));
    const values: Values = release.values;
    for (const role of ['coordinator', 'worker'] as const) {
      const sizing = podSizing(tier[role]);
      const node = values[role];
      if (engine === 'trino') {
        expect(node.resources.requests).toEqual(node.resources.limits);
        expect(node.resources.limits).toEqual({ cpu: `${sizing.cpuMillis}m`, memory: `${sizing.containerMemoryMiB}Mi` });
        expect(mibOf(node.jvm.maxHeapSize)).toBe(sizing.heapMiB);
        const perNode = mibOf(node.config.query.maxMemoryPerNode);
        const headroom = mibOf(node.config.memory.heapHeadroomPerNode);
        expect(perNode + headroom).toBeLessThan(mibOf(node.jvm.maxHeapSize));
      } else {
        expect(node.resources.memory).toBe(`${sizing.containerMemoryMiB}Mi`);
        expect(node.resources.requests.cpu).toBe(node.resources.limits.cpu);
        expect(node.resources.limits.cpu).toBe(`${sizing.cpuMillis}m`);
        expect(node.etcFiles['jvm.config']).toContain(`-Xmx${sizing.heapMiB}M`);
        const props = parseProperties(node.additionalProperties);
        expect(mibOf(props['query.max-memory-per-node']) + mibOf(props['memory.heap-headroom-per-node'])).toBeLessThan(
          sizing.heapMiB,
        );
        expect(props['http-server.process-forwarded']).toBe('true');
        // The chart's own derivation lands on the same heap.
        const chartHeap = ((sizing.containerMemoryMiB - mibOf(node.nodeMemoryHeadroom)) * node.heapSizePercentage) / 100;
        expect(Math.abs(chartHeap - sizing.heapMiB)).toBeLessThan(2);
      }
      expect(node.nodeSelector).toEqual({ 'sici.io/node-role': role });
    }
    const workers = engine === 'trino' ? values.server.workers : values.worker.replicas;
    expect(workers).toBe(tier.worker.count);
  });

  test('image is pinned by digest', () => {
    const spec = variant(fixtureSpec('M1'));
    const { values } = engineRelease(engineInputs(spec, config)) as { values: Values };
    const ref =
      engine === 'trino'
        ? `${values.image.repository}@${values.image.digest}`
        : `${values.image.repository}:${values.image.tag}`;
    expect(ref).toMatch(new RegExp(`^${spec.engine.image.repository.replace(/\./g, '\\.')}(:[\\w.-]+)?@sha256:[a-f0-9]{64}$`));
    expect(ref.endsWith(spec.engine.image.digest)).toBe(true);
  });

  test('chart, repository and version come from the spec engine pins', () => {
    const spec = variant(fixtureSpec('M1'));
    const release = engineRelease(engineInputs(spec, config));
    expect(release).toMatchObject({
      chart: spec.engine.chart.name,
      repository: spec.engine.chart.repository,
      version: spec.engine.chart.version,
      namespace: 'starburst',
    });
  });

  test('one catalog per datasource with its connector', () => {
    const spec = variant(fixtureSpec('L'));
    const { values } = engineRelease(engineInputs(spec, config)) as { values: Values };
    expect(Object.keys(values.catalogs).sort()).toEqual(spec.datasources.map((ds) => catalogName(ds.id)).sort());
    for (const ds of spec.datasources) {
      const props = parseProperties(values.catalogs[catalogName(ds.id)]);
      expect(props).toEqual(catalogProperties(ds));
    }
  });

  test('no catalogs at all without datasources (the charts default tpch/tpcds are replaced)', () => {
    const { values } = engineRelease(engineInputs(variant(fixtureSpec('S')), config)) as { values: Values };
    expect(values.catalogs).toEqual({});
  });

  test('rules.json, the event listener and the ingest token reach the coordinator', () => {
    const spec = variant(fixtureSpec('M2'));
    const { values } = engineRelease(engineInputs(spec, config)) as { values: Values };
    let rulesJson: string;
    let listener: Record<string, string>;
    if (engine === 'trino') {
      expect(values.accessControl).toMatchObject({ type: 'configmap', configFile: 'rules.json' });
      rulesJson = values.accessControl.rules['rules.json'];
      listener = parseProperties(values.eventListenerProperties.join('\n'));
      expect(values.additionalConfigProperties).toContain('http-server.process-forwarded=true');
      expect(values.coordinator.additionalVolumes).toContainEqual(
        expect.objectContaining({ csi: expect.objectContaining({ driver: 'secrets-store.csi.k8s.io' }) }),
      );
    } else {
      const etc = values.coordinator.etcFiles;
      rulesJson = etc.other['rules.json'];
      expect(parseProperties(etc.properties['access-control.properties'])).toEqual({
        'access-control.name': 'file',
        'security.config-file': '/usr/lib/starburst/etc/rules.json',
        'security.refresh-period': '60s',
      });
      listener = parseProperties(etc.properties['event-listener.properties']);
      expect(values.worker.etcFiles.properties).toBeUndefined();
      expect(values.additionalVolumes[0].volume.csi.driver).toBe('secrets-store.csi.k8s.io');
    }
    expect(JSON.parse(rulesJson)).toEqual(
      accessControlRules({ groups: spec.groups, datasources: spec.datasources, sessionProperties: config.querySessionProperties }),
    );
    expect(listener).toEqual(eventListenerProperties(spec));
    const envFrom = engine === 'trino' ? values.envFrom : values.coordinator.envFrom;
    expect(envFrom).toEqual([{ secretRef: { name: 'sici-engine-env' } }]);
  });

  test('pods run as non-root without capabilities on a read-only root file system where the chart allows', () => {
    const { values } = engineRelease(engineInputs(variant(fixtureSpec('S')), config)) as { values: Values };
    expect(values.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(values.containerSecurityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      readOnlyRootFilesystem: engine === 'trino',
    });
  });

  test('the values never contain an external id or role outside catalogs, nor any token', () => {
    const spec = variant(fixtureSpec('M2'));
    const { values } = engineRelease(engineInputs(spec, config)) as { values: Values };
    const { catalogs, ...rest } = values;
    const text = JSON.stringify(rest);
    for (const ds of spec.datasources) {
      expect(text).not.toContain(ds.externalId);
      expect(JSON.stringify(catalogs)).toContain(ds.externalId);
    }
    expect(text).toContain('${ENV:SICI_INGEST_TOKEN}');
  });
});

describe('catalog properties', () => {
  test('s3-hive: Hive connector, Glue metastore in the owner account, native S3 with role and external id', () => {
    const ds = fixtureSpec('M2').datasources[0];
    expect(ds.type).toBe('s3-hive');
    expect(catalogProperties(ds)).toEqual({
      'connector.name': 'hive',
      'hive.metastore': 'glue',
      'hive.security': 'read-only',
      'hive.metastore.glue.region': 'us-east-1',
      'hive.metastore.glue.catalogid': '555555555555',
      'hive.metastore.glue.iam-role': ds.roleArn,
      'hive.metastore.glue.external-id': ds.externalId,
      'fs.native-s3.enabled': 'true',
      's3.region': 'us-east-1',
      's3.iam-role': ds.roleArn,
      's3.external-id': ds.externalId,
    });
  });

  test('s3-iceberg: Iceberg connector with the Glue catalog; read-write allows writes at the connector', () => {
    const ds = fixtureSpec('M2').datasources[1];
    expect(ds.type).toBe('s3-iceberg');
    expect(catalogProperties(ds)).toEqual({
      'connector.name': 'iceberg',
      'iceberg.catalog.type': 'glue',
      'iceberg.security': 'allow-all',
      'hive.metastore.glue.region': 'us-east-1',
      'hive.metastore.glue.catalogid': '555555555555',
      'hive.metastore.glue.iam-role': ds.roleArn,
      'hive.metastore.glue.external-id': ds.externalId,
      'fs.native-s3.enabled': 'true',
      's3.region': 'us-east-1',
      's3.iam-role': ds.roleArn,
      's3.external-id': ds.externalId,
    });
  });

  test('renderProperties writes one key=value line each', () => {
    expect(renderProperties({ a: '1', 'b.c': 'x=y' })).toBe('a=1\nb.c=x=y\n');
  });
});

describe('event listener', () => {
  test('posts completed queries to the ingest endpoint with the token by reference', () => {
    const spec = fixtureSpec('M1');
    expect(eventListenerProperties(spec)).toMatchObject({
      'event-listener.name': 'http',
      'http-event-listener.connect-ingest-uri': spec.ingest.endpoint,
      'http-event-listener.log-completed': 'true',
      'http-event-listener.connect-http-headers': 'Authorization:Bearer ${ENV:SICI_INGEST_TOKEN}',
    });
  });

  test('jvm.config sets exactly one -Xmx', () => {
    expect(jvmConfig(1234).match(/-Xmx/g)).toHaveLength(1);
  });
});

describe('engine manifests', () => {
  const spec = fixtureSpec('M2');

  test('the query ingress is an internal ALB with TLS, the spec certificate and only the configured CIDRs', () => {
    const ingress = queryIngressManifest({
      spec,
      serviceName: 'starburst',
      ingressCidrs: ['10.0.0.0/8', '192.168.0.0/16'],
      tags: { 'sici:cluster': spec.clusterId },
    }) as Values;
    expect(ingress.kind).toBe('Ingress');
    expect(ingress.spec.ingressClassName).toBe('alb');
    expect(ingress.metadata.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/scheme': 'internal',
      'alb.ingress.kubernetes.io/listen-ports': '[{"HTTPS":443}]',
      'alb.ingress.kubernetes.io/certificate-arn': spec.queryEndpoint.certificateArn,
      'alb.ingress.kubernetes.io/inbound-cidrs': '10.0.0.0/8,192.168.0.0/16',
      'alb.ingress.kubernetes.io/tags': `sici:cluster=${spec.clusterId}`,
    });
    expect(ingress.metadata.annotations['alb.ingress.kubernetes.io/ssl-policy']).toMatch(/^ELBSecurityPolicy-TLS13/);
    expect(ingress.spec.rules[0].host).toBe(spec.queryEndpoint.hostname);
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'starburst', port: { number: 8080 } });
  });

  test('namespace enforces pod security and the service account exists for Pod Identity', () => {
    const [ns, sa] = engineNamespaceManifests() as Values[];
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
    expect(sa).toMatchObject({ kind: 'ServiceAccount', metadata: { name: 'starburst', namespace: 'starburst' } });
  });
});
