/**
 * The floor: the same nodes started and wired by hand, without the emulator, as fast as this machine does it.
 * Processes are spawned directly; containers are made with the Docker Engine API calls dockerode makes
 * (create, start, inspect), published on 127.0.0.1 like the emulator's. Replication and Redis Cluster are wired
 * with the same commands the emulator sends (REPLICAOF; ADDSLOTSRANGE, MEET, REPLICATE), polled every 2-5 ms. The
 * Redis Cluster floor has every node MEET every other one, before and after the replicas attach, so that the
 * layout spreads at once instead of by gossip; what remains is Redis's own 2 s before a new primary reports
 * cluster_state:ok (CLUSTER_WRITABLE_DELAY).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, dockerApi, freePort, onCleanup, sleep, waitUntilPings } from './harness.js';

export interface FloorNode {
  /** Where the host reaches it. */
  host: string;
  port: number;
  /** Where other nodes reach it. */
  peer: { host: string; port: number; busPort?: number };
  stop(): Promise<void>;
}

export interface NodeStarter {
  start(engine: 'redis' | 'memcached', options?: { cluster?: boolean }): Promise<FloorNode>;
}

const REDIS_ARGS = ['--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0'];

export function processStarter(): NodeStarter {
  const dir = mkdtempSync(join(tmpdir(), 'ecl-bench-floor-'));
  const live = new Set<number>();
  // Ports handed out in this run: nodes started side by side must not be given the same free port twice.
  const given = new Set<number>();
  const port = async () => {
    for (;;) {
      const candidate = await freePort();
      if (given.has(candidate)) continue;
      given.add(candidate);
      return candidate;
    }
  };
  onCleanup(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  onCleanup(() => {
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  const attempt = async (engine: 'redis' | 'memcached', options: { cluster?: boolean }): Promise<FloorNode> => {
    const nodePort = await port();
    let args: string[];
    let busPort: number | undefined;
    if (engine === 'memcached') {
      args = [
        '-p',
        String(nodePort),
        '-l',
        '127.0.0.1',
        '-U',
        '0',
        '-m',
        '64',
        ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []),
      ];
    } else {
      args = ['--port', String(nodePort), '--bind', '127.0.0.1', '--dir', dir, ...REDIS_ARGS];
      if (options.cluster) {
        busPort = await port();
        args.push(
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${nodePort}.conf`,
          '--cluster-port',
          String(busPort),
        );
      }
    }
    const child = spawn(engine === 'memcached' ? 'memcached' : 'redis-server', args, { stdio: 'ignore' });
    live.add(child.pid!);
    // Another program may take the port between the check and the bind: the node then exits at once.
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', () => reject(new Error(`${engine} on port ${nodePort} exited`))),
    );
    exited.catch(() => {});
    await Promise.race([waitUntilPings('127.0.0.1', nodePort, engine), exited]);
    return {
      host: '127.0.0.1',
      port: nodePort,
      peer: { host: '127.0.0.1', port: nodePort, busPort },
      async stop() {
        child.kill('SIGKILL');
        live.delete(child.pid!);
      },
    };
  };
  return {
    async start(engine, options = {}) {
      for (let tries = 1; ; tries++) {
        try {
          return await attempt(engine, options);
        } catch (error) {
          if (tries >= 3) throw error;
        }
      }
    },
  };
}

export async function dockerStarter(): Promise<NodeStarter> {
  const network = `ecl-bench-floor-${process.pid}`;
  const label = `ecl-bench-floor-${process.pid}`;
  await dockerApi.request('POST', '/networks/create', { Name: network, Labels: { [label]: 'true' } });
  onCleanup(async () => {
    const { json } = await dockerApi.request(
      'GET',
      `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`,
    );
    for (const c of json ?? []) await dockerApi.request('DELETE', `/containers/${c.Id}?force=1`);
    await dockerApi.request('DELETE', `/networks/${network}`);
  });
  let count = 0;
  return {
    async start(engine, options = {}) {
      const port = engine === 'memcached' ? 11211 : 6379;
      const cmd =
        engine === 'memcached'
          ? ['memcached', '-p', String(port), '-U', '0', '-m', '64', '-u', 'nobody']
          : [
              'redis-server',
              '--port',
              String(port),
              '--bind',
              '0.0.0.0',
              '--dir',
              '/data',
              ...REDIS_ARGS,
              ...(options.cluster ? ['--cluster-enabled', 'yes'] : []),
            ];
      const key = `${port}/tcp`;
      const created = await dockerApi.request('POST', `/containers/create?name=${label}-${++count}`, {
        // Tags the emulator's nodes run on (src/runtime/node-images.json), so the offline builder provides them.
        Image: engine === 'memcached' ? 'memcached:1.6' : 'redis:7.2',
        Cmd: cmd,
        Labels: { [label]: 'true' },
        ExposedPorts: { [key]: {} },
        HostConfig: { PortBindings: { [key]: [{ HostIp: '127.0.0.1', HostPort: '' }] }, NetworkMode: network },
      });
      if (created.status !== 201) throw new Error(`docker create: ${JSON.stringify(created.json)}`);
      const id = created.json.Id as string;
      await dockerApi.request('POST', `/containers/${id}/start`);
      const info = (await dockerApi.request('GET', `/containers/${id}/json`)).json;
      const hostPort = Number(info.NetworkSettings.Ports[key][0].HostPort);
      await waitUntilPings('127.0.0.1', hostPort, engine);
      return {
        host: '127.0.0.1',
        port: hostPort,
        peer: { host: info.NetworkSettings.Networks[network].IPAddress, port },
        async stop() {
          await dockerApi.request('DELETE', `/containers/${id}?force=1`);
        },
      };
    },
  };
}

/** A RESP command on a fresh connection. */
export function command(node: { host: string; port: number }, ...args: string[]): Promise<string | undefined> {
  const resp = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
  return ask(node.host, node.port, resp, 5000);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000, intervalMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`floor: ${what} within ${timeoutMs} ms`);
}

const linkUp = async (node: FloorNode) => {
  const info = (await command(node, 'INFO', 'replication')) ?? '';
  return /master_link_status:up/.test(info) && /master_sync_in_progress:0/.test(info);
};

/** A primary and its replicas, replicating and synced. */
export async function replicationFloor(starter: NodeStarter, replicas: number): Promise<FloorNode[]> {
  const nodes = await Promise.all(Array.from({ length: replicas + 1 }, () => starter.start('redis')));
  const [primary, ...rest] = nodes;
  await Promise.all(rest.map((r) => command(r, 'REPLICAOF', primary.peer.host, String(primary.peer.port))));
  await Promise.all(rest.map((r) => until(() => linkUp(r), 'replica did not sync')));
  return nodes;
}

/** A Redis Cluster of `shards` primaries with `replicas` each: every node knows every other, state ok, replicas synced. */
export async function clusterFloor(starter: NodeStarter, shards: number, replicas: number): Promise<FloorNode[]> {
  const nodes = await Promise.all(
    Array.from({ length: shards * (replicas + 1) }, () => starter.start('redis', { cluster: true })),
  );
  const ids = await Promise.all(nodes.map(async (n) => ((await command(n, 'CLUSTER', 'MYID')) ?? '').split('\r\n')[1]));
  await Promise.all(nodes.map((n, i) => command(n, 'CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1))));
  const per = Math.floor(16384 / shards);
  await Promise.all(
    Array.from({ length: shards }, (_, s) =>
      command(
        nodes[s * (replicas + 1)],
        'CLUSTER',
        'ADDSLOTSRANGE',
        String(s * per),
        String(s === shards - 1 ? 16383 : (s + 1) * per - 1),
      ),
    ),
  );
  // Every node meets every other directly: gossip alone takes seconds to introduce 9 nodes to each other.
  const meetAll = (pairs: 'one-way' | 'both-ways') =>
    Promise.all(
      nodes.map(async (a, i) => {
        for (const [j, b] of nodes.entries()) {
          if (j === i || (pairs === 'one-way' && j < i)) continue;
          await command(
            a,
            'CLUSTER',
            'MEET',
            b.peer.host,
            String(b.peer.port),
            ...(b.peer.busPort ? [String(b.peer.busPort)] : []),
          );
        }
      }),
    );
  await meetAll('one-way');
  const knowsAll = async (n: FloorNode) => {
    const view = (await command(n, 'CLUSTER', 'NODES')) ?? '';
    return ids.every((id) => view.includes(id)) && !/handshake|noaddr/.test(view);
  };
  await until(async () => (await Promise.all(nodes.map(knowsAll))).every(Boolean), 'nodes did not all meet');
  for (let s = 0; s < shards; s++) {
    const primaryId = ids[s * (replicas + 1)];
    for (let r = 1; r <= replicas; r++) await command(nodes[s * (replicas + 1) + r], 'CLUSTER', 'REPLICATE', primaryId);
  }
  // A MEET from a known node carries its current slots and role: every node learns the final layout at once,
  // instead of over the 1-per-second gossip pings (several seconds for 9 nodes, up to cluster-node-timeout / 2).
  await meetAll('both-ways');
  // Settled as the emulator defines it: every node reports cluster_state:ok, the replicas have synced, and every
  // node's view agrees with each node's own idea of its role and primary.
  const settled = async () => {
    const views = await Promise.all(
      nodes.map(async (n) =>
        ((await command(n, 'CLUSTER', 'NODES')) ?? '')
          .split('\n')
          .filter((l) => l.includes('@'))
          .map((l) => l.split(' ')),
      ),
    );
    const roleOf = (fields: string[]) => `${fields[2].includes('master') ? 'primary' : 'replica'} of ${fields[3]}`;
    const truth = new Map(
      views.map((view) => view.find((f) => f[2].includes('myself'))!).map((f) => [f[0], roleOf(f)]),
    );
    if (views.some((view) => view.some((f) => truth.get(f[0]) !== roleOf(f)))) return false;
    const ok = await Promise.all(
      nodes.map(
        async (n, i) =>
          /cluster_state:ok/.test((await command(n, 'CLUSTER', 'INFO')) ?? '') &&
          (i % (replicas + 1) === 0 || (await linkUp(n))),
      ),
    );
    return ok.every(Boolean);
  };
  await until(settled, 'cluster did not settle');
  return nodes;
}
