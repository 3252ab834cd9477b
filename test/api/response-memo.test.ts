/**
 * ResponseMemo keeps an answer only once its request is seen polled (the same request again, nothing changed),
 * gives it back while the store says its stamp is unchanged, forgets it as soon as it is not, and keeps within
 * its budget of bytes by letting the least recently used answers go.
 */
import t from 'tap';
import { ResponseMemo } from '../../src/api/response-memo.js';
import type { ReadStamp } from '../../src/store/store.js';

/** Stamps the test marks changed by hand, in place of the store's write counts. */
function stamps() {
  const changed = new Set<ReadStamp>();
  let epoch = 0;
  return {
    take: (): ReadStamp => ({ epoch: epoch++, kinds: [] }),
    change: (stamp: ReadStamp) => changed.add(stamp),
    unchanged: (stamp: ReadStamp) => !changed.has(stamp),
  };
}

t.test('kept from the second time a request finds nothing changed, until something does', async (t) => {
  const { take, change, unchanged } = stamps();
  const memo = new ResponseMemo(unchanged);
  const result = Buffer.from('<answer/>');
  const first = take();
  t.notOk(memo.polled('a'), 'never seen: not polled');
  memo.record('a', first, undefined);
  t.equal(memo.lookup('a'), undefined, 'seen once: remembered by its stamp alone');
  t.ok(memo.polled('a'), 'seen again with nothing changed: polled');
  const second = take();
  memo.record('a', second, result);
  t.equal(memo.lookup('a'), result);
  t.equal(memo.lookup('b'), undefined, 'another request has nothing kept');

  change(second);
  t.equal(memo.lookup('a'), undefined, 'what it read changed');
  t.notOk(memo.polled('a'), 'and it is forgotten');

  const third = take();
  memo.record('a', third, undefined);
  change(third);
  t.notOk(memo.polled('a'), 'seen once, then changed: not polled');
});

t.test('forget drops a request, kept or seen once', async (t) => {
  const { take, unchanged } = stamps();
  const memo = new ResponseMemo(unchanged);
  memo.record('a', take(), Buffer.from('a'));
  memo.record('b', take(), undefined);
  memo.forget('a');
  memo.forget('b');
  t.equal(memo.lookup('a'), undefined);
  t.notOk(memo.polled('b'));
});

t.test('the least recently used answers leave first, within the budget', async (t) => {
  const { take, unchanged } = stamps();
  // Room for four answers of 100 bytes with their one-character keys; one over a quarter of it is never kept.
  const memo = new ResponseMemo(unchanged, 500);
  const answer = () => Buffer.alloc(100);
  for (const key of ['a', 'b', 'c', 'd']) memo.record(key, take(), answer());
  t.ok(memo.lookup('a'), 'a used: b is now the least recent');
  memo.record('e', take(), answer());
  t.equal(memo.lookup('b'), undefined, 'b left');
  for (const key of ['a', 'c', 'd', 'e']) t.ok(memo.lookup(key), `${key} stayed`);
  memo.record('f', take(), Buffer.alloc(125));
  t.equal(memo.lookup('f'), undefined, 'over a quarter of the budget: not kept');
  t.ok(memo.lookup('a'), 'and nothing left for it');
});
