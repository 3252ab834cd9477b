/**
 * The endpoints clients connect to. Each is a TCP listener the emulator owns on its own loopback address and the
 * cluster's port, forwarding every connection to wherever its node runs now (a container's published port, a
 * process's port). Because the emulator owns the listener, an endpoint keeps its address when a node is replaced,
 * and can later follow a failover or refuse a connection a security group does not allow.
 *
 * Both sides of a forwarded connection are half-open capable: a client that sends, then shuts its sending side
 * (`printf ... | nc -q 1`), gets the node's answer, because its end is passed on to the node as an end and the
 * node's answer still flows back; each side closes once both of its directions are done.
 *
 * TLS passes through: the node presents its own certificate. A node that takes TLS and plain connections on one
 * endpoint (TransitEncryptionMode preferred) listens on two ports; the listener reads a connection's first bytes
 * and sends a TLS handshake to the TLS port, anything else to the plain one. A memcached endpoint, which answers
 * Auto Discovery itself, ends its clients' TLS with a certificate of its own and speaks TLS to its node; so does a
 * redis / valkey endpoint whose group has iam users, which reads its clients' logins (iam-login.ts).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { TLSSocket, connect as connectTls, createSecureContext, type SecureContext } from 'node:tls';
import { relayMemcached } from './memcached-endpoint.js';
import { relayWithIamLogin, type IamLoginCheck } from './iam-login.js';

export interface Target {
  host: string;
  /** A TLS node's TLS port. */
  port: number;
  /** A TLS node that takes plain connections too (preferred mode): where it does. */
  plainPort?: number;
}

/** The first byte of a TLS record carrying a handshake (a ClientHello, when a client speaks first). */
const TLS_HANDSHAKE = 0x16;

/** An endpoint that ends TLS itself: the certificate it presents and the CA its node's certificate is checked with. */
export interface TlsTermination {
  certificate: string;
  key: string;
  authority: string;
}

export interface EndpointBehaviour {
  /** Where connections go now; undefined refuses them (the node is not running). */
  target(): Target | undefined;
  /**
   * Memcached endpoints: the current answer to Auto Discovery's `config get cluster`, which the endpoint gives
   * itself, in order among the node's answers (memcached-endpoint.ts); the rest goes to the node.
   */
  autoDiscovery?(): string;
  /**
   * Whether a client from this address may connect (security group rules); all may when absent. A client not
   * known yet (a container seen for the first time) is answered later: its connection waits, paused.
   */
  allows?(remoteAddress: string): boolean | Promise<boolean>;
  /** Memcached endpoints of an encrypted cluster: TLS ends here (with autoDiscovery only). */
  tls?: TlsTermination;
  /**
   * Redis / valkey endpoints: asked per connection whether the group has iam users now; if so the endpoint reads
   * the client's logins, ending its TLS (and speaking TLS to the node) when the group encrypts. Told where the
   * connection comes from (a node of the group logs in as the node it is).
   */
  iamLogin?(remoteAddress: string): EndpointIamLogin | undefined;
}

/** How an endpoint whose group has iam users serves a connection. */
export interface EndpointIamLogin extends IamLoginCheck {
  tls?: TlsTermination;
}

interface Listener {
  server: Server;
  behaviour: EndpointBehaviour;
  sockets: Set<Socket>;
  /** Built from behaviour.tls once, not per connection. */
  secureContext?: { from: TlsTermination; context: SecureContext };
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
    const allowed = behaviour.allows?.(client.remoteAddress ?? '') ?? true;
    if (allowed === false) {
      client.destroy();
      return;
    }
    if (allowed !== true) {
      client.pause();
      allowed.then(
        (admitted) => {
          if (!admitted || client.destroyed) return void client.destroy();
          this.serve(entry, client);
          client.resume();
        },
        () => client.destroy(),
      );
      return;
    }
    this.serve(entry, client);
  }

  /** Carries an admitted connection to its node. */
  private serve(entry: Listener, client: Socket): void {
    const { behaviour } = entry;
    if (behaviour.autoDiscovery) {
      const discovery = behaviour.autoDiscovery;
      const tls = behaviour.tls;
      const served = tls ? this.endTls(entry, client, tls) : client;
      relayMemcached(served, () => this.connectNode(entry, served, entry.behaviour.target(), tls), discovery);
      return;
    }
    const iamLogin = behaviour.iamLogin?.(client.remoteAddress ?? '');
    if (iamLogin) {
      const served = iamLogin.tls ? this.endTls(entry, client, iamLogin.tls) : client;
      const node = this.connectNode(entry, served, behaviour.target(), iamLogin.tls);
      if (node) relayWithIamLogin(served, node, iamLogin);
      return;
    }
    const target = behaviour.target();
    if (target?.plainPort !== undefined) {
      this.sortByFirstByte(entry, client, target);
      return;
    }
    const node = this.connectNode(entry, client, target);
    if (!node) return;
    // The fast path: the streams piped as they are. A pipe ends its destination when its source ends, so a
    // half-close goes on in either direction. Writes to a node still connecting wait in its buffer.
    client.pipe(node);
    node.pipe(client);
  }

  /** Preferred mode: a TLS handshake goes to the node's TLS port, anything else to its plain port. */
  private sortByFirstByte(entry: Listener, client: Socket, target: Target): void {
    const ended = () => client.end();
    client.once('end', ended);
    client.once('data', (first: Buffer) => {
      client.off('end', ended);
      client.pause();
      const port = first[0] === TLS_HANDSHAKE ? target.port : target.plainPort!;
      const node = this.connectNode(entry, client, { host: target.host, port });
      if (!node) return;
      node.write(first);
      client.pipe(node);
      node.pipe(client);
    });
  }

  /** Ends a client's TLS at the endpoint: the socket returned carries its plain bytes. */
  private endTls(entry: Listener, client: Socket, tls: TlsTermination): Socket {
    if (entry.secureContext?.from !== tls)
      entry.secureContext = { from: tls, context: createSecureContext({ cert: tls.certificate, key: tls.key }) };
    const secure = new TLSSocket(client, { isServer: true, secureContext: entry.secureContext.context });
    entry.sockets.add(secure);
    secure.on('close', () => entry.sockets.delete(secure));
    secure.on('error', () => secure.destroy());
    client.on('close', () => secure.destroy());
    return secure;
  }

  /**
   * Opens the connection to the endpoint's node for a client, or cuts the client off when none runs. A node that
   * hangs up ends the client's side once the answers it sent are out; one that fails cuts the client at once.
   */
  private connectNode(
    entry: Listener,
    client: Socket,
    target: Target | undefined,
    tls?: TlsTermination,
  ): Socket | undefined {
    if (!target) {
      client.destroy();
      return undefined;
    }
    const address = { host: target.host, port: target.port };
    // The node's certificate is checked against the CA, not against its address (a container's is not in it).
    const node = tls
      ? connectTls({ ...address, ca: tls.authority, checkServerIdentity: () => undefined })
      : connect({ ...address, allowHalfOpen: true });
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
