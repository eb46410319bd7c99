// Authorization on the two-node cluster (our server: scripts/stack/temporal-build/authz), through the
// balancer, with the tokens the stack minted per role: without a token nothing but the health check
// answers; a forged token is refused; CI starts but cannot terminate, reset or signal; a reader
// cannot signal or start; an operator signals but cannot terminate; the platform admin can.
//   bash scripts/stack/up.sh temporal-cluster
//   npx jest --selectProjects cluster --testPathPattern authz
import { randomBytes } from 'node:crypto';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { run } from '../../src/client/main';
import { mintToken, newSigningKey, KID } from '../fixtures/temporal-auth/tokens';
import { stackEnv, stackVar } from '../integration/stack';
import { roleEnv, roleMetadata, type Role } from '../integration/stack-tokens';

jest.setTimeout(60_000);

const namespace = 'default';
const workflowId = `authz-${randomBytes(4).toString('hex')}`;
const connections: Connection[] = [];

async function connect(metadata?: Record<string, string>): Promise<Connection> {
  const c = await Connection.connect({ address: stackVar('TEMPORAL_ADDRESS'), metadata });
  connections.push(c);
  return c;
}
const as = (role: Role) => connect(roleMetadata(role));

/** The gRPC status code a call ended with (0: it succeeded). */
async function code(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 0;
  } catch (err) {
    if (isGrpcServiceError(err)) return err.code;
    throw err;
  }
}
const PERMISSION_DENIED = 7;

const execution = { workflowId };
const describe = (c: Connection) => c.workflowService.describeWorkflowExecution({ namespace, execution });
const signal = (c: Connection) =>
  c.workflowService.signalWorkflowExecution({ namespace, workflowExecution: execution, signalName: 'authz-test' });
const terminate = (c: Connection) =>
  c.workflowService.terminateWorkflowExecution({ namespace, workflowExecution: execution, reason: 'authz test' });
// Refused before the request is even validated (it names no reset point).
const reset = (c: Connection) =>
  c.workflowService.resetWorkflowExecution({
    namespace,
    workflowExecution: execution,
    requestId: randomBytes(8).toString('hex'),
  });
const start = (c: Connection, id = workflowId) =>
  c.workflowService.startWorkflowExecution({
    namespace,
    workflowId: id,
    workflowType: { name: 'release' },
    // No worker polls this queue: the execution only sits there, which is all these calls need.
    taskQueue: { name: `authz-${randomBytes(4).toString('hex')}` },
    requestId: randomBytes(8).toString('hex'),
  });

beforeAll(() => {
  stackEnv();
  // The cluster's balancer, not the dev server (which has no authorizer): otherwise this tests nothing.
  expect(stackVar('TEMPORAL_ADDRESS')).toBe(stackVar('TEMPORAL_CLUSTER_ADDRESS'));
});

afterAll(async () => {
  const admin = await as('admin');
  await terminate(admin).catch(() => undefined);
  await Promise.all(connections.map((c) => c.close()));
});

test('without a token only the health check answers', async () => {
  const anonymous = await connect(); // connecting calls GetSystemInfo, the health API
  expect(await code(anonymous.workflowService.listWorkflowExecutions({ namespace }))).toBe(PERMISSION_DENIED);
  expect(await code(start(anonymous))).toBe(PERMISSION_DENIED);
  expect(await code(anonymous.workflowService.describeNamespace({ namespace }))).toBe(PERMISSION_DENIED);
});

test("a token signed by another key is refused, even one claiming the platform admin's role", async () => {
  const forged = mintToken(newSigningKey(), 'intruder', ['temporal-system:admin', `${namespace}:admin`], { kid: KID });
  // A token that fails verification is refused on every call, the health check (which connecting makes) too.
  const refused = await connect({ authorization: `Bearer ${forged}` }).then(
    () => undefined,
    (err: unknown) => (err as { cause?: unknown }).cause,
  );
  expect(isGrpcServiceError(refused) && refused.code).toBe(PERMISSION_DENIED);
});

test('CI starts a release and reads it, but cannot terminate, reset or signal it', async () => {
  const ci = await as('ci');
  expect(await code(start(ci))).toBe(0);
  expect(await code(describe(ci))).toBe(0);
  expect(await code(terminate(ci))).toBe(PERMISSION_DENIED);
  expect(await code(reset(ci))).toBe(PERMISSION_DENIED);
  expect(await code(signal(ci))).toBe(PERMISSION_DENIED);
  expect(await code(ci.workflowService.deleteWorkflowExecution({ namespace, workflowExecution: execution }))).toBe(
    PERMISSION_DENIED,
  );
});

test('a reader reads but cannot signal or start', async () => {
  const reader = await as('reader');
  expect(await code(describe(reader))).toBe(0);
  expect(await code(reader.workflowService.listWorkflowExecutions({ namespace }))).toBe(0);
  expect(await code(signal(reader))).toBe(PERMISSION_DENIED);
  expect(await code(start(reader, `${workflowId}-reader`))).toBe(PERMISSION_DENIED);
});

test('an operator signals but cannot terminate or reset; the worker token cannot start', async () => {
  const operator = await as('operator');
  expect(await code(signal(operator))).toBe(0);
  expect(await code(terminate(operator))).toBe(PERMISSION_DENIED);
  expect(await code(reset(operator))).toBe(PERMISSION_DENIED);
  expect(await code(start(await as('worker'), `${workflowId}-worker`))).toBe(PERMISSION_DENIED);
});

test('the CLI takes its token from HWAYO_TEMPORAL_TOKEN_FILE: refused without one, answered with one', async () => {
  const status = async (env: NodeJS.ProcessEnv) => {
    let err = '';
    const exit = await run(['status', `${workflowId}-none`, '--json'], {
      out: () => undefined,
      err: (t) => void (err += t),
      env,
      isTTY: false,
    });
    return { exit, err };
  };
  const { HWAYO_TEMPORAL_TOKEN_FILE: _unused, ...anonymous } = process.env;
  expect((await status(anonymous)).err).toMatch(/not allowed by Temporal/);
  // With the reader's token the call passes authorization and finds no such release.
  expect((await status(roleEnv('reader'))).err).toMatch(/no release with id/);
});

test('the platform admin terminates it', async () => {
  expect(await code(terminate(await as('admin')))).toBe(0);
});
