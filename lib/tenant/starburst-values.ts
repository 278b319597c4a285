import type { IdentityProviderConfig, TierConfig } from '../config/platform-config';
import { accessControlRules, type SessionPropertyAllowList } from '../access/access-control-rules';
import { catalogs, renderProperties } from '../access/catalog-properties';
import type { TenantSpec } from '../contract/tenant-spec';
import { coordinatorAuthenticationProperties, nodeSecurityProperties } from './engine-authentication';
import { COORDINATOR_HTTP_PORT, ENGINE_NAMESPACE, ENGINE_SERVICE_ACCOUNT, NODE_ROLE_LABEL } from './engine-names';
import { ENGINE_ENV, engineSecretsEnvFrom, engineSecretsVolume, fromEnv, STARBURST_LICENSE_K8S_SECRET } from './engine-secrets';

/**
 * The Helm values of a tenant's query engine, as a pure function of its TenantSpec, tier and the
 * platform's identity provider and session properties: no aws-cdk-lib, no tokens, no I/O. One shape
 * per engine: the licensed Starburst Enterprise chart (`starburst-enterprise`) or the open-source
 * Trino chart (`trinodb/charts`, chart `trino`).
 */

// ---- Sizing ----------------------------------------------------------------------------------

/** Resources of one engine pod (coordinator or worker), which gets a node of its own. */
export interface PodSizing {
  /** CPU request and limit, in millicores. */
  readonly cpuMillis: number;
  /** Container memory request and limit, in MiB. */
  readonly containerMemoryMiB: number;
  /** JVM maximum heap (`-Xmx`), in MiB: about 80% of the container memory. */
  readonly heapMiB: number;
  /** `query.max-memory-per-node`, in MiB. */
  readonly queryMaxMemoryPerNodeMiB: number;
  /** `memory.heap-headroom-per-node`, in MiB. */
  readonly heapHeadroomPerNodeMiB: number;
}

const MIB_PER_GIB = 1024;
/** Share of the container memory given to the JVM heap; the rest is metaspace, threads, direct buffers and the OS. */
export const HEAP_SHARE = 0.8;
/** Trino's own defaults (30% of heap) for headroom; query memory takes half the heap, so the two stay at 80% of it. */
const HEAP_HEADROOM_SHARE = 0.3;
const QUERY_MEMORY_SHARE = 0.5;

/**
 * What a node leaves to the one engine pod it runs. Held back are the kubelet's reservation (EKS
 * sets about 255 MiB + 11 MiB per pod slot), the gap between nominal and usable instance memory,
 * and the DaemonSets every node runs (VPC CNI, kube-proxy, Pod Identity agent, CloudWatch agent,
 * Fluent Bit, Secrets Store CSI driver): 1.5 GiB plus 7.5% of the memory, and 1 vCPU plus 25
 * millicores per vCPU.
 */
function allocatable(node: { vcpu: number; memoryGiB: number }): { containerMemoryMiB: number; cpuMillis: number } {
  const nodeMemoryMiB = node.memoryGiB * MIB_PER_GIB;
  const reservedMiB = 1536 + 0.075 * nodeMemoryMiB;
  return {
    containerMemoryMiB: Math.floor((nodeMemoryMiB - reservedMiB) / 256) * 256,
    cpuMillis: node.vcpu * 1000 - (1000 + 25 * node.vcpu),
  };
}

/** Why a node of this size cannot run an engine pod; undefined when it can. */
export function nodeTooSmall(node: { vcpu: number; memoryGiB: number }): string | undefined {
  const { containerMemoryMiB, cpuMillis } = allocatable(node);
  return containerMemoryMiB < 2048 || cpuMillis < 1000
    ? `A node of ${node.vcpu} vCPU and ${node.memoryGiB} GiB is too small for a Trino pod`
    : undefined;
}

