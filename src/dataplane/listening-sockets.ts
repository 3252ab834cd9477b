/**
 * Which TCP addresses and ports this host listens on now, read synchronously from /proc/net/tcp{,6} (Linux), so an
 * endpoint is never handed an address and port some other program (another emulator, a local redis) holds.
 * Elsewhere there is no such table: undefined, and the range claim alone keeps emulators apart.
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';

export interface ListeningSockets {
  /** Whether binding address:port would fail because something listens there (or on every address at that port). */
  holds(address: string, port: number): boolean;
}

const LISTEN = '0A';

/** An IPv4 address as /proc writes it: 8 hex digits in the host's byte order. */
function ipv4(hex: string): string {
  const bytes = [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return (endianness() === 'LE' ? bytes.reverse() : bytes).join('.');
}

function read(file: string): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(1);
  } catch {
    return undefined;
  }
}

export function listeningSockets(): ListeningSockets | undefined {
  const v4 = read('/proc/net/tcp');
  if (!v4) return undefined;
  const bound = new Set<string>();
  const everyAddress = new Set<number>();
  for (const line of v4) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== LISTEN) continue;
    const [hex, portHex] = fields[1].split(':');
    const address = ipv4(hex);
    const port = parseInt(portHex, 16);
    if (address === '0.0.0.0') everyAddress.add(port);
    else bound.add(`${address}:${port}`);
  }
  for (const line of read('/proc/net/tcp6') ?? []) {
    const fields = line.trim().split(/\s+/);
    if (fields[3] !== LISTEN) continue;
    const [hex, portHex] = fields[1].split(':');
    const port = parseInt(portHex, 16);
    // [::] (dual-stack) holds the port on every IPv4 address too; ::ffff:a.b.c.d is an IPv4 listener.
    if (/^0+$/.test(hex)) everyAddress.add(port);
    else if (hex.startsWith('0000000000000000FFFF0000')) bound.add(`${ipv4(hex.slice(24))}:${port}`);
  }
  return { holds: (address, port) => everyAddress.has(port) || bound.has(`${address}:${port}`) };
}
