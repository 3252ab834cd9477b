/**
 * A serverless cache's reader endpoint, opened beside its backing group's configuration endpoint (which is the
 * cache's one endpoint): the same address on the reader port where every endpoint has its own address, as AWS
 * serves it; where endpoints share one address (the ports mode, --advertise-host), a port of the emulator's range.
 */
import type { EndpointAllocation, Scope } from '../../store/store.js';
import { KIND } from '../../domain/elasticache/kinds.js';
import { SERVERLESS_READER_PORT } from '../../domain/elasticache/serverless.js';
import { groupAddress, type GroupContext } from '../replication-groups/group-context.js';

export async function openServerlessReader(
  ctx: GroupContext,
  scope: Scope,
  id: string,
  endpoint: EndpointAllocation,
): Promise<void> {
  const group = ctx.load(scope, id);
  // The loopback mode honours a requested port: the address is this endpoint's alone, so its reader port is free.
  const reader =
    endpoint.port === group.internal.port
      ? { address: endpoint.address, port: SERVERLESS_READER_PORT }
      : ctx.store.transaction(() =>
          ctx.store.endpoints.allocate(scope, KIND.replicationGroup, id, 'reader', SERVERLESS_READER_PORT),
        );
  await ctx.endpoints.openGroupEndpoint(groupAddress(scope, id), 'reader', reader.address, reader.port);
  ctx.update(scope, id, (g) => (g.state.NodeGroups[0].ReaderEndpoint = { Address: reader.address, Port: reader.port }));
}
