/**
 * The emulator's settings: command-line flags, each with an environment variable of the same name
 * (ELASTICACHE_LOCAL_<FLAG>), flags winning. Read once at start; everything else receives a Config.
 */
import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KnownCredentials } from './common/sigv4-signatures.js';
import {
  CredentialsError,
  parseCredentialList,
  parseCredentialPair,
  readCredentialsFile,
  uniqueByKey,
} from './http/api-credentials.js';
import { DEFAULT_HTTP_LIMITS } from './http/limits.js';
import { AUTH_MODES, type AuthMode } from './http/request-signatures.js';
import { parseImageOverrides } from './runtime/images.js';

export const RUNTIMES = ['auto', 'docker', 'process', 'none'] as const;
export type RuntimeChoice = (typeof RUNTIMES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** 8379: Redis's 6379 with an 8, free of LocalStack's 4566 and of the nodes' own 6379 / 11211. */
export const DEFAULT_PORT = 8379;

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  runtime: RuntimeChoice;
  logLevel: LogLevel;
  /** pretty: a readable line per entry; json: pino's JSON lines; auto: pretty when stdout is a terminal. */
  logFormat: LogFormat;
  /**
   * The instance's nodes live only while it runs: stopping it removes them (containers, processes, listeners,
   * its network once unused), and a later start removes those of an ephemeral instance that was killed. Always
   * so with the `:memory:` data dir.
   */
  ephemeral: boolean;
  /** First address of the loopback range node endpoints are given (one address per endpoint). */
  endpointBase: string;
  /** How long the metadata-only runtime pretends a node takes to start, stop or reboot (ms). */
  provisionDelayMs: number;
  /** Node image overrides, JSON: {"redis:7.1": "my/redis:7.1.3", "memcached": "memcached:1.6.38"}. */
  images: string;
  /** The Docker network node containers join; other containers on it reach nodes by their AWS-like names. */
  dockerNetwork: string;
  /** loopback: an address per endpoint, the requested port; ports: one address, a port per endpoint; auto: loopback where it works. */
  endpointMode: 'auto' | 'loopback' | 'ports';
  /** An API request (headers and body) must have arrived this long after it started (ms); see http/limits.ts. */
  requestTimeoutMs: number;
  /** An API request's headers must have arrived this long after it started (ms). */
  headersTimeoutMs: number;
  /** Every automatic snapshot window counts as open now: a source due its daily snapshot gets it at once. */
  snapshotWindowNow: boolean;
  /** lenient: any signature or none is accepted; strict: requests must be signed with `credentials`. */
  auth: AuthMode;
  /** The credentials the emulator knows: strict mode's only accepted ones (--credentials, --credentials-file). */
  credentials: KnownCredentials[];
  /** enforce: endpoints admit only what the cluster's security groups allow (domain/elasticache/admission.ts). */
  securityGroups: 'enforce' | 'off';
  /** The host's address in every VPC; unset, each VPC's 10th address. */
  hostAddress?: string;
  /** The host's security groups (ids or names) in every VPC; unset, each VPC's default group. */
  hostSecurityGroups?: string[];
  /**
   * The address endpoints are given and listened on, a port each (the LOCALSTACK_HOST convention): a name or
   * address that reaches the emulator from where clients run, e.g. its service name in a compose file.
   */
  advertiseHost?: string;
  /**
   * Engines whose serverless warm-spare pool (control/serverless/warm-spares.ts) is filled at start, for the version a
   * CreateServerlessCache without MajorEngineVersion picks: even the first serverless create is then made from spares.
   * Empty (the default): a pool forms only from an engine version's first serverless create on.
   */
  serverlessWarmPool: PrewarmedEngine[];
}

/** The engines a serverless warm pool exists for: a memcached serverless cache is made from no spare. */
export const PREWARMED_ENGINES = ['valkey', 'redis'] as const;
export type PrewarmedEngine = (typeof PREWARMED_ENGINES)[number];

