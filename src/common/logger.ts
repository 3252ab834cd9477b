/**
 * The logger every layer below http writes to: the part of pino's interface the emulator uses. Fastify's logger
 * (pino) satisfies it, so server.ts hands its own logger down; nothing below http needs to know Fastify.
 */

export interface LogFn {
  (details: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}
