/**
 * Carries one admitted client connection to its node, byte for byte: what an endpoint does with a connection it
 * neither answers nor decrypts. Used by the emulator's own listeners and by its relay workers (relay-worker.ts).
 *
 * Both sides are half-open capable: a client that sends, then shuts its sending side (`printf ... | nc -q 1`),
 * gets the node's answer, because its end is passed on to the node as an end and the node's answer still flows
 * back; each side closes once both of its directions are done. A node that takes TLS and plain connections on one
 * endpoint (TransitEncryptionMode preferred) listens on two ports: a connection's first byte tells which.
 */
import { connect, type Socket } from 'node:net';

export interface Target {
  host: string;
  /** A TLS node's TLS port. */
  port: number;
  /** A TLS node that takes plain connections too (preferred mode): where it does. */
  plainPort?: number;
}

/** The first byte of a TLS record carrying a handshake (a ClientHello, when a client speaks first). */
export const TLS_HANDSHAKE = 0x16;

/**
 * Opens the node's side for a client. A node that hangs up ends the client's side once the answers it sent are
 * out; one that fails cuts the client at once. `track` is told of the new socket (so it can be cut later).
 */
export function connectPlain(client: Socket, host: string, port: number, track: (socket: Socket) => void): Socket {
  const node = connect({ host, port, allowHalfOpen: true, noDelay: true });
  track(node);
  return tieToClient(node, client);
}

/** Ties a node's socket (plain or TLS) to its client's: how each side's end or failure reaches the other. */
export function tieToClient<S extends Socket>(node: S, client: Socket): S {
  node.on('close', (hadError) => {
    if (hadError) client.destroy();
    else client.end();
  });
  node.on('error', () => node.destroy());
  client.on('close', () => node.destroy());
  return node;
}

/** Pipes an admitted (paused or flowing) client to its node; a paused one is resumed by the pipe. */
export function relayToNode(client: Socket, target: Target, track: (socket: Socket) => void): void {
  client.setNoDelay(true);
  if (target.plainPort === undefined) {
    const node = connectPlain(client, target.host, target.port, track);
    // A pipe ends its destination when its source ends, so a half-close goes on in either direction. Writes to a
    // node still connecting wait in its buffer.
    client.pipe(node);
    node.pipe(client);
    return;
  }
  const ended = () => client.end();
  client.once('end', ended);
  client.once('data', (first: Buffer) => {
    client.off('end', ended);
    client.pause();
    const port = first[0] === TLS_HANDSHAKE ? target.port : target.plainPort!;
    const node = connectPlain(client, target.host, port, track);
    node.write(first);
    client.pipe(node);
    node.pipe(client);
  });
  client.resume();
}
