/**
 * The metadata-only runtime: nodes exist in the API and in SQLite, nothing runs. Chosen with --runtime none,
 * or by auto when neither Docker nor the engine binaries are available (the CLI warns loudly then).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeHandle, NodeRuntime, NodeSpec, RunningNode } from './runtime.js';

export class NoneRuntime implements NodeRuntime {
  readonly name = 'none' as const;

  /** @param delayMs how long a node pretends to take to start, restart or stop (lets waiters be exercised). */
  constructor(private readonly delayMs = 0) {}

  async createNode(spec: NodeSpec): Promise<NodeHandle> {
    if (this.delayMs) await sleep(this.delayMs);
    return { runtimeId: `none:${spec.account}:${spec.region}:${spec.clusterId}:${spec.nodeId}` };
  }

  async restartNode(_spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle> {
    if (this.delayMs) await sleep(this.delayMs);
    return handle;
  }

  async removeNode(): Promise<void> {
    if (this.delayMs) await sleep(this.delayMs);
  }

  async inspectNode(_spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle> {
    return handle;
  }

  async listNodes(): Promise<RunningNode[]> {
    return [];
  }

  async close(): Promise<void> {}
}
