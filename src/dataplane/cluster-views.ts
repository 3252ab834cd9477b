/**
 * What a Redis Cluster node says about the cluster, read over the emulator's admin connection: its view of the
 * nodes (CLUSTER NODES), its cluster_state and its own id. Shared by the cluster administration (redis-cluster.ts)
 * and slot migration (slot-migration.ts).
 */
import type { Redis } from 'ioredis';
import { parseClusterNodes, type ClusterNode } from './cluster-nodes-parser.js';
import { describeNode, withAdmin, type AdminTarget, type Peer } from './node-admin.js';

export interface ClusterMember {
  admin: AdminTarget;
  peer: Peer;
}

export async function nodesOf(redis: Redis): Promise<ClusterNode[]> {
  return parseClusterNodes((await redis.call('CLUSTER', 'NODES')) as string);
}

/** The node's view of the cluster: every node it knows, itself included (myself: true). */
export async function readClusterNodes(member: ClusterMember | AdminTarget): Promise<ClusterNode[]> {
  return withAdmin(adminOf(member), nodesOf);
}

const adminOf = (member: ClusterMember | AdminTarget): AdminTarget => ('admin' in member ? member.admin : member);

export async function clusterState(redis: Redis): Promise<string> {
  return /cluster_state:(\w+)/.exec((await redis.call('CLUSTER', 'INFO')) as string)?.[1] ?? 'unknown';
}

async function myId(redis: Redis, target: AdminTarget): Promise<string> {
  try {
    return (await redis.call('CLUSTER', 'MYID')) as string;
  } catch (error) {
    throw new Error(
      `${describeNode(target)} is not a cluster node (started without cluster-enabled yes?): ${(error as Error).message}`,
    );
  }
}

/** CLUSTER MYID of each member, in order. */
export async function memberIds(members: ClusterMember[]): Promise<string[]> {
  return Promise.all(members.map((member) => withAdmin(member.admin, (redis) => myId(redis, member.admin))));
}

/** A node id as messages show it: its first eight characters. */
export const shortId = (id: string): string => id.slice(0, 8);
