/**
 * The endpoints clients connect to. Each is a TCP listener the emulator owns on its own loopback address and the
 * cluster's port, forwarding every connection to wherever its node runs now (a container's published port, a
 * process's port). Because the emulator owns the listener, an endpoint keeps its address when a node is replaced,
 * and can later follow a failover or refuse a connection a security group does not allow.
 *
 * Plain connections (the bytes passed through as they are) are carried by relay workers where the machine has
 * cores for them (relay-pool.ts); the rest in the emulator's own loop (node-relay.ts has the half-close rules).
 *
 * TLS passes through: the node presents its own certificate (in preferred mode, a connection's first byte picks
 * its TLS or plain port). A memcached endpoint, which answers
 * Auto Discovery itself, ends its clients' TLS with a certificate of its own and speaks TLS to its node; so does a
 * redis / valkey endpoint whose group has iam users, which reads its clients' logins (iam-login.ts).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket, connect as connectTls, createSecureContext, type SecureContext } from 'node:tls';
import { relayMemcached } from './memcached-endpoint.js';
import { relayWithIamLogin, type IamLoginCheck } from './iam-login.js';
import { connectPlain, relayToNode, tieToClient, type Target } from './node-relay.js';
import { RelayPool } from './relay-pool.js';

export type { Target } from './node-relay.js';

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
  /** address:port */
  key: string;
  server: Server;
  behaviour: EndpointBehaviour;
  sockets: Set<Socket>;
  /** Built from behaviour.tls once, not per connection. */
  secureContext?: { from: TlsTermination; context: SecureContext };
}

const key = (address: string, port: number) => `${address}:${port}`;

/**
 * Listeners are created paused: a socket handed to a relay worker must not have been read here. One the emulator
 * carries itself is set reading as a new socket would be, before anything consumes it.
 */
function startReading(client: Socket): void {
  // Readable's setter (typed read-only) takes it back to "no consumer decided yet", the state of a new socket.
  (client as { readableFlowing: boolean | null }).readableFlowing = null;
  client.read(0);
}

export class EndpointProxy {
  private readonly listeners = new Map<string, Listener>();

  constructor(private readonly relays = new RelayPool()) {}

  /** Opens (or re-targets) the listener of an endpoint. */
  async open(address: string, port: number, behaviour: EndpointBehaviour): Promise<void> {
    const existing = this.listeners.get(key(address, port));
    if (existing) {
      existing.behaviour = behaviour;
      return;
    }
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true });
    const entry: Listener = { key: key(address, port), server, behaviour, sockets: new Set<Socket>() };
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

  /** Where a listener's connections go now: undefined where none listens, null where it refuses them. */
  targetOf(address: string, port: number): Target | null | undefined {
    const entry = this.listeners.get(key(address, port));
    return entry ? (entry.behaviour.target() ?? null) : undefined;
  }

  /** Cuts every connection a listener carries; the listener stays open. */
  dropConnections(address: string, port: number): void {
    const entry = this.listeners.get(key(address, port));
    for (const socket of entry?.sockets ?? []) socket.destroy();
    this.relays.drop(key(address, port));
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
    this.relays.drop(key(address, port));
    await new Promise<void>((resolve) => entry.server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all(
      [...this.listeners.keys()].map((k) => {
        const [address, port] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
        return this.close(address, port);
      }),
    );
    await this.relays.stop();
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
      allowed.then(
        (admitted) => {
          if (!admitted || client.destroyed) return void client.destroy();
          this.serve(entry, client);
        },
        () => client.destroy(),
      );
      return;
    }
    this.serve(entry, client);
  }

  /** Carries an admitted (still paused) connection to its node. */
  private serve(entry: Listener, client: Socket): void {
    const { behaviour } = entry;
    if (behaviour.autoDiscovery) {
      startReading(client);
      const discovery = behaviour.autoDiscovery;
      const tls = behaviour.tls;
      const served = tls ? this.endTls(entry, client, tls) : client;
      relayMemcached(served, () => this.connectNode(entry, served, entry.behaviour.target(), tls), discovery);
      return;
    }
    const iamLogin = behaviour.iamLogin?.(client.remoteAddress ?? '');
    if (iamLogin) {
      startReading(client);
      const served = iamLogin.tls ? this.endTls(entry, client, iamLogin.tls) : client;
      const node = this.connectNode(entry, served, behaviour.target(), iamLogin.tls);
      if (node) relayWithIamLogin(served, node, iamLogin);
      return;
    }
    const target = behaviour.target();
    if (!target) return void client.destroy();
    // The fast path: bytes as they are, by a relay worker when one is ready.
    if (this.relays.hand(entry.key, client, target)) {
      // The worker has the connection now; this side's socket is only a shell.
      entry.sockets.delete(client);
      return;
    }
    relayToNode(client, target, (node) => this.track(entry, node));
  }

  /** Keeps a socket among the listener's (cut with them) while it is open. */
  private track(entry: Listener, socket: Socket): void {
    entry.sockets.add(socket);
    socket.on('close', () => entry.sockets.delete(socket));
  }

  /** Ends a client's TLS at the endpoint: the socket returned carries its plain bytes. */
  private endTls(entry: Listener, client: Socket, tls: TlsTermination): Socket {
    if (entry.secureContext?.from !== tls)
      entry.secureContext = { from: tls, context: createSecureContext({ cert: tls.certificate, key: tls.key }) };
    const secure = new TLSSocket(client, { isServer: true, secureContext: entry.secureContext.context });
    this.track(entry, secure);
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
    if (!tls) return connectPlain(client, target.host, target.port, (node) => this.track(entry, node));
    // The node's certificate is checked against the CA, not against its address (a container's is not in it).
    const node = connectTls({
      host: target.host,
      port: target.port,
      ca: tls.authority,
      checkServerIdentity: () => undefined,
    });
    this.track(entry, node);
    return tieToClient(node, client);
  }
}
