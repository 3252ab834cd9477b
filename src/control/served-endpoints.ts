/**
 * Endpoints that process nodes serve themselves, which no listener of the emulator checks: while a cluster's security
 * groups refuse the host, its nodes let go of their endpoints (keeping the connections they have) and the emulator's
 * checking listener stands there instead; once admitted again, the nodes take them back. Each node keeps listening
 * on its backstage address throughout, where the emulator, its replicas and the cluster bus reach it.
 */
import type { EndpointManager } from '../dataplane/endpoints.js';
import { setListenAddresses } from '../dataplane/node-admin.js';
import type { ClusterNodes } from './cluster-nodes.js';
import type { Scope } from '../store/store.js';

/** Moves a cluster's running nodes' endpoints; whether anything changed. */
export async function moveServedEndpoints(
  nodes: ClusterNodes,
  endpoints: EndpointManager,
  scope: Scope,
  id: string,
  closed: boolean,
): Promise<boolean> {
  let changed = false;
  // A group with iam users keeps its endpoints behind the emulator's listeners, which log those users in.
  closed ||= nodes.needsEndpointLogin(scope, id);
  for (const { spec, admin, endpoint } of await nodes.closableNodes(scope, id)) {
    const { address, port } = endpoint;
    if (closed) {
      changed = (await setListenAddresses(admin, [], port, { keepConnections: true })) || changed;
      if (!endpoints.isOpen(address, port)) {
        await endpoints.openNodeEndpoint(spec, address, port);
        changed = true;
      }
    } else {
      if (endpoints.isOpen(address, port)) {
        await endpoints.closeEndpoint(address, port, { keepConnections: true });
        changed = true;
      }
      // A group endpoint the node holds stays; one the emulator's listener holds now moves with serveGroupEndpoints.
      const held = (spec.heldAddresses ?? []).filter((a) => !endpoints.isOpen(a, port));
      changed = (await setListenAddresses(admin, [address, ...held], port)) || changed;
    }
  }
  return changed;
}
