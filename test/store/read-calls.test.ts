/**
 * Store.read runs a read-only API call without a transaction, yet one that writes after all must stay atomic.
 * Store.readRecorded stamps what a call read, and a stamp must say "changed" after any write that could change
 * the call's answer: to a kind it read (in its scope), by this process or by another connection to the file,
 * and it must refuse to stamp a call that read anything besides resources, or wrote.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import { openDatabase } from '../../src/store/database.js';
import { Store, type Scope } from '../../src/store/store.js';

const scope: Scope = { account: '000000000000', region: 'us-east-1' };
const other: Scope = { account: '111111111111', region: 'us-east-1' };

function newStore(dataDir = ':memory:'): Store {
  return new Store(openDatabase(dataDir), new LoopbackAddressAllocator('127.1.0.1'));
}

t.test('a read-only call runs outside a transaction; its first write opens one for the rest of the call', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  const seen = store.read(() => {
    const before = store.db.inTransaction;
    store.resources.list(scope, 'thing');
    const afterRead = store.db.inTransaction;
    store.resources.insert(scope, 'thing', 'a', { n: 1 });
    return { before, afterRead, afterWrite: store.db.inTransaction };
  });
  t.same(seen, { before: false, afterRead: false, afterWrite: true });
  t.equal(store.db.inTransaction, false, 'committed when the call returned');
  t.same(store.resources.get(scope, 'thing', 'a')?.state, { n: 1 });

  t.throws(() =>
    store.read(() => {
      store.resources.insert(scope, 'thing', 'b', { n: 2 });
      store.events.record(scope, 'thing', 'b', 'made');
      throw new Error('the handler failed');
    }),
  );
  t.equal(store.db.inTransaction, false);
  t.equal(store.resources.get(scope, 'thing', 'b'), undefined, 'the write of a failed call is rolled back');
  t.same(store.events.query(scope, 0, Date.now() + 1000), [], 'every write of it');
  t.same(
    store.resources.list(scope, 'thing').map((r) => r.id),
    ['a'],
    'and the cache agrees',
  );
});

t.test('inside a transaction, a read-only call is part of it', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  t.throws(() =>
    store.transaction(() => {
      store.read(() => store.resources.insert(scope, 'thing', 'a', { n: 1 }));
      t.equal(store.db.inTransaction, true, 'the outer transaction is still open');
      throw new Error('the outer call failed');
    }),
  );
  t.equal(store.resources.get(scope, 'thing', 'a'), undefined);
});

t.test('a stamp changes with writes to the kinds the call read, in its scope, and with nothing else', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  store.resources.insert(scope, 'cluster', 'a', { n: 1 });
  const { result, stamp } = store.readRecorded(() => store.resources.list(scope, 'cluster').length);
  t.equal(result, 1);
  t.ok(stamp, 'a call that read resources only is stamped');
  t.ok(store.unchanged(stamp!));

  store.resources.insert(scope, 'group', 'g', {});
  store.resources.insert(other, 'cluster', 'x', {});
  store.events.record(scope, 'cluster', 'a', 'an event');
  store.jobs.enqueue(scope, 'cluster', 'a', 'create');
  t.ok(store.unchanged(stamp!), 'writes to other kinds, scopes and tables leave it unchanged');

  store.resources.update(scope, 'cluster', 'a', { n: 2 }, {});
  t.notOk(store.unchanged(stamp!), 'an update of the kind read');
  const second = store.readRecorded(() => store.resources.get(scope, 'cluster', 'b'));
  t.equal(second.result, undefined);
  store.resources.insert(scope, 'cluster', 'b', {});
  t.notOk(store.unchanged(second.stamp!), 'a resource appearing where the call found none');
  const third = store.readRecorded(() => store.resources.get(scope, 'cluster', 'b'));
  store.resources.delete(scope, 'cluster', 'b');
  t.notOk(store.unchanged(third.stamp!), 'a delete');

  const rolledBack = store.readRecorded(() => store.resources.list(scope, 'cluster'));
  t.throws(() =>
    store.transaction(() => {
      store.resources.update(scope, 'cluster', 'a', { n: 3 }, {});
      throw new Error('rolled back');
    }),
  );
  t.notOk(
    store.unchanged(rolledBack.stamp!),
    'even a rolled-back write counts (a needless miss, never a stale answer)',
  );
});

t.test('a call that read anything but resources, or wrote, gets no stamp', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  t.equal(store.readRecorded(() => store.tags.list('arn:x')).stamp, undefined, 'tags');
  t.equal(store.readRecorded(() => store.events.query(scope, 0, 1)).stamp, undefined, 'events');
  t.equal(store.readRecorded(() => store.resources.listEverywhere('cluster')).stamp, undefined, 'every scope at once');
  t.equal(store.readRecorded(() => store.resources.insert(scope, 'cluster', 'a', {})).stamp, undefined, 'a write');
  t.ok(store.readRecorded(() => store.resources.list(scope, 'cluster')).stamp, 'and the next call is stamped again');
});

t.test('a commit by another connection to the file changes every stamp', async (t) => {
  const dir = t.testdir();
  const store = newStore(dir);
  t.teardown(() => store.close());
  store.resources.insert(scope, 'cluster', 'a', { n: 1 });
  const { stamp } = store.readRecorded(() => store.resources.list(scope, 'cluster'));
  t.ok(store.unchanged(stamp!));
  const outside = new Database(join(dir, 'elasticache-local.sqlite'));
  t.teardown(() => outside.close());
  outside.prepare("UPDATE resources SET state = '{\"n\":9}' WHERE id = 'a'").run();
  t.notOk(store.unchanged(stamp!));
  t.same(store.resources.get(scope, 'cluster', 'a')?.state, { n: 9 });
});
