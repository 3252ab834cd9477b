/**
 * Regions as every served API sees them: the partition a region belongs to (ARNs), AWS's short region code (endpoint
 * names) and the availability zones EC2 and ElastiCache both hand out.
 */

export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** AWS's short region code used in endpoint names: us-east-1 → use1, ap-southeast-2 → apse2. */
export function regionCode(region: string): string {
  const words: Record<string, string> = {
    north: 'n',
    south: 's',
    east: 'e',
    west: 'w',
    central: 'c',
    northeast: 'ne',
    northwest: 'nw',
    southeast: 'se',
    southwest: 'sw',
  };
  const [area, direction, number] = region.split('-');
  if (!direction) return region;
  return `${area}${words[direction] ?? direction}${number ?? ''}`;
}

/** The availability zones of a region, as DescribeAvailabilityZones names them. */
export function availabilityZones(region: string): string[] {
  const letters = region === 'us-east-1' ? ['a', 'b', 'c', 'd', 'e', 'f'] : ['a', 'b', 'c'];
  return letters.map((letter) => `${region}${letter}`);
}
