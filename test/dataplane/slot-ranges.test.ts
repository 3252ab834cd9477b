/**
 * The slot arithmetic shared by the API and the nodes (src/dataplane/slot-ranges.ts): AWS's even split, the
 * "0-5461,5462-10922" text, ranges and slot numbers, and which slots move when shards come and go. Pure: no node,
 * no server. The API's wrapper (services/elasticache/slots.ts) is checked at the end for its own wording.
 */
import t, { type Test } from 'tap';
import {
  evenSlots,
  formatSlotRanges,
  parseSlotRanges,
  planRebalance,
  rangesToSlots,
  rebalancedSlots,
  SLOT_COUNT,
  slotMoves,
  slotsToRanges,
  SlotRangesError,
  type SlotMove,
  type SlotRanges,
} from '../../src/common/slot-ranges.js';
import { checkCoverage, parseSlots, slotsOf } from '../../src/domain/elasticache/slots.js';

/** Who owns what after the moves, checking that every move takes a slot its donor holds. */
function applyMoves(t: Test, owners: Record<string, SlotRanges>, moves: SlotMove[]): Map<string, Set<number>> {
  const after = new Map(Object.entries(owners).map(([id, ranges]) => [id, new Set(rangesToSlots(ranges))]));
  const misplaced: string[] = [];
  for (const move of moves) {
    for (const slot of move.slots) {
      if (!after.get(move.from)?.delete(slot)) misplaced.push(`${slot} from ${move.from}`);
      if (!after.has(move.to)) after.set(move.to, new Set());
      after.get(move.to)!.add(slot);
    }
  }
  t.same(misplaced.slice(0, 5), [], 'every move takes a slot its donor holds');
  return after;
}

t.test('the even split: AWS cuts 16384 slots in order, the first shards one slot larger', async (t) => {
  t.same(evenSlots(1), [[[0, 16383]]]);
  t.same(evenSlots(2), [[[0, 8191]], [[8192, 16383]]]);
  t.same(evenSlots(3), [[[0, 5461]], [[5462, 10922]], [[10923, 16383]]]);
  t.same(evenSlots(4).map(formatSlotRanges), ['0-4095', '4096-8191', '8192-12287', '12288-16383']);
  t.same(evenSlots(5).map(formatSlotRanges), ['0-3276', '3277-6553', '6554-9830', '9831-13107', '13108-16383']);
  const wrong: string[] = [];
  for (let n = 1; n <= 500; n++) {
    const shards = evenSlots(n);
    const sizes = shards.map(([[first, last]]) => last - first + 1);
    const extra = SLOT_COUNT % n;
    const expected = sizes.map((_, i) => Math.floor(SLOT_COUNT / n) + (i < extra ? 1 : 0));
    const starts = shards.map(([[first]]) => first);
    const contiguous = shards.every(
      (ranges, i) => ranges.length === 1 && ranges[0][0] === (i === 0 ? 0 : shards[i - 1][0][1] + 1),
    );
    const covered = contiguous && shards[n - 1][0][1] === SLOT_COUNT - 1;
    if (shards.length !== n || !covered || sizes.join() !== expected.join())
      wrong.push(`${n}: starts ${starts.slice(0, 5)}..., sizes ${sizes.slice(0, 5)}...`);
  }
  t.same(wrong, [], '1 to 500 shards: one range each, in order, covering 0-16383, larger shards first');
  t.throws(() => evenSlots(0), /1 to 500 shards/);
  t.throws(() => evenSlots(501), /1 to 500 shards/);
  t.throws(() => evenSlots(2.5), /1 to 500 shards/);
});

