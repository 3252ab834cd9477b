/**
 * What bench/data-path.ts compares, per runtime: for each endpoint kind, the resource it belongs to (created in one
 * emulator, security groups enforced) and the paths to the same node(s), the first of them straight to the node —
 * the baseline every other path is divided by. The process runtime's direct path is the node's backstage address
 * (where it listens for the emulator, besides its endpoint), or its own port behind the emulator's listener
 * (memcached); docker's is the container's published port, and the container's own address is shown beside it.
 */
import { join } from 'node:path';
import type { LoadTarget } from './load-tools.js';
import {
  availableCacheCluster,
  availableGroup,
  call,
  containerNodes,
  elements,
  oneMemberGroup,
  processNodes,
  tag,
  untilAvailable,
  type EmulatorProcess,
} from './harness.js';

export const KINDS = ['redis', 'tls', 'cluster', 'memcached', 'serverless'] as const;
export type Kind = (typeof KINDS)[number];

export interface Path extends LoadTarget {
  label: string;
  /** A path through a listener of the emulator (its CPU time is shown). */
  viaEmulator: boolean;
}

export interface Case {
  kind: Kind;
  /** What the table's title says. */
  title: string;
  /** The first is the baseline. */
  paths: Path[];
  /** The nodes' processes (their CPU time is shown). */
  nodePids: number[];
  /** Target: endpoint / direct throughput at least this. */
  target: number;
}

type Runtime = 'docker' | 'process';
type Address = { host: string; port: number };

const addressOf = (endpointXml: string): Address => ({
  host: tag(endpointXml, 'Address')!,
  port: Number(tag(endpointXml, 'Port')),
});

/** The node endpoint of a cache cluster's first node. */
async function nodeEndpoint(url: string, clusterId: string): Promise<Address> {
  const cluster = await call(url, 'DescribeCacheClusters', { CacheClusterId: clusterId, ShowCacheNodeInfo: true });
  return addressOf(elements(cluster, 'Endpoint')[0]);
}

/** The direct paths to a cluster's node, and its process (or the container's). */
async function directPaths(
  emulator: EmulatorProcess,
  runtime: Runtime,
  clusterId: string,
  endpointPort: number,
): Promise<{ paths: Path[]; pid: number }> {
  if (runtime === 'process') {
    const node = processNodes(emulator.options.dataDir).find((n) => n.clusterId === clusterId)!;
    const label = node.backstage ? 'direct (backstage address)' : 'direct (own port)';
    const host = node.backstage ?? node.host;
    return { paths: [{ label, host, port: node.port, viaEmulator: false, tool: 'redis-benchmark' }], pid: node.pid };
  }
  const node = (await containerNodes(emulator.options.network)).find((c) => c.clusterId === clusterId)!;
  return {
    paths: [
      {
        label: 'direct (published port)',
        host: '127.0.0.1',
        port: node.hostPort,
        viaEmulator: false,
        tool: 'redis-benchmark',
      },
      {
        label: 'direct (container IP)',
        host: node.ip,
        port: endpointPort,
        viaEmulator: false,
        tool: 'redis-benchmark',
      },
    ],
    pid: node.pid,
  };
}

const endpointPath = (label: string, endpointXml: string | Address, tool: Path['tool'] = 'redis-benchmark'): Path => ({
  label,
  ...(typeof endpointXml === 'string' ? addressOf(endpointXml) : endpointXml),
  viaEmulator: true,
  tool,
});

/** A one-member group: its node, primary and reader endpoints (the reader leads to the primary, the only member). */
async function groupCase(emulator: EmulatorProcess, runtime: Runtime, tls: boolean): Promise<Case> {
  const id = tls ? 'dptls' : 'dp';
  const group = tls
    ? await availableGroup(emulator.url, id, { NumCacheClusters: 1, TransitEncryptionEnabled: true })
    : await oneMemberGroup(emulator.url, id, 'data path');
  const member = tag(group, 'ClusterId') ?? `${id}-001`;
  const node = await nodeEndpoint(emulator.url, member);
  const direct = await directPaths(emulator, runtime, member, node.port);
  const paths = [
    ...direct.paths,
    endpointPath('node endpoint', node),
    endpointPath('primary endpoint', elements(group, 'PrimaryEndpoint')[0]),
    endpointPath('reader endpoint', elements(group, 'ReaderEndpoint')[0]),
  ];
  const caPath = join(emulator.options.dataDir, 'tls', 'ca.pem');
  return {
    kind: tls ? 'tls' : 'redis',
    title: tls
      ? `redis-benchmark --tls --cacert <data-dir>/tls/ca.pem, a one-member group with TransitEncryptionEnabled`
      : 'redis-benchmark, a one-member replication group',
    paths: tls ? paths.map((p) => ({ ...p, caPath })) : paths,
    nodePids: [direct.pid],
    target: tls ? 0.8 : 0.9,
  };
}

