/**
 * Stopping the emulator while a job waits on a node (a replica's sync, a cluster settling) must not wait out the
 * job's poll timeout, up to a minute: the job ends at its next poll and stays pending, to resume at the next start.
 */
import { pino } from 'pino';
import t from 'tap';
import { Reconciler } from '../../src/control/reconciler.js';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import { pollUntil } from '../../src/dataplane/node-admin.js';
import { openDatabase } from '../../src/store/database.js';
import { Store, type Scope } from '../../src/store/store.js';

const scope: Scope = { account: '000000000000', region: 'us-east-1' };

t.test('stop() ends a job polling a node that never answers, and the job stays pending', async (t) => {
  const store = new Store(openDatabase(':memory:'), new LoopbackAddressAllocator('127.1.0.1'));
  t.teardown(() => store.close());
  let polls = 0;
  let started!: () => void;
  const polling = new Promise<void>((resolve) => (started = resolve));
  const reconciler = new Reconciler(
    store,
    {
      'thing:wait': async () => {
        await pollUntil(
          async () => {
            polls++;
            started();
            return 'the node does not answer';
          },
          60_000,
          'a node that never syncs',
        );
      },
    },
    pino({ level: 'silent' }),
  );
  store.jobs.enqueue(scope, 'thing', 'a', 'wait');
  reconciler.start();
  await polling;
  const before = Date.now();
  await reconciler.stop();
  t.ok(Date.now() - before < 1000, `stop() returned in ${Date.now() - before} ms`);
  const pollsAtStop = polls;
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.equal(polls, pollsAtStop, 'the job polls no more');
  t.equal(store.jobs.due().length, 1, 'the job is still pending');
  t.equal(store.jobs.due()[0].attempts, 0, 'and stopping did not count as a failed attempt');
});
