/**
 * The connection-time check on its own, for bench/connection-setup.ts: the very closure an endpoint of the emulator
 * calls for each new connection (src/dataplane/endpoints.ts, EndpointManager's admitter), timed call by call, with
 * an admission decided (security groups enforced: the host admitted) and without one (`--security-groups off`),
 * the two taking turns call by call. Each time includes reading the clock, the same on both sides.
 */
import type { Logger } from '../src/common/logger.js';
import { LocalClientDirectory } from '../src/common/client-origins.js';
import { EndpointManager, groupOwner } from '../src/dataplane/endpoints.js';
import type { Enforcement } from './connection-setup.js';

const silent: Logger = {
  error: () => {},
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => silent,
};

type Admitter = (owner: string, address: string, port: number) => (remote: string) => boolean | Promise<boolean>;

/** ns per call, every call, by enforcement. */
export function measureAdmissionCheck(calls: number): Map<Enforcement, Float64Array> {
  const checks = new Map<Enforcement, (remote: string) => boolean | Promise<boolean>>();
  const clients = new LocalClientDirectory();
  for (const enforcement of ['enforce', 'off'] as const) {
    const manager = new EndpointManager(silent, false);
    const owner = groupOwner({ account: '000000000000', region: 'us-east-1', groupId: 'cs' });
    // What control/admission-keeper.ts sets for an admitted host (who the client is, then the host's verdict of the
    // sweep); nothing at all when not enforcing.
    const admitted = { admitted: true, why: '' };
    if (enforcement === 'enforce')
      manager.setAdmission(owner, {
        check: (remote) => {
          const origin = clients.identify(remote);
          if (origin instanceof Promise || origin.kind !== 'host') throw new Error('the host was not told as such');
          return admitted;
        },
      });
    const admitter = (manager as unknown as { admitter: Admitter }).admitter.bind(manager);
    checks.set(enforcement, admitter(owner, '127.0.0.2', 6379));
  }
  const times = new Map<Enforcement, Float64Array>([
    ['enforce', new Float64Array(calls)],
    ['off', new Float64Array(calls)],
  ]);
  for (let i = 0; i < calls; i++) {
    for (const enforcement of i % 2 === 0 ? (['enforce', 'off'] as const) : (['off', 'enforce'] as const)) {
      const check = checks.get(enforcement)!;
      const started = process.hrtime.bigint();
      if (check('127.0.0.1') !== true) throw new Error('the host was refused');
      times.get(enforcement)![i] = Number(process.hrtime.bigint() - started);
    }
  }
  return times;
}
