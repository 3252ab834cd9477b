/**
 * Where cache nodes run. The control layer asks a NodeRuntime to create, restart and remove nodes; the runtime
 * knows containers or processes, never HTTP, XML or the API's shapes.
 */

export type Engine = 'redis' | 'valkey' | 'memcached';

export interface NodeSpec {
  account: string;
  region: string;
  /** The cache cluster the node belongs to. */
  clusterId: string;
  /** 0001, 0002, ... */
  nodeId: string;
  engine: Engine;
  engineVersion: string;
  cacheNodeType: string;
  /** The engine's memory limit for this node type, in bytes. */
  maxMemoryBytes: number;
  /** Engine settings from the node's parameter group (only those the engine accepts at start). */
  settings: Record<string, string>;
}

export interface NodeHandle {
  /** The runtime's own id: a container id, a pid, ... */
  runtimeId: string;
  /** Where the emulator's endpoint listener forwards to; absent when nothing really runs. */
  target?: { host: string; port: number };
}

export interface NodeRuntime {
  readonly name: 'docker' | 'process' | 'none';
  createNode(spec: NodeSpec): Promise<NodeHandle>;
  restartNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle>;
  removeNode(spec: NodeSpec, handle: NodeHandle | undefined): Promise<void>;
  close(): Promise<void>;
}
