// PostgreSQL answers `SELECT 1` with the worker's credentials.
import { checkPostgres } from '../datastores';
import type { CheckRunner } from './check';

export const postgres: CheckRunner<'postgres'> = (check, { config }) =>
  checkPostgres(check.name, config.postgres.connectionString);
