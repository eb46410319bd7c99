// Any HTTP endpoint answers 200.
import type { CheckRunner } from './check';
import { expect200, probe } from './probe';

export const http: CheckRunner<'http'> = (check) => probe(check.name, check.url, check.url, expect200(check.url));