/** Sizes the pod that runs alone on a node of the given size (see `allocatable`). */
export function podSizing(node: { vcpu: number; memoryGiB: number }): PodSizing {
  const tooSmall = nodeTooSmall(node);
  if (tooSmall) throw new Error(tooSmall);
  const { containerMemoryMiB, cpuMillis } = allocatable(node);
  const heapMiB = Math.floor(containerMemoryMiB * HEAP_SHARE);
  return {
    cpuMillis,
    containerMemoryMiB,
    heapMiB,
    queryMaxMemoryPerNodeMiB: Math.floor(heapMiB * QUERY_MEMORY_SHARE),
    heapHeadroomPerNodeMiB: Math.floor(heapMiB * HEAP_HEADROOM_SHARE),
  };
}

// ---- Event listener --------------------------------------------------------------------------

/**
 * Trino's http event listener posting completed queries to the ingest route. The token is an
 * environment variable from a Kubernetes secret synced from Secrets Manager, so it appears in
 * neither the values nor the CloudFormation template. `http-event-listener.log-split` is left at its
 * default (false): Trino 477 and later reject it.
 */
export function eventListenerProperties(spec: TenantSpec): Record<string, string> {
  return {
    'event-listener.name': 'http',
    'http-event-listener.connect-ingest-uri': spec.ingest.endpoint,
    'http-event-listener.log-created': 'false',
    'http-event-listener.log-completed': 'true',
    'http-event-listener.connect-http-headers': `Authorization:Bearer ${fromEnv(ENGINE_ENV.ingestToken)}`,
    'http-event-listener.connect-retry-count': '5',
  };
}

// ---- Chart values ----------------------------------------------------------------------------

/** What the Helm release needs: the pinned chart, the values, and the in-cluster service the load balancer targets. */
export interface EngineRelease {
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
  readonly release: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  /** ClusterIP service of the coordinator, port `COORDINATOR_HTTP_PORT`. */
  readonly serviceName: string;
}

export interface EngineValuesInput {
  readonly spec: TenantSpec;
  /** The tier's node sizes and worker count, from platform config. */
  readonly tier: TierConfig;
  /** The identity provider of the spec's environment (platform config, with the environment's overrides). */
  readonly identityProvider: IdentityProviderConfig;
  /** The session properties users may set (platform config `querySessionProperties`). */
  readonly sessionProperties: SessionPropertyAllowList;
}

/** Values for the engine the spec is pinned to. */
export function engineRelease(input: EngineValuesInput): EngineRelease {
  switch (input.spec.engine.kind) {
    case 'starburst':
      return starburstEnterpriseRelease(input);
    case 'trino':
      return trinoRelease(input);
  }
}

const mib = (value: number) => `${value}Mi`;
/** Trino data sizes: `MB` is 2^20 bytes. */
const mb = (value: number) => `${value}MB`;

function memoryProperties(sizing: PodSizing): Record<string, string> {
  return {
    'query.max-memory-per-node': mb(sizing.queryMaxMemoryPerNodeMiB),
    'memory.heap-headroom-per-node': mb(sizing.heapHeadroomPerNodeMiB),
  };
}

/** Cluster-wide memory limit of one query: the query memory of every worker. */
function queryMaxMemory(tier: TierConfig, worker: PodSizing): string {
  return mb(worker.queryMaxMemoryPerNodeMiB * tier.worker.count);
}

export function jvmConfig(heapMiB: number): string {
  return [
    '-server',
    `-Xmx${heapMiB}M`,
    '-XX:+UseG1GC',
    '-XX:G1HeapRegionSize=32M',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-OmitStackTraceInFastThrow',
    '-XX:ReservedCodeCacheSize=512M',
    '-XX:PerMethodTrapLimit=100',
    '-XX:PerBytecodeTrapLimit=100',
    '-XX:+EnableDynamicAgentLoading',
    '-Djdk.attach.allowAttachSelf=true',
    '-Djdk.nio.maxCachedBufferSize=2000000',
    '-Dfile.encoding=UTF-8',
  ]
    .join('\n')
    .concat('\n');
}

const podSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  fsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};

function containerSecurityContext(readOnlyRootFilesystem: boolean) {
  return {
    runAsNonRoot: true,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem,
    capabilities: { drop: ['ALL'] },
  };
}

function nodeSelector(role: 'coordinator' | 'worker') {
  return { [NODE_ROLE_LABEL]: role };
}

function resources(sizing: PodSizing) {
  const amounts = { cpu: `${sizing.cpuMillis}m`, memory: mib(sizing.containerMemoryMiB) };
  return { requests: amounts, limits: amounts };
}

/** The `key=value` lines of a list-valued chart setting. */
function propertyLines(properties: Record<string, string>): string[] {
  return Object.entries(properties).map(([key, value]) => `${key}=${value}`);
}

function trinoRelease({ spec, tier, identityProvider, sessionProperties }: EngineValuesInput): EngineRelease {
  const coordinator = podSizing(tier.coordinator);
  const worker = podSizing(tier.worker);
  const rules = accessControlRules({ groups: spec.groups, datasources: spec.datasources, sessionProperties });
  const release = 'trino';

  const scratchVolumes = [
    { name: 'data', emptyDir: {} },
    { name: 'tmp', emptyDir: {} },
    { name: engineSecretsVolume.name, ...engineSecretsVolume.volume },
  ];
  const scratchMounts = [
    { name: 'data', mountPath: '/data/trino' },
    { name: 'tmp', mountPath: '/tmp' },
    { name: engineSecretsVolume.name, mountPath: engineSecretsVolume.mountPath, readOnly: true },
  ];
  const node = (role: 'coordinator' | 'worker', sizing: PodSizing) => ({
    jvm: { maxHeapSize: `${sizing.heapMiB}M` },
    config: {
      memory: { heapHeadroomPerNode: mb(sizing.heapHeadroomPerNodeMiB) },
      query: { maxMemoryPerNode: mb(sizing.queryMaxMemoryPerNodeMiB) },
      ...(role === 'coordinator' ? { nodeScheduler: { includeCoordinator: false } } : {}),
    },
    resources: resources(sizing),
    nodeSelector: nodeSelector(role),
    additionalVolumes: scratchVolumes,
    additionalVolumeMounts: scratchMounts,
  });

  return {
    chart: spec.engine.chart.name,
    repository: spec.engine.chart.repository,
    version: spec.engine.chart.version,
    release,
    namespace: ENGINE_NAMESPACE,
    // The chart names the service after the release when the release name starts with the chart name.
    serviceName: release,
    values: {
      image: {
        repository: spec.engine.image.repository,
        tag: spec.engine.image.tag,
        digest: spec.engine.image.digest,
        pullPolicy: 'IfNotPresent',
      },
      server: {
        workers: tier.worker.count,
        node: { environment: `sici_${spec.environment}` },
        // The chart's `authenticationType` is left empty: the coordinator's whole authentication is below.
        config: { query: { maxMemory: queryMaxMemory(tier, worker) } },
        coordinatorExtraConfig: propertyLines(coordinatorAuthenticationProperties(identityProvider)).join('\n'),
      },
      // On the coordinator and the workers alike.
      additionalConfigProperties: propertyLines(nodeSecurityProperties()),
      accessControl: {
        type: 'configmap',
        refreshPeriod: '60s',
        configFile: 'rules.json',
        rules: { 'rules.json': JSON.stringify(rules, null, 2) },
      },
      eventListenerProperties: propertyLines(eventListenerProperties(spec)),
      catalogs: catalogs(spec),
      // The chart gives every pod the same environment.
      envFrom: engineSecretsEnvFrom,
      securityContext: podSecurityContext,
      containerSecurityContext: containerSecurityContext(true),
      service: { type: 'ClusterIP', port: COORDINATOR_HTTP_PORT },
      serviceAccount: { create: false, name: ENGINE_SERVICE_ACCOUNT },
      ingress: { enabled: false },
      coordinator: node('coordinator', coordinator),
      worker: node('worker', worker),
    },
  };
}

