/**
 * Terraform 1.11 with the AWS provider 5.100 (from the machine's filesystem mirror) against an emulator with real
 * nodes: a redis7 parameter group, a subnet group over the default VPC's subnets, a redis cluster using both and a
 * cross-AZ memcached cluster, in one working directory. Apply, no drift, the endpoints Terraform outputs answer;
 * a modifying apply (a parameter changed and one removed, tags changed and removed, the subnet group's description
 * and subnets, the redis node type, maintenance window and snapshot retention, memcached 2 → 3 nodes), no drift
 * again, the changes reached the nodes; destroy, and nothing is left in the API or in the runtime. Two replication
 * groups ride along: a 1+1 group with failover and Multi-AZ that grows to 1+2, a cluster-mode group of two shards
 * resharded to three. A cluster in a VPC of its own answers the host while its security group admits the VPC's CIDR,
 * and refuses it once the modifying apply replaces that rule with a narrower one.
 *
 * The provider sleeps 30 s before the first poll of its cluster waiters (create, modify, delete), so the file
 * takes about two and a half minutes however fast the emulator is; resources share applies to pay that once.
 *
 * Nodes run in Docker where a daemon answers, else as local processes (ELASTICACHE_LOCAL_TF_RUNTIME=docker|process
 * chooses); ELASTICACHE_LOCAL_TF_LOG=debug keeps Terraform's log of every request (see test/fixtures/terraform.ts).
 *
 * Without `terraform` on PATH or without the provider in /opt/tf-plugins the file is skipped with a loud message,
 * except in CI (CI set), where that fails.
 */
import {
  DescribeCacheClustersCommand,
  DescribeCacheParameterGroupsCommand,
  DescribeCacheSubnetGroupsCommand,
  ListTagsForResourceCommand,
} from '@aws-sdk/client-elasticache';
import { connect } from 'node:net';
import t from 'tap';
import { adminTargetOf } from '../fixtures/node-admin.js';
import { readRedisParameter } from '../../src/dataplane/node-admin.js';
import { connectDocker } from '../../src/runtime/docker.js';
import { removeAllNodes, sdkClient, startTestEmulator } from '../fixtures/emulator.js';
import { acceptsToken, answersPing, eventually, memcached, redisAt, runtimeAvailable } from '../fixtures/real-nodes.js';
import { awsProviderBlock, terraformMissing, terraformWorkspace, succeeded, noDrift } from '../fixtures/terraform.js';

/** Whether a TCP connection to the endpoint is refused (or fails otherwise) rather than accepted. */
function refusesConnections(endpoint: { Address: string; Port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.Address, port: endpoint.Port });
    socket.setTimeout(3000, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(true));
  });
}

/** A fresh connection's ROLE at an endpoint. */
async function roleAt(endpoint: { Address: string; Port: number }): Promise<string> {
  const redis = redisAt(endpoint);
  try {
    await redis.connect();
    return ((await redis.call('ROLE')) as unknown[])[0] as string;
  } finally {
    redis.disconnect();
  }
}

/** How many shards serve slots, as a cluster client learns it from the configuration endpoint. */
async function clusterSlots(endpoint: { Address: string; Port: number }): Promise<number> {
  const redis = redisAt(endpoint);
  try {
    await redis.connect();
    return ((await redis.call('CLUSTER', 'SHARDS')) as unknown[][]).filter(
      (shard) => (shard[1] as unknown[]).length > 0,
    ).length;
  } finally {
    redis.disconnect();
  }
}

