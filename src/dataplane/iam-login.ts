/**
 * IAM logins at a redis / valkey endpoint: the endpoint reads a client's leading AUTH / HELLO commands, and one
 * that names an iam user (`AUTH <user> <token>`, `HELLO <v> AUTH <user> <token>`) has its token checked by the
 * control plane (control/iam-logins.ts) and is passed to the node with the user's internal password instead, which
 * only the emulator knows. A refused token is passed on with a password no user has, so the node itself answers
 * as redis does for a wrong password, in order with the client's other answers, and the connection stays open.
 * A login that succeeded, or the first command that is none of AUTH, HELLO and CLIENT, ends the reading: from there
 * the client's bytes are piped to the node untouched. Every other AUTH / HELLO is passed on as it came.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';

/** What the control plane says of a login as `user` with `token`. */
export type IamLoginVerdict = { password: string } | { refused: string } | undefined;

/** An endpoint whose group has iam users. */
export interface IamLoginCheck {
  /** undefined: `user` is not an iam user of the group (the command goes on untouched). */
  check(user: string, token: string): Promise<IamLoginVerdict>;
}

/** More than a login needs (a token with a session token is a few KiB): such a start is piped as it is. */
const MOST_READ = 64 * 1024;

type Parsed = { args: Buffer[]; length: number } | 'incomplete' | 'unreadable';

const CRLF = Buffer.from('\r\n');

/** One command at the start of `buffer`: a RESP array of bulk strings, or an inline command line. */
export function readCommand(buffer: Buffer): Parsed {
  if (buffer.length === 0) return 'incomplete';
  if (buffer[0] !== 0x2a /* '*' */) {
    const end = buffer.indexOf(0x0a);
    if (end < 0) return 'incomplete';
    const line = buffer.subarray(0, end).toString('latin1').replace(/\r$/, '');
    const args = line.split(/[ \t]+/).filter((word) => word !== '');
    return args.length === 0 ? 'unreadable' : { args: args.map((a) => Buffer.from(a, 'latin1')), length: end + 1 };
  }
  let at = buffer.indexOf(CRLF);
  if (at < 0) return 'incomplete';
  const count = Number(buffer.subarray(1, at).toString('latin1'));
  if (!Number.isInteger(count) || count < 1 || count > 16) return 'unreadable';
  at += 2;
  const args: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (at >= buffer.length) return 'incomplete';
    if (buffer[at] !== 0x24 /* '$' */) return 'unreadable';
    const lineEnd = buffer.indexOf(CRLF, at);
    if (lineEnd < 0) return 'incomplete';
    const size = Number(buffer.subarray(at + 1, lineEnd).toString('latin1'));
    if (!Number.isInteger(size) || size < 0 || size > MOST_READ) return 'unreadable';
    const start = lineEnd + 2;
    if (buffer.length < start + size + 2) return 'incomplete';
    args.push(buffer.subarray(start, start + size));
    at = start + size + 2;
  }
  return { args, length: at };
}

export function encodeCommand(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) parts.push(Buffer.from(`$${arg.length}\r\n`), arg, CRLF);
  return Buffer.concat(parts);
}

/** Where a login command carries its user and password: AUTH's two arguments, or HELLO's AUTH option. */
function credentialsAt(args: Buffer[]): number | undefined {
  const name = args[0].toString('latin1').toLowerCase();
  if (name === 'client') return undefined;
  if (name === 'auth') return args.length === 3 ? 1 : undefined;
  for (let i = 2; i < args.length; i++) {
    const option = args[i].toString('latin1').toLowerCase();
    if (option === 'auth' && i + 2 < args.length) return i + 1;
    if (option === 'auth') return undefined;
    if (option === 'setname') i += 1;
  }
  return undefined;
}

/**
 * What a client may send before it logs in, which the reading passes over: its logins, and CLIENT (SETINFO,
 * SETNAME), which some clients send on connecting, before or after AUTH.
 */
const beforeLogin = (args: Buffer[]) => ['auth', 'hello', 'client'].includes(args[0].toString('latin1').toLowerCase());

/**
 * Relays a client to its node through the login reading above. The node's answers flow back untouched from the
 * start; the client's bytes once the reading ends.
 */
export function relayWithIamLogin(client: Socket, node: Socket, login: IamLoginCheck): void {
  node.pipe(client);
  let buffer: Buffer = Buffer.alloc(0);
  let reading = false;
  let piping = false;
  let ended = false;

  const pipeRest = () => {
    piping = true;
    client.off('data', received);
    client.off('end', clientEnded);
    if (buffer.length > 0) node.write(buffer);
    buffer = Buffer.alloc(0);
    if (ended) node.end();
    else {
      client.pipe(node);
      client.resume();
    }
  };

  const readLogins = async () => {
    if (reading || piping) return;
    reading = true;
    try {
      while (!piping) {
        const parsed = readCommand(buffer);
        if (parsed === 'incomplete' && buffer.length <= MOST_READ && !ended) break;
        if (typeof parsed === 'string' || !beforeLogin(parsed.args)) {
          pipeRest();
          break;
        }
        const original = buffer.subarray(0, parsed.length);
        buffer = buffer.subarray(parsed.length);
        const at = credentialsAt(parsed.args);
        const verdict =
          at === undefined
            ? undefined
            : await (async () => {
                client.pause();
                try {
                  return await login.check(parsed.args[at].toString('utf8'), parsed.args[at + 1].toString('utf8'));
                } finally {
                  if (!piping) client.resume();
                }
              })();
        if (!verdict || at === undefined) {
          node.write(original);
          continue;
        }
        const args = [...parsed.args];
        // A refused token becomes a password no user has: the node answers WRONGPASS itself.
        args[at + 1] = 'password' in verdict ? Buffer.from(verdict.password) : randomBytes(24);
        node.write(encodeCommand(args));
        if ('password' in verdict) pipeRest();
      }
    } catch {
      client.destroy();
    } finally {
      reading = false;
    }
  };

  function received(chunk: Buffer): void {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    void readLogins();
  }
  function clientEnded(): void {
    ended = true;
    void readLogins();
  }
  client.on('data', received);
  client.on('end', clientEnded);
}
