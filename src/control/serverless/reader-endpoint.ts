/**
 * A serverless cache's reader endpoint, opened beside its backing group's configuration endpoint (which is the
 * cache's one endpoint): where it is, serverlessEndpointsOf says.
 */
import type { Scope } from '../../store/store.js';
import { serverlessEndpointsOf } from '../../domain/elasticache/serverless.js';
import { groupAddress, type GroupContext } from '../replication-groups/group-context.js';

export async function openServerlessReader(ctx: GroupContext, scope: Scope, id: string): Promise<void> {
  const { reader } = serverlessEndpointsOf(ctx.store, scope, ctx.load(scope, id));
  await ctx.endpoints.openGroupEndpoint(groupAddress(scope, id), 'reader', reader.address, reader.port);
  ctx.update(scope, id, (g) => (g.state.NodeGroups[0].ReaderEndpoint = { Address: reader.address, Port: reader.port }));
}
