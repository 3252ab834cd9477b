/**
 * The console in a real browser (headless Chromium, and Firefox where it is installed): with real nodes (process
 * runtime), a cache cluster and a replication group created through the SDK appear on the page with their endpoints
 * and processes, and after TestFailover the page names the new primary without being reloaded. A screenshot is kept
 * for a reviewer.
 */
import {
  CreateCacheClusterCommand,
  CreateReplicationGroupCommand,
  DescribeCacheClustersCommand,
  DescribeReplicationGroupsCommand,
  TestFailoverCommand,
  waitUntilCacheClusterAvailable,
  waitUntilReplicationGroupAvailable,
} from '@aws-sdk/client-elasticache';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import t, { type Test } from 'tap';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { chromiumAvailable, firefoxInstalled, launchChromium, launchFirefox } from '../fixtures/browser.js';
import { runtimeAvailable } from '../fixtures/real-nodes.js';

const waiter = (client: ReturnType<typeof sdkClient>) => ({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 1 });

/** The member the page shows as the primary of the group's shard. */
const PRIMARY_ON_PAGE = (group: string) =>
  (document.querySelector(`[data-group="${group}"] tr[data-role="primary"]`) as HTMLElement | null)?.dataset.member;

t.test('Chromium: the console shows a cluster and a group live, and a failover as it happens', async (t) => {
  if (!chromiumAvailable(t)) return;
  if (!(await runtimeAvailable(t, 'process'))) return;
  await watchFailover(t, await launchChromium(t), 'chromium');
});

// Firefox is checked where it is installed; CI installs only Chromium, the browser the suite requires.
t.test('Firefox: the console shows a cluster and a group live, and a failover as it happens', async (t) => {
  if (!firefoxInstalled(t)) return;
  if (!(await runtimeAvailable(t, 'process'))) return;
  await watchFailover(t, await launchFirefox(t), 'firefox');
});

async function watchFailover(t: Test, browser: Browser, name: string): Promise<void> {
  const emulator = await startTestEmulator(t, { runtime: 'process' });
  t.teardown(() => removeAllNodes(emulator));
  const client = sdkClient(emulator);

  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  // A refused resource (the page's Content-Security-Policy) or a script error shows as a console error.
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await page.setViewport({ width: 1280, height: 900 });
  // Opened before anything exists: everything below arrives live.
  await page.goto(`${emulator.url}/_elasticache_local/`);
  await page.waitForSelector('#live[data-state="live"]');
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

  await client.send(
    new CreateCacheClusterCommand({
      CacheClusterId: 'web',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheNodes: 1,
    }),
  );
  await client.send(
    new CreateReplicationGroupCommand({
      ReplicationGroupId: 'rg',
      ReplicationGroupDescription: 'primary and a replica',
      Engine: 'redis',
      CacheNodeType: 'cache.t3.micro',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
    }),
  );
  await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: 'web' });
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'rg' });

  const cluster = (
    await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'web', ShowCacheNodeInfo: true }))
  ).CacheClusters![0];
  const endpoint = cluster.CacheNodes![0].Endpoint!;
  await page.waitForSelector('[data-cluster="web"] h3 [data-status="available"]');
  const clusterCard = await page.$eval('[data-cluster="web"]', (element) => (element as HTMLElement).innerText);
  t.match(clusterCard, `redis-cli -h ${endpoint.Address} -p ${endpoint.Port}`, 'the node endpoint, as a command');
  t.match(clusterCard, /redis 7\.\d/, 'the engine and its version');
  t.match(clusterCard, 'cache.t3.micro', 'the node type');
  t.match(clusterCard, /default\.redis7/, 'the parameter group');
  t.match(clusterCard, /sg-[0-9a-f]+/, 'the security group');
  t.match(clusterCard, /pid \d+, port 6379/, 'the process that runs the node');

  await page.waitForSelector('[data-group="rg"] h3 [data-status="available"]');
  const before = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rg' })))
    .ReplicationGroups![0];
  const primaryBefore = before.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'primary')!;
  t.equal(await page.evaluate(PRIMARY_ON_PAGE, 'rg'), primaryBefore.CacheClusterId, 'the page names the primary');
  const groupCard = await page.$eval('[data-group="rg"]', (element) => (element as HTMLElement).innerText);
  const primaryEndpoint = before.NodeGroups![0].PrimaryEndpoint!;
  t.match(groupCard, `redis-cli -h ${primaryEndpoint.Address} -p ${primaryEndpoint.Port}`, 'the primary endpoint');
  t.match(groupCard, /replica/, 'the replica');
  t.match(groupCard, /automatic failover enabled/);

  // Every status the page shows the group in from here on, to see the failover go by.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { groupStatuses: string[] }).groupStatuses = seen;
    const record = () => {
      const status = document.querySelector('[data-group="rg"] h3 [data-status]')?.getAttribute('data-status');
      if (status && seen[seen.length - 1] !== status) seen.push(status);
    };
    new MutationObserver(record).observe(document.getElementById('content')!, { childList: true, subtree: true });
  });
  await client.send(new TestFailoverCommand({ ReplicationGroupId: 'rg', NodeGroupId: '0001' }));
  await waitUntilReplicationGroupAvailable(waiter(client), { ReplicationGroupId: 'rg' });
  const after = (await client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: 'rg' })))
    .ReplicationGroups![0];
  const primaryAfter = after.NodeGroups![0].NodeGroupMembers!.find((m) => m.CurrentRole === 'primary')!;
  t.not(primaryAfter.CacheClusterId, primaryBefore.CacheClusterId, 'the API names a new primary');

  await page.waitForFunction(
    (group, expected) =>
      (document.querySelector(`[data-group="${group}"] tr[data-role="primary"]`) as HTMLElement | null)?.dataset
        .member === expected,
    { timeout: 30_000 },
    'rg',
    primaryAfter.CacheClusterId,
  );
  t.pass(`the page names the new primary, ${primaryAfter.CacheClusterId}`);
  t.ok(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), 'without a reload');
  await page.waitForSelector('[data-group="rg"] h3 [data-status="available"]');
  const statuses = await page.evaluate(() => (window as unknown as { groupStatuses: string[] }).groupStatuses);
  t.comment(`group statuses the page showed during the failover: ${statuses.join(' → ')}`);
  t.ok(
    await page.$$eval('table.events tr', (rows) =>
      rows.some((row) => /failover/i.test((row as HTMLElement).innerText)),
    ),
    'the failover is among the recent events',
  );

  // Kept after the test, for a reviewer to look at.
  const screenshot = join(mkdtempSync(join(tmpdir(), 'elasticache-local-console-')), `console-${name}.png`);
  await page.screenshot({ path: screenshot as `${string}.png`, fullPage: true });
  t.comment(`screenshot: ${screenshot}`);
  t.same(pageErrors, [], 'no script error, nothing refused by the page policy');
}
