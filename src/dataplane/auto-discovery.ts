/**
 * Memcached Auto Discovery as ElastiCache's configuration endpoint speaks it: `config get cluster` answers with a
 * version counter (it grows with every change of the node list) and `host|ip|port` for every node.
 */

export interface DiscoveredNode {
  host: string;
  ip: string;
  port: number;
}

export function configGetClusterReply(version: number, nodes: DiscoveredNode[]): string {
  const body = `${version}\n${nodes.map((n) => `${n.host}|${n.ip}|${n.port}`).join(' ')}\n`;
  return `CONFIG cluster 0 ${Buffer.byteLength(body)}\r\n${body}\r\nEND\r\n`;
}

/** Whether a memcached text-protocol line asks for the cluster's configuration. */
export function isConfigGetCluster(line: string): boolean {
  return /^config\s+get\s+cluster\s*$/i.test(line.trim()) || /^get\s+AmazonElastiCache:cluster\s*$/i.test(line.trim());
}