export const USAGE = `Usage: elasticache-local [options]

Options (each also read from the environment variable shown):
  --port <n>          API port                       ELASTICACHE_LOCAL_PORT       (default ${DEFAULT_PORT})
  --host <addr>       address to listen on           ELASTICACHE_LOCAL_HOST       (default 127.0.0.1)
  --data-dir <dir>    where state is kept, or :memory: ELASTICACHE_LOCAL_DATA_DIR (default ~/.elasticache-local)
  --runtime <kind>    auto | docker | process | none ELASTICACHE_LOCAL_RUNTIME    (default auto)
  --log-level <lvl>   fatal .. trace, silent         ELASTICACHE_LOCAL_LOG_LEVEL  (default info)
  --log-format <f>    pretty | json | auto           ELASTICACHE_LOCAL_LOG_FORMAT (default auto:
                      pretty on a terminal, JSON lines otherwise)
  --ephemeral         remove every node on stop      ELASTICACHE_LOCAL_EPHEMERAL  (always with :memory:)
  --endpoint-base <a> first node endpoint address    ELASTICACHE_LOCAL_ENDPOINT_BASE (default 127.77.0.1)
  --provision-delay <ms> runtime none: time a node takes to start/stop
                                                     ELASTICACHE_LOCAL_PROVISION_DELAY (default 0)
  --images <json>     node image overrides           ELASTICACHE_LOCAL_IMAGES
                      e.g. {"redis:7.1":"my/redis:7.1.3","memcached":"memcached:1.6.38"}
  --docker-network <n> network of the node containers ELASTICACHE_LOCAL_DOCKER_NETWORK (default elasticache-local)
  --endpoint-mode <m> auto | loopback | ports        ELASTICACHE_LOCAL_ENDPOINT_MODE (default auto)
                      loopback: an address per endpoint, on the cluster's port; ports: 127.0.0.1, a port each
  --request-timeout <ms> time an API request may take to arrive in full
                                                     ELASTICACHE_LOCAL_REQUEST_TIMEOUT (default ${DEFAULT_HTTP_LIMITS.requestTimeoutMs})
  --headers-timeout <ms> time its headers may take to arrive
                                                     ELASTICACHE_LOCAL_HEADERS_TIMEOUT (default ${DEFAULT_HTTP_LIMITS.headersTimeoutMs})
  --snapshot-window-now every SnapshotWindow is open now: automatic snapshots are taken at once
                                                     ELASTICACHE_LOCAL_SNAPSHOT_WINDOW_NOW=1 (default off)
  --auth <mode>       lenient | strict               ELASTICACHE_LOCAL_AUTH       (default lenient)
                      strict: requests must carry a valid SigV4 signature of known credentials
  --credentials <k:s> credentials strict mode accepts: KEY:SECRET or KEY:SECRET:ACCOUNT; repeatable
                                                     ELASTICACHE_LOCAL_CREDENTIALS (comma-separated)
  --credentials-file <f> an AWS shared-credentials file: every profile's keys are accepted
                                                     ELASTICACHE_LOCAL_CREDENTIALS_FILE
  --security-groups <m> enforce | off: endpoints admit only what the security groups allow
                                                     ELASTICACHE_LOCAL_SECURITY_GROUPS (default enforce)
  --host-address <ip> the host's address in every VPC ELASTICACHE_LOCAL_HOST_ADDRESS (default: the VPC's 10th)
  --host-security-groups <ids or names, comma-separated>
                      the host's groups in every VPC ELASTICACHE_LOCAL_HOST_SECURITY_GROUPS (default: default)
  --advertise-host <h> endpoints are <h>:<a port each> (listened on there): a name or address of the emulator
                      that clients in containers reach   ELASTICACHE_LOCAL_ADVERTISE_HOST (default: loopback endpoints)
  --serverless-warm-pool <engines> valkey, redis or valkey,redis: spare nodes for serverless caches of these
                      engines (default versions) are started with the emulator, so even the first
                      CreateServerlessCache is fast; costs two idle engine processes or containers per engine
                                                     ELASTICACHE_LOCAL_SERVERLESS_WARM_POOL (default: none)
  -h, --help          show this help
`;

export class ConfigError extends Error {}

/** The emulator cannot start here (a busy port, no Docker daemon, a data dir it cannot write): one line says why. */
export class StartError extends Error {}

export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    dataDir: join(homedir(), '.elasticache-local'),
    runtime: 'auto',
    logLevel: 'info',
    logFormat: 'auto',
    ephemeral: false,
    endpointBase: '127.77.0.1',
    provisionDelayMs: 0,
    images: '',
    dockerNetwork: 'elasticache-local',
    endpointMode: 'auto',
    requestTimeoutMs: DEFAULT_HTTP_LIMITS.requestTimeoutMs,
    headersTimeoutMs: DEFAULT_HTTP_LIMITS.headersTimeoutMs,
    snapshotWindowNow: false,
    auth: 'lenient',
    credentials: [],
    securityGroups: 'enforce',
    serverlessWarmPool: [],
  };
}