t.test('parse and format: the text AWS writes, and back', async (t) => {
  t.same(parseSlotRanges('0-5461,5462-10922'), [
    [0, 5461],
    [5462, 10922],
  ]);
  t.same(parseSlotRanges('7, 9-9'), [
    [7, 7],
    [9, 9],
  ]);
  t.same(
    parseSlotRanges(' 10-20 ,0-3'),
    [
      [10, 20],
      [0, 3],
    ],
    'kept in the order written',
  );
  t.equal(
    formatSlotRanges([
      [0, 5461],
      [7000, 7000],
    ]),
    '0-5461,7000',
  );
  t.equal(formatSlotRanges([]), '');
  for (const text of ['0-16383', '0-5461,5462-10922,10923-16383', '7', '0,2,4-6,16383', '100-200,0-99']) {
    t.equal(formatSlotRanges(parseSlotRanges(text)), text, `${text} round-trips`);
  }
  for (const n of [1, 3, 7, 500])
    t.same(
      evenSlots(n).map((ranges) => parseSlotRanges(formatSlotRanges(ranges))),
      evenSlots(n),
      `the ${n}-shard split round-trips`,
    );
  t.throws(() => parseSlotRanges('0-16384'), /out of range/);
  t.throws(() => parseSlotRanges('10-5'), /ends before it starts/);
  t.throws(() => parseSlotRanges('0-10,5-20'), /overlap at slot 5/);
  t.throws(() => parseSlotRanges('a-b'), /not a slot or a range/);
  t.throws(() => parseSlotRanges(''), /not a slot or a range/);
  t.throws(() => parseSlotRanges('0-5,'), /not a slot or a range/);
  t.throws(() => parseSlotRanges('0 - 5'), /not a slot or a range/);
  t.throws(() => parseSlotRanges('000001'), /not a slot or a range/, 'six digits, even zero-padded, are refused');
  const thrown = (() => {
    try {
      parseSlotRanges('-1');
    } catch (error) {
      return error;
    }
  })();
  t.ok(thrown instanceof SlotRangesError, 'a SlotRangesError, which the API turns into its own fault');
  t.same(
    parseSlotRanges('0-10,5-20', { overlapping: true }),
    [
      [0, 10],
      [5, 20],
    ],
    'overlaps pass when the caller reports them itself',
  );
  t.throws(() => parseSlotRanges('0-16384', { overlapping: true }), /out of range/);
});

t.test('ranges and slot numbers', async (t) => {
  t.same(
    rangesToSlots([
      [0, 2],
      [7, 7],
    ]),
    [0, 1, 2, 7],
  );
  t.same(rangesToSlots([]), []);
  t.same(
    slotsToRanges([7, 2, 0, 1]),
    [
      [0, 2],
      [7, 7],
    ],
    'any order in, sorted ranges out',
  );
  t.same(slotsToRanges([3, 3, 4, 4]), [[3, 4]], 'repeats count once');
  t.same(slotsToRanges(new Set([16383, 0])), [
    [0, 0],
    [16383, 16383],
  ]);
  t.same(slotsToRanges([]), []);
  for (const ranges of [
    [[0, 16383]],
    [
      [0, 100],
      [200, 300],
    ],
    [
      [5, 5],
      [7, 9],
      [11, 11],
    ],
  ] as SlotRanges[]) {
    t.same(slotsToRanges(rangesToSlots(ranges)), ranges);
  }
  t.same(
    slotsToRanges(
      rangesToSlots([
        [0, 9],
        [10, 19],
      ]),
    ),
    [[0, 19]],
    'adjacent ranges merge',
  );
});

