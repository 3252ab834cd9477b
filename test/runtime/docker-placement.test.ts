/**
 * Where nodes of a Docker daemon are published and reached, from the address dockerode resolved DOCKER_HOST to:
 * a local daemon publishes on 127.0.0.1 (its containers' addresses may be probed); a remote one on its host's
 * interfaces, reached by the name DOCKER_HOST gives, container addresses never tried. test/e2e/remote-docker.test.ts
 * runs nodes on a second daemon.
 */
import Docker from 'dockerode';
import t from 'tap';
import { daemonPlacement } from '../../src/runtime/docker-placement.js';

const local = { publishAddress: '127.0.0.1', connectHost: '127.0.0.1', local: true };

t.test('a daemon on a socket, or on a loopback address, is on this machine', async (t) => {
  t.same(daemonPlacement({ socketPath: '/var/run/docker.sock' }), local);
  t.same(daemonPlacement({}), local, 'no address: the default socket');
  for (const host of ['127.0.0.1', '127.3.4.5', 'localhost', 'docker.localhost', '[::1]', '::1'])
    t.same(daemonPlacement({ host }), local, host);
});

t.test('a daemon elsewhere: published on every interface of its host, reached by its name', async (t) => {
  t.same(daemonPlacement({ host: 'build-box.internal' }), {
    publishAddress: '0.0.0.0',
    connectHost: 'build-box.internal',
    local: false,
  });
  t.same(daemonPlacement({ host: '192.0.2.10' }), {
    publishAddress: '0.0.0.0',
    connectHost: '192.0.2.10',
    local: false,
  });
  t.equal(daemonPlacement({ host: '[2001:db8::5]' }).connectHost, '2001:db8::5', 'an IPv6 literal without brackets');
});

t.test("what dockerode's modem resolves from DOCKER_HOST", async (t) => {
  const before = process.env.DOCKER_HOST;
  t.teardown(() => {
    if (before === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = before;
  });
  const placementOf = (value: string | undefined) => {
    if (value === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = value;
    return daemonPlacement(new Docker().modem as never);
  };
  t.same(placementOf(undefined), local, 'unset: the default socket');
  t.same(placementOf('unix:///run/user/1000/docker.sock'), local);
  t.same(placementOf('tcp://127.0.0.1:2375'), local);
  t.same(placementOf('tcp://docker-host.example:2376'), {
    publishAddress: '0.0.0.0',
    connectHost: 'docker-host.example',
    local: false,
  });
  t.equal(placementOf('ssh://me@docker-host.example').connectHost, 'docker-host.example', 'ssh:// too');
});