export function readConfig(argv: string[], env: Record<string, string | undefined>): Config | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      runtime: { type: 'string' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      ephemeral: { type: 'boolean' },
      'endpoint-base': { type: 'string' },
      'provision-delay': { type: 'string' },
      images: { type: 'string' },
      'docker-network': { type: 'string' },
      'endpoint-mode': { type: 'string' },
      'request-timeout': { type: 'string' },
      'headers-timeout': { type: 'string' },
      'snapshot-window-now': { type: 'boolean' },
      auth: { type: 'string' },
      credentials: { type: 'string', multiple: true },
      'credentials-file': { type: 'string' },
      'security-groups': { type: 'string' },
      'host-address': { type: 'string' },
      'advertise-host': { type: 'string' },
      'host-security-groups': { type: 'string' },
      'serverless-warm-pool': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const pick = (flag: Exclude<keyof typeof values, 'credentials'>, variable: string) =>
    (values[flag] as string | undefined) ?? env[`ELASTICACHE_LOCAL_${variable}`];
  const config = defaultConfig();

  const port = pick('port', 'PORT');
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`--port must be 0-65535, got "${port}"`);
    config.port = n;
  }
  config.host = pick('host', 'HOST') ?? config.host;
  config.dataDir = pick('data-dir', 'DATA_DIR') ?? config.dataDir;
  const runtime = pick('runtime', 'RUNTIME');
  if (runtime !== undefined) {
    if (!RUNTIMES.includes(runtime as RuntimeChoice)) {
      throw new ConfigError(`--runtime must be one of ${RUNTIMES.join(', ')}, got "${runtime}"`);
    }
    config.runtime = runtime as RuntimeChoice;
  }
  const logLevel = pick('log-level', 'LOG_LEVEL');
  if (logLevel !== undefined) {
    if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
      throw new ConfigError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
    }
    config.logLevel = logLevel as LogLevel;
  }
  const logFormat = pick('log-format', 'LOG_FORMAT');
  if (logFormat !== undefined) {
    if (!LOG_FORMATS.includes(logFormat as LogFormat)) {
      throw new ConfigError(`--log-format must be one of ${LOG_FORMATS.join(', ')}, got "${logFormat}"`);
    }
    config.logFormat = logFormat as LogFormat;
  }
  const ephemeral = values.ephemeral ? 'true' : env.ELASTICACHE_LOCAL_EPHEMERAL;
  if (ephemeral !== undefined) {
    if (!['true', 'false', '1', '0', ''].includes(ephemeral))
      throw new ConfigError(`ELASTICACHE_LOCAL_EPHEMERAL must be true or false, got "${ephemeral}"`);
    config.ephemeral = ephemeral === 'true' || ephemeral === '1';
  }
  const endpointBase = pick('endpoint-base', 'ENDPOINT_BASE');
  if (endpointBase !== undefined) {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(endpointBase)) {
      throw new ConfigError(`--endpoint-base must be a 127.x.y.z address, got "${endpointBase}"`);
    }
    config.endpointBase = endpointBase;
  }
  const delay = pick('provision-delay', 'PROVISION_DELAY');
  if (delay !== undefined) {
    const ms = Number(delay);
    if (!Number.isInteger(ms) || ms < 0)
      throw new ConfigError(`--provision-delay must be a number of ms, got "${delay}"`);
    config.provisionDelayMs = ms;
  }
  const mode = pick('endpoint-mode', 'ENDPOINT_MODE');
  if (mode !== undefined) {
    if (!['auto', 'loopback', 'ports'].includes(mode))
      throw new ConfigError(`--endpoint-mode must be auto, loopback or ports, got "${mode}"`);
    config.endpointMode = mode as Config['endpointMode'];
  }
  // Both limits must be real ones: a request with no time limit could hold its connection for ever.
  for (const [flag, variable, key] of [
    ['request-timeout', 'REQUEST_TIMEOUT', 'requestTimeoutMs'],
    ['headers-timeout', 'HEADERS_TIMEOUT', 'headersTimeoutMs'],
  ] as const) {
    const value = pick(flag, variable);
    if (value === undefined) continue;
    const ms = Number(value);
    if (!Number.isInteger(ms) || ms <= 0)
      throw new ConfigError(`--${flag} must be a number of ms above 0, got "${value}"`);
    config[key] = ms;
  }
  const network = pick('docker-network', 'DOCKER_NETWORK');
  if (network !== undefined) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(network))
      throw new ConfigError(`--docker-network is not a valid network name: "${network}"`);
    config.dockerNetwork = network;
  }
  const windowNow = env.ELASTICACHE_LOCAL_SNAPSHOT_WINDOW_NOW;
  config.snapshotWindowNow =
    values['snapshot-window-now'] === true || (windowNow !== undefined && ['1', 'true', 'yes'].includes(windowNow));
  const enforcement = pick('security-groups', 'SECURITY_GROUPS');
  if (enforcement !== undefined) {
    if (!['enforce', 'off'].includes(enforcement))
      throw new ConfigError(`--security-groups must be enforce or off, got "${enforcement}"`);
    config.securityGroups = enforcement as Config['securityGroups'];
  }
  const advertiseHost = pick('advertise-host', 'ADVERTISE_HOST');
  if (advertiseHost !== undefined) {
    if (!isIP(advertiseHost) && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(advertiseHost))
      throw new ConfigError(`--advertise-host must be a host name or an IP address, got "${advertiseHost}"`);
    config.advertiseHost = advertiseHost;
  }
  const hostAddress = pick('host-address', 'HOST_ADDRESS');
  if (hostAddress !== undefined) {
    if (!isIP(hostAddress)) throw new ConfigError(`--host-address must be an IP address, got "${hostAddress}"`);
    config.hostAddress = hostAddress;
  }
  const hostGroups = pick('host-security-groups', 'HOST_SECURITY_GROUPS');
  if (hostGroups !== undefined)
    config.hostSecurityGroups = hostGroups
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
  const images = pick('images', 'IMAGES');
  if (images !== undefined) {
    try {
      parseImageOverrides(images);
    } catch (error) {
      throw new ConfigError(`--images must be a JSON object of image names: ${(error as Error).message}`);
    }
    config.images = images;
  }
  const warmPool = pick('serverless-warm-pool', 'SERVERLESS_WARM_POOL');
  if (warmPool !== undefined) config.serverlessWarmPool = parseWarmPool(warmPool);
  readAuth(config, values.credentials, pick('auth', 'AUTH'), pick('credentials-file', 'CREDENTIALS_FILE'), env);
  return config;
}