t.test('rebalancing: every slot ends with a target, evenly, and only the slots that must move do', async (t) => {
  const three = { a: evenSlots(3)[0], b: evenSlots(3)[1], c: evenSlots(3)[2] };
  const grow = planRebalance(three, ['a', 'b', 'c', 'd']);
  t.same(
    grow.map((move) => [move.from, move.to, move.slots.length]),
    [
      ['a', 'd', 1366],
      ['b', 'd', 1365],
      ['c', 'd', 1365],
    ],
  );
  t.same(grow[0].slots.slice(0, 2), [4096, 4097], 'donors give their highest slots');
  const shrink = planRebalance({ a: [[0, 4095]], b: [[4096, 8191]], c: [[8192, 12287]], d: [[12288, 16383]] }, [
    'a',
    'b',
    'd',
  ]);
  t.ok(
    shrink.every((move) => move.from === 'c'),
    'only the removed shard gives',
  );
  t.same(
    shrink.map((move) => [move.to, formatSlotRanges(slotsToRanges(move.slots))]),
    [
      ['a', '8192-9557'],
      ['b', '9558-10922'],
      ['d', '10923-12287'],
    ],
  );
  t.same(planRebalance(three, ['a', 'b', 'c']), [], 'an even cluster needs no move');
  t.same(
    planRebalance({ a: [[0, 16383]] }, ['a', 'b']).map((m) => m.slots.length),
    [8192],
  );
  t.throws(() => planRebalance({ a: [[0, 10]], b: [[5, 20]] }, ['a']), /slot 5 is served by two shards/);
  t.throws(() => planRebalance(three, []), /at least one shard/);
  t.throws(() => planRebalance(three, ['a', 'a']), /named twice/);

  // Shards added, removed, both, from even and uneven starts.
  const messy = { a: [[0, 9999]] as SlotRanges, b: [[10000, 16000]] as SlotRanges, c: [[16001, 16383]] as SlotRanges };
  const cases: Array<[string, Record<string, SlotRanges>, string[]]> = [
    ['1 → 7', { a: [[0, 16383]] }, ['a', 'b', 'c', 'd', 'e', 'f', 'g']],
    ['3 → 4', three, ['a', 'b', 'c', 'd']],
    ['3 → 2', three, ['a', 'c']],
    ['3 → 1', three, ['b']],
    ['uneven, added and removed', messy, ['c', 'd', 'a', 'e', 'f']],
    [
      'a scattered shard',
      {
        x: [
          [0, 99],
          [5000, 16383],
        ],
        y: [[100, 4999]],
      },
      ['x', 'y', 'z'],
    ],
  ];
  for (const [name, owners, targetIds] of cases) {
    const plan = planRebalance(owners, targetIds);
    const after = applyMoves(t, owners, plan);
    const sizes = targetIds.map((id) => after.get(id)?.size ?? 0);
    const expected = evenSlots(targetIds.length).map(([[first, last]]) => last - first + 1);
    t.equal(
      sizes.reduce((sum, size) => sum + size, 0),
      SLOT_COUNT,
      `${name}: every slot ends with a target`,
    );
    t.same(
      [...sizes].sort((x, y) => y - x),
      expected,
      `${name}: AWS's even shares`,
    );
    for (const id of Object.keys(owners))
      if (!targetIds.includes(id)) t.equal(after.get(id)!.size, 0, `${name}: removed shard ${id} keeps nothing`);
    // The fewest moves: a shard gives only what it holds above its share and receives only what it lacks.
    const held = (id: string) => (owners[id] ? rangesToSlots(owners[id]).length : 0);
    const share = (id: string) => (targetIds.includes(id) ? after.get(id)!.size : 0);
    const needed = Object.keys(owners).reduce((sum, id) => sum + Math.max(0, held(id) - share(id)), 0);
    t.equal(
      plan.reduce((sum, move) => sum + move.slots.length, 0),
      needed,
      `${name}: only the ${needed} slots that must move do`,
    );
    t.ok(
      plan.every((move) => held(move.to) < share(move.to) && held(move.from) > share(move.from)),
      `${name}: no shard both gives and receives`,
    );
  }
  const after = applyMoves(t, messy, planRebalance(messy, ['c', 'd', 'a', 'e', 'f']));
  t.equal(after.get('a')!.size, 3277, 'the biggest holder keeps a larger share');
});

