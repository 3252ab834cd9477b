/**
 * Claims the range of endpoint addresses (or ports) an emulator hands out, so emulators running side by side on one
 * host never give two endpoints the same address and port. A claim is a lock file under the temp dir naming its
 * owner (pid, host, data dir); a range whose owner is gone can be taken, and an emulator restarted on its durable
 * data dir claims the range it used before, so its endpoints (kept in the store) stay its own.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A loopback range: 127.<second>.x.y from its base to the end of its /16, and its backstage /16 (high bit flipped). */
export interface LoopbackRange {
  kind: 'loopback';
  /** The first endpoint address. */
  base: string;
}

/** A block of ports on 127.0.0.1 (the ports endpoint mode). */
export interface PortRange {
  kind: 'ports';
  first: number;
  size: number;
}

export type EndpointRange = LoopbackRange | PortRange;

/** The first port of the ports endpoint mode, and the size of the block each emulator claims there. */
export const PORTS_MODE_BASE = 16379;
export const PORT_BLOCK = 1000;

interface Claim {
  pid: number;
  host: string;
  /** The owner's durable data dir; absent for an in-memory one, whose range nobody re-claims. */
  dataDir?: string;
  token: string;
}

/** A range held by this emulator until release(). */
export interface ClaimedRange {
  range: EndpointRange;
  /** The lock file holding the claim (absent when no lock file could be written: the bind check alone protects). */
  lockFile?: string;
  /** Which owner a skipped range belonged to, for the log line. */
  skipped: string[];
  release(): void;
}

const octetsOf = (address: string) => address.split('.').map(Number);

/** A loopback range's pair: its second octet without the high bit, shared with the backstage range it implies. */
const pairOf = (base: string) => octetsOf(base)[1] & 0x7f;

function lockName(range: EndpointRange): string {
  return range.kind === 'loopback'
    ? `elasticache-local-range-127.${pairOf(range.base)}.lock`
    : `elasticache-local-ports-${range.first}.lock`;
}

export function describeRange(range: EndpointRange): string {
  if (range.kind === 'ports') return `127.0.0.1 ports ${range.first}-${range.first + range.size - 1}`;
  const [, second, third] = octetsOf(range.base);
  return `${range.base}-127.${second}.255.254 on the clusters' ports (backstage 127.${second ^ 0x80}.${third}.x)`;
}

/** Whether a process of this host still runs (a process of another user counts as running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readClaim(file: string): Claim | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Claim;
  } catch {
    return undefined;
  }
}

/**
 * The ranges to try, in order: the one the data dir used before, then the configured one, then the following
 * ones (wrapping round). Loopback ranges skip 127.0.x.x and 127.128.x.x, where 127.0.0.1 and Docker's resolver live.
 */
function candidates(preferred: EndpointRange[], configured: EndpointRange): EndpointRange[] {
  const list = [...preferred, configured];
  if (configured.kind === 'loopback') {
    const high = octetsOf(configured.base)[1] & 0x80;
    const start = pairOf(configured.base);
    for (let step = 1; step < 128; step++) {
      const pair = (start + step) % 128;
      if (pair !== 0) list.push({ kind: 'loopback', base: `127.${high | pair}.0.1` });
    }
  } else {
    for (let first = configured.first + configured.size; first + configured.size <= 65536; first += configured.size)
      list.push({ ...configured, first });
    for (let first = PORTS_MODE_BASE; first < configured.first; first += configured.size)
      list.push({ ...configured, first });
  }
  return list;
}

/**
 * Claims the first free range: one without a lock file, one whose owner no longer runs, or one this data dir
 * claimed before. Throws when every range is held by a running emulator.
 */
export function claimEndpointRange(options: {
  configured: EndpointRange;
  /** The range the data dir used last time, if any. */
  previous?: EndpointRange;
  /** The durable data dir; undefined for an in-memory one. */
  dataDir?: string;
  /** Where the lock files live (default: the temp dir). */
  lockDir?: string;
}): ClaimedRange {
  const lockDir = options.lockDir ?? tmpdir();
  const mine: Claim = {
    pid: process.pid,
    host: hostname(),
    dataDir: options.dataDir,
    token: randomBytes(8).toString('hex'),
  };
  const skipped: string[] = [];
  for (const range of candidates(options.previous ? [options.previous] : [], options.configured)) {
    const file = join(lockDir, lockName(range));
    const taken = tryClaim(file, mine);
    if (taken === true) {
      return {
        range,
        lockFile: file,
        skipped,
        release: () => {
          if (readClaim(file)?.token === mine.token) unlinkSync(file);
        },
      };
    }
    if (taken === 'unwritable') return { range: options.previous ?? options.configured, skipped, release: () => {} };
    skipped.push(`${describeRange(range)} (pid ${taken.pid}${taken.dataDir ? `, ${taken.dataDir}` : ''})`);
  }
  throw new Error('every endpoint range is claimed by a running emulator; stop one, or remove its lock file');
}

/** true when the claim is ours now, the other owner's claim when it holds the range, 'unwritable' without a temp dir. */
function tryClaim(file: string, mine: Claim): true | Claim | 'unwritable' {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return 'unwritable';
    }
    const owner = readClaim(file);
    // A claim being written right now reads as nothing: look again.
    if (!owner) continue;
    const sameDataDir = mine.dataDir !== undefined && owner.dataDir === mine.dataDir;
    const gone = owner.host === mine.host && owner.pid !== mine.pid && !alive(owner.pid);
    if (!sameDataDir && !gone) return owner;
    // The stale claim goes only if it is still the one read, then the range is claimed as a fresh one would be.
    if (readClaim(file)?.token === owner.token) {
      try {
        unlinkSync(file);
      } catch {
        // another emulator took it over first
      }
    }
  }
  return readClaim(file) ?? { ...mine, pid: -1 };
}

/** How a range is stored in the data dir's settings, to be claimed again by the next start. */
export function encodeRange(range: EndpointRange): string {
  return JSON.stringify(range);
}

export function decodeRange(text: string | undefined): EndpointRange | undefined {
  if (!text) return undefined;
  try {
    const range = JSON.parse(text) as EndpointRange;
    if (range.kind === 'loopback' && /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(range.base)) return range;
    if (range.kind === 'ports' && Number.isInteger(range.first) && Number.isInteger(range.size)) return range;
  } catch {
    // an older or damaged value: the configured range is used
  }
  return undefined;
}