/** --serverless-warm-pool: engines, comma-separated; `none` or nothing turns it off. */
function parseWarmPool(value: string): PrewarmedEngine[] {
  const names = value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 1 && ['none', 'off'].includes(names[0])) return [];
  for (const name of names) {
    if (!PREWARMED_ENGINES.includes(name as PrewarmedEngine))
      throw new ConfigError(
        `--serverless-warm-pool takes engines among ${PREWARMED_ENGINES.join(', ')} (comma-separated), or none; ` +
          `got "${name}"` +
          (name === 'memcached' ? ' (a memcached serverless cache is made from no warm spare)' : ''),
      );
  }
  return [...new Set(names as PrewarmedEngine[])];
}

/** --auth, --credentials and --credentials-file: strict mode needs at least one access key to accept. */
function readAuth(
  config: Config,
  pairs: string[] | undefined,
  mode: string | undefined,
  file: string | undefined,
  env: Record<string, string | undefined>,
): void {
  if (mode !== undefined) {
    if (!AUTH_MODES.includes(mode as AuthMode))
      throw new ConfigError(`--auth must be one of ${AUTH_MODES.join(', ')}, got "${mode}"`);
    config.auth = mode as AuthMode;
  }
  try {
    // The flags win over the environment, as for every setting; a file adds to either.
    const given = pairs?.length
      ? pairs.map(parseCredentialPair)
      : parseCredentialList(env.ELASTICACHE_LOCAL_CREDENTIALS ?? '');
    config.credentials = uniqueByKey([...(file ? readCredentialsFile(file) : []), ...given]);
  } catch (error) {
    if (error instanceof CredentialsError) throw new ConfigError(error.message);
    throw error;
  }
  if (config.auth === 'strict' && config.credentials.length === 0) {
    throw new ConfigError(
      '--auth strict needs the credentials to accept: --credentials KEY:SECRET (or ELASTICACHE_LOCAL_CREDENTIALS), ' +
        'or --credentials-file ~/.aws/credentials',
    );
  }
}
