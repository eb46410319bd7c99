// The WAF web ACL exists and has rules.
import { GetWebACLCommand, ListWebACLsCommand, type WebACLSummary } from '@aws-sdk/client-wafv2';
import { answerOrThrow } from '../aws/checks';
import { isAwsNotFound } from '../classify';
import type { CheckContext, CheckRunner } from './check';

async function findWebAcl(
  aws: CheckContext['aws'],
  name: string,
  scope: 'REGIONAL' | 'CLOUDFRONT',
): Promise<WebACLSummary | undefined> {
  let marker: string | undefined;
  do {
    const page = await aws.waf().send(new ListWebACLsCommand({ Scope: scope, NextMarker: marker, Limit: 100 }));
    const hit = page.WebACLs?.find((a) => a.Name === name);
    if (hit) return hit;
    marker = page.NextMarker;
  } while (marker);
  return undefined;
}

export const waf: CheckRunner<'waf'> = async (check, { aws }) => {
  const label = `web ACL ${check.webAclName} (${check.scope})`;
  try {
    const id = check.webAclId ?? (await findWebAcl(aws, check.webAclName, check.scope))?.Id;
    if (!id)
      return { name: check.name, ok: false, detail: `${label} not found: create it or fix the name in the plan` };
    const { WebACL: acl } = await aws
      .waf()
      .send(new GetWebACLCommand({ Name: check.webAclName, Scope: check.scope, Id: id }));
    const rules = acl?.Rules ?? [];
    if (rules.length === 0)
      return { name: check.name, ok: false, detail: `${label} has no rules configured`, data: { rules: 0 } };
    return {
      name: check.name,
      ok: true,
      detail: `${label} has ${rules.length} rules (${rules.map((r) => r.Name).join(', ')})`,
      data: { rules: rules.length },
    };
  } catch (err) {
    if (isAwsNotFound(err))
      return { name: check.name, ok: false, detail: `${label} not found (id ${check.webAclId ?? '?'})` };
    return answerOrThrow(check.name, `reading ${label}`, err);
  }
};
