/**
 * Assembles a running emulator from a Config: the database, the node runtime, the reconciler and the HTTP app.
 * The CLI and the tests both start emulators through here.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { cacheClusterWorkers } from './control/cache-cluster-worker.js';
import { Reconciler } from './control/reconciler.js';
import { LoopbackAddressPool } from './dataplane/loopback-addresses.js';
import { buildApp } from './http/app.js';
import { NoneRuntime } from './runtime/none.js';
import type { NodeRuntime } from './runtime/runtime.js';
import { elastiCacheApi } from './services/elasticache/index.js';
import { openDatabase } from './store/database.js';
import { Store } from './store/store.js';

export interface Emulator {
  app: FastifyInstance;
  store: Store;
  reconciler: Reconciler;
  runtime: NodeRuntime;
  /** http://host:port of the API. */
  url: string;
  close(): Promise<void>;
}

export const VERSION = '0.1.0';

async function chooseRuntime(config: Config, app: FastifyInstance): Promise<NodeRuntime> {
  if (config.runtime === 'docker' || config.runtime === 'process') {
    throw new Error(`The ${config.runtime} runtime is not available in this version yet; use --runtime none.`);
  }
  if (config.runtime === 'auto') {
    app.log.warn('runtime auto: no node runtime is available yet in this version; using "none" (metadata only)');
  }
  app.log.warn('runtime "none": clusters exist in the API only, no cache node runs and no endpoint answers');
  return new NoneRuntime(config.provisionDelayMs);
}

export async function startEmulator(config: Config): Promise<Emulator> {
  const store = new Store(openDatabase(config.dataDir), new LoopbackAddressPool(config.endpointBase));
  let reconciler: Reconciler | undefined;
  const work = { wake: () => reconciler?.wake() };
  let runtimeName = 'none';
  const app = await buildApp({
    apis: [elastiCacheApi({ store, work })],
    logLevel: config.logLevel,
    status: () => ({ version: VERSION, runtime: runtimeName, dataDir: config.dataDir }),
  });
  try {
    const runtime = await chooseRuntime(config, app);
    runtimeName = runtime.name;
    reconciler = new Reconciler(store, { ...cacheClusterWorkers(store, runtime, app.log) }, app.log);
    const address = await app.listen({ host: config.host, port: config.port });
    reconciler.start();
    const listening = new URL(address);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${listening.port}`;
    const emulator: Emulator = {
      app,
      store,
      reconciler,
      runtime,
      url,
      async close() {
        await app.close();
        await reconciler!.stop();
        await runtime.close();
        store.close();
      },
    };
    return emulator;
  } catch (error) {
    await app.close();
    store.close();
    throw error;
  }
}
