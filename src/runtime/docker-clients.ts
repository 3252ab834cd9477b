/**
 * Client containers, told by their address on a Docker network: the emulator's endpoints see a sibling container's
 * own address as the source of its connections, and its labels place it in the cluster's VPC. What a look at the
 * daemon found stands until a container joins or leaves a network (Docker's network events say so; an address
 * freed by one container is soon another's), and an address not seen yet is looked up before it is answered. The
 * networks' gateways count as the host (the host's connections to a container-facing address come from there).
 */
import type Docker from 'dockerode';
import { LocalClientDirectory, plainAddress, type ClientOrigin } from '../common/client-origins.js';

/** The pauses before each further look for an address not found yet. */
const LOOK_AGAIN_MS = [50, 100, 200, 300, 400];

export class DockerClientDirectory extends LocalClientDirectory {
  private known = new Map<string, ClientOrigin>();
  private looking: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /** Docker's network events, while they flow: without them every container's connection is looked up afresh. */
  private events: NodeJS.ReadableStream | undefined;
  private watching = false;
  private closed = false;

  constructor(private readonly docker: Docker) {
    super();
  }

  override identify(remote: string): ClientOrigin | Promise<ClientOrigin> {
    const address = plainAddress(remote);
    if (this.local.has(address)) return { kind: 'host' };
    this.watch();
    const known = this.events ? this.known.get(address) : undefined;
    if (known) return known;
    // A container that connects at once may not be listed yet: it is looked for once more before it counts as outside.
    return this.lookFor(address);
  }

  private async lookFor(address: string): Promise<ClientOrigin> {
    await this.look();
    // A container just started may not be listed on its network yet, for longer on a busy daemon: it is looked for
    // again for up to about a second before it counts as outside (only an address no look found waits that long).
    for (const pause of LOOK_AGAIN_MS) {
      if (this.known.has(address)) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
      await this.look();
    }
    return this.known.get(address) ?? { kind: 'outside', address };
  }

  close(): void {
    this.closed = true;
    (this.events as { destroy?: () => void } | undefined)?.destroy?.();
    this.events = undefined;
  }

  private watch(): void {
    if (this.watching || this.closed) return;
    this.watching = true;
    const forget = () => this.known.clear();
    const stop = () => {
      this.events = undefined;
      this.watching = false;
      forget();
    };
    this.docker.getEvents({ filters: { type: ['network'] } }).then(
      (stream) => {
        if (this.closed) return void (stream as { destroy?: () => void }).destroy?.();
        this.events = stream;
        stream.on('data', forget);
        stream.on('error', stop);
        stream.on('end', stop);
        // Watching must not keep the emulator's process alive.
        (stream as { socket?: { unref(): void } }).socket?.unref();
      },
      () => {
        this.watching = false;
      },
    );
  }

  /**
   * A look that starts after the call (one already under way may predate the caller's container), shared by every
   * connection that waits meanwhile.
   */
  private look(): Promise<void> {
    this.next ??= (this.looking ?? Promise.resolve()).then(() => {
      this.next = undefined;
      this.looking = this.readDocker()
        .catch(() => {})
        .finally(() => {
          this.looking = undefined;
        });
      return this.looking;
    });
    return this.next;
  }

  private async readDocker(): Promise<void> {
    const [containers, networks] = await Promise.all([
      this.docker.listContainers({ all: true }),
      this.docker.listNetworks(),
    ]);
    const known = new Map<string, ClientOrigin>();
    for (const network of networks) {
      for (const config of network.IPAM?.Config ?? []) if (config.Gateway) known.set(config.Gateway, { kind: 'host' });
    }
    for (const container of containers) {
      const name = (container.Names?.[0] ?? container.Id.slice(0, 12)).replace(/^\//, '');
      const origin: ClientOrigin = { kind: 'container', name: `container ${name}`, labels: container.Labels ?? {} };
      for (const network of Object.values(container.NetworkSettings?.Networks ?? {})) {
        if (network.IPAddress) known.set(network.IPAddress, origin);
        if (network.GlobalIPv6Address) known.set(network.GlobalIPv6Address, origin);
      }
    }
    this.known = known;
  }
}
