/**
 * The ceiling and the framework floor of bench/api.ts, in a process of their own as every measured server is (a
 * server inside the load client's process skips the wake-ups between processes that each request otherwise pays).
 * Usage: node bench/fixed-answer-server.mjs bare|fastify <file with the answer>; prints the port it listens on.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [mode, file] = process.argv.slice(2);
const body = readFileSync(file);

if (mode === 'bare') {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'text/xml', 'x-amzn-requestid': 'x' });
      response.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
} else {
  // Set up as the emulator's app is: logger at warn, a request id per request, the body read as text.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: { level: 'warn' }, genReqId: () => randomUUID() });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, payload, done) => done(null, payload));
  app.post('/', (request, reply) => {
    reply.header('x-amzn-RequestId', request.id).header('content-type', 'text/xml').send(body);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  console.log(app.server.address().port);
}
