/**
 * The Fastify app: one endpoint that speaks the AWS Query protocol for every API we serve. It reads the
 * parameters (query string and form body), works out who calls and which API and operation they ask for, hands
 * the call to the call runner (src/api/call-runner.ts) and sends its answer. Errors of every kind leave as the
 * AWS XML error envelope, those refused below the routes too (client-errors.ts), within the limits of limits.ts.
 */
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import type { CallRunner, ServedApi } from '../api/call-runner.js';
import type { ConsoleView } from '../api/console-view.js';
import { partitionOf, type RequestContext } from '../api/query-api.js';
import { AwsError, ServiceFault, commonErrors } from '../protocol/errors.js';
import { parseQueryString } from '../protocol/query-parser.js';
import type { XmlBytes, XmlParts } from '../protocol/xml-serializer.js';
import { clientErrorHandler, frameworkError, httpErrors } from './client-errors.js';
import { registerConsole } from './console.js';
import { identify, type Identity } from './identity.js';
import { DEFAULT_HTTP_LIMITS, serverOptions, type HttpLimits } from './limits.js';
import { RequestVerifier, type AuthOptions } from './request-signatures.js';

export interface AppOptions {
  /** Runs the calls of the APIs it serves; the app routes each request to one of them. */
  calls: CallRunner;
  logLevel?: string;
  /** Shown by the health route. */
  status?: () => Record<string, unknown>;
  /** The HTTP limits; DEFAULT_HTTP_LIMITS for any not given. */
  limits?: Partial<HttpLimits>;
  /** What the console page (console.ts) shows; without it, no console is served. */
  consoleView?: () => ConsoleView;
  /** Where log lines go (pino's JSON lines on stdout when not given), e.g. pretty-log.ts's readable format. */
  logStream?: { write(line: string): void };
  /** Deletes every resource of every account and region and their nodes; served as POST /_elasticache_local/reset. */
  reset?: () => Promise<void>;
  /** Whether requests' signatures are verified, and against which credentials; lenient (none are) when not given. */
  auth?: AuthOptions;
}

interface CallRecord {
  action?: string;
  code?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    call: CallRecord;
  }
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { calls } = options;
  const apis = new Map<string, ServedApi>();
  for (const api of calls.apis) apis.set(api.signingName, api);
  const defaultApi = calls.apis[0];
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  // What is refused before any API is known is answered in the envelope of the first API, as unknown paths are.
  const clientErrors = clientErrorHandler(
    limits,
    (error, requestId) => defaultApi.serializer.error(error.code, error.message, error.type, requestId),
    () => app.log,
  );

  const app: FastifyInstance = Fastify({
    logger: { level: options.logLevel ?? 'info', ...(options.logStream ? { stream: options.logStream } : {}) },
    // One line per request, written by the onResponse hook below, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    ...serverOptions(limits),
    clientErrorHandler: clientErrors.handle,
    // A broken URL is found by the router, before any hook or handler: Fastify would answer it in JSON.
    frameworkErrors: (error, request, reply) =>
      sendError(request, reply, defaultApi, frameworkError(error, limits) ?? httpErrors.malformed(error.message)),
  });
  app.addHook('preClose', (done) => {
    clientErrors.closeLingering();
    done();
  });

  app.decorateRequest('call', null as unknown as CallRecord);
  // Hooks with a callback, not async: an async hook costs a promise and a microtask turn per request.
  app.addHook('onRequest', (request, _reply, done) => {
    request.call = {};
    done();
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

  app.get('/_elasticache_local/health', async () => ({ status: 'running', ...(options.status?.() ?? {}) }));
  if (options.consoleView) registerConsole(app, options.consoleView);
  // Answers once every resource and node is gone, so the next test starts from nothing.
  const reset = options.reset;
  if (reset) {
    app.post('/_elasticache_local/reset', async (request) => {
      request.call.action = 'reset';
      await reset();
      return { status: 'reset' };
    });
  }

  // Strict mode: every request's signature is checked before it is routed (request-signatures.ts).
  const verifier = options.auth?.mode === 'strict' ? new RequestVerifier(options.auth.credentials) : undefined;

  // Not an async function: most answers are ready at once, and an async handler costs a promise and a microtask
  // turn per request. Only an answer that waits (for the jobs its call started, or for its signature's check in
  // strict mode) goes through a promise.
  const handle = (request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined => {
    let api = defaultApi;
    try {
      const params = new Map<string, string>();
      const queryIndex = request.url.indexOf('?');
      if (queryIndex >= 0) parseQueryString(request.url.slice(queryIndex + 1), params);
      if (typeof request.body === 'string') parseQueryString(request.body, params);

      const identity = identify(request.headers.authorization, params.get('X-Amz-Credential'));
      request.call.action = params.get('Action');
      if (verifier) {
        // Refusals of the signature come in the envelope of the API it names, when that one is served.
        api = (identity.service && apis.get(identity.service)) || defaultApi;
        const body = typeof request.body === 'string' ? request.body : '';
        return verifier.verify({ method: request.method, url: request.url, headers: request.headers, body }).then(
          (known) => route(request, reply, params, { ...identity, account: known.accountId ?? identity.account }),
          (error) => {
            sendError(request, reply, api, error);
          },
        );
      }
      return route(request, reply, params, identity);
    } catch (error) {
      sendError(request, reply, api, error);
    }
    return undefined;
  };

  /** Routes a request whose caller is known to its API and operation, and answers it. */
  const route = (
    request: FastifyRequest,
    reply: FastifyReply,
    params: Map<string, string>,
    identity: Identity,
  ): Promise<void> | undefined => {
    let api = defaultApi;
    try {
      if (identity.service) {
        const signedFor = apis.get(identity.service);
        if (!signedFor) {
          throw new AwsError('InvalidAction', `The service ${identity.service} is not served by elasticache-local.`);
        }
        api = signedFor;
      } else {
        // Unsigned: the API version tells the services apart (EC2 2016-11-15, STS 2011-06-15, ...).
        const version = params.get('Version');
        api = [...apis.values()].find((a) => a.model.metadata.apiVersion === version) ?? defaultApi;
      }
      const action = params.get('Action');
      request.call.action = action;
      if (!action) throw commonErrors.missingAction();
      const operation = Object.hasOwn(api.model.operations, action) ? api.model.operations[action] : undefined;
      if (!operation) throw commonErrors.invalidAction(action);
      const handler = Object.hasOwn(api.handlers, action) ? api.handlers[action] : undefined;
      if (!handler) throw commonErrors.notImplemented(action, api.title);

      const ctx: RequestContext = {
        account: identity.account,
        region: identity.region,
        partition: partitionOf(identity.region),
        requestId: request.id,
      };
      const body = typeof request.body === 'string' ? request.body : '';
      const answer = calls.answer({ api, action, operation, handler, params, ctx, url: request.url, body });
      if (answer instanceof Promise) return sendWhenReady(request, reply, api, answer);
      sendXml(reply, 200, answer);
    } catch (error) {
      sendError(request, reply, api, error);
    }
    return undefined;
  };
  app.route({ method: ['GET', 'POST'], url: '/', handler: handle });
  app.route({ method: ['GET', 'POST'], url: '/*', handler: handle });

  // Query APIs answer on any path with GET or POST; anything else is refused the AWS way, not with a JSON 404.
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      defaultApi,
      new AwsError('InvalidAction', `The HTTP method ${request.method} is not supported.`, 405),
    ),
  );

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    // Framework faults (body too large, unreadable body): the client's doing when Fastify says 4xx.
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    const awsError =
      frameworkError(error, limits) ??
      (status < 500
        ? new AwsError(error.code ?? 'InvalidRequest', error.message, status)
        : commonErrors.internalFailure());
    return sendError(request, reply, defaultApi, awsError);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const line = {
      action: request.call?.action,
      status: reply.statusCode,
      code: request.call?.code,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (reply.statusCode >= 500) request.log.error(line, 'request failed');
    else request.log.info(line, 'request');
    done();
  });
  return app;
}

