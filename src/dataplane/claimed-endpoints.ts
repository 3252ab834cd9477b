/**
 * Decides how this emulator's endpoints are addressed (loopback addresses or ports), claims a range of them that no
 * other emulator on this host uses (endpoint-ranges.ts), and gives the allocator that hands them out. A durable
 * data dir remembers its range in a file beside its database, so a restart claims the same one and keeps its
 * endpoints.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointAllocator } from '../common/endpoint-addresses.js';
import {
  PORT_BLOCK,
  PORTS_MODE_BASE,
  claimEndpointRange,
  decodeRange,
  encodeRange,
  type ClaimedRange,
  type EndpointRange,
} from './endpoint-ranges.js';
import { LoopbackAddressAllocator, PortAllocator, loopbackRangeUsable } from './loopback-addresses.js';

export interface EndpointSettings {
  endpointMode: 'auto' | 'loopback' | 'ports';
  endpointBase: string;
  /** The data dir, or `:memory:`. */
  dataDir: string;
  /** Endpoints on this name or address, a port each (--advertise-host). */
  advertiseHost?: string;
}

export interface EndpointClaim {
  loopback: boolean;
  claimed: ClaimedRange;
  allocator: EndpointAllocator;
  /** Records the claimed range in the data dir (once it exists), for the next start to claim it again. */
  remember(): void;
}

const RANGE_FILE = 'endpoint-range.json';

interface RememberedRange {
  /** The range the settings asked for when the claim was made: another one asked for now starts afresh. */
  configured: string;
  claimed: string;
}

export async function claimRange(settings: EndpointSettings): Promise<EndpointClaim> {
  const loopback =
    !settings.advertiseHost &&
    (settings.endpointMode === 'loopback' ||
      (settings.endpointMode === 'auto' && (await loopbackRangeUsable(settings.endpointBase))));
  const configured: EndpointRange = loopback
    ? { kind: 'loopback', base: settings.endpointBase }
    : { kind: 'ports', first: PORTS_MODE_BASE, size: PORT_BLOCK };
  const durable = settings.dataDir !== ':memory:';
  const file = join(settings.dataDir, RANGE_FILE);
  let previous: EndpointRange | undefined;
  if (durable) {
    try {
      const remembered = JSON.parse(readFileSync(file, 'utf8')) as RememberedRange;
      if (remembered.configured === encodeRange(configured)) previous = decodeRange(remembered.claimed);
    } catch {
      // first start on this data dir, or a dir from before ranges were claimed
    }
  }
  const claimed = claimEndpointRange({ configured, previous, dataDir: durable ? settings.dataDir : undefined });
  const { range } = claimed;
  const allocator =
    range.kind === 'loopback'
      ? new LoopbackAddressAllocator(range.base)
      : new PortAllocator(settings.advertiseHost ?? '127.0.0.1', range.first, range.size);
  return {
    loopback,
    claimed,
    allocator,
    remember: () => {
      if (!durable) return;
      const remembered: RememberedRange = { configured: encodeRange(configured), claimed: encodeRange(range) };
      try {
        writeFileSync(file, JSON.stringify(remembered));
      } catch {
        // a read-only data dir fails at the database already; nothing more to say here
      }
    },
  };
}
