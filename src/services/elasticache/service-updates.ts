/**
 * Service updates and update actions: DescribeServiceUpdates, DescribeUpdateActions, BatchApplyUpdateAction,
 * BatchStopUpdateAction. The emulator publishes no service updates, so the describes answer empty lists and
 * naming an update — to describe it, or to apply or stop it — is ServiceUpdateNotFoundFault, the error the
 * model gives these operations for an update that does not exist.
 */
import type {
  BatchApplyUpdateActionMessage,
  BatchStopUpdateActionMessage,
  DescribeServiceUpdatesMessage,
  DescribeUpdateActionsMessage,
  ServiceUpdate,
  ServiceUpdatesMessage,
  UpdateAction,
  UpdateActionResultsMessage,
  UpdateActionsMessage,
} from '@aws-sdk/client-elasticache';
import type { Store } from '../../store/store.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { fault, invalidValue, requireValue } from '../../domain/elasticache/faults.js';
import { paginate, type PageLimits } from './pagination.js';

/** The model documents no bounds for these operations' MaxRecords; the usual default and ceiling apply. */
const LIMITS: PageLimits = { min: 1, max: 100, default: 100 };

/** The service updates the emulator publishes: none (its engines are whatever the images run). */
export const SERVICE_UPDATES: readonly ServiceUpdate[] = [];

const notFound = (name: string) => fault('ServiceUpdateNotFoundFault', `The service update ${name} does not exist.`);

function findServiceUpdate(name: string): ServiceUpdate {
  const update = SERVICE_UPDATES.find((u) => u.ServiceUpdateName === name);
  if (!update) throw notFound(name);
  return update;
}

export function serviceUpdateHandlers(_store: Store): HandlerTable {
  const DescribeServiceUpdates = (
    input: DescribeServiceUpdatesMessage,
    _ctx: RequestContext,
  ): ServiceUpdatesMessage => {
    let updates = [...SERVICE_UPDATES];
    if (input.ServiceUpdateName !== undefined && input.ServiceUpdateName !== '') {
      updates = [findServiceUpdate(input.ServiceUpdateName)];
    }
    const statuses = input.ServiceUpdateStatus ?? [];
    if (statuses.length > 0) updates = updates.filter((u) => statuses.includes(u.ServiceUpdateStatus!));
    const { page, marker } = paginate(updates, input, LIMITS);
    return { Marker: marker, ServiceUpdates: page };
  };

  const DescribeUpdateActions = (input: DescribeUpdateActionsMessage, _ctx: RequestContext): UpdateActionsMessage => {
    const range = input.ServiceUpdateTimeRange;
    if (range?.StartTime && range.EndTime && range.StartTime.getTime() > range.EndTime.getTime()) {
      throw invalidValue(
        'The parameter ServiceUpdateTimeRange.StartTime must be earlier than ServiceUpdateTimeRange.EndTime.',
      );
    }
    // With no service updates there is nothing to act on; a name that matches nothing is an empty list here
    // (the model gives this operation no ServiceUpdateNotFoundFault).
    const actions: UpdateAction[] = [];
    const { page, marker } = paginate(actions, input, LIMITS);
    return { Marker: marker, UpdateActions: page };
  };

  /** Apply and Stop: the update must exist; each named resource is then answered on its own. */
  const batch =
    (verb: 'apply' | 'stop') =>
    (
      input: BatchApplyUpdateActionMessage | BatchStopUpdateActionMessage,
      _ctx: RequestContext,
    ): UpdateActionResultsMessage => {
      const name = requireValue(input.ServiceUpdateName, 'ServiceUpdateName');
      findServiceUpdate(name);
      // Unreachable while SERVICE_UPDATES is empty: the emulator keeps no update actions to apply or stop.
      const unprocessed = (ids: string[] | undefined, key: 'ReplicationGroupId' | 'CacheClusterId') =>
        (ids ?? []).map((id) => ({
          [key]: id,
          ServiceUpdateName: name,
          ErrorType: 'InvalidParameterValue',
          ErrorMessage: `The service update ${name} is not applicable to ${id}; the emulator cannot ${verb} it.`,
        }));
      return {
        ProcessedUpdateActions: [],
        UnprocessedUpdateActions: [
          ...unprocessed(input.ReplicationGroupIds, 'ReplicationGroupId'),
          ...unprocessed(input.CacheClusterIds, 'CacheClusterId'),
        ],
      };
    };

  return {
    DescribeServiceUpdates,
    DescribeUpdateActions,
    BatchApplyUpdateAction: batch('apply'),
    BatchStopUpdateAction: batch('stop'),
  };
}
