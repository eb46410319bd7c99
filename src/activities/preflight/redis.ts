// Redis answers `PING`.
import { checkRedis } from '../datastores';
import type { CheckRunner } from './check';

export const redis: CheckRunner<'redis'> = (check, { config }) => checkRedis(check.name, config.redis.url);