const STACK = `
variable "subnet_ids" {
  type = list(string)
}
variable "stage" {
  type = string
}
variable "parameters" {
  type = map(string)
}
variable "node_type" {
  type = string
}
variable "maintenance_window" {
  type = string
}
variable "extra_tags" {
  type = map(string)
}
variable "snapshot_retention_limit" {
  type = number
}
variable "memcached_nodes" {
  type = number
}
variable "rg_clusters" {
  type = number
}
variable "cm_shards" {
  type = number
}
variable "app_ingress_cidrs" {
  type = list(string)
}

resource "aws_elasticache_replication_group" "rg" {
  replication_group_id       = "tf-rg"
  description                = "primary and replicas (\${var.stage})"
  engine                     = "redis"
  node_type                  = "cache.t3.micro"
  num_cache_clusters         = var.rg_clusters
  # Set, because the provider plans an unset port as null and only a refresh fills it in (against AWS too).
  port                       = 6379
  automatic_failover_enabled = true
  multi_az_enabled           = true
  apply_immediately          = true
  tags = {
    stage = var.stage
  }
}

resource "aws_elasticache_replication_group" "cm" {
  replication_group_id    = "tf-cm"
  description             = "cluster mode"
  node_type               = "cache.t3.micro"
  parameter_group_name    = "default.redis7.cluster.on"
  num_node_groups         = var.cm_shards
  replicas_per_node_group = 1
  port                    = 6379
  # As on AWS: cluster mode enabled needs automatic failover, and the provider sends false unless told.
  automatic_failover_enabled = true
  apply_immediately          = true
}

resource "aws_elasticache_parameter_group" "redis" {
  # Mixed case on purpose: the provider and the API both lowercase it.
  name        = "TF-Redis7"
  family      = "redis7"
  description = "redis7 tuned by Terraform"

  dynamic "parameter" {
    for_each = var.parameters
    content {
      name  = parameter.key
      value = parameter.value
    }
  }

  tags = {
    stage = var.stage
  }
}

resource "aws_elasticache_subnet_group" "main" {
  name        = "tf-subnets"
  description = "default VPC subnets (\${var.stage})"
  subnet_ids  = var.subnet_ids

  tags = {
    stage = var.stage
  }
}

resource "aws_elasticache_cluster" "redis" {
  cluster_id               = "tf-redis"
  engine                   = "redis"
  engine_version           = "7.1"
  node_type                = var.node_type
  num_cache_nodes          = 1
  port                     = 6379
  parameter_group_name     = aws_elasticache_parameter_group.redis.name
  subnet_group_name        = aws_elasticache_subnet_group.main.name
  snapshot_retention_limit = var.snapshot_retention_limit
  snapshot_window          = "02:00-03:00"
  maintenance_window       = var.maintenance_window
  apply_immediately        = true

  tags = merge(var.extra_tags, {
    stage  = var.stage
    engine = "redis"
  })
}

resource "aws_elasticache_cluster" "memcached" {
  cluster_id        = "tf-memcached"
  engine            = "memcached"
  node_type         = "cache.t3.micro"
  num_cache_nodes   = var.memcached_nodes
  az_mode           = "cross-az"
  port              = 11211
  subnet_group_name = aws_elasticache_subnet_group.main.name
  apply_immediately = true

  tags = {
    stage = var.stage
  }
}

resource "aws_vpc" "app" {
  cidr_block = "10.42.0.0/16"
  tags = {
    Name = "tf-app"
  }
}

resource "aws_subnet" "app" {
  count             = 2
  vpc_id            = aws_vpc.app.id
  cidr_block        = "10.42.\${count.index}.0/24"
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_security_group" "app" {
  name        = "tf-app-redis"
  description = "redis from the host"
  vpc_id      = aws_vpc.app.id

  # The host counts as an instance at the VPC's 10th address (10.42.0.10): a rule for the VPC's CIDR admits it.
  dynamic "ingress" {
    for_each = var.app_ingress_cidrs
    content {
      description = "redis"
      from_port   = 6379
      to_port     = 6379
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }
  }
  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_elasticache_subnet_group" "app" {
  name        = "tf-app-subnets"
  description = "app VPC subnets"
  subnet_ids  = aws_subnet.app[*].id
}

resource "aws_elasticache_cluster" "app" {
  cluster_id         = "tf-app"
  engine             = "redis"
  node_type          = "cache.t3.micro"
  num_cache_nodes    = 1
  subnet_group_name  = aws_elasticache_subnet_group.app.name
  security_group_ids = [aws_security_group.app.id]
  apply_immediately  = true
}

output "app_vpc_id" {
  value = aws_vpc.app.id
}
output "app_security_group_id" {
  value = aws_security_group.app.id
}
output "app_subnet_group_vpc_id" {
  value = aws_elasticache_subnet_group.app.vpc_id
}
output "app_cluster_security_group_ids" {
  value = aws_elasticache_cluster.app.security_group_ids
}
output "app_address" {
  value = aws_elasticache_cluster.app.cache_nodes[0].address
}
output "app_port" {
  value = aws_elasticache_cluster.app.cache_nodes[0].port
}
output "redis_address" {
  value = aws_elasticache_cluster.redis.cache_nodes[0].address
}
output "redis_port" {
  value = aws_elasticache_cluster.redis.cache_nodes[0].port
}
output "redis_engine_version_actual" {
  value = aws_elasticache_cluster.redis.engine_version_actual
}
output "redis_arn" {
  value = aws_elasticache_cluster.redis.arn
}
output "redis_security_group_ids" {
  value = aws_elasticache_cluster.redis.security_group_ids
}
output "memcached_configuration_endpoint" {
  value = aws_elasticache_cluster.memcached.configuration_endpoint
}
output "memcached_cluster_address" {
  value = aws_elasticache_cluster.memcached.cluster_address
}
output "memcached_nodes" {
  value = [for node in aws_elasticache_cluster.memcached.cache_nodes : { id = node.id, address = node.address, port = node.port, az = node.availability_zone }]
}
output "parameter_group_id" {
  value = aws_elasticache_parameter_group.redis.id
}
output "subnet_group_vpc_id" {
  value = aws_elasticache_subnet_group.main.vpc_id
}
output "rg_primary" {
  value = aws_elasticache_replication_group.rg.primary_endpoint_address
}
output "rg_reader" {
  value = aws_elasticache_replication_group.rg.reader_endpoint_address
}
output "rg_port" {
  value = aws_elasticache_replication_group.rg.port
}
output "rg_members" {
  value = aws_elasticache_replication_group.rg.member_clusters
}
output "cm_configuration" {
  value = aws_elasticache_replication_group.cm.configuration_endpoint_address
}
output "cm_port" {
  value = aws_elasticache_replication_group.cm.port
}
`;

