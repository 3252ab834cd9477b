/**
 * The role ports of serverless backing containers on the shared address (docker-cluster-announce.ts). A serverless
 * cache's nodes announce the cache's endpoint host with its endpoint's port (the primary) or its reader endpoint's
 * (the replica), as AWS shows a serverless cache. Redis 7.0 announces one port, which its replicas connect to as
 * well, on the announced ip: the shared address. Every serverless cache wants the same ports there (6379 and 6380
 * where each endpoint has an address of its own), so one listener per shared address and port serves them all, and
 * tells the caches apart by who connects: only a container registered as a serverless node is let in, and it is led
 * to the node of its own group that announces that port now (routeOf decides, from what the announcer keeps).
 *
 * Clients never come here: they follow the announced hostname to the cache's endpoints, which the emulator serves.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { plainAddress } from '../common/client-origins.js';
import type { Logger } from '../common/logger.js';
import { carryTo, type BusForwardTarget } from './cluster-bus.js';

interface Listener {
  server: Server;
  sockets: Set<Socket>;
}

const key = (address: string, port: number) => `${address}:${port}`;

export class RolePortRouter {
  private readonly listeners = new Map<string, Listener>();

  constructor(
    /** Where a connection from `remote` to address:port goes; undefined refuses it. */
    private readonly routeOf: (address: string, port: number, remote: string) => BusForwardTarget | undefined,
    private readonly log: Logger,
  ) {}

  /** Whether a listener of the router stands on address:port. */
  holds(address: string, port: number): boolean {
    return this.listeners.has(key(address, port));
  }

  /**
   * Listens on address:port unless it already does. A port another listener holds (a regular node's client port
   * given by an older build) leaves the role unrouted there: logged, as the replica cannot reach its primary.
   */
  async open(address: string, port: number): Promise<void> {
    if (this.listeners.has(key(address, port))) return;
    const listener: Listener = { server: createServer({ allowHalfOpen: true }), sockets: new Set() };
    listener.server.on('connection', (peer) =>
      carryTo(listener.sockets, peer, this.routeOf(address, port, plainAddress(peer.remoteAddress ?? ''))),
    );
    // Set before listening: two nodes of one role port reserve it side by side.
    this.listeners.set(key(address, port), listener);
    await new Promise<void>((resolve) => {
      listener.server.once('error', (error) => {
        this.listeners.delete(key(address, port));
        this.log.warn(
          { err: error, at: key(address, port) },
          'a serverless role port could not be routed: replicas announced there cannot reach their primary',
        );
        resolve();
      });
      listener.server.listen({ host: address, port, exclusive: true }, () => resolve());
    });
  }

  /** Closes the listeners `inUse` no longer wants, and what they carry. */
  async closeUnused(inUse: (address: string, port: number) => boolean): Promise<void> {
    for (const [at, listener] of [...this.listeners]) {
      const split = at.lastIndexOf(':');
      if (inUse(at.slice(0, split), Number(at.slice(split + 1)))) continue;
      this.listeners.delete(at);
      for (const socket of listener.sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.server.close(() => resolve()));
    }
  }

  close(): Promise<void> {
    return this.closeUnused(() => false);
  }
}
