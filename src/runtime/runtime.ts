/**
 * Where cache nodes run. The control layer asks a NodeRuntime to create, restart and remove nodes; the runtime
 * knows containers or processes, never HTTP, XML or the API's shapes.
 */

import type { ClientDirectory } from '../common/client-origins.js';
import type { Engine } from '../common/engines.js';
import type { NodeAccess } from './node-access.js';

/**
 * The account a warm spare node runs under (control/serverless/warm-spares.ts): no account id a client can have
 * (those are 12 digits).
 */
export const SPARE_ACCOUNT = 'warm-spares';

/** Which node: enough to find it again, whatever runs it. */
export interface NodeAddress {
  account: string;
  region: string;
  /** The cache cluster the node belongs to. */
  clusterId: string;
  /** 0001, 0002, ... */
  nodeId: string;
}

/** In-transit encryption: the node speaks TLS with this certificate (PEM); `preferred` takes plain connections too. */
export interface NodeTls {
  mode: 'preferred' | 'required';
  certificate: string;
  key: string;
  /** The CA certificate: what the node verifies its peers with, and the emulator the node. */
  authority: string;
}

/**
 * A memcached node with SASL (a local extension, control/memcached-sasl.ts): it runs with -S, and Cyrus SASL reads
 * its settings from memcached.conf in confDir (SASL_CONF_PATH), a host directory a container gets at the same path.
 */
export interface NodeSasl {
  confDir: string;
}

export interface NodeSpec extends NodeAddress {
  engine: Engine;
  engineVersion: string;
  cacheNodeType: string;
  /** The engine's memory limit for this node type, in bytes. */
  maxMemoryBytes: number;
  /** The port the engine listens on in its container (the cluster's port); a free port for processes. */
  port: number;
  /**
   * The node's endpoint, as clients are given it, once allocated. A runtime whose nodes can listen on it
   * themselves (NodeRuntime.servesEndpoints) has them do so, and the emulator puts no listener in front.
   */
  endpoint?: { address: string; port: number };
  /**
   * Addresses of group endpoints the node holds now, on the same port as its own endpoint: its group's primary
   * endpoint while it is the primary, its reader endpoint while that leads to it alone (its only replica, or the
   * primary without one). A runtime that serves endpoints has the node listen there too.
   */
  heldAddresses?: string[];
  /**
   * The cluster's security groups do not admit the host: a node that serves its endpoint starts listening on its
   * backstage address alone, and the emulator's listener, which checks each connection, takes the endpoint.
   */
  endpointClosed?: boolean;
  /** The node's parameter values: the family's defaults with the parameter group's changes over them. */
  parameters: Record<string, string>;
  /** The AUTH token clients must give (redis/valkey with in-transit encryption). Never logged. */
  authToken?: string;
  /** During a ROTATE: the previous token, still accepted. Never logged. */
  previousAuthToken?: string;
  /** Tokens no longer accepted that a running node may still have until the change reaches it. Never logged. */
  retiredAuthTokens?: string[];
  /** The emulator's own credentials on this node (node-access.ts). Never logged. */
  access: NodeAccess;
  /** Present when the cluster has in-transit encryption. Its key is never logged. */
  tls?: NodeTls;
  /** Present when the memcached node authenticates its clients with SASL. */
  sasl?: NodeSasl;
  /** Names the node answers to on the emulator's Docker network, shaped like AWS node names. */
  aliases: string[];
  /** Working directory of a process node (the docker runtime uses the container's /data). */
  dataDir?: string;
  /**
   * A Redis Cluster node (a member of a cluster-mode-enabled replication group). It announces its endpoint, so
   * CLUSTER SLOTS and MOVED name addresses a client on the host can reach.
   */
  cluster?: {
    announceHost: string;
    announcePort: number;
    /**
     * It announces an endpoint of its group's by its role, which follows the roles (a serverless cache's endpoint or
     * reader endpoint), not one of its own: clients reach it there, and its port may change (NodeRuntime.reannounce).
     */
    announcesGroupEndpoint?: boolean;
    /** The replication group it belongs to: only that group's nodes may join its cluster bus. */
    groupId?: string;
    /**
     * A serverless cache's backing node being created, in the role it starts in: it may be made from a warm spare
     * (control/serverless/warm-spares.ts) instead of started.
     */
    spareRole?: 'primary' | 'replica';
  };
  /**
   * A snapshot's RDB file on the host that a new redis / valkey node starts from: the runtime puts it where the
   * engine loads its data at start (RDB_FILE in the node's data directory).
   */
  seedRdb?: string;
}

/** How other nodes reach a node (REPLICAOF, CLUSTER MEET, MIGRATE): not always where the emulator reaches it. */
export interface Peer {
  host: string;
  port: number;
  /** The cluster bus port, when it is not port + 10000. */
  busPort?: number;
  /** port speaks TLS (in-transit encryption); plainPort, when present, takes plain connections (preferred mode). */
  tls?: boolean;
  plainPort?: number;
}

