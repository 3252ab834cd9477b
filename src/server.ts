/**
 * Assembles a running emulator from a Config: the database, the node runtime, the endpoint listeners, the
 * reconciler and its supervisor, and the HTTP app. The CLI and the tests both start emulators through here.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hostname, tmpdir } from 'node:os';
import { CallRunner } from './api/call-runner.js';
import { consoleView } from './api/console-view.js';
import { StartError, type Config } from './config.js';
import type { AdmissionKeeper } from './control/admission-keeper.js';
import type { CertificateAuthority } from './control/certificates.js';
import type { groupContext } from './control/replication-groups/group-context.js';
import type { NodeSupervisor } from './control/node-supervisor.js';
import type { AutomaticSnapshots } from './control/snapshots/automatic.js';
import type { SnapshotFiles } from './control/snapshots/snapshot-files.js';
import type { Reconciler } from './control/reconciler.js';
import type { WarmSpares } from './control/serverless/warm-spares.js';
import type { EndpointManager } from './dataplane/endpoints.js';
import { claimRange } from './dataplane/claimed-endpoints.js';
import { describeRange } from './dataplane/endpoint-ranges.js';
import { backstageAddress } from './dataplane/loopback-addresses.js';
import { recordClusterEvent } from './domain/elasticache/records.js';
import { buildApp } from './http/app.js';
import { prettyStream } from './http/pretty-log.js';
import { parseImageOverrides } from './runtime/images.js';
import type { describeNodeRunner } from './runtime/node-runners.js';
import { NoneRuntime } from './runtime/none.js';
import type { NodeAddress, NodeRuntime } from './runtime/runtime.js';
import { ec2Api, ec2SecurityGroupDirectory, ec2SubnetDirectory } from './services/ec2/index.js';
import { elastiCacheApi } from './services/elasticache/index.js';
import { elastiCacheNetworkUsers } from './services/elasticache/network-users.js';
import { iamApi } from './services/iam/index.js';
import { stsApi } from './services/sts/index.js';
import { openDatabase } from './store/database.js';
import { Store } from './store/store.js';

/**
 * What drives nodes (workers, supervisor, endpoints, certificates, snapshot files), loaded once the API listens:
 * none of it is on the path to the first answer, and a request arriving meanwhile is answered between the loads.
 */
async function loadControlModules() {
  const modules = await Promise.all([
    import('./control/certificates.js'),
    import('./control/cache-cluster-worker.js'),
    import('./control/cluster-nodes.js'),
    import('./control/replication-groups/group-context.js'),
    import('./control/replication-groups/lifecycle.js'),
    import('./control/replication-groups/group-endpoints.js'),
    import('./control/served-endpoints.js'),
    import('./control/replication-groups/workers.js'),
    import('./control/serverless/workers.js'),
    import('./control/admission-keeper.js'),
    import('./control/node-supervisor.js'),
    import('./control/user-acls.js'),
    import('./control/snapshots/automatic.js'),
    import('./control/snapshots/sealed-files.js'),
    import('./control/snapshots/snapshot-files.js'),
    import('./control/snapshots/workers.js'),
    import('./domain/elasticache/jobs.js'),
    import('./control/reconciler.js'),
    import('./dataplane/endpoints.js'),
    import('./runtime/ephemeral-instances.js'),
    import('./runtime/node-runners.js'),
    import('./control/memcached-sasl.js'),
    import('./control/iam-logins.js'),
    import('./control/serverless/warm-spares.js'),
  ]);
  return Object.assign({}, ...modules) as UnionToIntersection<(typeof modules)[number]>;
}
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type ControlModules = Awaited<ReturnType<typeof loadControlModules>>;

export interface Emulator {
  app: FastifyInstance;
  store: Store;
  reconciler: Reconciler;
  runtime: NodeRuntime;
  /** This emulator's identity: its containers and processes carry it. */
  instanceId: string;
  /** http://host:port of the API. */
  url: string;
  /**
   * Stops the API and the endpoint listeners. Nodes keep running, to be adopted by the next start, unless the
   * instance is ephemeral: then every node, listener and (once unused) the Docker network go with it.
   */
  close(): Promise<void>;
  /** Deletes every resource of every account and region, and their nodes; resolves once all are gone. */
  reset(): Promise<void>;
  /** Whether stopping removes the nodes (Config.ephemeral, or the `:memory:` data dir). */
  ephemeral: boolean;
  /** The CA certificate TLS clients verify nodes with (`<data-dir>/tls/ca.pem`). */
  caCertificatePath: string;
}