async function sendWhenReady(request: FastifyRequest, reply: FastifyReply, api: ServedApi, answer: Promise<XmlBytes>) {
  try {
    sendXml(reply, 200, await answer);
  } catch (error) {
    sendError(request, reply, api, error);
  }
}

function sendXml(reply: FastifyReply, status: number, xml: string | XmlBytes | XmlParts) {
  reply.code(status).header('x-amzn-RequestId', reply.request.id).header('content-type', 'text/xml');
  if (typeof xml === 'string') return reply.send(xml);
  if ('parts' in xml) return sendParts(reply, xml);
  // 'finish': every byte has been handed to the OS, so the buffer may be reused. An answer that never finishes
  // (the client went away) keeps its buffer, which the GC then takes.
  reply.raw.once('finish', xml.release);
  return reply.send(xml.bytes);
}

/**
 * An answer in parts (a kept result in its envelope), written on the raw response: the reply's headers with the
 * length of the parts, then the parts corked, so headers and parts leave in one write and the kept result is
 * never copied into a buffer of its own for the answer. Fastify's send() takes one buffer or a stream, and as a
 * stream (its end-of-stream watchers) the parts cost more than the copy they save. The reply is hijacked, so
 * onSend hooks (the app has none) are not run for it; onResponse hooks, and so the request's log line, run on the
 * response's 'finish' as for any answer.
 */
function sendParts(reply: FastifyReply, xml: XmlParts) {
  reply.header('content-length', String(xml.length)).hijack();
  const response = reply.raw;
  response.writeHead(reply.statusCode, reply.getHeaders() as OutgoingHttpHeaders);
  const { parts } = xml;
  response.cork();
  for (let i = 0; i < parts.length - 1; i++) response.write(parts[i]);
  response.end(parts[parts.length - 1]);
  response.uncork();
  return reply;
}

function sendError(request: FastifyRequest, reply: FastifyReply, api: ServedApi, error: unknown) {
  let awsError: AwsError;
  if (error instanceof AwsError) {
    awsError = error;
  } else if (error instanceof ServiceFault) {
    const modeled = api.model.errors.get(error.shapeName);
    if (modeled) {
      awsError = new AwsError(modeled.code, error.message, modeled.httpStatus, modeled.type);
    } else {
      request.log.error({ shape: error.shapeName }, 'a service threw an error the model does not know');
      awsError = commonErrors.internalFailure();
    }
  } else {
    request.log.error({ err: error }, 'unexpected failure');
    awsError = commonErrors.internalFailure();
  }
  if (request.call) request.call.code = awsError.code;
  return sendXml(
    reply,
    awsError.httpStatus,
    api.serializer.error(awsError.code, awsError.message, awsError.type, request.id),
  );
}
