/**
 * The readable log format (--log-format pretty): pino's JSON lines turned into one short line each, for a person
 * at a terminal: `12:04:31.512 INFO  CreateCacheCluster 200 2.1ms`, or the message followed by its details as
 * key=value. The JSON format stays the default wherever stdout is not a terminal (tests and tools parse it).
 */

const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** Fields every line has, or that say nothing to a reader. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'v']);

function value(item: unknown): string {
  if (typeof item === 'string') return /^[^\s"=]+$/.test(item) ? item : JSON.stringify(item);
  if (item && typeof item === 'object' && 'message' in item) return JSON.stringify((item as Error).message);
  return JSON.stringify(item);
}

/** One JSON log line as one readable line (without its newline); a line that is not JSON comes back as it is. */
export function prettyLine(json: string, colors = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.trimEnd();
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 23);
  const level = LEVELS[entry.level as number] ?? { name: String(entry.level).padEnd(5), color: '0' };
  const shownLevel = colors ? `\x1b[${level.color}m${level.name}\x1b[0m` : level.name;
  // A request line reads as the call and its outcome.
  if (entry.msg === 'request' || entry.msg === 'request failed') {
    const call = [entry.action ?? '-', entry.status, entry.code, `${entry.ms}ms`].filter((p) => p !== undefined);
    return `${time} ${shownLevel} ${call.join(' ')}`;
  }
  const details = Object.entries(entry)
    .filter(([key, item]) => !HIDDEN.has(key) && item !== undefined)
    .map(([key, item]) => `${key}=${value(item)}`);
  return [time, shownLevel, entry.msg ?? '', ...details].filter((part) => part !== '').join(' ');
}

/** A destination for pino that writes each line in the readable format. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): {
  write(line: string): void;
} {
  const colors = Boolean(out.isTTY) && !process.env.NO_COLOR;
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLine(line, colors)}\n`);
    },
  };
}