export const VERSION = '0.1.0';

/** Where process nodes keep their files: the data dir's, or a temp dir of the instance's own with `:memory:`. */
function nodeWorkDir(config: Config, instanceId: string): string {
  return config.dataDir === ':memory:'
    ? join(tmpdir(), `elasticache-local-${instanceId}`)
    : join(config.dataDir, 'nodes');
}

interface RuntimeChoice {
  runtime: NodeRuntime;
  why: string;
}

async function chooseRuntime(
  config: Config,
  instanceId: string,
  log: FastifyBaseLogger,
  loopback: boolean,
  store: Store,
): Promise<RuntimeChoice> {
  const images = parseImageOverrides(config.images);
  const workDir = nodeWorkDir(config, instanceId);
  // Loaded on demand: dockerode alone costs a fifth of a second of start-up.
  const docker = async () => {
    const { DockerRuntime, connectDocker } = await import('./runtime/docker.js');
    const client = await connectDocker();
    // A pull's progress goes to the clusters waiting for it as events (DescribeEvents).
    const pullEvents = (waiting: NodeAddress[], message: string) =>
      waiting.forEach((node) => recordClusterEvent(store, node, node.clusterId, message));
    if (!client) return undefined;
    const runtime = new DockerRuntime(client, { instanceId, network: config.dockerNetwork, images, log, pullEvents });
    await runtime.prepare();
    return runtime;
  };
  const processes = async () => {
    const { ProcessRuntime } = await import('./runtime/process.js');
    const enforce = config.securityGroups === 'enforce';
    return ProcessRuntime.available()
      ? new ProcessRuntime({ instanceId, workDir, log, enforce, backstageOf: loopback ? backstageAddress : undefined })
      : undefined;
  };
  const daemon = process.env.DOCKER_HOST ?? 'the default socket';

  switch (config.runtime) {
    case 'docker': {
      const runtime = await docker();
      if (!runtime)
        throw new StartError(
          `--runtime docker: no Docker daemon answers on ${daemon}; start Docker, or use --runtime process or auto`,
        );
      return { runtime, why: 'asked for' };
    }
    case 'process': {
      const runtime = await processes();
      if (!runtime)
        throw new StartError(
          '--runtime process: neither redis-server nor memcached is on PATH; install them, or use --runtime docker or auto',
        );
      return { runtime, why: 'asked for' };
    }
    case 'none':
      return { runtime: new NoneRuntime(config.provisionDelayMs), why: 'asked for' };
    default: {
      const viaDocker = await docker();
      if (viaDocker) return { runtime: viaDocker, why: `a Docker daemon answers on ${daemon}` };
      const viaProcesses = await processes();
      if (viaProcesses)
        return { runtime: viaProcesses, why: `no Docker daemon on ${daemon}; engine binaries are on PATH` };
      return {
        runtime: new NoneRuntime(config.provisionDelayMs),
        why: 'no Docker daemon and no engine binaries on PATH',
      };
    }
  }
}

/** Snapshots' RDB files and exports: under the data dir (README: "Backup and restore"). */
function snapshotFiles(
  { SnapshotFiles, snapshotFileKey }: ControlModules,
  config: Config,
  instanceId: string,
  dataDirSecret: string,
): SnapshotFiles {
  const base = config.dataDir === ':memory:' ? join(tmpdir(), `elasticache-local-${instanceId}-data`) : config.dataDir;
  return new SnapshotFiles(join(base, 'snapshots'), join(base, 'exports'), snapshotFileKey(dataDirSecret));
}

/** The local CA of in-transit encryption: `<data-dir>/tls` (README: "Encryption in transit"). */
function certificateAuthority(
  { authorityDir, loadOrCreateAuthority }: ControlModules,
  config: Config,
  instanceId: string,
): CertificateAuthority {
  const base = config.dataDir === ':memory:' ? join(tmpdir(), `elasticache-local-${instanceId}-data`) : config.dataDir;
  return loadOrCreateAuthority(authorityDir(base));
}

/** The parts that drive nodes: rebuilt from nothing by a reset, so no listener or worker keeps an old resource. */
interface ControlPlane {
  endpoints: EndpointManager;
  spares?: WarmSpares;
  /** Fills the warm pools the configuration asks for at start (control/serverless/warm-spares.ts: prewarmPools). */
  prewarm: () => void;
  reconciler: Reconciler;
  supervisor: NodeSupervisor;
  automaticSnapshots: AutomaticSnapshots;
  admission: AdmissionKeeper;
  groups: ReturnType<typeof groupContext>;
  /** Cluster-mode global secondaries' relays being resumed: a stop waits for it before the store closes. */
  relaysResumed?: Promise<void>;
}

