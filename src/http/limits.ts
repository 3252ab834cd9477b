/**
 * The HTTP limits of the endpoint: how long a request may take to arrive, how large its headers and body may be,
 * and the Node / Fastify server options that enforce them. README.md ("HTTP limits") documents them; what a
 * client is answered when it passes one is in client-errors.ts.
 */
import type { ServerOptions } from 'node:http';

export interface HttpLimits {
  /** The whole request (headers and body) must have arrived this long after it started; 0 is not allowed. */
  requestTimeoutMs: number;
  /** The headers must have arrived this long after the request started (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** The largest body accepted, in bytes. */
  bodyLimitBytes: number;
  /** The largest header section accepted, in bytes. */
  maxHeaderBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  // Any client sends a Query request at once, in a packet or a few: half a minute is only ever reached by a client
  // that stalled (or a request written by hand), and keeps a stalled one from holding its connection for ever.
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  // Query requests are a few KB (the longest lists, tens): 4 MiB admits any of them, and no runaway body.
  bodyLimitBytes: 4 * 1024 * 1024,
  // Node's own default, named here so the README can state it: SigV4 headers take about 1 KB.
  maxHeaderBytes: 16 * 1024,
};

/** The server options that enforce the limits, for Fastify's constructor. */
export function serverOptions(limits: HttpLimits): {
  bodyLimit: number;
  requestTimeout: number;
  http: ServerOptions;
} {
  const requestTimeout = limits.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(limits.headersTimeoutMs, requestTimeout);
  return {
    bodyLimit: limits.bodyLimitBytes,
    // Fastify sets the server's requestTimeout itself, from its own option (its default, 0, is no limit at all).
    requestTimeout,
    http: {
      requestTimeout,
      headersTimeout,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node looks for requests past their time only this often (30 s by default), so a stalled request would be
      // cut off anywhere up to that long after its limit: a quarter of the shorter limit bounds the overrun.
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(headersTimeout / 4))),
    },
  };
}
