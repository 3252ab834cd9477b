/**
 * The endpoints clients connect to. Each is a TCP listener the emulator owns on its own loopback address and the
 * cluster's port, forwarding every connection to wherever its node runs now (a container's published port, a
 * process's port). Because the emulator owns the listener, an endpoint keeps its address when a node is replaced,
 * and can later follow a failover or refuse a connection a security group does not allow.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Target {
  host: string;
  port: number;
}

export interface EndpointBehaviour {
  /** Where connections go now; undefined refuses them (the node is not running). */
  target(): Target | undefined;
  /**
   * Answers some requests itself before (or instead of) forwarding: given the first complete line a client
   * sent, returns the reply, or undefined to forward the connection from there on.
   */
  intercept?(line: string): string | undefined;
  /** Whether a client from this address may connect (security group rules); all may when absent. */
  allows?(remoteAddress: string): boolean;
}

const key = (address: string, port: number) => `${address}:${port}`;

export class EndpointProxy {
  private readonly listeners = new Map<
    string,
    { server: Server; behaviour: EndpointBehaviour; sockets: Set<Socket> }
  >();

  /** Opens (or re-targets) the listener of an endpoint. */
  async open(address: string, port: number, behaviour: EndpointBehaviour): Promise<void> {
    const existing = this.listeners.get(key(address, port));
    if (existing) {
      existing.behaviour = behaviour;
      return;
    }
    const entry = { server: createServer(), behaviour, sockets: new Set<Socket>() };
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

  /** Closes a listener and the connections it carries (a deleted node's clients are cut off, as on AWS). */
  async close(address: string, port: number): Promise<void> {
    const entry = this.listeners.get(key(address, port));
    if (!entry) return;
    this.listeners.delete(key(address, port));
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

  private accept(entry: { behaviour: EndpointBehaviour; sockets: Set<Socket> }, client: Socket): void {
    const { behaviour } = entry;
    entry.sockets.add(client);
    client.on('close', () => entry.sockets.delete(client));
    client.on('error', () => client.destroy());
    if (behaviour.allows && !behaviour.allows(client.remoteAddress ?? '')) {
      client.destroy();
      return;
    }
    if (!behaviour.intercept) {
      this.forward(entry, client, Buffer.alloc(0));
      return;
    }
    let pending = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\n');
        if (end < 0) return;
        const line = pending.subarray(0, end).toString('latin1').replace(/\r$/, '');
        const reply = behaviour.intercept!(line);
        if (reply === undefined) {
          client.off('data', onData);
          this.forward(entry, client, pending);
          return;
        }
        client.write(reply);
        pending = pending.subarray(end + 1);
      }
    };
    client.on('data', onData);
  }

  private forward(entry: { behaviour: EndpointBehaviour; sockets: Set<Socket> }, client: Socket, head: Buffer): void {
    const target = entry.behaviour.target();
    if (!target) {
      client.destroy();
      return;
    }
    client.pause();
    const upstream = connect(target);
    entry.sockets.add(upstream);
    upstream.on('close', () => {
      entry.sockets.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('connect', () => {
      if (head.length > 0) upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
