/**
 * The read-mostly catalog operations through the real AWS SDK v3 client: engine versions, events, reserved nodes,
 * service updates, and ListAllowedNodeTypeModifications' argument rules.
 */
import {
  BatchApplyUpdateActionCommand,
  BatchStopUpdateActionCommand,
  CreateCacheClusterCommand,
  CreateCacheParameterGroupCommand,
  CreateCacheSecurityGroupCommand,
  DeleteCacheClusterCommand,
  DescribeCacheEngineVersionsCommand,
  DescribeEventsCommand,
  DescribeReservedCacheNodesCommand,
  DescribeReservedCacheNodesOfferingsCommand,
  DescribeServiceUpdatesCommand,
  DescribeUpdateActionsCommand,
  ListAllowedNodeTypeModificationsCommand,
  ListTagsForResourceCommand,
  PurchaseReservedCacheNodesOfferingCommand,
  paginateDescribeCacheEngineVersions,
  paginateDescribeEvents,
  paginateDescribeReservedCacheNodesOfferings,
  waitUntilCacheClusterAvailable,
  waitUntilCacheClusterDeleted,
  type CacheEngineVersion,
  type DescribeCacheEngineVersionsCommandInput,
} from '@aws-sdk/client-elasticache';
import t from 'tap';
import { failure, sdkClient, startTestEmulator, waiter } from '../fixtures/emulator.js';

t.test('engine versions: the catalog, its filters and its pages', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const versions = async (input: DescribeCacheEngineVersionsCommandInput = {}) => {
    const all: CacheEngineVersion[] = [];
    for await (const page of paginateDescribeCacheEngineVersions({ client, pageSize: 20 }, input))
      all.push(...page.CacheEngineVersions!);
    return all;
  };
  const all = await versions();
  t.ok(all.length >= 20, `${all.length} versions`);
  t.same([...new Set(all.map((v) => v.Engine))].sort(), ['memcached', 'redis', 'valkey']);
  const single = await client.send(new DescribeCacheEngineVersionsCommand({}));
  t.same(single.CacheEngineVersions, all, 'the pages add up to the one-call list');
  const first = await client.send(new DescribeCacheEngineVersionsCommand({ MaxRecords: 20 }));
  t.equal(first.CacheEngineVersions?.length, Math.min(20, all.length));
  t.equal(first.Marker !== undefined, all.length > 20, 'a marker only when more remain');
  const badPage = await failure(client.send(new DescribeCacheEngineVersionsCommand({ MaxRecords: 10 })));
  t.equal(badPage?.Code, 'InvalidParameterValue', 'MaxRecords below 20');

  const redis = await versions({ Engine: 'redis' });
  t.same(
    redis.map((v) => v.EngineVersion),
    ['4.0.10', '5.0.6', '6.0', '6.2', '7.0', '7.1'],
    'redis, as requested on create',
  );
  t.ok(redis.every((v) => v.Engine === 'redis'));
  const seven = await versions({ Engine: 'redis', EngineVersion: '7.1' });
  t.same(seven, [
    {
      Engine: 'redis',
      EngineVersion: '7.1',
      CacheParameterGroupFamily: 'redis7',
      CacheEngineDescription: 'Redis',
      CacheEngineVersionDescription: 'redis version 7.1.0',
    },
  ]);
  t.same(
    (await versions({ CacheParameterGroupFamily: 'valkey8' })).map((v) => v.EngineVersion),
    ['8.0', '8.1'],
    'by family',
  );
  t.same(
    (await versions({ CacheParameterGroupFamily: 'redis6.x' })).map((v) => v.EngineVersion),
    ['6.0', '6.2'],
  );
  t.same(
    (await versions({ Engine: 'memcached', CacheParameterGroupFamily: 'memcached1.5' })).map((v) => v.EngineVersion),
    ['1.5.10', '1.5.16'],
  );
  t.same(
    (await versions({ Engine: 'redis', DefaultOnly: true })).map((v) => v.EngineVersion),
    ['7.1'],
    'the default redis version',
  );
  t.same(
    (await versions({ Engine: 'valkey', DefaultOnly: true })).map((v) => v.EngineVersion),
    ['8.1'],
  );
  t.same(
    (await versions({ Engine: 'memcached', DefaultOnly: true })).map((v) => v.EngineVersion),
    ['1.6.22'],
  );
  t.same(
    (await versions({ Engine: 'redis', EngineVersion: '6.0', DefaultOnly: true })).map((v) => v.EngineVersion),
    ['6.2'],
    'the default of a major version',
  );
  t.same(
    (await versions({ DefaultOnly: true })).map((v) => `${v.Engine} ${v.EngineVersion}`).sort(),
    ['memcached 1.6.22', 'redis 7.1', 'valkey 8.1'],
    'one per engine',
  );
  t.same(await versions({ Engine: 'mysql' }), [], 'an engine nobody offers: an empty list, not an error');
  t.same(await versions({ Engine: 'redis', EngineVersion: '3.2.4' }), [], 'a retired version: empty');
  t.same(await versions({ CacheParameterGroupFamily: 'valkey8', Engine: 'redis' }), [], 'filters combine');
});