function startControl(plane: ControlPlane): void {
  const { reconciler, supervisor, automaticSnapshots, admission, groups } = plane;
  // Cluster-mode global secondaries' relays live in memory (loaded already, with the replication group workers).
  plane.relaysResumed = import('./control/replication-groups/shard-relays.js')
    .then((relays) => relays.resumeShardRelays(groups))
    .catch((error: unknown) => groups.log.warn({ err: error }, 'shard relays were not resumed'));
  admission.start();
  plane.prewarm();
  reconciler.start();
  supervisor.start();
  automaticSnapshots.start();
}

async function stopControl({
  endpoints,
  spares,
  reconciler,
  supervisor,
  automaticSnapshots,
  admission,
  groups,
  relaysResumed,
}: ControlPlane): Promise<void> {
  await relaysResumed;
  (await import('./control/replication-groups/shard-relays.js')).stopAllShardRelays(groups.store);
  supervisor.stop();
  await admission.stop();
  automaticSnapshots.stop();
  await reconciler.stop();
  // No spare outlives the emulator (nor a reset).
  await spares?.close();
  await endpoints.close();
}

/** Opens the database, or says in one line why the data dir cannot hold it. */
function openStore(config: Config, allocator: ConstructorParameters<typeof Store>[1]): Store {
  try {
    return new Store(openDatabase(config.dataDir), allocator);
  } catch (error) {
    throw new StartError(
      `the data dir ${config.dataDir} cannot be used (${(error as Error).message}); ` +
        'choose a writable one with --data-dir, or :memory:',
    );
  }
}

