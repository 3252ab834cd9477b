/**
 * The cluster bus a process node announces on its endpoint address: a plain TCP forward the emulator owns, from
 * the endpoint address and a port of its own to the node's bus on its backstage address. Cluster nodes announce
 * their endpoint (so CLUSTER NODES names no address around the security groups' check) and meet each other there;
 * the forward lets in only the nodes of the node's own group, told by the address their connections come from
 * (each node's bind-source-addr), which this also keeps. TLS (tls-cluster) passes through untouched.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { plainAddress } from '../common/client-origins.js';
import type { NodeAddress, NodeSpec } from './runtime.js';

const clusterKeyOf = (node: NodeAddress) => `${node.account}/${node.region}/${node.clusterId}`;
/** A cluster node's group (its cache cluster, for a node of no group). */
export const groupKeyOf = (spec: NodeSpec) =>
  `${spec.account}/${spec.region}/${spec.cluster?.groupId ?? spec.clusterId}`;

export interface BusForwardTarget {
  host: string;
  port: number;
}

/** Where a forward's connections go: fixed, or looked up per connection (a container's address can change). */
export type BusTarget = BusForwardTarget | (() => BusForwardTarget | undefined);

interface Forward {
  server: Server;
  sockets: Set<Socket>;
}

const key = (address: string, port: number) => `${address}:${port}`;

export class ClusterBus {
  private readonly forwards = new Map<string, Forward>();
  /** Cluster nodes' source addresses, each with its group's key: who may join a group's bus, or reach its nodes. */
  private readonly groupOfSource = new Map<string, string>();
  /** Each cluster node's group key, by its cache cluster. */
  private readonly groupOfCluster = new Map<string, string>();

  /** A cluster node whose connections come from `source`. */
  register(spec: NodeSpec, source: string): void {
    const group = groupKeyOf(spec);
    this.groupOfCluster.set(clusterKeyOf(spec), group);
    this.groupOfSource.set(source, group);
  }

  /** Whether `remote` is the source address of a node of the same group as `node`. */
  isGroupNode(node: NodeAddress, remote: string): boolean {
    const group = this.groupOfCluster.get(clusterKeyOf(node));
    return group !== undefined && this.groupOfSource.get(remote) === group;
  }

  /** The group key of the node whose connections come from `remote`, if one does. */
  groupOf(remote: string): string | undefined {
    return this.groupOfSource.get(remote);
  }

  /** A node gone: its source address no longer marks a node, its forward closes. */
  async forget(node: { source?: string; announcedBus?: { address: string; port: number } }): Promise<void> {
    if (node.source) this.groupOfSource.delete(node.source);
    if (node.announcedBus) await this.close(node.announcedBus.address, node.announcedBus.port);
  }

  /**
   * Opens the forward of a node's announced bus on `address` (on `port`, or a free one when 0), admitting its
   * group's nodes alone, and answers the port it listens on. One already open there is replaced.
   */
  async open(spec: NodeSpec, address: string, port: number, target: BusTarget): Promise<number> {
    const group = groupKeyOf(spec);
    const admits = (remote: string) => this.groupOfSource.get(remote) === group;
    if (port !== 0) await this.close(address, port);
    const forward: Forward = { server: createServer({ allowHalfOpen: true }), sockets: new Set() };
    forward.server.on('connection', (peer) => this.carry(forward, peer, target, admits));
    const listening = await new Promise<number>((resolve, reject) => {
      forward.server.once('error', reject);
      forward.server.listen({ host: address, port, exclusive: true }, () => {
        forward.server.off('error', reject);
        resolve((forward.server.address() as { port: number }).port);
      });
    });
    this.forwards.set(key(address, listening), forward);
    return listening;
  }

  isOpen(address: string, port: number): boolean {
    return this.forwards.has(key(address, port));
  }

  /** Closes a forward and the bus links it carries (the node is gone or replaced). */
  async close(address: string, port: number): Promise<void> {
    const forward = this.forwards.get(key(address, port));
    if (!forward) return;
    this.forwards.delete(key(address, port));
    for (const socket of forward.sockets) socket.destroy();
    await new Promise<void>((resolve) => forward.server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.forwards.keys()].map((k) =>
        this.close(k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))),
      ),
    );
  }

  private carry(forward: Forward, peer: Socket, target: BusTarget, admits: (remote: string) => boolean): void {
    const to = typeof target === 'function' ? target() : target;
    carryTo(forward.sockets, peer, to && admits(plainAddress(peer.remoteAddress ?? '')) ? to : undefined);
  }
}

/**
 * Pipes `peer` to `to` both ways (TLS passes through untouched), each side ending the other; no `to`: the peer is
 * refused. Both sockets are kept in `sockets` while open, so closing a forward can cut what it carries.
 */
export function carryTo(sockets: Set<Socket>, peer: Socket, to: BusForwardTarget | undefined): void {
  sockets.add(peer);
  peer.on('close', () => sockets.delete(peer));
  peer.on('error', () => peer.destroy());
  if (!to) {
    peer.destroy();
    return;
  }
  const node = connect({ host: to.host, port: to.port, allowHalfOpen: true });
  sockets.add(node);
  node.on('close', () => {
    sockets.delete(node);
    peer.destroy();
  });
  node.on('error', () => node.destroy());
  peer.on('close', () => node.destroy());
  peer.pipe(node);
  node.pipe(peer);
}
