// The compose example's app: asks the ElastiCache API (at AWS_ENDPOINT_URL) for every cluster and replication group,
// then reaches each endpoint it returned from inside its container: redis node endpoints answer PING, a replication
// group's primary endpoint takes a write and reads it back (a replica would refuse it), its reader endpoint answers
// PING, and a memcached configuration endpoint answers Auto Discovery's `config get cluster`, whose nodes answer
// `version`. Prints a line per endpoint, then `ok`; exits 1 if any endpoint failed. Node's own modules only, so it
// runs on any image with node: a real app would use the AWS SDK and a redis / memcached client instead.
import { connect } from 'node:net';

const api = process.env.AWS_ENDPOINT_URL ?? 'http://elasticache-local:8379';
const TIMEOUT_MS = 5000;

/**
 * One Query API call. The emulator's default (`--auth lenient`) takes unsigned requests; an SDK signs them, which
 * the emulator accepts too.
 */
async function query(action, parameters = {}) {
  const body = new URLSearchParams({ Action: action, Version: '2015-02-02', ...parameters });
  const response = await fetch(api, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const xml = await response.text();
  if (!response.ok) throw new Error(`${action}: HTTP ${response.status}: ${xml}`);
  return xml;
}

/** The inner text of every `<tag>…</tag>` in the XML, in order (enough for the flat answers read here). */
const elements = (xml, tag) =>
  [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]);
const text = (xml, tag) => elements(xml, tag)[0];
const endpointOf = (xml, tag) => {
  const endpoint = text(xml, tag);
  return endpoint && { host: text(endpoint, 'Address'), port: Number(text(endpoint, 'Port')) };
};

/**
 * Opens a connection, sends `request`, and collects the answer until `complete(answer)` says it is whole.
 */
function exchange({ host, port }, request, complete) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk) => {
      answer += chunk;
      if (!complete(answer)) return;
      clearTimeout(timer);
      socket.end();
      resolve(answer);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection closed after ${JSON.stringify(answer)}`));
    });
  });
}

/** Redis commands in RESP; the answer is whole once it holds one reply line (and bulk body) per command. */
async function redis(endpoint, ...commands) {
  const request = commands
    .map((args) => `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`)
    .join('');
  const replies = (answer) => {
    const parsed = [];
    let rest = answer;
    while (rest.includes('\r\n')) {
      const line = rest.slice(0, rest.indexOf('\r\n'));
      rest = rest.slice(line.length + 2);
      if (line[0] === '$' && Number(line.slice(1)) >= 0) {
        const length = Number(line.slice(1));
        if (rest.length < length + 2) return undefined;
        parsed.push(rest.slice(0, length));
        rest = rest.slice(length + 2);
      } else parsed.push(line);
    }
    return parsed;
  };
  const answer = await exchange(endpoint, request, (sofar) => (replies(sofar)?.length ?? 0) >= commands.length);
  return replies(answer);
}

const memcached = (endpoint, command) =>
  exchange(endpoint, `${command}\r\n`, (answer) => /(^|\r\n)(END|ERROR|VERSION [^\r]*)\r\n$/.test(answer));

let failures = 0;
async function check(what, endpoint, probe) {
  const where = `${endpoint.host}:${endpoint.port}`;
  try {
    console.log(`${what} at ${where}: ${await probe(endpoint)}`);
  } catch (error) {
    failures += 1;
    console.log(`${what} at ${where}: FAILED (${error.message})`);
  }
}

const ping = async (endpoint) => {
  const [reply] = await redis(endpoint, ['PING']);
  if (reply !== '+PONG') throw new Error(`answered ${reply}`);
  return 'PONG';
};

const clusters = elements(await query('DescribeCacheClusters', { ShowCacheNodeInfo: 'true' }), 'CacheCluster');
for (const cluster of clusters) {
  const id = text(cluster, 'CacheClusterId');
  const engine = text(cluster, 'Engine');
  if (engine === 'memcached') {
    const configuration = endpointOf(cluster, 'ConfigurationEndpoint');
    await check(`memcached ${id} configuration endpoint`, configuration, async (endpoint) => {
      // CONFIG cluster 0 <bytes>\r\n<version>\n<host|ip|port> ...\n\r\nEND
      const nodes = (await memcached(endpoint, 'config get cluster')).split('\n')[2]?.trim().split(' ') ?? [];
      if (nodes.length === 0 || nodes[0] === '') throw new Error('no nodes in config get cluster');
      const versions = [];
      for (const node of nodes) {
        const [host, , port] = node.split('|');
        versions.push((await memcached({ host, port: Number(port) }, 'version')).trim());
      }
      return `config get cluster lists ${nodes.join(' ')}; each answers ${versions.join(', ')}`;
    });
  }
  for (const node of elements(cluster, 'CacheNode')) {
    const endpoint = endpointOf(node, 'Endpoint');
    const what = `${engine} ${id} node ${text(node, 'CacheNodeId')}`;
    if (engine === 'memcached') await check(what, endpoint, async (at) => (await memcached(at, 'version')).trim());
    else await check(what, endpoint, ping);
  }
}

for (const group of elements(await query('DescribeReplicationGroups'), 'ReplicationGroup')) {
  const id = text(group, 'ReplicationGroupId');
  if (endpointOf(group, 'ConfigurationEndpoint')) {
    console.log(`replication group ${id}: cluster mode enabled, not reached from containers (see README.md)`);
    continue;
  }
  for (const nodeGroup of elements(group, 'NodeGroup')) {
    await check(`replication group ${id} primary endpoint`, endpointOf(nodeGroup, 'PrimaryEndpoint'), async (at) => {
      const value = `written from the app container at ${new Date().toISOString()}`;
      const [set, get] = await redis(at, ['SET', 'compose-example', value], ['GET', 'compose-example']);
      if (set !== '+OK' || get !== value) throw new Error(`SET answered ${set}, GET answered ${get}`);
      return 'SET and GET';
    });
    const reader = endpointOf(nodeGroup, 'ReaderEndpoint');
    if (reader) await check(`replication group ${id} reader endpoint`, reader, ping);
  }
}

if (failures > 0) {
  console.log(`${failures} endpoint(s) failed`);
  process.exit(1);
}
console.log('ok');
