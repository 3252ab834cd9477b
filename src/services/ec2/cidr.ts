/**
 * IPv4 / IPv6 CIDR arithmetic for VPC and subnet ranges and security group rules. Addresses are parsed by ipaddr.js
 * (every IPv6 notation, IPv4-embedded ones included); the arithmetic on them is plain numbers.
 */
import ipaddr from 'ipaddr.js';
import { isIPv4, isIPv6 } from 'node:net';

export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** Parses `a.b.c.d/n`; undefined when it is not one (leading zeros, octets > 255, prefix > 32 ...). */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!match || !isIPv4(match[1])) return undefined;
  const prefix = Number(match[2]);
  if (prefix > 32) return undefined;
  return { base: ipv4ToNumber(match[1]), prefix };
}

export function ipv4Size(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

/** Whether the address has no bits set beyond its prefix (10.0.0.0/16, not 10.0.1.0/16). */
export function isNetworkAddress(cidr: Ipv4Cidr): boolean {
  return cidr.base % ipv4Size(cidr) === 0;
}

export function ipv4Contains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix &&
    Math.floor(inner.base / ipv4Size(outer)) === Math.floor(outer.base / ipv4Size(outer))
  );
}

export function ipv4Overlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return ipv4Contains(a, b) || ipv4Contains(b, a);
}

export interface Ipv6Cidr {
  base: bigint;
  prefix: number;
}

function ipv6ToBigInt(address: string): bigint {
  return ipaddr.IPv6.parse(address)
    .toByteArray()
    .reduce((n, byte) => (n << 8n) + BigInt(byte), 0n);
}

/** Parses an IPv6 CIDR (`::ffff:1.2.3.4/128` too); undefined when it is not one. */
export function parseIpv6Cidr(text: string): Ipv6Cidr | undefined {
  const match = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text);
  if (!match || !isIPv6(match[1])) return undefined;
  const prefix = Number(match[2]);
  if (prefix > 128) return undefined;
  return { base: ipv6ToBigInt(match[1]), prefix };
}

export function ipv6Contains(outer: Ipv6Cidr, inner: Ipv6Cidr): boolean {
  if (inner.prefix < outer.prefix) return false;
  const shift = BigInt(128 - outer.prefix);
  return inner.base >> shift === outer.base >> shift;
}

export function ipv6Overlap(a: Ipv6Cidr, b: Ipv6Cidr): boolean {
  return ipv6Contains(a, b) || ipv6Contains(b, a);
}
