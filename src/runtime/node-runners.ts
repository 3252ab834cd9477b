/**
 * What runs a node, told from its runtime id for people to read (the console): a container's name, or a process's
 * pid and port. Only names and numbers leave here, never a node's spec or credentials.
 */
import type { DockerRuntime } from './docker.js';
import { parseHandle } from './process.js';
import type { NodeAddress, NodeRuntime } from './runtime.js';

export type NodeRunner =
  { kind: 'container'; name: string; id: string } | { kind: 'process'; pid: number; port: number } | { kind: 'none' };

export function describeNodeRunner(runtime: NodeRuntime, node: NodeAddress, runtimeId: string): NodeRunner | undefined {
  switch (runtime.name) {
    case 'docker':
      // Docker's short id: the first 12 hex digits of the container id, as `docker ps` shows it.
      return { kind: 'container', name: (runtime as DockerRuntime).containerName(node), id: runtimeId.slice(0, 12) };
    case 'process': {
      const handle = parseHandle(runtimeId);
      return handle && { kind: 'process', pid: handle.pid, port: handle.port };
    }
    default:
      return { kind: 'none' };
  }
}
