/**
 * What tools ask around the network resources: DescribeAvailabilityZones (the catalog's zones of the region),
 * DescribeAccountAttributes (a VPC-only account and its default VPC) and DescribeNetworkInterfaces (none: nodes
 * do not get network interfaces in the emulator).
 */
import type {
  AccountAttribute,
  AvailabilityZone,
  DescribeAccountAttributesRequest,
  DescribeAccountAttributesResult,
  DescribeAvailabilityZonesRequest,
  DescribeAvailabilityZonesResult,
  DescribeNetworkInterfacesRequest,
  DescribeNetworkInterfacesResult,
  NetworkInterface,
} from '@aws-sdk/client-ec2';
import type { Store } from '../../store/store.js';
import { availabilityZones } from '../../domain/regions.js';
import type { HandlerTable, RequestContext } from '../../api/query-api.js';
import { ec2Errors } from './errors.js';
import { applyFilters } from './filters.js';
import { defaultVpcId, zoneIdOf } from './network.js';
import { paginate } from './pagination.js';

export function zonesOf(region: string): AvailabilityZone[] {
  return availabilityZones(region).map((zone) => ({
    OptInStatus: 'opt-in-not-required',
    Messages: [],
    RegionName: region,
    ZoneName: zone,
    ZoneId: zoneIdOf(region, zone),
    GroupName: region,
    NetworkBorderGroup: region,
    ZoneType: 'availability-zone',
    GroupLongName: region,
    State: 'available',
  }));
}

export function accountHandlers(store: Store): HandlerTable {
  const DescribeAvailabilityZones = (
    input: DescribeAvailabilityZonesRequest,
    ctx: RequestContext,
  ): DescribeAvailabilityZonesResult => {
    let zones = zonesOf(ctx.region);
    const names = input.ZoneNames ?? [];
    const ids = input.ZoneIds ?? [];
    if (names.length > 0 || ids.length > 0) {
      for (const name of names) {
        if (!zones.some((z) => z.ZoneName === name))
          throw ec2Errors.invalidValue(`Invalid availability zone: [${name}]`);
      }
      for (const id of ids) {
        if (!zones.some((z) => z.ZoneId === id)) throw ec2Errors.invalidValue(`Invalid availability zone ID: [${id}]`);
      }
      zones = zones.filter((z) => names.includes(z.ZoneName!) || ids.includes(z.ZoneId!));
    }
    const filtered = applyFilters(zones, input.Filters, {
      fields: {
        'zone-name': (z) => z.ZoneName,
        'zone-id': (z) => z.ZoneId,
        'zone-type': (z) => z.ZoneType,
        state: (z) => z.State,
        'region-name': (z) => z.RegionName,
        'group-name': (z) => z.GroupName,
        'group-long-name': (z) => z.GroupLongName,
        'network-border-group': (z) => z.NetworkBorderGroup,
        'opt-in-status': (z) => z.OptInStatus,
        message: (z) => z.Messages?.map((m) => m.Message),
        'parent-zone-name': (z) => z.ParentZoneName,
        'parent-zone-id': (z) => z.ParentZoneId,
      },
    });
    return { AvailabilityZones: filtered };
  };

  const DescribeAccountAttributes = (
    input: DescribeAccountAttributesRequest,
    ctx: RequestContext,
  ): DescribeAccountAttributesResult => {
    const values: Record<string, string[]> = {
      'supported-platforms': ['VPC'],
      'default-vpc': [defaultVpcId(store, ctx) ?? 'none'],
      'max-instances': ['20'],
      'vpc-max-security-groups-per-interface': ['5'],
      'max-elastic-ips': ['5'],
      'vpc-max-elastic-ips': ['5'],
    };
    const wanted = input.AttributeNames && input.AttributeNames.length > 0 ? input.AttributeNames : Object.keys(values);
    const attributes: AccountAttribute[] = wanted.map((name) => {
      if (!Object.hasOwn(values, name))
        throw ec2Errors.invalidValue(`Value (${name}) for parameter attributeName is invalid.`);
      return { AttributeName: name, AttributeValues: values[name].map((AttributeValue) => ({ AttributeValue })) };
    });
    return { AccountAttributes: attributes };
  };

  const DescribeNetworkInterfaces = (
    input: DescribeNetworkInterfacesRequest,
    _ctx: RequestContext,
  ): DescribeNetworkInterfacesResult => {
    for (const id of input.NetworkInterfaceIds ?? []) throw ec2Errors.networkInterfaceNotFound(id);
    const interfaces: NetworkInterface[] = [];
    // Filter names are still checked, so a typo is refused as EC2 refuses it.
    const filtered = applyFilters(interfaces, input.Filters, {
      fields: Object.fromEntries(
        [
          'network-interface-id',
          'vpc-id',
          'subnet-id',
          'group-id',
          'group-name',
          'description',
          'status',
          'availability-zone',
          'attachment.instance-id',
          'attachment.attachment-id',
          'attachment.status',
          'interface-type',
          'owner-id',
          'requester-id',
          'requester-managed',
          'private-ip-address',
          'addresses.private-ip-address',
          'mac-address',
          'source-dest-check',
        ].map((name) => [name, () => undefined]),
      ),
      tags: (n) => n.TagSet,
    });
    const { page, nextToken } = paginate(filtered, input);
    return { NetworkInterfaces: page, NextToken: nextToken };
  };

  return { DescribeAvailabilityZones, DescribeAccountAttributes, DescribeNetworkInterfaces };
}
