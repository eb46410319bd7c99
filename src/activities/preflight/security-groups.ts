// The security groups open only the allowed ports.
import { DescribeSecurityGroupsCommand, type Filter, type IpPermission, type SecurityGroup } from '@aws-sdk/client-ec2';
import { answerOrThrow } from '../aws/checks';
import type { CheckRunner } from './check';

/** Ingress permissions that open anything outside `allowed`: "-1" (all traffic) or a port range wider than allowed. */
export function disallowedIngress(perms: IpPermission[], allowed: number[]): string[] {
  const out: string[] = [];
  for (const p of perms) {
    if (p.IpProtocol === '-1') {
      out.push('all traffic');
      continue;
    }
    if (p.IpProtocol === 'icmp' || p.IpProtocol === 'icmpv6' || p.IpProtocol === '1' || p.IpProtocol === '58') {
      out.push(`${p.IpProtocol}`);
      continue;
    }
    const from = p.FromPort ?? 0,
      to = p.ToPort ?? 65535;
    const bad: number[] = [];
    for (let port = from; port <= to && bad.length < 2; port++) if (!allowed.includes(port)) bad.push(port);
    if (bad.length) out.push(from === to ? `${p.IpProtocol}/${from}` : `${p.IpProtocol}/${from}-${to}`);
  }
  return out;
}

export const securityGroups: CheckRunner<'security-groups'> = async (check, { aws }) => {
  const filters: Filter[] | undefined = check.tag
    ? [{ Name: `tag:${check.tag.key}`, Values: [check.tag.value] }]
    : undefined;
  if (!check.groupIds?.length && !filters)
    return {
      name: check.name,
      ok: false,
      detail: 'the plan names neither security group ids nor a tag to find them by',
    };
  const selector = check.groupIds?.length ? check.groupIds.join(', ') : `tagged ${check.tag?.key}=${check.tag?.value}`;
  let groups: SecurityGroup[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await aws.ec2().send(
        new DescribeSecurityGroupsCommand({
          GroupIds: check.groupIds?.length ? check.groupIds : undefined,
          Filters: check.groupIds?.length ? undefined : filters,
          NextToken: token,
        }),
      );
      groups = groups.concat(page.SecurityGroups ?? []);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    return answerOrThrow(check.name, `describing security groups ${selector}`, err);
  }
  if (groups.length === 0) return { name: check.name, ok: false, detail: `no security groups ${selector} found` };
  const problems = groups.flatMap((g) => {
    const bad = disallowedIngress(g.IpPermissions ?? [], check.allowedPorts);
    return bad.length ? [`${g.GroupName ?? g.GroupId} (${g.GroupId}) opens ${bad.join(', ')}`] : [];
  });
  const allowed = check.allowedPorts.join('/');
  if (problems.length)
    return {
      name: check.name,
      ok: false,
      detail: `only ports ${allowed} may be open: ${problems.join('; ')}`,
      data: { groups: groups.length },
    };
  return {
    name: check.name,
    ok: true,
    detail: `${groups.length} security groups ${selector} open only ports ${allowed}`,
    data: { groups: groups.length },
  };
};
