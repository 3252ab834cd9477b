/**
 * Where a Docker daemon's nodes are reached from the emulator, told from the address dockerode connects to (its
 * modem, which read DOCKER_HOST). A daemon on a socket, or on a loopback TCP address, runs on this machine: nodes
 * publish on 127.0.0.1 and the host may reach containers on their own addresses. A daemon elsewhere publishes on
 * its host's interfaces and the emulator connects to that host by the name DOCKER_HOST gives; container addresses
 * are never tried there, since another machine's container network may overlap one of this machine's. Also here:
 * reaching the daemon at all, and telling whether the emulator itself runs in a container.
 */
import Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface DaemonPlacement {
  /** HostIp of the nodes' port bindings, on the daemon's machine. */
  publishAddress: string;
  /** The host the emulator connects to for a published port. */
  connectHost: string;
  /** Whether the daemon runs on this machine, so its containers' own addresses may be reachable (still probed). */
  local: boolean;
}

/** What dockerode's modem resolved: a socket path (local socket or pipe), or the host of a tcp:// / ssh:// URL. */
export interface DaemonAddress {
  socketPath?: unknown;
  host?: string;
}

const LOOPBACK = '127.0.0.1';

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare.startsWith('::ffff:127.');
}

export function daemonPlacement(address: DaemonAddress): DaemonPlacement {
  if (address.socketPath || !address.host || isLoopback(address.host)) {
    // A loopback name may resolve to ::1 first while the port is bound on 127.0.0.1: connect to that address.
    return { publishAddress: LOOPBACK, connectHost: LOOPBACK, local: true };
  }
  // The daemon's host may be reached through an address it does not hold (NAT, a load balancer): publishing on
  // every interface is what works whatever the emulator's route to it.
  return { publishAddress: '0.0.0.0', connectHost: address.host.replace(/^\[|\]$/g, ''), local: false };
}

/** Connects to the daemon of DOCKER_HOST or the default socket; undefined when none answers quickly. */
export async function connectDocker(timeoutMs = 1500): Promise<Docker | undefined> {
  const docker = new Docker();
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref()),
    ]);
    return docker;
  } catch {
    return undefined;
  }
}

/** This process's container id when it runs in a Docker container (its hostname file is mounted from there). */
export function ownContainerId(): string | undefined {
  try {
    return /\/containers\/([0-9a-f]{64})\/hostname/.exec(readFileSync('/proc/self/mountinfo', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
