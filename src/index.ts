/**
 * The package's programmatic API, for test suites: `start()` runs an emulator in this process and hands back its
 * URL, a client configuration the AWS SDK takes as it is, `reset()` (between tests) and `stop()`. By default the
 * instance is ephemeral (state in memory, every node removed on stop, leftovers of a killed run removed by the next
 * start). What the emulator is made of (its store, runtime, reconciler) stays inside.
 */
import { defaultConfig, type Config, type LogFormat, type LogLevel, type RuntimeChoice } from './config.js';
import { startEmulator } from './server.js';

export { StartError } from './config.js';
export type { LogFormat, LogLevel, RuntimeChoice };

export interface StartOptions {
  /** API port; 0 (the default here) picks a free one. */
  port?: number;
  /** Address the API listens on (default 127.0.0.1). */
  host?: string;
  /** Where cache nodes run: auto (default), docker, process or none. */
  runtime?: RuntimeChoice;
  /** Where state is kept; `:memory:` (the default) keeps nothing. */
  dataDir?: string;
  /**
   * Remove every node, listener and (once unused) the Docker network on stop (default true). With false and a
   * data dir, nodes outlive the instance and the next start on that dir adopts them, as the CLI does.
   */
  ephemeral?: boolean;
  /** Default `warn`: a test run's output stays quiet. */
  logLevel?: LogLevel;
  /** Default `json`. */
  logFormat?: LogFormat;
  /** Node image overrides: `{ 'redis:7.1': 'my/redis:7.2.5', memcached: 'memcached:1.6.38' }`. */
  images?: Record<string, string>;
  /** The first loopback address handed to node endpoints (default 127.77.0.1). */
  endpointBase?: string;
  /** loopback, ports or auto (default). */
  endpointMode?: Config['endpointMode'];
  /** The Docker network node containers join (default elasticache-local). */
  dockerNetwork?: string;
  /** Runtime none only: how long a node pretends to take to start, reboot or stop (ms). */
  provisionDelayMs?: number;
}

/** What the AWS SDK v3 clients take: `new ElastiCacheClient(emulator.clientConfig)`. */
export interface ClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export interface RunningEmulator {
  /** http://host:port of the API. */
  url: string;
  port: number;
  clientConfig: ClientConfig;
  /** The runtime nodes run on: docker, process or none. */
  runtime: 'docker' | 'process' | 'none';
  /** This instance's id: its containers carry it in the label io.elasticache-local.instance. */
  instanceId: string;
  /** Deletes every resource of every account and region, and their nodes; resolves once they are gone. */
  reset(): Promise<void>;
  /** Stops the emulator (an ephemeral one with all its nodes). Calling it again does nothing. */
  stop(): Promise<void>;
}

export async function start(options: StartOptions = {}): Promise<RunningEmulator> {
  const config: Config = {
    ...defaultConfig(),
    port: 0,
    dataDir: ':memory:',
    logLevel: 'warn',
    logFormat: 'json',
  };
  const { images, provisionDelayMs, ephemeral, ...rest } = options;
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) Object.assign(config, { [key]: value });
  }
  if (images) config.images = JSON.stringify(images);
  if (provisionDelayMs !== undefined) config.provisionDelayMs = provisionDelayMs;
  config.ephemeral = ephemeral ?? true;
  const emulator = await startEmulator(config);
  let stopped: Promise<void> | undefined;
  return {
    url: emulator.url,
    port: Number(new URL(emulator.url).port),
    clientConfig: {
      endpoint: emulator.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    runtime: emulator.runtime.name,
    instanceId: emulator.instanceId,
    reset: () => emulator.reset(),
    stop: () => (stopped ??= emulator.close()),
  };
}
