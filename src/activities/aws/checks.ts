// Preflight checks against AWS (SEED 3.2): S3 listing, WAF rules, security-group ports. A missing or
// forbidden resource is a failed check; an AWS API that is down or throttling throws (a retry may fix it).
import { DescribeSecurityGroupsCommand, type Filter, type IpPermission, type SecurityGroup } from '@aws-sdk/client-ec2';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetWebACLCommand, ListWebACLsCommand, type WebACLSummary } from '@aws-sdk/client-wafv2';
import type { AwsClients } from './clients';
import { awsFailure, isAwsNotFound } from '../classify';
import type { CheckResult } from '../contract';
import type { PreflightCheck } from '../../plan/types';

type Check<K extends PreflightCheck['kind']> = Extract<PreflightCheck, { kind: K }>;

/** A not-found or permission error is the check's answer; anything else is thrown for a retry. */
function answerOrThrow(name: string, what: string, err: unknown): CheckResult {
  const failure = awsFailure(what, err);
  if (failure.type === 'NotFound' || failure.type === 'PermissionDenied') return { name, ok: false, detail: failure.message };
  throw failure;
}

export async function checkS3Bucket(aws: AwsClients, check: Check<'s3-bucket'>): Promise<CheckResult> {
  try {
    const out = await aws.s3().send(new ListObjectsV2Command({ Bucket: check.bucket, MaxKeys: 100 }));
    const count = out.KeyCount ?? out.Contents?.length ?? 0;
    return { name: check.name, ok: true, detail: `s3://${check.bucket} is readable (${count}${out.IsTruncated ? '+' : ''} objects listed)`, data: { objects: count } };
  } catch (err) {
    return answerOrThrow(check.name, `listing s3://${check.bucket}`, err);
  }
}

async function findWebAcl(aws: AwsClients, name: string, scope: 'REGIONAL' | 'CLOUDFRONT'): Promise<WebACLSummary | undefined> {
  let marker: string | undefined;
  do {
    const page = await aws.waf().send(new ListWebACLsCommand({ Scope: scope, NextMarker: marker, Limit: 100 }));
    const hit = page.WebACLs?.find((a) => a.Name === name);
    if (hit) return hit;
    marker = page.NextMarker;
  } while (marker);
  return undefined;
}

export async function checkWaf(aws: AwsClients, check: Check<'waf'>): Promise<CheckResult> {
  const label = `web ACL ${check.webAclName} (${check.scope})`;
  try {
    const id = check.webAclId ?? (await findWebAcl(aws, check.webAclName, check.scope))?.Id;
    if (!id) return { name: check.name, ok: false, detail: `${label} not found: create it or fix the name in the plan` };
    const { WebACL: acl } = await aws.waf().send(new GetWebACLCommand({ Name: check.webAclName, Scope: check.scope, Id: id }));
    const rules = acl?.Rules ?? [];
    if (rules.length === 0) return { name: check.name, ok: false, detail: `${label} has no rules configured`, data: { rules: 0 } };
    return { name: check.name, ok: true, detail: `${label} has ${rules.length} rules (${rules.map((r) => r.Name).join(', ')})`, data: { rules: rules.length } };
  } catch (err) {
    if (isAwsNotFound(err)) return { name: check.name, ok: false, detail: `${label} not found (id ${check.webAclId ?? '?'})` };
    return answerOrThrow(check.name, `reading ${label}`, err);
  }
}

/** Ingress permissions that open anything outside `allowed`: "-1" (all traffic) or a port range wider than allowed. */
export function disallowedIngress(perms: IpPermission[], allowed: number[]): string[] {
  const out: string[] = [];
  for (const p of perms) {
    if (p.IpProtocol === '-1') { out.push('all traffic'); continue; }
    if (p.IpProtocol === 'icmp' || p.IpProtocol === 'icmpv6' || p.IpProtocol === '1' || p.IpProtocol === '58') { out.push(`${p.IpProtocol}`); continue; }
    const from = p.FromPort ?? 0, to = p.ToPort ?? 65535;
    const bad: number[] = [];
    for (let port = from; port <= to && bad.length < 2; port++) if (!allowed.includes(port)) bad.push(port);
    if (bad.length) out.push(from === to ? `${p.IpProtocol}/${from}` : `${p.IpProtocol}/${from}-${to}`);
  }
  return out;
}

export async function checkSecurityGroups(aws: AwsClients, check: Check<'security-groups'>): Promise<CheckResult> {
  const filters: Filter[] | undefined = check.tag ? [{ Name: `tag:${check.tag.key}`, Values: [check.tag.value] }] : undefined;
  if (!check.groupIds?.length && !filters) return { name: check.name, ok: false, detail: 'the plan names neither security group ids nor a tag to find them by' };
  const selector = check.groupIds?.length ? check.groupIds.join(', ') : `tagged ${check.tag?.key}=${check.tag?.value}`;
  let groups: SecurityGroup[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await aws.ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: check.groupIds?.length ? check.groupIds : undefined, Filters: check.groupIds?.length ? undefined : filters, NextToken: token }));
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
  if (problems.length) return { name: check.name, ok: false, detail: `only ports ${allowed} may be open: ${problems.join('; ')}`, data: { groups: groups.length } };
  return { name: check.name, ok: true, detail: `${groups.length} security groups ${selector} open only ports ${allowed}`, data: { groups: groups.length } };
}
