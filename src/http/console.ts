/**
 * The console: a read-only page at /_elasticache_local/ showing what the emulator holds (src/api/console-view.ts),
 * updated live. The page is three plain files in ./console/ (HTML, CSS, JS: no build step, nothing fetched from
 * elsewhere); its data comes as JSON from /_elasticache_local/console/view and, while it is open, as server-sent
 * events from /_elasticache_local/console/events, one whenever the view changes.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { ConsoleView } from '../api/console-view.js';

export const CONSOLE_PATH = '/_elasticache_local/';

/**
 * How often the view is read again while a page listens (often enough to catch most short statuses, such as a
 * failover's), and how often an idle stream says it is still there.
 */
const REFRESH_MS = 500;
const KEEPALIVE_MS = 15_000;
/** A page that has not read this much of its stream is stuck; its stream is ended (a live page reconnects). */
const MAX_UNREAD_BYTES = 4 * 2 ** 20;

const ASSETS: Record<string, { file: string; type: string }> = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  'console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * The page's files sit beside this module in the sources (src/http/console/). Neither tsc nor the bundle copies
 * them, so a built emulator (dist/src/http/, dist/bundle/) finds them in the sources of its package, which ship with
 * it, above wherever it runs from.
 */
function assetDirectory(): string {
  const beside = new URL('./console/', import.meta.url);
  if (existsSync(new URL('index.html', beside))) return fileURLToPath(beside);
  for (let dir = new URL('../', import.meta.url); ; dir = new URL('../', dir)) {
    const candidate = new URL('src/http/console/', dir);
    if (existsSync(new URL('index.html', candidate))) return fileURLToPath(candidate);
    if (new URL('../', dir).href === dir.href) return fileURLToPath(beside);
  }
}

/** Nothing the page loads comes from anywhere else, and no other site may frame it. */
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

export function registerConsole(app: FastifyInstance, view: () => ConsoleView): void {
  const directory = assetDirectory();
  const files = new Map<string, Buffer>();
  const asset = (name: string): Buffer => {
    let bytes = files.get(name);
    if (!bytes) {
      bytes = readFileSync(`${directory}${name}`);
      files.set(name, bytes);
    }
    return bytes;
  };

  app.get('/_elasticache_local', (_request, reply) => reply.redirect(CONSOLE_PATH));
  for (const [path, { file, type }] of Object.entries(ASSETS)) {
    app.get(`${CONSOLE_PATH}${path}`, (_request, reply) => reply.headers(PAGE_HEADERS).type(type).send(asset(file)));
  }
  app.get(`${CONSOLE_PATH}console/view`, (_request, reply) =>
    reply.headers(PAGE_HEADERS).type('application/json; charset=utf-8').send(JSON.stringify(view())),
  );

  const feed = new ConsoleFeed(view, app.log);
  app.get(`${CONSOLE_PATH}console/events`, (request, reply) => feed.subscribe(reply));
  // An open stream never ends by itself: close them all, or the server would wait on them for ever.
  app.addHook('preClose', (done) => {
    feed.closeAll();
    done();
  });
}

/**
 * The live streams of open pages. One timer reads the view for all of them while any is open, and sends it only
 * when it changed, so an idle page costs one read a second and no traffic beyond a keep-alive comment.
 */
class ConsoleFeed {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private lastSent = 0;

  constructor(
    private readonly view: () => ConsoleView,
    private readonly log: FastifyInstance['log'],
  ) {}

  subscribe(reply: FastifyReply): void {
    reply.hijack();
    const stream = reply.raw;
    stream.writeHead(200, {
      ...PAGE_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    // A page whose stream breaks tries again after a second (EventSource's own default is longer).
    stream.write('retry: 1000\n\n');
    this.streams.add(stream);
    stream.on('close', () => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    });
    // The newcomer gets the view at once, the others too if it changed since they last had it.
    const current = this.read();
    if (current !== undefined) {
      if (current !== this.last) this.send(current);
      else stream.write(`data: ${current}\n\n`);
    }
    this.timer ??= setInterval(() => this.tick(), REFRESH_MS).unref();
  }

  closeAll(): void {
    this.stop();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
  }

  private tick(): void {
    const current = this.read();
    const now = Date.now();
    if (current !== undefined && current !== this.last) {
      this.send(current);
    } else if (now - this.lastSent >= KEEPALIVE_MS) {
      this.lastSent = now;
      this.write(': keep-alive\n\n');
    }
  }

  private send(view: string): void {
    this.last = view;
    this.lastSent = Date.now();
    this.write(`data: ${view}\n\n`);
  }

  private write(text: string): void {
    for (const stream of this.streams) {
      if (stream.writableLength > MAX_UNREAD_BYTES) stream.destroy();
      else stream.write(text);
    }
  }

  /** The view as JSON (one line, as an event's data field needs), or undefined when it could not be read. */
  private read(): string | undefined {
    try {
      return JSON.stringify(this.view());
    } catch (error) {
      this.log.error({ err: error }, 'console: reading the view failed');
      return undefined;
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.last = '';
  }
}
