/**
 * How node endpoints get their address and port.
 * - Loopback (Linux): every 127.x.y.z address is local, so each endpoint gets an address of its own and listens
 *   on exactly the port the cluster asked for, as every node has its own address on AWS.
 * - Ports (where extra loopback addresses do not exist, e.g. macOS): every endpoint listens on one address, each
 *   on a port of its own from a base upwards; the cluster's requested port cannot be honoured there.
 * Both hand out only what their claimed range holds (dataplane/endpoint-ranges.ts) and skip an address and port
 * something on this host already listens on, so a node never fails to start on a port another program holds.
 */
import { createServer } from 'node:net';
import type { EndpointAllocation, EndpointAllocator } from '../common/endpoint-addresses.js';
import { listeningSockets, type ListeningSockets } from './listening-sockets.js';

const addressOf = (n: number) => [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');

export class LoopbackAddressAllocator implements EndpointAllocator {
  private readonly base: number;

  /**
   * @param size how many addresses from the first; by default up to the end of the first address's /16, where the
   *   range's claim ends.
   */
  constructor(
    firstAddress: string,
    private readonly size = 65_536 - (Number(firstAddress.split('.')[2]) * 256 + Number(firstAddress.split('.')[3])),
    private readonly listening: () => ListeningSockets | undefined = listeningSockets,
  ) {
    this.base = firstAddress.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  }

  choose(taken: EndpointAllocation[], requestedPort: number): EndpointAllocation | undefined {
    const used = new Set(taken.map((t) => t.address));
    const sockets = this.listening();
    for (let i = 0; i < this.size; i++) {
      const n = this.base + i;
      if ((n & 0xff) === 0 || (n & 0xff) === 0xff || n >>> 24 !== 127) continue;
      const address = addressOf(n);
      if (used.has(address)) continue;
      // The endpoint and its backstage address must both be free on the requested port.
      if (sockets?.holds(address, requestedPort) || sockets?.holds(backstageAddress(address)!, requestedPort)) continue;
      return { address, port: requestedPort };
    }
    return undefined;
  }
}

export class PortAllocator implements EndpointAllocator {
  constructor(
    private readonly address: string,
    private readonly basePort: number,
    private readonly size = 65_536 - basePort,
    private readonly listening: () => ListeningSockets | undefined = listeningSockets,
  ) {}

  choose(taken: EndpointAllocation[]): EndpointAllocation | undefined {
    const used = new Set(taken.filter((t) => t.address === this.address).map((t) => t.port));
    const sockets = this.listening();
    const end = Math.min(65_536, this.basePort + this.size);
    for (let port = this.basePort; port < end; port++)
      if (!used.has(port) && !sockets?.holds(this.address, port)) return { address: this.address, port };
    return undefined;
  }
}

/** Whether this host can listen on an address of the loopback range beyond 127.0.0.1. */
export function loopbackRangeUsable(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port: 0 }, () => server.close(() => resolve(true)));
  });
}

/**
 * The backstage address of a node serving a loopback endpoint: where the emulator, replicas and the cluster bus reach
 * it, so it can close its endpoint to clients its security groups refuse. The endpoint's second octet with its high
 * bit flipped: an endpoint range (a /16 of 127.x) never overlaps its own backstage range, and one claim covers both.
 */
export function backstageAddress(endpointAddress: string): string | undefined {
  const octets = endpointAddress.split('.').map(Number);
  if (octets.length !== 4 || octets[0] !== 127 || octets.some((o) => !Number.isInteger(o))) return undefined;
  return [127, octets[1] ^ 0x80, octets[2], octets[3]].join('.');
}
