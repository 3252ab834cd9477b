/**
 * ResourceRepository keeps what it has read in memory. Whatever it serves must be exactly what SQLite would:
 * after every write, after a rolled-back transaction or savepoint, after a commit by another connection, and
 * never an object a caller has already been handed (and may have edited).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import t from 'tap';
import { LoopbackAddressAllocator } from '../../src/dataplane/loopback-addresses.js';
import { openDatabase } from '../../src/store/database.js';
import { Store, type Scope } from '../../src/store/store.js';

const scope: Scope = { account: '000000000000', region: 'us-east-1' };
const other: Scope = { account: '111111111111', region: 'us-east-1' };
const KIND = 'thing';

interface Thing {
  Name: string;
  Status: string;
  Nested: { List: { Value: number }[] };
}

function thing(name: string, status = 'available'): Thing {
  return { Name: name, Status: status, Nested: { List: [{ Value: 1 }, { Value: 2 }] } };
}

function newStore(dataDir = ':memory:'): Store {
  return new Store(openDatabase(dataDir), new LoopbackAddressAllocator('127.1.0.1'));
}

/** What the table holds, read past the repository. */
function inTable(store: Store, s: Scope, id: string): Thing | undefined {
  const row = store.db
    .prepare('SELECT state FROM resources WHERE account = ? AND region = ? AND kind = ? AND id = ?')
    .get(s.account, s.region, KIND, id) as { state: string } | undefined;
  return row && JSON.parse(row.state);
}

t.test('reads are copies: editing what was read changes nothing until it is written', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  store.resources.insert(scope, KIND, 'a', thing('a'), { port: 6379 });
  store.resources.get<Thing>(scope, KIND, 'a'); // fills the cache
  const first = store.resources.get<Thing>(scope, KIND, 'a')!;
  first.state.Status = 'edited';
  first.state.Nested.List[0].Value = 99;
  first.internal.port = 1;
  const again = store.resources.get<Thing>(scope, KIND, 'a')!;
  t.same(again.state, thing('a'));
  t.same(again.internal, { port: 6379 });

  store.resources.list<Thing>(scope, KIND); // fills the list
  const listed = store.resources.list<Thing>(scope, KIND);
  listed[0].state.Nested.List.push({ Value: 3 });
  listed.pop();
  t.same(
    store.resources.list<Thing>(scope, KIND).map((r) => r.state),
    [thing('a')],
  );
  t.not(
    store.resources.list(scope, KIND)[0].state,
    store.resources.list(scope, KIND)[0].state,
    'a new object every time',
  );
});

t.test('what the cache serves equals what SQLite holds, through inserts, updates and deletes', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  const list = () => store.resources.list<Thing>(scope, KIND).map((r) => r.state.Name + ':' + r.state.Status);
  t.same(list(), []);
  store.resources.insert(scope, KIND, 'a', thing('a'), {}, 1);
  t.same(list(), ['a:available'], 'an insert shows in the next list');
  store.resources.insert(scope, KIND, 'b', thing('b'), {}, 2);
  t.equal(store.resources.get<Thing>(scope, KIND, 'b')?.state.Status, 'available');
  store.resources.update(scope, KIND, 'b', thing('b', 'modifying'), {});
  t.same(list(), ['a:available', 'b:modifying'], 'an update shows in the next list');
  t.equal(store.resources.get<Thing>(scope, KIND, 'b')?.state.Status, 'modifying', 'and in the next get');
  t.notOk(store.resources.insert(scope, KIND, 'b', thing('b', 'other'), {}), 'a duplicate insert is refused');
  t.equal(store.resources.get<Thing>(scope, KIND, 'b')?.state.Status, 'modifying');
  store.resources.delete(scope, KIND, 'a');
  t.same(list(), ['b:modifying'], 'a delete shows in the next list');
  t.equal(store.resources.get(scope, KIND, 'a'), undefined, 'and in the next get');
  t.same(store.resources.list(other, KIND), [], 'another account sees nothing');
});

t.test('a rolled-back transaction leaves nothing in memory', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  store.resources.insert(scope, KIND, 'a', thing('a'));
  t.equal(store.resources.list(scope, KIND).length, 1, 'cached');
  t.throws(() =>
    store.transaction(() => {
      store.resources.update(scope, KIND, 'a', thing('a', 'deleting'), {});
      store.resources.insert(scope, KIND, 'b', thing('b'));
      // Read back inside the transaction: the call sees its own writes.
      t.equal(store.resources.get<Thing>(scope, KIND, 'a')?.state.Status, 'deleting');
      t.equal(store.resources.list(scope, KIND).length, 2);
      throw new Error('the handler fails');
    }),
  );
  t.equal(store.resources.get<Thing>(scope, KIND, 'a')?.state.Status, 'available', 'the update is gone');
  t.same(
    store.resources.list<Thing>(scope, KIND).map((r) => r.state.Name),
    ['a'],
    'the insert is gone',
  );
  t.same(inTable(store, scope, 'a'), thing('a'));
});