export async function startEmulator(config: Config): Promise<Emulator> {
  const { loopback, claimed, allocator, remember } = await claimRange(config);
  let store: Store;
  try {
    store = openStore(config, allocator);
    remember();
  } catch (error) {
    claimed.release();
    throw error;
  }
  const ephemeral = config.ephemeral || config.dataDir === ':memory:';
  const instanceId = store.settings.getOrCreate('instance-id', () => randomBytes(6).toString('hex'));
  // The key node credentials derive from (control/node-credentials.ts); its row keeps an older build's name.
  const credentialKey = store.settings.getOrCreate('admin-secret', () => randomBytes(32).toString('hex'));
  let control: ControlPlane | undefined;
  const work = {
    wake: () => control?.reconciler.wake(),
    settle: async (ids: number[], timeoutMs: number) => control?.reconciler.settle(ids, timeoutMs),
  };
  let runtimeName = 'starting';
  let chosenRuntime: NodeRuntime | undefined;
  let describeRunner: typeof describeNodeRunner | undefined;
  const securityGroupRules = ec2SecurityGroupDirectory(store);
  const apis = [
    elastiCacheApi({
      store,
      work,
      subnets: ec2SubnetDirectory(store),
      securityGroups: securityGroupRules,
    }),
    ec2Api({ store, dependents: elastiCacheNetworkUsers(store) }),
    stsApi(),
    iamApi(),
  ];
  // Calls wait for the jobs they start once the runtime is chosen, and only if it runs real nodes.
  const calls = new CallRunner(apis, { store, jobs: work, settleJobs: false });
  // A reset asked for while the runtime is still being chosen runs once it has been.
  let markReady = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let resetAll: () => Promise<void> = async () => {
    await ready;
    return resetAll();
  };
  const pretty = config.logFormat === 'pretty' || (config.logFormat === 'auto' && process.stdout.isTTY === true);
  const app = await buildApp({
    calls,
    logLevel: config.logLevel,
    logStream: pretty ? prettyStream() : undefined,
    limits: { requestTimeoutMs: config.requestTimeoutMs, headersTimeoutMs: config.headersTimeoutMs },
    status: () => ({ version: VERSION, runtime: runtimeName, dataDir: config.dataDir }),
    consoleView: () =>
      consoleView(store, runtimeName, (node, runtimeId) =>
        chosenRuntime && describeRunner ? describeRunner(chosenRuntime, node, runtimeId) : undefined,
      ),
    reset: () => resetAll(),
    auth: { mode: config.auth, credentials: config.credentials },
  });
  if (config.auth === 'strict') {
    app.log.info(
      { keys: config.credentials.map((c) => c.accessKeyId) },
      `auth strict: requests must be signed (SigV4) with one of ${config.credentials.length} known access keys`,
    );
  }
  try {
    // The API listens first: calls that arrive while the runtime is chosen are stored as jobs and run right after.
    const address = await app.listen({ host: config.host, port: config.port }).catch((error) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new StartError(
          `port ${config.port} on ${config.host} is in use; choose another with --port (0 picks a free one)`,
        );
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES')
        throw new StartError(`cannot listen on ${config.host}:${config.port} (${code}); check --host and --port`);
      throw error;
    });
    const [modules, { runtime, why }] = await Promise.all([
      loadControlModules(),
      chooseRuntime(config, instanceId, app.log, loopback, store),
    ]);
    const {
      cacheClusterFailureHandlers,
      cacheClusterWorkers,
      ClusterNodes,
      groupContext,
      adoptGroups,
      serveGroupEndpoints,
      moveServedEndpoints,
      replicationGroupFailureHandlers,
      replicationGroupWorkers,
      serverlessCacheWorkers,
      WarmSpares,
      prewarmPools,
      AdmissionKeeper,
      NodeSupervisor,
      userAclFailureHandlers,
      userAclWorkers,
      AutomaticSnapshots,
      snapshotFailureHandlers,
      snapshotWorkers,
      JobQueue,
      Reconciler,
      EndpointManager,
      removeDeadInstances,
      removeInstanceNodes,
      removeRecord,
      writeRecord,
      MemcachedSaslService,
      IamLogins,
    } = modules;
    describeRunner = modules.describeNodeRunner;
    runtimeName = runtime.name;
    chosenRuntime = runtime;
    calls.settleJobs = runtime.name !== 'none';
    if (config.advertiseHost) {
      app.log.info(`endpoints: ${config.advertiseHost}, a port each (--advertise-host)`);
    } else if (!loopback && config.endpointMode !== 'ports') {
      app.log.warn(
        `endpoints: ${config.endpointBase} cannot be listened on here; every endpoint gets a port of its own`,
      );
    }
    app.log.info(
      { endpointRange: claimed.range, lockFile: claimed.lockFile, skipped: claimed.skipped },
      `endpoints: ${describeRange(claimed.range)}` +
        (claimed.skipped.length ? `; ranges of running emulators skipped: ${claimed.skipped.join('; ')}` : ''),
    );
    if (runtime.name === 'none') {
      app.log.warn(`runtime none (${why}): clusters exist in the API only; no cache node runs and no endpoint answers`);
    } else {
      app.log.info({ runtime: runtime.name }, `runtime ${runtime.name}: ${why}`);
    }
    const workDir = nodeWorkDir(config, instanceId);
    const nodeFiles = { workDir, ownsWorkDir: config.dataDir === ':memory:' };
    if (ephemeral) {
      // Without its record this instance's nodes are still removed on stop; only a crash would leave them.
      try {
        writeRecord({
          instanceId,
          pid: process.pid,
          host: hostname(),
          runtime: runtime.name,
          network: config.dockerNetwork,
          ...nodeFiles,
          dockerHost: process.env.DOCKER_HOST,
        });
      } catch (error) {
        app.log.warn({ err: error }, 'could not record this ephemeral instance; a crash would leave its nodes running');
      }
    }
    // What killed ephemeral instances left running (never another live instance's nodes: see ephemeral-instances.ts).
    await removeDeadInstances(app.log, instanceId);

    const files = snapshotFiles(modules, config, instanceId, credentialKey);
    const authority = certificateAuthority(modules, config, instanceId);
    app.log.info(
      { caCertificate: authority.path },
      `TLS clients verify nodes with the CA certificate ${authority.path}`,
    );
    // Only where nodes really run: the runtime none starts no node to authenticate.
    const sasl = runtime.name === 'none' ? undefined : new MemcachedSaslService(store, instanceId, app.log);
    const buildControl = (): ControlPlane => {
      const endpoints = new EndpointManager(app.log, runtime.name !== 'none');
      const iamLogins = new IamLogins(
        store,
        { credentialKey, authority, credentials: config.credentials, strict: config.auth === 'strict' },
        app.log,
      );
      endpoints.iamLoginAt = (owner, address) => iamLogins.endpointLogin(owner, address);
      const identity = { instanceId, credentialKey, authority, sasl, iamLogins };
      const nodes = new ClusterNodes(store, runtime, endpoints, identity, app.log, (scope, from) =>
        files.seedFile(scope, from),
      );
      const spares = runtime.claimSpare && new WarmSpares(runtime, runtime.claimSpare.bind(runtime), app.log);
      nodes.spares = spares;
      const groups = groupContext(store, nodes, endpoints, app.log);
      const snapshots = { store, nodes, files, jobs: new JobQueue(store, work), log: app.log };
      const reconciler = new Reconciler(
        store,
        {
          ...cacheClusterWorkers(store, nodes, app.log),
          ...replicationGroupWorkers(groups),
          ...serverlessCacheWorkers(groups),
          ...snapshotWorkers(snapshots),
          ...userAclWorkers(groups),
        },
        app.log,
        {
          ...cacheClusterFailureHandlers(nodes),
          ...replicationGroupFailureHandlers(groups),
          ...snapshotFailureHandlers(snapshots),
          ...userAclFailureHandlers(groups),
        },
      );
      const supervisor = new NodeSupervisor(store, nodes, work, app.log);
      const automaticSnapshots = new AutomaticSnapshots(store, snapshots.jobs, app.log, {
        windowNow: config.snapshotWindowNow,
      });
      const admission = new AdmissionKeeper(
        store,
        securityGroupRules,
        endpoints,
        {
          enforce: config.securityGroups === 'enforce' && runtime.name !== 'none',
          address: config.hostAddress,
          groups: config.hostSecurityGroups,
          clients: runtime.clients?.(),
        },
        app.log,
        runtime.servesEndpoints
          ? {
              isClosed: (scope, id) => nodes.isClosed(scope, id),
              setClosed: (scope, id, closed) => {
                nodes.markEndpointsClosed(scope, id, closed);
                return () => moveServedEndpoints(nodes, endpoints, scope, id, closed);
              },
              // The roles stay: connections already made to the group's endpoints are kept.
              reserveGroup: async (scope, id) =>
                void (await serveGroupEndpoints(groups, scope, id, { keepConnections: true })),
            }
          : undefined,
      );
      if (runtime.servesEndpoints) nodes.refusesHost = (scope, cluster) => admission.refusesHost(scope, cluster);
      // Once the emulator answers (a start or a reset is not held up by it): see --serverless-warm-pool.
      const prewarm = () =>
        setImmediate(() =>
          prewarmPools(spares, (engine) => nodes.serverlessTemplate(engine), config.serverlessWarmPool, app.log),
        );
      return { endpoints, spares, prewarm, reconciler, supervisor, automaticSnapshots, admission, groups };
    };
    control = buildControl();
    // Adoption runs after the API listens: a start is not held up by the nodes it finds.
    await control.supervisor.adopt().catch((error) => app.log.error({ err: error }, 'adopting running nodes failed'));
    await adoptGroups(control.groups).catch((error) =>
      app.log.error({ err: error }, 'reopening replication group endpoints failed'),
    );
    startControl(control);

    let closing: Promise<void> | undefined;
    // One reset at a time; calls arriving meanwhile are stored and run by the new control plane.
    let resetting: Promise<void> = Promise.resolve();
    resetAll = () => {
      resetting = resetting.then(async () => {
        await stopControl(control!);
        store.clearAll();
        await removeInstanceNodes(runtime, {});
        await files.removeAll();
        control = buildControl();
        startControl(control);
        app.log.info('reset: every resource, node and snapshot file removed');
      });
      return resetting;
    };

    markReady();
    const listening = new URL(address);
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${listening.port}`;
    return {
      app,
      store,
      get reconciler() {
        return control!.reconciler;
      },
      runtime,
      instanceId,
      url,
      ephemeral,
      caCertificatePath: authority.path,
      reset: () => resetAll(),
      // Closing twice (a test's teardown after its own close) waits for the first close.
      close() {
        closing ??= (async () => {
          await resetting.catch(() => {});
          await app.close();
          await stopControl(control!);
          if (ephemeral) {
            await removeInstanceNodes(runtime, { ...nodeFiles, leaving: true }).catch((error) =>
              app.log.error({ err: error }, "removing the ephemeral instance's nodes failed"),
            );
            removeRecord(instanceId);
          }
          await runtime.close();
          await sasl?.close(ephemeral);
          store.close();
          claimed.release();
        })();
        return closing;
      },
    };
  } catch (error) {
    await app.close();
    if (control) await stopControl(control);
    store.close();
    claimed.release();
    throw error;
  }
}
