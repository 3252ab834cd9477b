/**
 * A relay worker: a child process of the emulator that carries admitted endpoint connections to their nodes
 * (relay-pool.ts hands it each client's socket). It decides nothing: the emulator admitted the client and chose the
 * node; the worker pipes bytes, and cuts an endpoint's connections when told to. It exits with its parent.
 */
import type { Socket } from 'node:net';
import { relayToNode } from './node-relay.js';
import type { RelayMessage } from './relay-pool.js';

/** Open sockets (clients and their nodes) by the endpoint that took them. */
const byEndpoint = new Map<string, Set<Socket>>();

function track(endpoint: string, socket: Socket): void {
  let sockets = byEndpoint.get(endpoint);
  if (!sockets) byEndpoint.set(endpoint, (sockets = new Set()));
  sockets.add(socket);
  socket.on('close', () => {
    sockets.delete(socket);
    if (sockets.size === 0 && byEndpoint.get(endpoint) === sockets) byEndpoint.delete(endpoint);
  });
}

process.on('message', (message: RelayMessage, handle?: unknown) => {
  if (message.type === 'drop') {
    for (const socket of byEndpoint.get(message.endpoint) ?? []) socket.destroy();
    return;
  }
  const client = handle as Socket | undefined;
  if (!client) return;
  // A socket rebuilt from a handed handle does not take half-closes; the endpoint's clients may (node-relay.ts).
  client.allowHalfOpen = true;
  client.on('error', () => client.destroy());
  track(message.endpoint, client);
  relayToNode(client, message.target, (node) => track(message.endpoint, node));
});

// The emulator gone (stopped, or killed): nothing is left to serve, and its clients' listeners are gone with it.
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