function starburstEnterpriseRelease({ spec, tier, identityProvider, sessionProperties }: EngineValuesInput): EngineRelease {
  const coordinator = podSizing(tier.coordinator);
  const worker = podSizing(tier.worker);
  const rules = accessControlRules({ groups: spec.groups, datasources: spec.datasources, sessionProperties });
  const serviceName = 'starburst';
  const etc = '/usr/lib/starburst/etc';

  const node = (role: 'coordinator' | 'worker', sizing: PodSizing) => ({
    resources: {
      memory: mib(sizing.containerMemoryMiB),
      requests: { cpu: `${sizing.cpuMillis}m` },
      limits: { cpu: `${sizing.cpuMillis}m` },
    },
    // The chart derives its own JVM and memory settings from these; the explicit jvm.config and
    // properties below pin the same plan so that both charts run with identical memory arithmetic.
    nodeMemoryHeadroom: mib(sizing.containerMemoryMiB - Math.ceil(sizing.heapMiB / HEAP_SHARE)),
    heapSizePercentage: Math.round(HEAP_SHARE * 100),
    heapHeadroomPercentage: Math.round(HEAP_HEADROOM_SHARE * 100),
    // The shared secret goes here rather than in the chart's `sharedSecret`, which takes the value itself.
    additionalProperties: renderProperties({
      ...memoryProperties(sizing),
      'query.max-memory': queryMaxMemory(tier, worker),
      ...nodeSecurityProperties(),
      ...(role === 'coordinator' ? coordinatorAuthenticationProperties(identityProvider) : {}),
    }),
    envFrom: engineSecretsEnvFrom,
    nodeSelector: nodeSelector(role),
    etcFiles: {
      'jvm.config': jvmConfig(sizing.heapMiB),
      ...(role === 'coordinator'
        ? {
            properties: {
              'access-control.properties': renderProperties({
                'access-control.name': 'file',
                'security.config-file': `${etc}/rules.json`,
                'security.refresh-period': '60s',
              }),
              'event-listener.properties': renderProperties(eventListenerProperties(spec)),
            },
            other: { 'rules.json': JSON.stringify(rules, null, 2) },
          }
        : {}),
    },
  });

  return {
    chart: spec.engine.chart.name,
    repository: spec.engine.chart.repository,
    version: spec.engine.chart.version,
    release: 'starburst',
    namespace: ENGINE_NAMESPACE,
    serviceName,
    values: {
      image: {
        repository: spec.engine.image.repository,
        // A tag with a digest pins the image: the runtime pulls `repository@sha256:...`.
        tag: `${spec.engine.image.tag}@${spec.engine.image.digest}`,
        pullPolicy: 'IfNotPresent',
      },
      environment: `sici_${spec.environment}`,
      // The chart mounts this Kubernetes secret's `starburstdata.license`; the CSI driver syncs it from Secrets Manager.
      starburstPlatformLicense: STARBURST_LICENSE_K8S_SECRET,
      // No password file: OAuth 2.0 is the only way in.
      userDatabase: { enabled: false },
      expose: {
        type: 'clusterIp',
        clusterIp: { name: serviceName, ports: { http: { port: COORDINATOR_HTTP_PORT } } },
      },
      serviceAccountName: ENGINE_SERVICE_ACCOUNT,
      securityContext: podSecurityContext,
      // SEP writes its launcher state and logs below its install directory, so its root file system stays writable.
      containerSecurityContext: containerSecurityContext(false),
      additionalVolumes: [{ path: engineSecretsVolume.mountPath, volume: engineSecretsVolume.volume }],
      catalogs: catalogs(spec),
      coordinator: node('coordinator', coordinator),
      worker: { ...node('worker', worker), replicas: tier.worker.count, autoscaling: { enabled: false } },
    },
  };
}
