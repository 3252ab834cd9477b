/**
 * The emulator's credentials on each node, derived from one key kept in the data dir: a node's admin password is
 * its own (knowing one gives nothing on another node, of this account or any other), the replication password is
 * its group's (every member's replicas and MIGRATE use it). Derived, not stored: a node started again, or adopted
 * after a restart of the emulator, has the same ones.
 */
import { createHmac } from 'node:crypto';
import type { Engine } from '../common/engines.js';
import { accessModeFor, type NodeAccess } from '../runtime/node-access.js';
import type { Scope } from '../store/store.js';

export interface NodeOwner {
  engine: Engine;
  engineVersion: string;
  clusterId: string;
  /** The replication group the node's cluster belongs to, if any. */
  groupId?: string;
}

export function nodeAccess(key: string, scope: Scope, owner: NodeOwner, nodeId: string): NodeAccess {
  const derive = (purpose: string) => createHmac('sha256', key).update(purpose).digest('base64url');
  const where = `${scope.account}/${scope.region}`;
  return {
    mode: accessModeFor(owner.engine, owner.engineVersion),
    adminPassword: derive(`admin/${where}/${owner.clusterId}/${nodeId}`),
    replicationPassword: derive(`replication/${where}/${owner.groupId ?? owner.clusterId}`),
  };
}
