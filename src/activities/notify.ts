// Notifications: Slack webhooks, PagerDuty Events v2, e-mail over SMTP. Each send carries an
// idempotency key so a retried activity does not post or page twice.
import type { ActivityConfig } from './config';
import type { EmailInput, PageInput, SlackMessage } from './contract';
import { notImplemented } from './errors';

export function createNotifyActivities(_config: ActivityConfig) {
  return {
    async postSlack(_input: SlackMessage): Promise<{ delivered: boolean; duplicate: boolean }> { return notImplemented('postSlack'); },
    async sendPage(_input: PageInput): Promise<{ delivered: boolean; duplicate: boolean }> { return notImplemented('sendPage'); },
    async sendEmail(_input: EmailInput): Promise<{ delivered: boolean; duplicate: boolean }> { return notImplemented('sendEmail'); },
  };
}
