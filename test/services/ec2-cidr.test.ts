/** CIDR parsing and containment for VPCs, subnets and rules, IPv6 notations with an embedded IPv4 address included. */
import t from 'tap';
import { ipv4Contains, ipv6Contains, parseIpv4Cidr, parseIpv6Cidr } from '../../src/services/ec2/cidr.js';

t.test('IPv6 with an embedded IPv4 address', async (t) => {
  const mapped = parseIpv6Cidr('::ffff:1.2.3.4/128');
  const range = parseIpv6Cidr('::ffff:0:0/96');
  t.ok(mapped && range, 'both parse');
  t.ok(ipv6Contains(range!, mapped!), 'the IPv4-mapped range holds the mapped address');
  t.same(parseIpv6Cidr('::ffff:1.2.3.4/128'), parseIpv6Cidr('::ffff:102:304/128'), 'same address, both notations');
  t.notOk(ipv6Contains(parseIpv6Cidr('2001:db8::/32')!, mapped!), 'a documentation range does not');
});

t.test('what is not a CIDR', async (t) => {
  for (const text of ['1.2.3.4/32', '::1/129', '::1', 'fe80::1%eth0/64', '::ffff:1.2.3.256/128'])
    t.equal(parseIpv6Cidr(text), undefined, `${text} is not an IPv6 CIDR`);
  for (const text of ['10.0.0.0/33', '10.0.0/8', '::/0', '010.0.0.0/8'])
    t.equal(parseIpv4Cidr(text), undefined, `${text} is not an IPv4 CIDR`);
  t.ok(ipv4Contains(parseIpv4Cidr('10.0.0.0/8')!, parseIpv4Cidr('10.1.0.0/16')!));
});
