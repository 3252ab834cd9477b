/**
 * CLUSTER NODES as data: the text a node prints about every node it knows, parsed into ClusterNode records, and
 * the questions the cluster code asks of one such view (who serves each slot, which line is the node itself,
 * whether it knows a given id yet). Pure functions: no connection, no waiting.
 */
import { SLOT_COUNT, type SlotRanges } from '../common/slot-ranges.js';

export interface ClusterNode {
  id: string;
  /** The address the cluster announces for the node (cluster-announce-ip, else what peers saw). */
  ip: string;
  port: number;
  busPort: number;
  /** cluster-announce-hostname, when the node has one. */
  hostname?: string;
  /** As the engine prints them: myself, master, slave, fail?, fail, handshake, noaddr, nofailover, ... */
  flags: string[];
  myself: boolean;
  role: 'primary' | 'replica';
  /** Flagged fail by a majority of primaries. */
  failed: boolean;
  /** Suspected (pfail) by the node that answered. */
  suspected: boolean;
  /** Met, but not yet answered with its real id: not a member yet. */
  handshake: boolean;
  masterId?: string;
  configEpoch: number;
  linkState: 'connected' | 'disconnected';
  slots: SlotRanges;
  /** Shown on the answering node's own line only. */
  migrating: Array<{ slot: number; to: string }>;
  importing: Array<{ slot: number; from: string }>;
}

export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes: ClusterNode[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    if (fields.length < 8) continue;
    const [id, address, flagList, master, , , epoch, link, ...slotFields] = fields;
    // ip:port@cport[,hostname]; the ip itself may be IPv6, so split at the last colon.
    const [endpoint, hostname] = address.split(',');
    const [hostPort, bus] = endpoint.split('@');
    const colon = hostPort.lastIndexOf(':');
    const flags = flagList.split(',');
    const node: ClusterNode = {
      id,
      ip: hostPort.slice(0, colon),
      port: Number(hostPort.slice(colon + 1)),
      busPort: Number(bus),
      hostname: hostname || undefined,
      flags,
      myself: flags.includes('myself'),
      role: flags.includes('slave') ? 'replica' : 'primary',
      failed: flags.includes('fail'),
      suspected: flags.includes('fail?'),
      handshake: flags.includes('handshake'),
      masterId: master === '-' ? undefined : master,
      configEpoch: Number(epoch),
      linkState: link === 'connected' ? 'connected' : 'disconnected',
      slots: [],
      migrating: [],
      importing: [],
    };
    for (const field of slotFields) {
      const moving = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(field);
      if (moving) {
        if (moving[2] === '>') node.migrating.push({ slot: Number(moving[1]), to: moving[3] });
        else node.importing.push({ slot: Number(moving[1]), from: moving[3] });
      } else {
        const [first, last] = field.split('-').map(Number);
        node.slots.push([first, last ?? first]);
      }
    }
    nodes.push(node);
  }
  return nodes;
}

/** Slot → owner id, as one view sees it (undefined: nobody serves it). */
export function slotOwners(nodes: ClusterNode[]): Array<string | undefined> {
  const owners = new Array<string | undefined>(SLOT_COUNT).fill(undefined);
  for (const node of nodes) {
    if (node.role !== 'primary') continue;
    for (const [first, last] of node.slots) for (let slot = first; slot <= last; slot++) owners[slot] = node.id;
  }
  return owners;
}

/** The line of the node that answered. */
export const myselfIn = (nodes: ClusterNode[]): ClusterNode => nodes.find((node) => node.myself)!;

/** A node's view counts another as a member once it knows its real id (not only an address in handshake). */
export const knows = (view: ClusterNode[], id: string) => view.some((node) => node.id === id && !node.handshake);
