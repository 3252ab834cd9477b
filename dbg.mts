import { DockerRuntime } from './src/runtime/docker.ts';
import { ClusterNodes } from './src/control/cluster-nodes.ts';
import { EndpointManager } from './src/dataplane/endpoints.ts';
const last = new Map<string, string>();
const wrap = (P: any, names: string[], tag: string) => { for (const m of names) { const orig = P[m]; P[m] = async function (...a: any[]) { const k = tag + m + Math.random(); last.set(k, `${tag}.${m} ${String(JSON.stringify(a[1] ?? a[0])).slice(0, 80)}`); try { return await orig.apply(this, a); } finally { last.delete(k); } }; } };
wrap(DockerRuntime.prototype, ['createNode', 'ready', 'inspectNode', 'restartNode', 'ensureNetwork', 'ensureImage', 'removeByName', 'removeNode'], 'rt');
wrap(ClusterNodes.prototype, ['startNode', 'restartNode', 'attach', 'applyParameters', 'inspect', 'openConfiguration'], 'cn');
wrap(EndpointManager.prototype, ['openNodeEndpoint', 'openConfigurationEndpoint', 'closeEndpoint'], 'ep');
const { startEmulator } = await import('./src/server.ts');
const { defaultConfig } = await import('./src/config.ts');
const { mkdtempSync } = await import('node:fs');
const em = await startEmulator({ ...defaultConfig(), port: 0, dataDir: mkdtempSync('/tmp/dbg-'), runtime: 'docker', logLevel: 'warn', endpointBase: '127.79.8.1' });
const call = async (b: string) => (await fetch(em.url + '/', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Version=2015-02-02&' + b })).text();
const wait = async (want: RegExp) => { for (let i = 0; i < 40; i++) { await new Promise((r) => setTimeout(r, 250)); const st = /<CacheClusterStatus>([^<]+)/.exec(await call('Action=DescribeCacheClusters'))?.[1] ?? 'gone'; if (want.test(st)) return st; } return 'TIMEOUT'; };
for (let round = 0; round < 8; round++) {
  await call(`Action=CreateCacheCluster&CacheClusterId=c${round}&Engine=${round % 2 ? 'memcached' : 'redis'}&NumCacheNodes=${round % 2 ? 3 : 1}&CacheNodeType=cache.t3.micro`);
  const st = await wait(/available/);
  console.log(round, 'create', st);
  if (st === 'TIMEOUT') { console.log('IN FLIGHT:', [...last.values()]); break; }
  await call(`Action=DeleteCacheCluster&CacheClusterId=c${round}`);
  const st2 = await wait(/gone/);
  console.log(round, 'delete', st2);
  if (st2 === 'TIMEOUT') { console.log('IN FLIGHT:', [...last.values()]); break; }
}
for (const n of await em.runtime.listNodes()) await em.runtime.removeNode(n as any, n);
await (em.runtime as any).removeNetworkIfUnused();
process.exit(0);
