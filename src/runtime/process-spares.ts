/**
 * Claiming a warm spare (control/serverless/warm-spares.ts) as a process node: the spare's working directory becomes the member
 * node's, and the running engine takes the member's endpoint, announce settings, certificate and credentials live
 * (CONFIG SET, ACL SETUSER), as process.ts would have started it. Its cluster bus keeps the spare's own listener
 * (Redis binds the bus once, at start): the emulator's bus forward on the announced address points there.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tlsFiles } from './engines.js';
import { nodeConfigFile } from './node-access.js';
import { spareAdmin, takeMemberCredentials } from './spare-claims.js';
import type { ClusterBus } from './cluster-bus.js';
import type { NodeAddress, NodeHandle, NodeSpec } from './runtime.js';

/** What process.ts records of a node in its node.json (the fields a claim writes). */
export interface ClaimedNodeFile {
  pid: number;
  host: string;
  port: number;
  binary: string;
  busPort: number;
  /** Where the bus listens, when not on the backstage address: a claimed spare's own address. */
  busHost: string;
  backstage: string;
  source: string;
  announcedBus: { address: string; port: number };
}

export interface SpareHost {
  bus: ClusterBus;
  nodeDir(node: NodeAddress): string;
  backstageOf?: (endpointAddress: string) => string | undefined;
  /** The spare as its node.json records it. */
  recorded(
    spare: NodeAddress,
  ): { pid: number; host?: string; port: number; binary: string; busPort?: number } | undefined;
  removeNode(node: NodeAddress, handle: NodeHandle | undefined): Promise<void>;
  writeNodeFile(dir: string, node: ClaimedNodeFile): void;
  handleOf(spec: NodeSpec, node: ClaimedNodeFile): NodeHandle;
}

const CONFIG_FILE = 'node.conf';

/** Makes the running spare the node `spec` describes; undefined when the spec needs a start of its own. */
export async function claimProcessSpare(
  host: SpareHost,
  spare: NodeSpec,
  spec: NodeSpec,
): Promise<NodeHandle | undefined> {
  const endpoint = spec.endpoint;
  const backstage = endpoint && host.backstageOf?.(endpoint.address);
  const recorded = host.recorded(spare);
  if (!endpoint || !backstage || !spec.cluster || !spec.tls || !recorded?.busPort) return undefined;
  const announced = spec.cluster.announceHost;
  const busHost = recorded.host ?? '127.0.0.1';

  // Whatever an earlier attempt left of the member's node goes first; then the spare's directory is the member's
  // (the process keeps its working directory through the rename).
  await host.removeNode(spec, undefined);
  const dir = host.nodeDir(spec);
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  renameSync(host.nodeDir(spare), dir);
  const files = tlsFiles(join(dir, CONFIG_FILE));
  writeFileSync(files.certificate, spec.tls.certificate, { mode: 0o600 });
  writeFileSync(files.key, spec.tls.key, { mode: 0o600 });
  writeFileSync(files.authority, spec.tls.authority, { mode: 0o600 });
  writeFileSync(join(dir, CONFIG_FILE), nodeConfigFile(spec.access, spec.engineVersion, spec.authToken), {
    mode: 0o600,
  });

  // As process.ts starts a node that serves its endpoint: its peers' links come from its backstage address.
  const forward = await host.bus.open(spec, announced, 0, { host: busHost, port: recorded.busPort });
  host.bus.register(spec, backstage);
  const node: ClaimedNodeFile = {
    pid: recorded.pid,
    host: endpoint.address,
    port: endpoint.port,
    binary: recorded.binary,
    busPort: recorded.busPort,
    busHost,
    backstage,
    source: backstage,
    announcedBus: { address: announced, port: forward },
  };
  host.writeNodeFile(dir, node);

  const open = spec.endpointClosed ? [] : [endpoint.address, ...(spec.heldAddresses ?? [])];
  const redis = await spareAdmin(spare, { host: busHost, port: recorded.port });
  try {
    // One CONFIG SET: all of it applies, or none (the spare is then removed and a node started as usual).
    // prettier-ignore
    await redis.call(
      'CONFIG', 'SET',
      'bind', [...new Set([...open, backstage])].join(' '),
      'tls-port', String(endpoint.port),
      'tls-cert-file', files.certificate,
      'tls-key-file', files.key,
      'tls-ca-cert-file', files.authority,
      'maxmemory', String(spec.maxMemoryBytes),
      'cluster-announce-hostname', announced,
      'cluster-announce-ip', announced,
      'cluster-announce-port', String(spec.cluster.announcePort),
      'cluster-announce-tls-port', String(spec.cluster.announcePort),
      'cluster-announce-bus-port', String(forward),
      'bind-source-addr', backstage,
      'replica-announce-ip', announced,
      'masterauth', spec.access.replicationPassword,
    );
    await takeMemberCredentials(redis, spec);
  } catch (error) {
    await host.bus.forget(node);
    throw error;
  } finally {
    redis.disconnect();
  }
  return host.handleOf(spec, node);
}
