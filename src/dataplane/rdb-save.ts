/**
 * Saving a redis / valkey node's data to its RDB file for a snapshot, over the emulator's admin connection: BGSAVE
 * (a restricted command, under its name on that node), then waiting for the background save to end. The node keeps
 * answering its clients meanwhile, as an ElastiCache node does while it is being backed up.
 */
import { adminCommand, parseInfo, pollUntil, withAdmin, type AdminTarget } from './node-admin.js';

/** How long one node's save may take before the snapshot fails. */
const SAVE_TIMEOUT_MS = 10 * 60_000;

/** Saves the node's data to its RDB file and resolves once the file is complete. */
export async function saveRdb(target: AdminTarget): Promise<void> {
  const bgsave = adminCommand(target, 'BGSAVE');
  await withAdmin(
    target,
    async (redis) => {
      const persistence = async () => parseInfo(await redis.info('persistence'));
      // Another child (a replica's full sync, an earlier save) may be running: the save starts once it is done.
      await pollUntil(
        async () => {
          try {
            await redis.call(bgsave);
            return { value: true };
          } catch (error) {
            if (/in progress|child process|already/i.test((error as Error).message)) return 'another save runs';
            throw error;
          }
        },
        SAVE_TIMEOUT_MS,
        'the node did not start its save',
        20,
      );
      // The child is forked before BGSAVE answers, so the save in progress now is this one.
      const info = await pollUntil(
        async () => {
          const fields = await persistence();
          return fields.rdb_bgsave_in_progress === '0' ? { value: fields } : 'the save is still running';
        },
        SAVE_TIMEOUT_MS,
        'the node did not finish its save',
        20,
      );
      if (info.rdb_last_bgsave_status !== 'ok') throw new Error('the node failed to save its data (BGSAVE)');
    },
    { commandTimeoutMs: 30_000 },
  );
}
