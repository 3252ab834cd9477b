/**
 * Ephemeral emulator instances (a `:memory:` data dir, or `ephemeral` asked for) own their nodes only while they
 * run: a clean stop removes them, and an instance killed before it could is cleaned up by the next emulator that
 * starts on the same machine. Each running ephemeral instance leaves a record (its pid, runtime, network and node
 * work dir) in a directory under the system's temp dir; a record whose process is gone marks leftovers. Only what
 * carries the dead instance's id is removed (containers by their instance label, processes by the node files in
 * its own work dir), so another instance's nodes are never touched.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/logger.js';
import type { NodeRuntime } from './runtime.js';

export interface EphemeralRecord {
  instanceId: string;
  pid: number;
  /** Pids are only comparable on one machine (or in one container). */
  host: string;
  runtime: NodeRuntime['name'];
  /** The Docker network its containers joined. */
  network?: string;
  /** Its process nodes' work dir, and whether that dir is the instance's own (removed with it). */
  workDir?: string;
  ownsWorkDir?: boolean;
  /** The daemon its containers ran on (DOCKER_HOST), so leftovers are looked for there only. */
  dockerHost?: string;
}

/** Where the records live; one file per running ephemeral instance. */
export function recordsDir(): string {
  return join(tmpdir(), 'elasticache-local-instances');
}

const recordFile = (instanceId: string) => join(recordsDir(), `${instanceId}.json`);

export function writeRecord(record: EphemeralRecord): void {
  mkdirSync(recordsDir(), { recursive: true, mode: 0o700 });
  writeFileSync(recordFile(record.instanceId), JSON.stringify(record), { mode: 0o600 });
}

export function removeRecord(instanceId: string): void {
  rmSync(recordFile(instanceId), { force: true });
}

/** Whether a process runs: EPERM (someone else's process) counts as running. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readRecords(): EphemeralRecord[] {
  let names: string[];
  try {
    names = readdirSync(recordsDir()).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const records: EphemeralRecord[] = [];
  for (const name of names) {
    try {
      records.push(JSON.parse(readFileSync(join(recordsDir(), name), 'utf8')) as EphemeralRecord);
    } catch {
      // A record being written, or unreadable: left for a later start.
    }
  }
  return records;
}

/** Removes the nodes, network and work dir of one instance, whatever it ran on. */
export async function removeInstanceNodes(
  runtime: NodeRuntime,
  options: { workDir?: string; ownsWorkDir?: boolean; leaving?: boolean },
) {
  for (const node of await runtime.listNodes({ spares: true }))
    await runtime.removeNode(node, { runtimeId: node.runtimeId });
  await runtime.releaseUnused?.({ leaving: options.leaving });
  if (options.ownsWorkDir && options.workDir) rmSync(options.workDir, { recursive: true, force: true });
}

/**
 * Removes what dead ephemeral instances of this machine left running. Errors are logged, never thrown: leftovers
 * must not keep an emulator from starting, and a record stays until its cleanup succeeds.
 */
export async function removeDeadInstances(log: Logger, self: string): Promise<void> {
  const dead = readRecords().filter((r) => r.instanceId !== self && r.host === hostname() && !running(r.pid));
  for (const record of dead) {
    try {
      const runtime = await runtimeOf(record, log);
      if (!runtime) continue;
      const before = (await runtime.listNodes({ spares: true })).length;
      await removeInstanceNodes(runtime, record);
      removeRecord(record.instanceId);
      log.info(
        { instance: record.instanceId, runtime: record.runtime, nodes: before },
        'removed what a stopped ephemeral emulator left running',
      );
    } catch (error) {
      log.warn({ err: error, instance: record.instanceId }, "could not remove a dead ephemeral emulator's nodes");
    }
  }
}

/** A runtime that sees only the dead instance's nodes; undefined when its daemon is not the one reachable now. */
async function runtimeOf(record: EphemeralRecord, log: Logger): Promise<NodeRuntime | undefined> {
  const quiet = log.child({ leftoversOf: record.instanceId });
  if (record.runtime === 'process' && record.workDir) {
    const { ProcessRuntime } = await import('./process.js');
    return new ProcessRuntime({ instanceId: record.instanceId, workDir: record.workDir, log: quiet });
  }
  if (record.runtime === 'docker' && record.network && record.dockerHost === process.env.DOCKER_HOST) {
    const { DockerRuntime, connectDocker } = await import('./docker.js');
    const client = await connectDocker();
    if (!client) return undefined;
    return new DockerRuntime(client, { instanceId: record.instanceId, network: record.network, log: quiet });
  }
  if (record.runtime === 'none') removeRecord(record.instanceId);
  return undefined;
}
