/** A snapshot as the API shows it: each shard's NodeGroupConfiguration only when asked for (ShowNodeGroupConfig). */
import type { Snapshot } from '@aws-sdk/client-elasticache';

export function presentSnapshot(state: Snapshot, showNodeGroupConfig: boolean): Snapshot {
  if (showNodeGroupConfig) return state;
  return {
    ...state,
    NodeSnapshots: state.NodeSnapshots?.map(({ NodeGroupConfiguration: _config, ...node }) => node),
  };
}
