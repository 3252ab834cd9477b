/**
 * Who is at the other end of an endpoint's connection, told from its source address: the host (loopback, or an
 * address of this machine's own interfaces), a client container (docker runtime: runtime/docker-clients.ts finds it by
 * its address on a Docker network, with its labels), or another machine. Security groups then place each in the
 * cluster's VPC (domain/elasticache/admission.ts).
 */
import { networkInterfaces } from 'node:os';

export type ClientOrigin =
  | { kind: 'host' }
  | { kind: 'container'; name: string; labels: Record<string, string> }
  | { kind: 'outside'; address: string };

export interface ClientDirectory {
  /** Known at once where it can be (the host, a container seen before), else after a look. */
  identify(remote: string): ClientOrigin | Promise<ClientOrigin>;
  /** Stops what it watches. */
  close?(): void;
}

/** A socket's remote address as an IPv4 client has it, without the IPv4-mapped IPv6 prefix. */
export function plainAddress(remote: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote)?.[1];
  return mapped ?? remote;
}

/** 127.0.0.0/8 or ::1: told from the text, as this runs for every connection (a BlockList check costs microseconds). */
const isLoopback = (address: string) => address.startsWith('127.') || address === '::1';

/** The addresses of this machine's interfaces, looked at again at most once a second (interfaces come and go). */
class LocalAddresses {
  private addresses = new Set<string>();
  private readAt = 0;

  has(address: string): boolean {
    if (isLoopback(address) || this.addresses.has(address)) return true;
    if (Date.now() - this.readAt < 1000) return false;
    this.readAt = Date.now();
    this.addresses = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((i) => i?.address)
        .filter((a): a is string => a !== undefined),
    );
    return this.addresses.has(address);
  }
}

/** Without Docker: the host, or another machine. */
export class LocalClientDirectory implements ClientDirectory {
  protected readonly local = new LocalAddresses();

  identify(remote: string): ClientOrigin | Promise<ClientOrigin> {
    const address = plainAddress(remote);
    return this.local.has(address) ? { kind: 'host' } : { kind: 'outside', address };
  }
}
