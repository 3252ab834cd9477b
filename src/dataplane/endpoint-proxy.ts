/**
 * The endpoints clients connect to. Each is a TCP listener the emulator owns on its own loopback address and the
 * cluster's port, forwarding every connection to wherever its node runs now (a container's published port, a
 * process's port). Because the emulator owns the listener, an endpoint keeps its address when a node is replaced,
 * and can later follow a failover or refuse a connection a security group does not allow.
 *
 * Both sides of a forwarded connection are half-open capable: a client that sends, then shuts its sending side
 * (`printf ... | nc -q 1`), gets the node's answer, because its end is passed on to the node as an end and the
 * node's answer still flows back; each side closes once both of its directions are done.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { relayMemcached } from './memcached-endpoint.js';

export interface Target {
  host: string;
  port: number;
}

export interface EndpointBehaviour {
  /** Where connections go now; undefined refuses them (the node is not running). */
  target(): Target | undefined;
  /**
   * Memcached endpoints: the current answer to Auto Discovery's `config get cluster`, which the endpoint gives
   * itself, in order among the node's answers (memcached-endpoint.ts); the rest goes to the node.
   */
  autoDiscovery?(): string;
  /** Whether a client from this address may connect (security group rules); all may when absent. */
  allows?(remoteAddress: string): boolean;
}

interface Listener {
  server: Server;
  behaviour: EndpointBehaviour;
  sockets: Set<Socket>;
}

const key = (address: string, port: number) => `${address}:${port}`;

export class EndpointProxy {
  private readonly listeners = new Map<string, Listener>();

  /** Opens (or re-targets) the listener of an endpoint. */
  async open(address: string, port: number, behaviour: EndpointBehaviour): Promise<void> {
    const existing = this.listeners.get(key(address, port));
    if (existing) {
      existing.behaviour = behaviour;
      return;
    }
    const entry: Listener = { server: createServer({ allowHalfOpen: true }), behaviour, sockets: new Set<Socket>() };
    entry.server.on('connection', (client) => this.accept(entry, client));
    await new Promise<void>((resolve, reject) => {
      entry.server.once('error', reject);
      entry.server.listen({ host: address, port, exclusive: true }, () => {
        entry.server.off('error', reject);
        resolve();
      });
    });
    this.listeners.set(key(address, port), entry);
  }

  isOpen(address: string, port: number): boolean {
    return this.listeners.has(key(address, port));
  }

  /** Cuts every connection a listener carries; the listener stays open. */
  dropConnections(address: string, port: number): void {
    const entry = this.listeners.get(key(address, port));
    for (const socket of entry?.sockets ?? []) socket.destroy();
  }

  /**
   * Closes a listener and the connections it carries (a deleted node's clients are cut off, as on AWS), or only
   * the listener (`keepConnections`: a node taking its endpoint back leaves the connections made meanwhile alone).
   */
  async close(address: string, port: number, { keepConnections = false } = {}): Promise<void> {
    const entry = this.listeners.get(key(address, port));
    if (!entry) return;
    this.listeners.delete(key(address, port));
    if (keepConnections) {
      // The address is free once the listening socket's handle has closed, a turn of the event loop later.
      entry.server.close();
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    for (const socket of entry.sockets) socket.destroy();
    await new Promise<void>((resolve) => entry.server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.listeners.keys()].map((k) => {
        const [address, port] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        return this.close(address, port);
      }),
    );
  }

  private accept(entry: Listener, client: Socket): void {
    const { behaviour } = entry;
    entry.sockets.add(client);
    client.on('close', () => entry.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (behaviour.allows && !behaviour.allows(client.remoteAddress ?? '')) {
      client.destroy();
      return;
    }
    if (behaviour.autoDiscovery) {
      relayMemcached(client, () => this.connectNode(entry, client), behaviour.autoDiscovery);
      return;
    }
    const node = this.connectNode(entry, client);
    if (!node) return;
    // The fast path: the streams piped as they are. A pipe ends its destination when its source ends, so a
    // half-close goes on in either direction. Writes to a node still connecting wait in its buffer.
    client.pipe(node);
    node.pipe(client);
  }

  /**
   * Opens the connection to the endpoint's node for a client, or cuts the client off when none runs. A node that
   * hangs up ends the client's side once the answers it sent are out; one that fails cuts the client at once.
   */
  private connectNode(entry: Listener, client: Socket): Socket | undefined {
    const target = entry.behaviour.target();
    if (!target) {
      client.destroy();
      return undefined;
    }
    const node = connect({ ...target, allowHalfOpen: true });
    entry.sockets.add(node);
    node.on('close', (hadError) => {
      entry.sockets.delete(node);
      if (hadError) client.destroy();
      else client.end();
    });
    node.on('error', () => node.destroy());
    client.on('close', () => node.destroy());
    return node;
  }
}
