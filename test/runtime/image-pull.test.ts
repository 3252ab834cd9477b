/**
 * Pull progress, as pure functions (no registry is reachable from the tests, so a real pull cannot run here): a
 * line per image per second at most, milestones included, and a summary of every layer's state.
 */
import t from 'tap';
import { PROGRESS_EVERY_MS, PullProgress, progressDue, progressReporter } from '../../src/runtime/image-pull.js';

t.test('progressDue: the first line at once, then one per second at most', async (t) => {
  t.ok(progressDue(undefined, 5), 'nothing reported yet');
  t.notOk(progressDue(1000, 1000), 'not twice in the same instant');
  t.notOk(progressDue(1000, 1000 + PROGRESS_EVERY_MS - 1), 'not within the second');
  t.ok(progressDue(1000, 1000 + PROGRESS_EVERY_MS), 'a second later');
  t.ok(progressDue(1000, 1500, 500), 'the interval is a parameter');
});

t.test('a stream of events: at most one line per second, milestones included', async (t) => {
  // A pull's events as Docker sends them, one every 50 ms for 5 s: byte counts and layer milestones mixed.
  let clock = 0;
  const lines: { at: number; summary: string }[] = [];
  const onEvent = progressReporter(
    (summary) => lines.push({ at: clock, summary }),
    () => clock,
  );
  for (let i = 0; i < 100; i++) {
    clock = i * 50;
    onEvent(
      i % 10 === 9
        ? { id: `layer${i}`, status: 'Pull complete' }
        : { id: 'layer0', status: 'Downloading', progressDetail: { current: i, total: 100 } },
    );
  }
  t.same(
    lines.map((line) => line.at),
    [0, 1000, 2000, 3000, 4000],
    'one line a second',
  );
  t.equal(lines[1].summary, '2 of 3 layers done, 0.0 MB of 0.0 MB downloaded', 'milestones in between are counted');

  const afterStart: number[] = [];
  const started = progressReporter(
    () => afterStart.push(clock),
    () => clock,
    10_000,
  );
  for (clock = 10_000; clock < 12_500; clock += 100) started({ id: 'a', status: 'Downloading' });
  t.same(afterStart, [11_000, 12_000], "a pull's first line counts: the next comes a second after it");
});

t.test('PullProgress sums the layers up in one line', async (t) => {
  const progress = new PullProgress();
  progress.add({ status: 'Pulling from library/redis', id: '7.2' });
  t.equal(progress.summary(), '0 of 0 layers done', 'the image line is no layer');
  progress.add({ id: 'a', status: 'Pulling fs layer' });
  progress.add({ id: 'b', status: 'Pulling fs layer' });
  progress.add({ id: 'c', status: 'Already exists' });
  t.equal(progress.summary(), '1 of 3 layers done', 'no size known yet');
  progress.add({ id: 'a', status: 'Downloading', progressDetail: { current: 2 ** 20, total: 4 * 2 ** 20 } });
  progress.add({ id: 'b', status: 'Downloading', progressDetail: { current: 2 ** 19, total: 2 ** 20 } });
  t.equal(progress.summary(), '1 of 3 layers done, 1.5 MB of 5.0 MB downloaded');
  progress.add({ id: 'b', status: 'Download complete' });
  progress.add({ id: 'b', status: 'Extracting', progressDetail: { current: 10, total: 20 } });
  progress.add({ id: 'b', status: 'Pull complete' });
  t.equal(progress.summary(), '2 of 3 layers done, 2.0 MB of 5.0 MB downloaded', 'extraction counts no bytes');
  progress.add({ id: 'a', status: 'Pull complete' });
  progress.add({ status: 'Digest: sha256:0123' });
  progress.add({ status: 'Status: Downloaded newer image for redis:7.2' });
  t.equal(progress.summary(), '3 of 3 layers done, 5.0 MB of 5.0 MB downloaded');
});