export interface NodeHandle {
  /** The runtime's own id: a container id, a pid, ... */
  runtimeId: string;
  /**
   * Where the emulator's endpoint listener forwards to; absent when nothing really runs. A TLS node's port is its
   * TLS port; `plainPort` is where it also takes plain connections (TransitEncryptionMode preferred).
   */
  target?: { host: string; port: number; plainPort?: number };
  /** Where other nodes reach it; absent when nothing really runs. */
  peer?: Peer;
  /** The node itself listens on its endpoint (NodeSpec.endpoint): no listener of the emulator goes in front. */
  servesEndpoint?: boolean;
  /**
   * The node can let go of its endpoint and stay reachable: the emulator, its replicas and the cluster bus reach it
   * on a backstage address of its own, which clients are never given.
   */
  closable?: boolean;
  /**
   * Where a cluster node announces itself to clients beside its endpoint (a container, on an address the node
   * network and the clients share): the emulator serves the node there as it serves its endpoint, checked.
   */
  announcedEndpoints?: { address: string; port: number }[];
}

/** A node the runtime found running (or stopped) that belongs to this emulator. */
export interface RunningNode extends NodeAddress {
  runtimeId: string;
  running: boolean;
}

export interface NodeRuntime {
  readonly name: 'docker' | 'process' | 'none';
  /**
   * Nodes listen on their endpoint themselves (given one in their spec): a process on a host address. The endpoint
   * must then be free when such a node starts. A container stays behind the emulator's listener.
   */
  readonly servesEndpoints?: boolean;
  /** Tells client containers apart by their source address (docker): their labels place them in a VPC. */
  clients?(): ClientDirectory;
  /** Starts a node and resolves once it answers (PING / version). */
  createNode(spec: NodeSpec): Promise<NodeHandle>;
  /** Restarts a node (its data is gone, as on AWS); recreates it when it has disappeared. */
  restartNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle>;
  removeNode(node: NodeAddress, handle: NodeHandle | undefined): Promise<void>;
  /**
   * Makes a running spare node (control/serverless/warm-spares.ts) the node `spec` describes, re-addressed live;
   * undefined when it cannot (the caller removes the spare and starts the node). Absent: no warm spares here.
   */
  claimSpare?(spare: NodeSpec, handle: NodeHandle, spec: NodeSpec): Promise<NodeHandle | undefined>;
  /**
   * A running node was told to listen on another port (CONFIG SET tls-port: a serverless backing node whose role
   * changed): the runtime records it, and answers where the node is reached now. Absent: nodes never move ports here.
   */
  nodePortChanged?(spec: NodeSpec, port: number): NodeHandle | undefined;
  /**
   * A running node announcing a group endpoint (NodeSpec.cluster.announcesGroupEndpoint) is about to be told to
   * announce `port` (its role changed): the runtime routes its peers by it from now. Answers the address the node
   * announces as its ip (cluster-announce-ip); undefined where the node announces its spec's host. Absent: the same.
   */
  reannounce?(node: NodeAddress, port: number): Promise<string | undefined>;
  /** Where a node that still runs can be reached now; undefined when it is gone or stopped. */
  inspectNode(spec: NodeSpec, handle: NodeHandle): Promise<NodeHandle | undefined>;
  /**
   * Every node of this emulator instance the runtime knows of (for adoption and orphan removal); warm spares
   * (SPARE_ACCOUNT), which belong to no resource, only when asked for.
   */
  listNodes(options?: { spares?: boolean }): Promise<RunningNode[]>;
  /**
   * Copies a file of a running node's data directory (its RDB after a save) to a path on the host, readable by the
   * emulator's user alone. Absent when nothing really runs (the runtime none).
   */
  copyFileOut?(spec: NodeSpec, handle: NodeHandle, name: string, destination: string): Promise<void>;
  /**
   * Whether a connection from `remote` to a node's endpoint is one of the node's own group's nodes (a replica
   * following its primary at the address the cluster announces), which security groups do not judge as a client.
   */
  isGroupNode?(node: NodeAddress, remote: string): boolean;
  /**
   * The address cluster nodes announce, when it is not their endpoint's (docker: one both the node containers and
   * the clients reach); a TLS node's certificate must name it. Undefined where nodes announce their endpoints.
   */
  clusterAnnounceAddress?(): Promise<string | undefined>;
  /**
   * Frees what only running nodes need (a network) once none is left. `leaving`: the emulator is stopping, so it may
   * also give up what it holds for itself (an emulator in a container leaves the node network only then).
   */
  releaseUnused?(options?: { leaving?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** A node that cannot run here at all (its image or binary is missing): retrying will not help. */
export class NodeUnavailable extends Error {}