t.test('a rolled-back savepoint inside a committed transaction leaves nothing in memory', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  store.resources.insert(scope, KIND, 'a', thing('a'));
  store.transaction(() => {
    t.equal(store.resources.list(scope, KIND).length, 1);
    t.throws(() =>
      store.transaction(() => {
        store.resources.update(scope, KIND, 'a', thing('a', 'inner'), {});
        t.equal(store.resources.get<Thing>(scope, KIND, 'a')?.state.Status, 'inner');
        throw new Error('inner fails');
      }),
    );
    t.equal(
      store.resources.get<Thing>(scope, KIND, 'a')?.state.Status,
      'available',
      'the outer call sees the savepoint undone',
    );
    store.resources.insert(scope, KIND, 'c', thing('c'));
  });
  t.same(
    store.resources.list<Thing>(scope, KIND).map((r) => `${r.state.Name}:${r.state.Status}`),
    ['a:available', 'c:available'],
  );
});

t.test('a commit by another connection to the same file is seen at once', async (t) => {
  const dir = t.testdir();
  const store = newStore(dir);
  t.teardown(() => store.close());
  store.resources.insert(scope, KIND, 'a', thing('a'));
  t.equal(store.resources.get<Thing>(scope, KIND, 'a')?.state.Status, 'available', 'cached');
  t.equal(store.resources.list(scope, KIND).length, 1, 'cached');

  const outside = new Database(join(dir, 'elasticache-local.sqlite'));
  t.teardown(() => outside.close());
  outside.prepare("UPDATE resources SET state = ? WHERE id = 'a'").run(JSON.stringify(thing('a', 'repaired')));
  t.equal(store.resources.get<Thing>(scope, KIND, 'a')?.state.Status, 'repaired');
  t.equal(store.resources.list<Thing>(scope, KIND)[0].state.Status, 'repaired');
});

t.test('copies keep what JSON.parse would give, whatever the layout', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i % 3 ? i : { n: [i] }]));
  const states: unknown[] = [
    { b: 1, '10': 'ten', a: { '2': [1, { x: null }], '1': true }, '0': [] },
    { a: 1, b: { c: 2 } },
    { a: { c: 2 }, b: 1 }, // the same keys, objects elsewhere
    { 'a\u0000+b': 1 },
    { a: 1, b: { c: 2 }, 'a\u0000+b': 3 },
    many,
    { large: Array.from({ length: 1000 }, (_, i) => ({ i })) }, // past the generated copiers' size
    JSON.parse('{"deep":{"__proto__":1,"x":{"y":2}}}'),
    [1, 'two', { three: [3] }],
    'text',
    42,
    null,
  ];
  states.forEach((state, i) => store.resources.insert(scope, KIND, `s${i}`, state, {}, i));
  store.resources.list(scope, KIND); // fills the cache
  for (let round = 0; round < 2; round++) {
    const listed = store.resources.list<unknown>(scope, KIND).map((r) => r.state);
    t.equal(JSON.stringify(listed), JSON.stringify(states), 'same values, same key order');
    t.same(listed, states);
    states.forEach((state, i) =>
      t.equal(JSON.stringify(store.resources.get(scope, KIND, `s${i}`)!.state), JSON.stringify(state)),
    );
  }
});

t.test('copies keep what JSON.parse would give, odd keys included', async (t) => {
  const store = newStore();
  t.teardown(() => store.close());
  const state = JSON.parse(
    '{"__proto__":{"polluted":true},"constructor":"x","List":[null,1,"s",true,{"a":[]}],"Empty":{}}',
  );
  store.resources.insert(scope, KIND, 'odd', state);
  store.resources.get(scope, KIND, 'odd'); // fills the cache
  const copy = store.resources.get<any>(scope, KIND, 'odd')!.state;
  t.equal(Object.getPrototypeOf(copy), Object.prototype, 'the prototype is untouched');
  t.same(Object.getOwnPropertyNames(copy), ['__proto__', 'constructor', 'List', 'Empty']);
  t.equal(JSON.stringify(copy), JSON.stringify(state));
  t.equal(({} as any).polluted, undefined);
});