t.test('events: real lifecycle events, filtered by source, time and duration', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const before = new Date(Date.now() - 1000);
  await client.send(
    new CreateCacheParameterGroupCommand({
      CacheParameterGroupName: 'ev-params',
      CacheParameterGroupFamily: 'redis7',
      Description: 'd',
    }),
  );
  await client.send(new CreateCacheSecurityGroupCommand({ CacheSecurityGroupName: 'ev-sg', Description: 'd' }));
  for (const id of ['ev-one', 'ev-two']) {
    await client.send(
      new CreateCacheClusterCommand({
        CacheClusterId: id,
        Engine: 'redis',
        CacheNodeType: 'cache.t3.micro',
        CacheParameterGroupName: 'ev-params',
      }),
    );
    await waitUntilCacheClusterAvailable(waiter(client), { CacheClusterId: id });
  }
  await client.send(new DeleteCacheClusterCommand({ CacheClusterId: 'ev-two' }));
  await waitUntilCacheClusterDeleted(waiter(client), { CacheClusterId: 'ev-two' });
  const after = new Date(Date.now() + 1000);

  const all = (await client.send(new DescribeEventsCommand({}))).Events!;
  t.ok(all.length >= 7, `the last hour holds every event so far (${all.length})`);
  const dates = all.map((e) => e.Date!.getTime());
  t.same(
    dates,
    [...dates].sort((a, b) => b - a),
    'newest first',
  );
  t.ok(
    all.every((e) => e.Date instanceof Date && e.SourceIdentifier && e.SourceType && e.Message),
    'every event is complete',
  );

  const clusterEvents = (await client.send(new DescribeEventsCommand({ SourceType: 'cache-cluster' }))).Events!;
  t.ok(
    clusterEvents.length > 0 && clusterEvents.every((e) => e.SourceType === 'cache-cluster'),
    'SourceType=cache-cluster',
  );
  const one = (
    await client.send(new DescribeEventsCommand({ SourceType: 'cache-cluster', SourceIdentifier: 'ev-one' }))
  ).Events!;
  t.ok(one.length > 0 && one.every((e) => e.SourceIdentifier === 'ev-one'), 'SourceIdentifier narrows to one cluster');
  t.ok(
    one.some((e) => e.Message === 'Cache cluster created'),
    'its creation',
  );
  t.ok(
    one.some((e) => /^Added cache node 0001 in availability zone us-east-1[a-f]$/.test(e.Message!)),
    'its node',
  );
  const two = (await client.send(new DescribeEventsCommand({ SourceIdentifier: 'ev-two' }))).Events!;
  t.equal(two[0]?.Message, 'Cache cluster deleted', 'a deleted cluster keeps its events, the deletion newest');
  const groups = (await client.send(new DescribeEventsCommand({ SourceType: 'cache-parameter-group' }))).Events!;
  t.same(
    groups.map((e) => e.SourceIdentifier),
    ['ev-params'],
    'SourceType=cache-parameter-group',
  );
  const securityGroups = (await client.send(new DescribeEventsCommand({ SourceType: 'cache-security-group' }))).Events!;
  t.same(
    securityGroups.map((e) => e.SourceIdentifier),
    ['ev-sg'],
    'SourceType=cache-security-group',
  );
  t.same(
    (await client.send(new DescribeEventsCommand({ SourceType: 'replication-group' }))).Events,
    [],
    'no replication-group events',
  );
  const badType = await failure(client.send(new DescribeEventsCommand({ SourceType: 'cluster' as any })));
  t.equal(badType?.Code, 'InvalidParameterValue', 'an unknown SourceType');

  const window = (await client.send(new DescribeEventsCommand({ StartTime: before, EndTime: after }))).Events!;
  t.equal(window.length, all.length, 'a window around the test holds all of it');
  t.same(
    (await client.send(new DescribeEventsCommand({ StartTime: after }))).Events,
    [],
    'nothing starts in the future',
  );
  t.same((await client.send(new DescribeEventsCommand({ EndTime: before }))).Events, [], 'nothing before the test');
  t.same(
    (await client.send(new DescribeEventsCommand({ StartTime: new Date(before.getTime() - 3_600_000), Duration: 30 })))
      .Events,
    [],
    'StartTime + Duration: a window that ends before the test',
  );
  t.equal(
    (await client.send(new DescribeEventsCommand({ Duration: 5 }))).Events!.length,
    all.length,
    'Duration=5 covers the last five minutes',
  );
  t.equal(
    (await client.send(new DescribeEventsCommand({ Duration: 20160 }))).Events!.length,
    all.length,
    '14 days is the longest window',
  );
  t.same(
    (await client.send(new DescribeEventsCommand({ EndTime: before, Duration: 20160 }))).Events,
    [],
    'EndTime + Duration',
  );
  const tooLong = await failure(client.send(new DescribeEventsCommand({ Duration: 20161 })));
  t.equal(tooLong?.Code, 'InvalidParameterValue', 'Duration above 20160 minutes');
  t.equal(tooLong?.$metadata.httpStatusCode, 400);
  const reversed = await failure(client.send(new DescribeEventsCommand({ StartTime: after, EndTime: before })));
  t.equal(reversed?.Code, 'InvalidParameterValue', 'StartTime after EndTime');

  const paged: string[] = [];
  for await (const page of paginateDescribeEvents({ client, pageSize: 20 }, {})) {
    t.ok(page.Events!.length <= 20);
    paged.push(...page.Events!.map((e) => `${e.SourceIdentifier} ${e.Message}`));
  }
  t.same(
    paged,
    all.map((e) => `${e.SourceIdentifier} ${e.Message}`),
    'the pages add up to the list',
  );
  const otherRegion = await sdkClient(emulator, { region: 'eu-west-1' }).send(new DescribeEventsCommand({}));
  t.same(otherRegion.Events, [], 'events stay in their region');
});