const missing = terraformMissing();
if (missing) {
  const message = `terraform.test.ts: ${missing}; these tests cannot run.`;
  if (process.env.CI) {
    t.fail(`${message} CI must have Terraform 1.11 and the AWS provider 5.100 in /opt/tf-plugins.`);
  } else {
    console.error(
      `\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n!!! Install Terraform and mirror hashicorp/aws into /opt/tf-plugins to run them.\n${'!'.repeat(100)}\n`,
    );
    t.plan(0, missing);
  }
} else {
  t.test(
    'terraform: parameter group, subnet group, redis and memcached clusters: apply, modify, destroy',
    async (t) => {
      // Docker where a daemon answers, else local processes; ELASTICACHE_LOCAL_TF_RUNTIME=process|docker picks one.
      const asked = process.env.ELASTICACHE_LOCAL_TF_RUNTIME;
      const runtime =
        asked === 'process' || asked === 'docker' ? asked : (await connectDocker()) ? 'docker' : 'process';
      if (!(await runtimeAvailable(t, runtime))) return;
      const started = Date.now();
      const emulator = await startTestEmulator(t, { runtime });
      t.teardown(() => removeAllNodes(emulator));
      const client = sdkClient(emulator);
      const tf = terraformWorkspace(t);

      const defaults = await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'default' }));
      const subnetIds = defaults.CacheSubnetGroups![0].Subnets!.map((s) => s.SubnetIdentifier!);
      t.ok(subnetIds.length >= 2, 'the default VPC has a subnet in several zones');

      tf.writeConfig(awsProviderBlock(emulator.url) + STACK);
      const vars = {
        subnet_ids: subnetIds,
        stage: 'one',
        parameters: { 'maxmemory-policy': 'allkeys-lru', timeout: '300' },
        node_type: 'cache.t3.micro',
        // Mixed case on purpose: ElastiCache and the provider both lowercase it.
        maintenance_window: 'SUN:05:00-sun:06:00',
        extra_tags: { owner: 'terraform-suite' },
        snapshot_retention_limit: 1,
        memcached_nodes: 2,
        rg_clusters: 2,
        cm_shards: 2,
        app_ingress_cidrs: ['10.42.0.0/16'],
      };
      tf.writeVars(vars);
      const version = await tf.run(['version']);
      t.comment(version.stdout.trim().split('\n')[0]);
      if (!succeeded(t, 'terraform init', await tf.run(['init', '-input=false', '-backend=false']))) return;

      // 1. Create everything.
      if (!succeeded(t, 'apply (create)', await tf.run(['apply', '-auto-approve', '-input=false']))) return;
      await noDrift(t, tf, 'after the create');

      let out = await tf.outputs();
      t.equal(out.parameter_group_id, 'tf-redis7', 'the parameter group name is lowercased');
      t.equal(out.redis_port, 6379);
      t.match(out.redis_engine_version_actual, /^\d+\.\d+\.\d+$/, 'the actual engine version is a full version');
      t.match(out.redis_arn, /^arn:aws:elasticache:us-east-1:\d{12}:cluster:tf-redis$/);
      t.ok(out.subnet_group_vpc_id, 'the subnet group has a VPC id');
      t.equal(
        out.redis_security_group_ids.length,
        1,
        "with no security_group_ids, the cluster is in the VPC's default security group",
      );
      t.match(out.redis_security_group_ids[0], /^sg-[0-9a-f]{17}$/);
      t.equal(out.app_subnet_group_vpc_id, out.app_vpc_id, 'the app subnet group is in the aws_vpc Terraform created');
      t.same(
        out.app_cluster_security_group_ids,
        [out.app_security_group_id],
        'the app cluster is in the aws_security_group',
      );
      t.ok(
        await answersPing({ Address: out.app_address, Port: out.app_port }),
        'the app cluster answers PING: its group admits the VPC CIDR, where the host is',
      );
      const redisEndpoint = { Address: out.redis_address, Port: out.redis_port };
      t.ok(await answersPing(redisEndpoint), `redis answers PING at ${out.redis_address}:${out.redis_port}`);
      const admin = adminTargetOf(emulator, 'tf-redis');
      t.equal(
        await readRedisParameter(admin, 'maxmemory-policy'),
        'allkeys-lru',
        "the parameter group's values are on the node",
      );
      t.equal(await readRedisParameter(admin, 'timeout'), '300');

      const [cfgHost, cfgPort] = String(out.memcached_configuration_endpoint).split(':');
      t.equal(out.memcached_cluster_address, cfgHost, 'cluster_address is the configuration endpoint address');
      t.equal(Number(cfgPort), 11211);
      t.match(
        await memcached({ Address: cfgHost, Port: Number(cfgPort) }, 'version\r\n'),
        /^VERSION /,
        'the configuration endpoint answers `version`',
      );
      t.equal(out.memcached_nodes.length, 2, 'two memcached nodes');
      t.equal(new Set(out.memcached_nodes.map((n: any) => n.az)).size, 2, 'in two zones (cross-az)');
      for (const node of out.memcached_nodes) {
        t.match(
          await memcached({ Address: node.address, Port: node.port }, 'version\r\n'),
          /^VERSION /,
          `memcached node ${node.id} answers \`version\``,
        );
      }

      t.same([...out.rg_members].sort(), ['tf-rg-001', 'tf-rg-002'], 'the replication group has two members');
      const rgPrimary = { Address: out.rg_primary, Port: out.rg_port };
      t.equal(await roleAt(rgPrimary), 'master', 'the primary endpoint Terraform outputs reaches the primary');
      t.equal(
        await roleAt({ Address: out.rg_reader, Port: out.rg_port }),
        'slave',
        'the reader endpoint reaches the replica',
      );
      const cm = await clusterSlots({ Address: out.cm_configuration, Port: out.cm_port });
      t.equal(cm, 2, 'the cluster-mode group is a Redis Cluster of two shards');

      // 2. Change a parameter value and remove another (a reset), change and remove tags, a description, the node
      //    type, the maintenance window, the snapshot retention and the memcached node count.
      tf.writeVars({
        ...vars,
        stage: 'two',
        // One subnet fewer, in a zone no node of the clusters using the group is in.
        subnet_ids: subnetIds.slice(0, -1),
        parameters: { 'maxmemory-policy': 'volatile-lfu' },
        node_type: 'cache.t3.small',
        maintenance_window: 'mon:07:00-mon:08:00',
        extra_tags: {},
        snapshot_retention_limit: 3,
        memcached_nodes: 3,
        rg_clusters: 3,
        cm_shards: 3,
        // Only a narrower rule: with no ingress block at all the provider leaves the group's rules as they are.
        app_ingress_cidrs: ['10.42.200.0/24'],
      });
      if (!succeeded(t, 'apply (modify)', await tf.run(['apply', '-auto-approve', '-input=false']))) return;
      // The provider does not mark cache_nodes as changing when num_cache_nodes does, so the outputs Terraform computed
      // during that apply still list the old nodes (against AWS too), and a plan would offer to update them. A
      // refresh-only apply saves them; the plan after it must then find nothing to do.
      if (
        !succeeded(t, 'apply -refresh-only', await tf.run(['apply', '-refresh-only', '-auto-approve', '-input=false']))
      )
        return;
      await noDrift(t, tf, 'after the modify');

      out = await tf.outputs();
      t.equal(out.redis_address, redisEndpoint.Address, 'the redis endpoint stays');
      t.ok(await answersPing(redisEndpoint), 'redis answers on the same endpoint after the node type change');
      t.equal(
        await readRedisParameter(admin, 'maxmemory-policy'),
        'volatile-lfu',
        'the new value reached the running node',
      );
      t.equal(await readRedisParameter(admin, 'timeout'), '0', "the removed parameter is back at the family's default");
      t.equal(await readRedisParameter(admin, 'maxmemory'), '1471026299', "cache.t3.small's memory");
      const redis = (await client.send(new DescribeCacheClustersCommand({ CacheClusterId: 'tf-redis' })))
        .CacheClusters![0];
      t.equal(redis.CacheNodeType, 'cache.t3.small', 'the node type changed');
      t.equal(redis.PreferredMaintenanceWindow, 'mon:07:00-mon:08:00', 'the maintenance window changed');
      t.equal(redis.SnapshotRetentionLimit, 3, 'the snapshot retention changed');
      const tags = await client.send(new ListTagsForResourceCommand({ ResourceName: redis.ARN }));
      t.same(
        Object.fromEntries(tags.TagList!.map((tag) => [tag.Key, tag.Value])),
        { stage: 'two', engine: 'redis' },
        'the tags changed',
      );
      const subnetGroup = (
        await client.send(new DescribeCacheSubnetGroupsCommand({ CacheSubnetGroupName: 'tf-subnets' }))
      ).CacheSubnetGroups![0];
      t.equal(
        subnetGroup.CacheSubnetGroupDescription,
        'default VPC subnets (two)',
        'the subnet group description changed',
      );
      t.same(
        subnetGroup.Subnets!.map((s) => s.SubnetIdentifier).sort(),
        subnetIds.slice(0, -1).sort(),
        'and its subnets',
      );
      t.ok(
        await eventually(
          async () => !(await acceptsToken({ Address: out.app_address, Port: out.app_port })) || undefined,
          5000,
          'the app cluster refusing the host',
        ),
        'the rule for the VPC CIDR replaced by one without the host: the app cluster refuses it',
      );
      t.equal(out.memcached_nodes.length, 3, 'three memcached nodes');
      for (const node of out.memcached_nodes) {
        t.match(
          await memcached({ Address: node.address, Port: node.port }, 'version\r\n'),
          /^VERSION /,
          `memcached node ${node.id} answers \`version\``,
        );
      }
      const discovered = await memcached({ Address: cfgHost, Port: Number(cfgPort) }, 'config get cluster\r\n');
      t.equal(
        /\n(.*)\n\r\nEND\r\n$/.exec(discovered)?.[1].split(' ').length,
        3,
        'Auto Discovery lists the three nodes',
      );

      t.same(
        [...out.rg_members].sort(),
        ['tf-rg-001', 'tf-rg-002', 'tf-rg-003'],
        'a third member joined the replication group',
      );
      t.equal(await roleAt({ Address: out.rg_primary, Port: out.rg_port }), 'master');
      t.equal(
        await clusterSlots({ Address: out.cm_configuration, Port: out.cm_port }),
        3,
        'the cluster-mode group was resharded to three shards',
      );

      // 3. Destroy: nothing is left but the defaults, and no node runs.
      if (!succeeded(t, 'destroy', await tf.run(['destroy', '-auto-approve', '-input=false']))) return;
      const clusters = await client.send(new DescribeCacheClustersCommand({}));
      t.same(clusters.CacheClusters ?? [], [], 'no cache cluster is left');
      const groups = await client.send(new DescribeCacheParameterGroupsCommand({}));
      t.same(
        (groups.CacheParameterGroups ?? [])
          .filter((g) => !g.CacheParameterGroupName!.startsWith('default.'))
          .map((g) => g.CacheParameterGroupName),
        [],
        'only the default parameter groups are left',
      );
      const subnetGroups = await client.send(new DescribeCacheSubnetGroupsCommand({}));
      t.same(
        subnetGroups.CacheSubnetGroups!.map((g) => g.CacheSubnetGroupName),
        ['default'],
        'only the default subnet group is left',
      );
      t.same(await emulator.runtime.listNodes(), [], `no ${runtime} node is left`);
      t.ok(await refusesConnections(redisEndpoint), 'nothing listens on the redis endpoint any more');
      t.comment(`the Terraform suite took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    },
  );
}