/**
 * Cluster mode, two shards of one node (redis-benchmark --cluster refuses a cluster of one primary): `--cluster`
 * against a node, its node endpoint and the group's configuration endpoint.
 */
async function clusterCase(emulator: EmulatorProcess, runtime: Runtime): Promise<Case> {
  const id = 'dpcm';
  const group = await availableGroup(emulator.url, id, {
    NumNodeGroups: 2,
    ReplicasPerNodeGroup: 0,
    CacheParameterGroupName: 'default.redis7.cluster.on',
  });
  const members = elements(group, 'ClusterId');
  const first = members[0] ?? `${id}-0001-001`;
  const node = await nodeEndpoint(emulator.url, first);
  const direct = await directPaths(emulator, runtime, first, node.port);
  const pids = [direct.pid];
  for (const other of members.slice(1)) pids.push((await directPaths(emulator, runtime, other, node.port)).pid);
  const paths = [
    ...direct.paths,
    endpointPath('node endpoint', node),
    endpointPath('configuration endpoint', elements(group, 'ConfigurationEndpoint')[0]),
  ];
  return {
    kind: 'cluster',
    title: 'redis-benchmark --cluster, cluster mode with two shards of one node',
    paths: paths.map((p) => ({ ...p, cluster: true })),
    nodePids: pids,
    target: 0.9,
  };
}

/** A one-node memcached cluster: its node endpoint and configuration endpoint (both answer Auto Discovery). */
async function memcachedCase(emulator: EmulatorProcess, runtime: Runtime): Promise<Case> {
  const id = 'dpmc';
  const cluster = await availableCacheCluster(emulator.url, id, { Engine: 'memcached', NumCacheNodes: 1 });
  const node = addressOf(elements(cluster, 'Endpoint')[0]);
  let direct: { paths: Path[]; pid: number };
  if (runtime === 'process') {
    const own = processNodes(emulator.options.dataDir).find((n) => n.clusterId === id)!;
    direct = {
      paths: [{ label: 'direct (own port)', host: own.host, port: own.port, viaEmulator: false, tool: 'memcached' }],
      pid: own.pid,
    };
  } else {
    direct = await directPaths(emulator, runtime, id, node.port);
  }
  const paths = [
    ...direct.paths,
    endpointPath('node endpoint', node),
    endpointPath('configuration endpoint', elements(cluster, 'ConfigurationEndpoint')[0]),
  ];
  return {
    kind: 'memcached',
    title: "memcached, the bench's own load generator, a one-node cluster",
    paths: paths.map((p) => ({ ...p, tool: 'memcached' })),
    nodePids: [direct.pid],
    target: 0.9,
  };
}

/**
 * A serverless cache (redis): its endpoint (TLS, the shard's primary behind it) against TLS straight to that primary.
 * The cache's nodes are a hidden cluster-mode group's (`serverless--<name>`); the primary is its first member.
 */
async function serverlessCase(emulator: EmulatorProcess, runtime: Runtime): Promise<Case> {
  const name = 'dpsls';
  await call(emulator.url, 'CreateServerlessCache', { ServerlessCacheName: name, Engine: 'redis' });
  const describe = () => call(emulator.url, 'DescribeServerlessCaches', { ServerlessCacheName: name });
  await untilAvailable(describe, 'Status');
  const cache = await describe();
  const endpoint = addressOf(elements(cache, 'Endpoint')[0]);
  const primary = `serverless--${name}-0001-001`;
  const direct = await directPaths(emulator, runtime, primary, endpoint.port);
  const caPath = join(emulator.options.dataDir, 'tls', 'ca.pem');
  return {
    kind: 'serverless',
    title: 'redis-benchmark --tls --cacert <data-dir>/tls/ca.pem, a serverless cache (its one shard holds every slot)',
    paths: [...direct.paths, endpointPath('serverless endpoint', endpoint)].map((p) => ({ ...p, caPath })),
    nodePids: [direct.pid],
    target: 0.8,
  };
}

/** Creates the resources of the kinds asked for (at once) and answers their cases in the order of KINDS. */
export async function prepareCases(emulator: EmulatorProcess, runtime: Runtime, kinds: Kind[]): Promise<Case[]> {
  const builders: Record<Kind, () => Promise<Case>> = {
    redis: () => groupCase(emulator, runtime, false),
    tls: () => groupCase(emulator, runtime, true),
    cluster: () => clusterCase(emulator, runtime),
    memcached: () => memcachedCase(emulator, runtime),
    serverless: () => serverlessCase(emulator, runtime),
  };
  return Promise.all(KINDS.filter((k) => kinds.includes(k)).map((k) => builders[k]()));
}