t.test('reserved nodes: offerings, purchase, the reservation and its tags', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const filtered = await client.send(
    new DescribeReservedCacheNodesOfferingsCommand({
      CacheNodeType: 'cache.r6g.large',
      Duration: '1',
      ProductDescription: 'redis',
      OfferingType: 'All Upfront',
    }),
  );
  t.equal(filtered.ReservedCacheNodesOfferings?.length, 1, 'four filters pick one offering');
  const offering = filtered.ReservedCacheNodesOfferings![0];
  t.match(offering, {
    ReservedCacheNodesOfferingId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    CacheNodeType: 'cache.r6g.large',
    Duration: 31536000,
    ProductDescription: 'redis',
    OfferingType: 'All Upfront',
  });
  t.ok(offering.FixedPrice! > 0, 'all upfront has a fixed price');
  t.same(
    offering.RecurringCharges?.map((c) => c.RecurringChargeFrequency),
    ['Hourly'],
  );
  const bySeconds = await client.send(
    new DescribeReservedCacheNodesOfferingsCommand({
      CacheNodeType: 'cache.r6g.large',
      Duration: '31536000',
      ProductDescription: 'redis',
      OfferingType: 'All Upfront',
    }),
  );
  t.same(bySeconds.ReservedCacheNodesOfferings, [offering], 'Duration in seconds or years');
  const byId = await client.send(
    new DescribeReservedCacheNodesOfferingsCommand({
      ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId,
    }),
  );
  t.same(byId.ReservedCacheNodesOfferings, [offering], 'by id');
  const threeYears = await client.send(
    new DescribeReservedCacheNodesOfferingsCommand({ CacheNodeType: 'cache.t4g.micro', Duration: '3' }),
  );
  t.ok(
    threeYears.ReservedCacheNodesOfferings!.length > 0 &&
      threeYears.ReservedCacheNodesOfferings!.every(
        (o) => o.Duration === 94608000 && o.CacheNodeType === 'cache.t4g.micro',
      ),
  );
  const badDuration = await failure(client.send(new DescribeReservedCacheNodesOfferingsCommand({ Duration: '2' })));
  t.equal(badDuration?.Code, 'InvalidParameterValue', 'Duration 2 is neither 1 nor 3 years');
  let pages = 0;
  let count = 0;
  for await (const page of paginateDescribeReservedCacheNodesOfferings(
    { client, pageSize: 100 },
    { ProductDescription: 'valkey' },
  )) {
    pages++;
    count += page.ReservedCacheNodesOfferings!.length;
    t.ok(
      page.ReservedCacheNodesOfferings!.every((o) => o.ProductDescription === 'valkey'),
      `page ${pages}: valkey only`,
    );
  }
  t.ok(pages > 1 && count > 100, `the catalog pages (${count} valkey offerings over ${pages} pages)`);
  const unknownOffering = await failure(
    client.send(new DescribeReservedCacheNodesOfferingsCommand({ ReservedCacheNodesOfferingId: 'no-such-offering' })),
  );
  t.equal(unknownOffering?.Code, 'ReservedCacheNodesOfferingNotFound');
  t.equal(unknownOffering?.$metadata.httpStatusCode, 404);

  const purchased = await client.send(
    new PurchaseReservedCacheNodesOfferingCommand({
      ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId,
      ReservedCacheNodeId: 'my-reservation',
      CacheNodeCount: 2,
      Tags: [{ Key: 'budget', Value: 'ops' }],
    }),
  );
  const node = purchased.ReservedCacheNode!;
  t.match(node, {
    ReservedCacheNodeId: 'my-reservation',
    ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId,
    CacheNodeType: 'cache.r6g.large',
    Duration: 31536000,
    CacheNodeCount: 2,
    ProductDescription: 'redis',
    OfferingType: 'All Upfront',
    State: 'payment-pending',
    ReservationARN: 'arn:aws:elasticache:us-east-1:000000000000:reserved-instance:my-reservation',
  });
  t.type(node.StartTime, Date);
  const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: node.ReservationARN }));
  t.same(tags.TagList, [{ Key: 'budget', Value: 'ops' }], 'tags given at purchase');
  const generated = await client.send(
    new PurchaseReservedCacheNodesOfferingCommand({
      ReservedCacheNodesOfferingId: threeYears.ReservedCacheNodesOfferings![0].ReservedCacheNodesOfferingId,
    }),
  );
  t.match(
    generated.ReservedCacheNode?.ReservedCacheNodeId,
    /^ri-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d{3}$/,
    'an id is generated when none is given',
  );
  t.equal(generated.ReservedCacheNode?.CacheNodeCount, 1, 'one node by default');

  const duplicate = await failure(
    client.send(
      new PurchaseReservedCacheNodesOfferingCommand({
        ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId,
        ReservedCacheNodeId: 'my-reservation',
      }),
    ),
  );
  t.equal(duplicate?.Code, 'ReservedCacheNodeAlreadyExists');
  t.equal(duplicate?.$metadata.httpStatusCode, 404, 'HTTP 404, as the model says');
  const unknownPurchase = await failure(
    client.send(new PurchaseReservedCacheNodesOfferingCommand({ ReservedCacheNodesOfferingId: 'no-such-offering' })),
  );
  t.equal(unknownPurchase?.Code, 'ReservedCacheNodesOfferingNotFound');
  t.equal(unknownPurchase?.name, 'ReservedCacheNodesOfferingNotFoundFault');
  t.equal(unknownPurchase?.$metadata.httpStatusCode, 404);

  const reserved = await client.send(new DescribeReservedCacheNodesCommand({}));
  t.equal(reserved.ReservedCacheNodes?.length, 2);
  t.ok(
    reserved.ReservedCacheNodes!.every((n) => n.State === 'active'),
    'active once purchased',
  );
  const mine = await client.send(new DescribeReservedCacheNodesCommand({ ReservedCacheNodeId: 'my-reservation' }));
  t.equal(mine.ReservedCacheNodes?.[0].CacheNodeCount, 2);
  const filteredNodes = await client.send(new DescribeReservedCacheNodesCommand({ Duration: '3' }));
  t.same(
    filteredNodes.ReservedCacheNodes?.map((n) => n.ReservedCacheNodeId),
    [generated.ReservedCacheNode?.ReservedCacheNodeId],
    'filters apply to reservations too',
  );
  const byOffering = await client.send(
    new DescribeReservedCacheNodesCommand({ ReservedCacheNodesOfferingId: offering.ReservedCacheNodesOfferingId }),
  );
  t.same(
    byOffering.ReservedCacheNodes?.map((n) => n.ReservedCacheNodeId),
    ['my-reservation'],
  );
  const missing = await failure(client.send(new DescribeReservedCacheNodesCommand({ ReservedCacheNodeId: 'nope' })));
  t.equal(missing?.Code, 'ReservedCacheNodeNotFound');
  t.equal(missing?.$metadata.httpStatusCode, 404);
  const otherAccount = await sdkClient(emulator, { accessKeyId: '111122223333' }).send(
    new DescribeReservedCacheNodesCommand({}),
  );
  t.same(otherAccount.ReservedCacheNodes, [], 'reservations belong to one account');
});