t.test('rebalancedSlots and slotMoves: the target owners, and the moves that reach them', async (t) => {
  const current = { '0001': rangesToSlots([[0, 8191]]), '0002': rangesToSlots([[8192, 16383]]) };
  const grown = rebalancedSlots({ ...current, '0003': [] }, ['0001', '0002', '0003']);
  t.same(
    Object.entries(grown).map(([id, slots]) => [id, formatSlotRanges(slotsToRanges(slots))]),
    [
      ['0001', '0-5461'],
      ['0002', '8192-13652'],
      ['0003', '5462-8191,13653-16383'],
    ],
    'each keeps its lowest slots, the new shard gets the rest',
  );
  const shrunk = rebalancedSlots(
    {
      '0001': rangesToSlots([[0, 5461]]),
      '0002': rangesToSlots([[5462, 10922]]),
      '0003': rangesToSlots([[10923, 16383]]),
    },
    ['0001', '0003'],
  );
  t.same(Object.keys(shrunk), ['0001', '0003'], 'a removed shard is left out');
  t.same(
    Object.values(shrunk).map((slots) => slots.length),
    [8192, 8192],
  );
  // Equal holdings: the lower id gets the larger share, whatever order the ids come in.
  const tie = rebalancedSlots({ '0005': rangesToSlots([[0, 8191]]), '0002': rangesToSlots([[8192, 16383]]) }, [
    '0005',
    '0002',
    '0009',
  ]);
  t.same([tie['0002'].length, tie['0005'].length, tie['0009'].length], [5462, 5461, 5461]);

  const moves = slotMoves({ x: [0, 1, 2, 3], y: [4, 5] }, { y: [4, 5, 0, 3], z: [2, 1, 6] });
  t.same(
    moves,
    [
      { from: 'x', to: 'y', slots: [0, 3] },
      { from: 'x', to: 'z', slots: [2, 1] },
    ],
    'one move per pair, receivers in order; a slot nobody owns (6) is left out',
  );
  t.same(slotMoves({ x: [0, 1] }, { x: [0, 1] }), [], 'a shard that keeps its slots does not move them');
  t.same(
    slotMoves(current, grown).map((m) => [m.from, m.to, m.slots.length]),
    [
      ['0001', '0003', 2730],
      ['0002', '0003', 2731],
    ],
  );
});

t.test("the API's wrapper keeps its own errors and wording", async (t) => {
  const invalid = (value: string) => ({
    shapeName: 'InvalidParameterValueException',
    message: `Invalid Slots: ${value}. Use ranges of hash slots between 0 and 16383, like 0-5461,5462-10922.`,
  });
  for (const value of ['0-16384', '10-5', 'a-b', '', '0-5,', '000001'])
    t.throws(() => parseSlots(value), invalid(value), JSON.stringify(value));
  t.throws(() => parseSlots('x', 'NodeGroupConfiguration.1.Slots'), {
    message: /^Invalid NodeGroupConfiguration\.1\.Slots: x\./,
  });
  t.same(parseSlots(' 0-5461 ,5462-10922'), [
    [0, 5461],
    [5462, 10922],
  ]);
  t.same(slotsOf(undefined), []);
  t.same(slotsOf(''), []);
  t.same(slotsOf('0-2,5'), [0, 1, 2, 5]);
  t.throws(
    () => checkCoverage(['0-10,5-16383']),
    { message: 'Slot 5 is assigned to more than one node group.' },
    'an overlap inside one shard is named by the coverage check',
  );
  t.throws(() => checkCoverage(['0-8191', '8000-16383']), {
    message: 'Slot 8000 is assigned to more than one node group.',
  });
  t.throws(() => checkCoverage(['0-8191', '8193-16383']), {
    message: "The node groups' slots must cover all slots from 0 to 16383; slot 8192 is not assigned.",
  });
  t.doesNotThrow(() => checkCoverage(evenSlots(3).map(formatSlotRanges)));
});
