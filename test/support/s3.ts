import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * The S3 half of the media tests. With TEST_MEDIA_STORE=s3, startApp() stores each app's media in
 * an S3-compatible server under a prefix of its own: the server at TEST_S3_ENDPOINT (started by
 * scripts/test-s3.ts), or else one started in this process on first use. The server is s3rver
 * (@20minutes/s3rver, the maintained fork), keeping its objects in a temporary directory.
 */
export const TEST_BUCKET = 'butaca-test';
// The SDK warns once per process that its 2027 releases need Node 22: noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
/** s3rver's built-in account. */
export const TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export function testMediaStoreKind(): 'file' | 's3' {
  const kind = process.env.TEST_MEDIA_STORE ?? 'file';
  if (kind !== 'file' && kind !== 's3') throw new Error(`TEST_MEDIA_STORE must be file or s3, not "${kind}"`);
  return kind;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface TestS3Server {
  endpoint: string;
  stop: () => Promise<void>;
  /** Lets the process exit with the server still up (its directory is then removed at exit). */
  detach: () => void;
}

/** s3rver on a free loopback port with the test bucket made, its objects in a new temporary directory. */
export async function startS3Server(): Promise<TestS3Server> {
  const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as S3rverClass;
  const directory = mkdtempSync(path.join(tmpdir(), 'butaca-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: TEST_BUCKET }],
    // s3rver signs bucket-level requests (ListObjectsV2, ListMultipartUploads) over "/bucket"
    // where SDK v3 signs "/bucket/", so their signatures never match. An unknown access key is
    // still refused (InvalidAccessKeyId), which is what the access-denied test relies on.
    allowMismatchedSignatures: true,
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (err) {
    rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    detach: () => {
      server.httpServer?.unref();
      server.httpServer?.on('connection', (socket: Socket) => socket.unref());
      process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
    },
    stop: async () => {
      try {
        await server.close();
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}

let shared: Promise<string> | undefined;

/** The endpoint every app of this process shares: TEST_S3_ENDPOINT, or a server started here once. */
export function sharedS3Endpoint(): Promise<string> {
  shared ??= (async () => {
    if (process.env.TEST_S3_ENDPOINT) return process.env.TEST_S3_ENDPOINT;
    const server = await startS3Server();
    server.detach();
    return server.endpoint;
  })();
  return shared;
}

/**
 * The variables that point an app at the shared server under a fresh prefix, as an operator sets
 * them. Credentials reach the SDK's default chain through the process environment.
 */
export async function s3TestEnv(): Promise<Record<string, string>> {
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
  return {
    MEDIA_STORE: `s3://${TEST_BUCKET}/app-${randomBytes(6).toString('hex')}`,
    AWS_ENDPOINT_URL_S3: await sharedS3Endpoint(),
    AWS_REGION: 'us-east-1',
    AWS_S3_FORCE_PATH_STYLE: 'true',
  };
}

/** A client for a test server, with s3rver's credentials. */
export function testS3Client(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS });
}
