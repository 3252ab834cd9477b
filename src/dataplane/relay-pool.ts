/**
 * Relay workers: child processes that carry the bytes of plain forwarded endpoint connections, so forwarding uses
 * every core instead of the emulator's one event loop (in a forward, most of the time is the kernel's work on each
 * write, done on the writing thread; bench/RESULTS.md §3). The emulator keeps every decision: it accepts, admits and
 * picks the node, then hands the client's socket over. Connections that need the emulator itself (memcached's Auto
 * Discovery, TLS it ends, IAM logins) stay in its loop, as does everything while no worker is ready.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { Target } from './node-relay.js';

export type RelayMessage =
  | { type: 'relay'; endpoint: string; target: Target }
  /** Cut every connection an endpoint handed over (its node was deleted, or it failed over). */
  | { type: 'drop'; endpoint: string };

interface Worker {
  process: ChildProcess;
  ready: boolean;
}

/** Two workers where there are two cores or more (beyond that the nodes and clients need the cores); none on one. */
export function defaultRelayWorkers(): number {
  return availableParallelism() > 1 ? 2 : 0;
}

/**
 * The worker's script: the bundled or compiled `relay-worker.js` beside this module, else (sources run through a
 * TypeScript loader, as tests do) the `.ts` source, run with tsx's loader.
 */
function workerScript(): { path: string; execArgv: string[] } {
  const compiled = fileURLToPath(new URL('./relay-worker.js', import.meta.url));
  if (existsSync(compiled)) return { path: compiled, execArgv: [] };
  return { path: fileURLToPath(new URL('./relay-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] };
}

export class RelayPool {
  private workers: Worker[] = [];
  private next = 0;
  private stopped = false;

  constructor(private readonly size = defaultRelayWorkers()) {}

  /**
   * Starts the workers not running, at the first connection to hand over (many runs forward nothing: process nodes
   * serve their own endpoints); the connections that come before one is ready are carried by the emulator.
   */
  private ensureStarted(): void {
    if (this.stopped || this.workers.length >= this.size) return;
    const script = workerScript();
    while (this.workers.length < this.size) {
      const child = fork(script.path, [], {
        execArgv: script.execArgv,
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        serialization: 'json',
      });
      const worker: Worker = { process: child, ready: false };
      child.on('message', (message: { type?: string }) => {
        if (message?.type === 'ready') worker.ready = true;
      });
      // A worker that dies takes its connections with it; a new one is started at the next hand-over.
      child.on('exit', () => (this.workers = this.workers.filter((w) => w !== worker)));
      child.on('error', () => child.kill());
      this.workers.push(worker);
    }
  }

  /**
   * Hands a paused, admitted client to a worker. False when no worker can take it now: the caller carries it.
   * The client's socket is the worker's from then on (closed here once sent).
   */
  hand(endpoint: string, client: Socket, target: Target): boolean {
    this.ensureStarted();
    const ready = this.workers.filter((w) => w.ready && w.process.connected);
    if (ready.length === 0) return false;
    const worker = ready[this.next++ % ready.length];
    const message: RelayMessage = { type: 'relay', endpoint, target };
    worker.process.send(message, client, (error) => {
      if (error) client.destroy();
    });
    return true;
  }

  /** Cuts the connections an endpoint handed over, in every worker. */
  drop(endpoint: string): void {
    const message: RelayMessage = { type: 'drop', endpoint };
    for (const worker of this.workers) if (worker.process.connected) worker.process.send(message);
  }

  /** Stops every worker (their connections end with them). */
  async stop(): Promise<void> {
    this.stopped = true;
    const exiting = this.workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.process.exitCode !== null || w.process.signalCode !== null) return resolve();
          w.process.once('exit', () => resolve());
          w.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exiting);
    this.workers = [];
  }
}
