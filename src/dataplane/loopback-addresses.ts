/**
 * The loopback range node endpoints are taken from. On Linux every 127.x.y.z address is local, so each endpoint
 * can have an address of its own and listen on exactly the port the user asked for, as nodes do on AWS.
 */
import type { AddressPool } from '../store/store.js';

export class LoopbackAddressPool implements AddressPool {
  private readonly base: number;

  constructor(firstAddress: string, private readonly size = 65_000) {
    this.base = firstAddress.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  }

  first(accept: (address: string) => boolean): string | undefined {
    for (let i = 0; i < this.size; i++) {
      const n = this.base + i;
      if ((n & 0xff) === 0 || (n & 0xff) === 0xff || n >>> 24 !== 127) continue;
      const address = [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
      if (accept(address)) return address;
    }
    return undefined;
  }
}
