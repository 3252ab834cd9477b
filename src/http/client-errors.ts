/**
 * AWS-shaped answers to requests refused below the routes: ones Node's HTTP parser cannot read (bad framing, a NUL
 * in a header, headers too large), ones that did not arrive within the time limit, and ones Fastify refuses before
 * any handler runs (a body too large, a broken URL). Each gets the XML error envelope every other error gets, with
 * a request id, never Fastify's JSON; one the parser refused also gets `Connection: close`, since nothing more
 * can be read from that connection.
 *
 * The codes: where AWS's own list of errors common to all its APIs has one, that one: MalformedHttpRequestException
 * (400, "problems with the request at the HTTP level") and RequestEntityTooLargeException (413). A stall is
 * RequestTimeout (408): the code S3 gives it, and one botocore's and the JS SDK's retry strategies treat as
 * transient, so a client retries it. Oversized headers are RequestHeaderSectionTooLarge (S3's code for them), with
 * HTTP's own status for them, 431.
 */
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AwsError } from '../protocol/errors.js';
import type { HttpLimits } from './limits.js';

/** The served API's error envelope (ErrorResponse) for an error, with the request id it carries. */
export type ErrorEnvelope = (error: AwsError, requestId: string) => string;

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export const httpErrors = {
  requestTimeout: (limits: HttpLimits) =>
    new AwsError(
      'RequestTimeout',
      `The request did not arrive in time: its headers must arrive within ${seconds(limits.headersTimeoutMs)} ` +
        `and the whole request within ${seconds(limits.requestTimeoutMs)}.`,
      408,
    ),
  headersTooLarge: (limits: HttpLimits) =>
    new AwsError(
      'RequestHeaderSectionTooLarge',
      `The request's headers are larger than the ${limits.maxHeaderBytes} bytes accepted.`,
      431,
    ),
  bodyTooLarge: (limits: HttpLimits) =>
    new AwsError(
      'RequestEntityTooLargeException',
      `The request body is larger than the ${limits.bodyLimitBytes} bytes accepted.`,
      413,
    ),
  malformed: (why: string) =>
    new AwsError('MalformedHttpRequestException', `The request is not valid HTTP/1.1: ${why}.`, 400),
};

/** The AWS error for a fault Fastify found before the handler, when it has one of its own (else undefined). */
export function frameworkError(error: { code?: string }, limits: HttpLimits): AwsError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpErrors.bodyTooLarge(limits);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return httpErrors.malformed('its body is not as long as its Content-Length says');
    case 'FST_ERR_BAD_URL':
      return httpErrors.malformed('its path is not a valid URL');
    default:
      return undefined;
  }
}

/** The error a refused connection is answered with; undefined for a socket that failed (reset, broken pipe). */
function clientError(error: Error & { code?: string; reason?: string }, limits: HttpLimits): AwsError | undefined {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return httpErrors.requestTimeout(limits);
  if (error.code === 'HPE_HEADER_OVERFLOW') return httpErrors.headersTooLarge(limits);
  // llhttp's errors are HPE_*, with a short reason ("Invalid character in chunk size"): said as it is.
  if (error.code?.startsWith('HPE_')) return httpErrors.malformed(`${error.reason ?? error.message} (${error.code})`);
  return undefined;
}

/**
 * After its answer a connection whose parser failed is kept a moment, reading (its parser drops) what the client
 * still sends: closing a socket with unread data resets it, and a reset can make the client lose its answer.
 */
const LINGER_MS = 2_000;

export interface ClientErrorHandler {
  /** The server's 'clientError' listener (Fastify's clientErrorHandler option). */
  handle(error: Error & { code?: string }, socket: Socket): void;
  /** Ends the connections still lingering after their answer, so the server closes at once. */
  closeLingering(): void;
}

export function clientErrorHandler(
  limits: HttpLimits,
  envelope: ErrorEnvelope,
  log: () => FastifyBaseLogger,
): ClientErrorHandler {
  const lingering = new Set<Socket>();
  // A parser that failed fails again on every chunk that follows: the connection is answered once.
  const answered = new WeakSet<Socket>();
  return {
    handle(error, socket) {
      if (answered.has(socket)) return;
      answered.add(socket);
      const awsError = clientError(error, limits);
      // A response of the request in flight already begun cannot be followed by another on the same connection.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (!awsError || socket.destroyed || !socket.writable || inFlight?.headersSent) {
        socket.destroy();
        return;
      }
      // The error alone, not its rawPacket: that is the request's own bytes, credentials and all.
      log().debug({ error: error.code, code: awsError.code }, 'request refused at the HTTP level');
      const requestId = randomUUID();
      const body = Buffer.from(envelope(awsError, requestId), 'utf8');
      const head =
        `HTTP/1.1 ${awsError.httpStatus} ${STATUS_CODES[awsError.httpStatus]}\r\n` +
        `x-amzn-RequestId: ${requestId}\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n` +
        `Date: ${new Date().toUTCString()}\r\nConnection: close\r\n\r\n`;
      const answer = Buffer.concat([Buffer.from(head, 'latin1'), body]);
      if (awsError.code === 'RequestTimeout') {
        // Its parser is not in error: should the rest of the request arrive now, it would reach its handler after
        // the client was told it failed. So nothing more is read, and the connection closes once the answer is out.
        socket.pause();
        socket.end(answer, () => socket.destroy());
        return;
      }
      socket.end(answer);
      lingering.add(socket);
      const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
      socket.once('close', () => {
        clearTimeout(timer);
        lingering.delete(socket);
      });
    },
    closeLingering() {
      for (const socket of lingering) socket.destroy();
    },
  };
}
