/**
 * What a replication group shows when one of its jobs fails for good (control/replication-groups/workers.ts): a
 * group still creating turns create-failed with its creating members, one already created returns to available,
 * and one handler's outcome never leaks into the next call of the same handler.
 */
import { CreateReplicationGroupCommand, DescribeReplicationGroupsCommand } from '@aws-sdk/client-elasticache';
import t from 'tap';
import { ClusterNodes } from '../../src/control/cluster-nodes.js';
import { groupContext } from '../../src/control/replication-groups/group-context.js';
import { replicationGroupFailureHandlers } from '../../src/control/replication-groups/workers.js';
import { EndpointManager } from '../../src/dataplane/endpoints.js';
import { updateGroup } from '../../src/domain/elasticache/records.js';
import { NoneRuntime } from '../../src/runtime/none.js';
import type { Job } from '../../src/store/store.js';
import { sdkClient, startTestEmulator } from '../fixtures/emulator.js';

const SCOPE = { account: '000000000000', region: 'us-east-1' };
const silent = { error() {}, warn() {}, info() {}, debug() {}, child: () => silent };

t.test('a failed converge: create-failed while creating, available once created, whatever failed before', async (t) => {
  // Nodes take seconds to "start", so both groups stay creating until the test says otherwise.
  const emulator = await startTestEmulator(t, { provisionDelayMs: 3_000 });
  const client = sdkClient(emulator);
  for (const id of ['made', 'making']) {
    await client.send(
      new CreateReplicationGroupCommand({
        ReplicationGroupId: id,
        ReplicationGroupDescription: id,
        NumCacheClusters: 2,
        CacheNodeType: 'cache.t3.micro',
      }),
    );
  }
  updateGroup(emulator.store, SCOPE, 'made', (g) => (g.state.Status = 'available'));

  const endpoints = new EndpointManager(silent, false);
  const nodes = new ClusterNodes(
    emulator.store,
    new NoneRuntime(),
    endpoints,
    { instanceId: 'test', credentialKey: 's' },
    silent,
  );
  const handlers = replicationGroupFailureHandlers(groupContext(emulator.store, nodes, endpoints, silent));
  const job = (resourceId: string): Job => ({
    id: 0,
    account: SCOPE.account,
    region: SCOPE.region,
    kind: 'replication-group',
    resourceId,
    action: 'converge',
    payload: {},
    runAfter: 0,
    attempts: 8,
  });
  handlers['replication-group:converge'](job('made'), new Error('a node did not start'));
  handlers['replication-group:converge'](job('making'), new Error('a node did not start'));

  const status = async (id: string) =>
    (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }))).ReplicationGroups?.[0]
      ?.Status;
  t.equal(await status('made'), 'available', 'a group already created returns to available');
  t.equal(await status('making'), 'create-failed', 'a group still creating is create-failed, after another failed');
});
