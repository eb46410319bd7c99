// What each sink receives, pure: text people wrote (reasons, comments, names) reaches Slack,
// PagerDuty and mail inside our messages, so each message is made inert for its sink here.
import type { Severity } from './contract';

const SLACK_PREFIX: Record<Severity, string> = {
  critical: ':rotating_light: *CRITICAL*',
  warning: ':warning: *WARNING*',
  info: ':information_source:',
};

/** PagerDuty refuses a summary longer than this. */
export const PAGE_SUMMARY_MAX = 1024;
const SUBJECT_MAX = 200;
const LINE_BREAKS = /[\p{Cc}\u2028\u2029]+/gu;

/**
 * Slack's control sequences (`<!here>`, `<!channel>`, `<@U123>`, `<https://x|label>`) all start with `<`:
 * escaping `&`, `<` and `>` as Slack documents leaves a message that can only be read, never ping or link.
 */
export const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The webhook body for a Slack message. */
export const slackBody = (severity: Severity, text: string): { text: string } => ({
  text: `${SLACK_PREFIX[severity]} ${slackEscape(text)}`,
});

/** One line (PagerDuty shows the summary as an incident's title), at most 1,024 characters. */
export function pageSummary(text: string): string {
  const line = text.replace(LINE_BREAKS, ' ');
  return line.length > PAGE_SUMMARY_MAX ? `${line.slice(0, PAGE_SUMMARY_MAX - 3)}...` : line;
}

/** A subject without CR, LF or other control characters (no header can be injected), at most 200 characters. */
export function mailSubject(subject: string): string {
  const line = subject.replace(LINE_BREAKS, ' ');
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 3)}...` : line;
}
