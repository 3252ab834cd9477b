/** The readable log format: request lines read as the call and its outcome, others as message and details. */
import t from 'tap';
import { prettyLine } from '../../src/http/pretty-log.js';

const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

t.test('a request line reads as the call and its outcome', async (t) => {
  const line = JSON.stringify({
    level: 30,
    time,
    pid: 1,
    hostname: 'h',
    reqId: 'r',
    action: 'CreateCacheCluster',
    status: 200,
    ms: 2.1,
    msg: 'request',
  });
  t.equal(prettyLine(line), '03:04:05.678 INFO  CreateCacheCluster 200 2.1ms');
  const failed = JSON.stringify({
    level: 30,
    time,
    status: 400,
    code: 'InvalidParameterValue',
    ms: 0.4,
    msg: 'request',
  });
  t.equal(prettyLine(failed), '03:04:05.678 INFO  - 400 InvalidParameterValue 0.4ms');
});

t.test('other lines: the message, then details as key=value', async (t) => {
  const line = JSON.stringify({
    level: 40,
    time,
    pid: 1,
    hostname: 'h',
    msg: 'cache node is down',
    cluster: 'demo',
    node: '0001',
  });
  t.equal(prettyLine(line), '03:04:05.678 WARN  cache node is down cluster=demo node=0001');
  const error = JSON.stringify({
    level: 50,
    time,
    msg: 'job failed',
    err: { type: 'Error', message: 'no image', stack: 'x' },
  });
  t.equal(prettyLine(error), '03:04:05.678 ERROR job failed err="no image"');
  t.equal(prettyLine('not json\n'), 'not json', 'a line that is not JSON is kept');
  t.match(
    prettyLine(JSON.stringify({ level: 30, time, msg: 'hi' }), true),
    /\x1b\[32mINFO \x1b\[0m hi/,
    'colours on a terminal',
  );
});