t.test('service updates: none published, and naming one is ServiceUpdateNotFoundFault', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  t.same((await client.send(new DescribeServiceUpdatesCommand({}))).ServiceUpdates, []);
  t.same(
    (await client.send(new DescribeServiceUpdatesCommand({ ServiceUpdateStatus: ['available'] }))).ServiceUpdates,
    [],
  );
  t.same((await client.send(new DescribeUpdateActionsCommand({}))).UpdateActions, []);
  t.same(
    (await client.send(new DescribeUpdateActionsCommand({ ServiceUpdateName: 'elc-20240101-001' }))).UpdateActions,
    [],
    'update actions of an unknown update: empty',
  );
  for (const [what, call] of [
    ['describe', () => client.send(new DescribeServiceUpdatesCommand({ ServiceUpdateName: 'elc-20240101-001' }))],
    [
      'apply',
      () =>
        client.send(
          new BatchApplyUpdateActionCommand({ ServiceUpdateName: 'elc-20240101-001', CacheClusterIds: ['x'] }),
        ),
    ],
    [
      'stop',
      () =>
        client.send(
          new BatchStopUpdateActionCommand({ ServiceUpdateName: 'elc-20240101-001', ReplicationGroupIds: ['x'] }),
        ),
    ],
  ] as [string, () => Promise<unknown>][]) {
    const error = await failure(call());
    t.equal(error?.Code, 'ServiceUpdateNotFoundFault', `${what}: ServiceUpdateNotFoundFault`);
    t.equal(error?.name, 'ServiceUpdateNotFoundFault');
    t.equal(error?.$metadata?.httpStatusCode, 404);
  }
});

t.test('ListAllowedNodeTypeModifications needs exactly one of its ids', async (t) => {
  const emulator = await startTestEmulator(t);
  const client = sdkClient(emulator);
  const neither = await failure(client.send(new ListAllowedNodeTypeModificationsCommand({})));
  t.equal(neither?.Code, 'InvalidParameterCombination', 'neither id');
  t.equal(neither?.name, 'InvalidParameterCombinationException');
  t.equal(neither?.$metadata.httpStatusCode, 400);
  const both = await failure(
    client.send(new ListAllowedNodeTypeModificationsCommand({ CacheClusterId: 'a', ReplicationGroupId: 'b' })),
  );
  t.equal(both?.Code, 'InvalidParameterCombination', 'both ids');
  const missing = await failure(client.send(new ListAllowedNodeTypeModificationsCommand({ CacheClusterId: 'nope' })));
  t.equal(missing?.Code, 'CacheClusterNotFound', 'an unknown cluster');
});
