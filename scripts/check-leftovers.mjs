#!/usr/bin/env node
/**
 * Fails a test run that leaves something of its own running: a node container or Docker network of the emulator
 * (its io.elasticache-local.managed label), a redis-server / valkey-server / memcached working in a directory under
 * the temp dir (where tests' data dirs and `:memory:` instances keep process nodes), an emulator's relay worker
 * (src/dataplane/relay-worker.ts, which should end with its emulator), a second dockerd (or its
 * containerd) of test/e2e/remote-docker.test.ts, or a listener on the tests' endpoint addresses (127.0.0.0/8 beyond
 * 127.0.0.1, where endpoints and their backstage addresses live, and the ports endpoint mode's 127.0.0.1 ports).
 *
 *   node scripts/check-leftovers.mjs <command...>   notes what already runs, runs the command (npm test: tap), then
 *                                                   fails when something new is left; the command's failure wins
 *   node scripts/check-leftovers.mjs                lists everything of the kinds above that runs now
 *
 * What ran before the command is not the run's, so an emulator a developer keeps running is never counted; another
 * test run on the same machine at the same time can be (each line says what and where, to tell). Processes and
 * listeners are read from /proc (Linux); elsewhere only Docker is checked.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';

const MANAGED = 'io.elasticache-local.managed';
const NODE_BINARIES = new Set(['redis-server', 'valkey-server', 'memcached']);
/** An emulator's relay worker process (its script, bundled or run from the sources). */
const RELAY_WORKER = /relay-worker\.(js|ts)(\s|$)/;
/** test/e2e/remote-docker.test.ts's daemon directory prefix. */
const TEST_DAEMON = 'elasticache-local-test-dockerd-';
/** The ports endpoint mode's first port (src/server.ts PORTS_MODE_BASE) and how far tests get from it. */
const PORTS_MODE = { from: 16379, to: 16999 };
/** How long what the run's last teardowns are still removing may take to go. */
const SETTLE_MS = 15_000;

/** Node containers and networks on the daemon of DOCKER_HOST (or the default socket); none when none answers. */
async function dockerLeftovers() {
  let Docker;
  try {
    Docker = (await import('dockerode')).default;
  } catch {
    return [];
  }
  const docker = new Docker();
  const answered = await Promise.race([
    docker.ping().then(
      () => true,
      () => false,
    ),
    new Promise((resolve) => setTimeout(() => resolve(false), 2000).unref()),
  ]);
  if (!answered) return [];
  const filters = { label: [`${MANAGED}=true`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return [
    ...containers.map((c) => ({
      key: `container:${c.Id}`,
      what: `container ${c.Names[0]?.replace(/^\//, '')} (${c.Image}, ${c.State}, instance ${c.Labels['io.elasticache-local.instance']})`,
    })),
    ...networks.map((n) => ({ key: `network:${n.Id}`, what: `Docker network ${n.Name}` })),
  ];
}

const readOr = (read, fallback) => {
  try {
    return read();
  } catch {
    return fallback;
  }
};

/** Every process: pid, name, command line, working directory, start time (pids are reused). */
function processes() {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((pid) => {
      const stat = readOr(() => readFileSync(`/proc/${pid}/stat`, 'utf8'), '');
      return {
        pid: Number(pid),
        name: readOr(() => readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), ''),
        command: readOr(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim(), ''),
        cwd: readOr(() => readlinkSync(`/proc/${pid}/cwd`), ''),
        // Field 22 (start time), counted after the command name's closing parenthesis.
        started: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '',
      };
    });
}

function processLeftovers(all) {
  const temp = tmpdir();
  return all
    .filter(
      (p) =>
        (NODE_BINARIES.has(p.name) && p.cwd.startsWith(`${temp}/`)) ||
        RELAY_WORKER.test(p.command) ||
        (/^(dockerd|containerd)/.test(p.name) && p.command.includes(TEST_DAEMON)),
    )
    .map((p) => ({
      key: `process:${p.pid}:${p.started}`,
      what: `${p.name} process ${p.pid} (${p.command.slice(0, 120)}) in ${p.cwd}`,
    }));
}

/** An address of /proc/net/tcp{,6}: IPv4 (or IPv4-mapped IPv6) in dotted form, else undefined. */
function ipv4Of(hex) {
  const v4 = hex.length === 8 ? hex : hex.startsWith('0000000000000000FFFF0000') ? hex.slice(24) : undefined;
  if (!v4) return undefined;
  return [3, 2, 1, 0].map((i) => parseInt(v4.slice(i * 2, i * 2 + 2), 16)).join('.');
}

function isTestEndpoint(address, port) {
  if (!address.startsWith('127.')) return false;
  if (address !== '127.0.0.1') return true;
  return port >= PORTS_MODE.from && port <= PORTS_MODE.to;
}

function listenerLeftovers(all) {
  const owners = new Map();
  for (const p of all) {
    for (const fd of readOr(() => readdirSync(`/proc/${p.pid}/fd`), [])) {
      const target = readOr(() => readlinkSync(`/proc/${p.pid}/fd/${fd}`), '');
      if (target.startsWith('socket:[')) owners.set(target.slice(8, -1), p);
    }
  }
  const found = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readOr(() => readFileSync(table, 'utf8'), '')
      .split('\n')
      .slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [hexAddress, hexPort] = fields[1].split(':');
      const address = ipv4Of(hexAddress);
      const port = parseInt(hexPort, 16);
      if (!address || !isTestEndpoint(address, port)) continue;
      const owner = owners.get(fields[9]);
      found.push({
        key: `listener:${address}:${port}`,
        what: `listener on ${address}:${port}${owner ? ` (${owner.name} ${owner.pid})` : ''}`,
      });
    }
  }
  return found;
}

async function leftovers() {
  const found = await dockerLeftovers();
  if (existsSync('/proc/net/tcp')) {
    const all = processes();
    found.push(...processLeftovers(all), ...listenerLeftovers(all));
  }
  return found;
}

/** What is left that was not there before, once the last removals have had their time. */
async function newLeftovers(before) {
  const deadline = Date.now() + SETTLE_MS;
  for (;;) {
    const left = (await leftovers()).filter((item) => !before.has(item.key));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function report(left, lead = 'the run left') {
  process.stderr.write(`\ncheck-leftovers: ${lead} ${left.length} thing(s) of the tests' kinds running:\n`);
  for (const item of left) process.stderr.write(`  ${item.what}\n`);
}

const command = process.argv.slice(2);
if (command.length === 0) {
  const left = await leftovers();
  if (left.length > 0) report(left, 'there are');
  else process.stdout.write('check-leftovers: nothing of the tests is running\n');
  process.exit(left.length > 0 ? 1 : 0);
}

const before = new Set((await leftovers()).map((item) => item.key));
const child = spawn(command[0], command.slice(1), { stdio: 'inherit', shell: process.platform === 'win32' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const code = await new Promise((resolve) =>
  child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))),
);
const left = await newLeftovers(before);
if (left.length > 0) report(left);
else process.stdout.write('check-leftovers: the run left nothing running\n');
process.exit(code !== 0 ? code : left.length > 0 ? 1 : 0);
