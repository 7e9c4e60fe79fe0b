import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, issueServerCert } from '@gatehouse/testkit/ca';
import { freePort, stopAllProcesses } from '@gatehouse/testkit/processes';
import { type SentinelGroup, startRedisProcess, startSentinelGroup } from '@gatehouse/testkit/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedisClient } from './connect.js';
import { RedisErrorCode } from './errors.js';
import type { RedisTarget } from './target.js';

// Each failure a production Redis setting can cause at start-up, against real redis-server and
// sentinel processes of the test's own: the coded error, and a message naming the key to fix.

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-startup-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function failure(target: RedisTarget, env: NodeJS.ProcessEnv = {}): Promise<Error & { code: string }> {
  const error = await (async () => connectRedis(target, createRedisClient(target, {}, env)))().then(
    (client) => {
      client.disconnect();
      throw new Error('expected the connection to fail');
    },
    (e: unknown) => e as Error & { code: string },
  );
  return error;
}

describe('connectRedis through Sentinel', () => {
  let group: SentinelGroup;
  beforeAll(async () => {
    group = await startSentinelGroup();
  });
  afterAll(stopAllProcesses);

  it('reaches the primary the sentinels name', async () => {
    const target = { url: '', sentinel: { sentinels: group.sentinelAddresses, name: group.name } };
    const client = await connectRedis(target, createRedisClient(target));
    expect(((await client.call('ROLE')) as unknown[])[0]).toBe('master');
    expect(client.stream.remotePort).toBe(group.primary.port);
    client.disconnect();
  });

  it('names redis.name when no sentinel knows the master', async () => {
    const error = await failure({ url: '', sentinel: { sentinels: group.sentinelAddresses, name: 'nope' } });
    expect(error.code).toBe(RedisErrorCode.UnknownMaster);
    expect(error.message).toBe(
      `no Redis Sentinel at ${group.sentinelAddresses.map((s) => `127.0.0.1:${s.port}`).join(', ')} knows a master named "nope"; set redis.name to the name of the sentinels' "sentinel monitor <name> <host> <port> <quorum>" line`,
    );
  });

  // ioredis reports a refused sentinel connection only as closed (SentinelConnector.resolve).
  it('names redis.sentinels and each sentinel that failed when none answers', async () => {
    const port = await freePort();
    const error = await failure({
      url: '',
      sentinel: { sentinels: [{ host: '127.0.0.1', port }], name: 'x' },
    });
    expect(error.code).toBe(RedisErrorCode.Unreachable);
    expect(error.message).toBe(
      `cannot reach Redis at Sentinel master "x" via 127.0.0.1:${port}: failed to connect to sentinel 127.0.0.1:${port} because Connection is closed.; start the sentinels or fix redis.sentinels in gatehouse.yaml (host:port of each; set redis.sentinelTls when they take TLS only)`,
    );
  });
});

describe('connectRedis with ACL credentials', () => {
  let url: string;
  beforeAll(async () => {
    const redis = await startRedisProcess([], {
      configLines: ['user default off', 'user gatehouse on >s3cret-pw ~* &* +@all'],
    });
    url = redis.url;
  });
  afterAll(stopAllProcesses);

  it('logs in with the user and a password read from a file (trailing newline dropped) or the environment', async () => {
    const fromFile = { url, username: 'gatehouse', password: { file: file('pw', 's3cret-pw\n') } };
    const a = await connectRedis(fromFile, createRedisClient(fromFile));
    expect(await a.call('ACL', 'WHOAMI')).toBe('gatehouse');
    a.disconnect();
    const fromEnv = { url, username: 'gatehouse', password: { env: 'GATEHOUSE_TEST_REDIS_PW' } };
    const b = await connectRedis(
      fromEnv,
      createRedisClient(fromEnv, {}, { GATEHOUSE_TEST_REDIS_PW: 's3cret-pw' }),
    );
    expect(await b.call('ACL', 'WHOAMI')).toBe('gatehouse');
    b.disconnect();
  });

  it('says the credentials were refused, naming the keys, never the password', async () => {
    const error = await failure({ url, username: 'gatehouse', password: { env: 'PW' } }, { PW: 'wrong-pw' });
    expect(error.code).toBe(RedisErrorCode.Auth);
    expect(error.message).toBe(
      `Redis at ${url} refused the credentials: WRONGPASS invalid username-password pair or user is disabled.; check redis.username and the password in redis.passwordFile or redis.passwordEnv against the server's ACL (ACL LIST)`,
    );
    expect(error.message).not.toContain('wrong-pw');
  });

  it('names the password setting that cannot be used', () => {
    expect(() => createRedisClient({ url, password: { env: 'UNSET_PW' } }, {}, {})).toThrow(
      expect.objectContaining({
        code: RedisErrorCode.Setting,
        message:
          'redis.passwordEnv names UNSET_PW, which is not set; set UNSET_PW to the Redis password (e.g. from a Kubernetes Secret)',
      }),
    );
    expect(() => createRedisClient({ url, password: { file: join(dir, 'absent') } })).toThrow(
      expect.objectContaining({
        code: RedisErrorCode.Setting,
        message: `redis.passwordFile ${join(dir, 'absent')} cannot be read (ENOENT); mount the file there or fix redis.passwordFile`,
      }),
    );
  });
});

describe('connectRedis over TLS', () => {
  let tlsPort: number;
  let caFile: string;
  beforeAll(async () => {
    const ca = createTestCa();
    const server = issueServerCert(ca, { hosts: ['127.0.0.1'] });
    caFile = file('ca.pem', ca.certPem);
    tlsPort = await freePort();
    await startRedisProcess(
      [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        file('server.pem', server.certPem),
        '--tls-key-file',
        file('server.key', server.keyPem),
        '--tls-auth-clients',
        'no',
      ],
      { readyPort: tlsPort },
    );
  });
  afterAll(stopAllProcesses);

  it('connects with rediss:// and the CA in redis.tls.caFile', async () => {
    const target = { url: `rediss://127.0.0.1:${tlsPort}`, tls: { caFile } };
    const client = await connectRedis(target, createRedisClient(target));
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
  });

  it('names redis.tls.caFile when the server certificate is not trusted', async () => {
    const error = await failure({ url: `rediss://127.0.0.1:${tlsPort}` });
    expect(error.code).toBe(RedisErrorCode.Tls);
    expect(error.message).toContain(`TLS to Redis at rediss://127.0.0.1:${tlsPort} failed: `);
    expect(error.message).toContain('set redis.tls.caFile to the CA that signed the server');
  });
});

describe('connectRedis through sentinels that require their own password', () => {
  let sentinels: { host: string; port: number }[];
  beforeAll(async () => {
    const primary = await startRedisProcess();
    const sentinel = await startRedisProcess(['--sentinel'], {
      configLines: [`sentinel monitor guarded 127.0.0.1 ${primary.port} 1`, 'requirepass sentinel-pw'],
    });
    sentinels = [{ host: '127.0.0.1', port: sentinel.port }];
  });
  afterAll(stopAllProcesses);

  it('asks them with redis.sentinelPasswordEnv (the primary needs none here)', async () => {
    const target = {
      url: '',
      sentinel: { sentinels, name: 'guarded', password: { env: 'SENTINEL_PW' } },
    };
    const client = await connectRedis(target, createRedisClient(target, {}, { SENTINEL_PW: 'sentinel-pw' }));
    expect(((await client.call('ROLE')) as unknown[])[0]).toBe('master');
    client.disconnect();
  });

  it('says the sentinels refused their credentials, naming the sentinel keys, never the password', async () => {
    const where = `Sentinel master "guarded" via 127.0.0.1:${sentinels[0]!.port}`;
    for (const env of [{}, { SENTINEL_PW: 'wrong-pw' }]) {
      const password = 'SENTINEL_PW' in env ? { password: { env: 'SENTINEL_PW' } } : {};
      const error = await failure({ url: '', sentinel: { sentinels, name: 'guarded', ...password } }, env);
      expect(error.code).toBe(RedisErrorCode.Auth);
      expect(error.message).toMatch(
        new RegExp(
          `^${where.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the sentinels refused their credentials: .*(NOAUTH|WRONGPASS)`,
        ),
      );
      expect(error.message).toContain('set redis.sentinelPasswordFile or redis.sentinelPasswordEnv');
      expect(error.message).not.toContain('wrong-pw');
    }
  });

  it('names redis.sentinelPasswordEnv when the variable is not set', () => {
    const target = {
      url: '',
      sentinel: { sentinels, name: 'guarded', password: { env: 'UNSET_SENTINEL_PW' } },
    };
    expect(() => createRedisClient(target, {}, {})).toThrow(
      expect.objectContaining({
        code: RedisErrorCode.Setting,
        message: expect.stringMatching(/^redis\.sentinelPasswordEnv names UNSET_SENTINEL_PW/),
      }),
    );
  });
});

describe('connectRedis through sentinels that take TLS only (redis.sentinelTls)', () => {
  let sentinels: { host: string; port: number }[];
  let caFile: string;
  beforeAll(async () => {
    const ca = createTestCa();
    const server = issueServerCert(ca, { hosts: ['127.0.0.1'] });
    caFile = file('sentinel-ca.pem', ca.certPem);
    const tls = {
      'tls-cert-file': file('sentinel-server.pem', server.certPem),
      'tls-key-file': file('sentinel-server.key', server.keyPem),
      'tls-ca-cert-file': caFile,
      'tls-auth-clients': 'no',
    };
    const primaryTls = await freePort();
    await startRedisProcess(
      [
        '--port',
        '0',
        '--tls-port',
        String(primaryTls),
        ...Object.entries(tls).flatMap(([k, v]) => [`--${k}`, v]),
      ],
      { readyPort: primaryTls },
    );
    const sentinelTls = await freePort();
    // The plain port only tells the test it is up; clients are given the TLS one.
    await startRedisProcess(['--sentinel'], {
      configLines: [
        `tls-port ${sentinelTls}`,
        ...Object.entries(tls).map(([k, v]) => `${k} ${v}`),
        // The sentinel talks TLS to the primary as well.
        'tls-replication yes',
        `sentinel monitor secure 127.0.0.1 ${primaryTls} 1`,
      ],
    });
    sentinels = [{ host: '127.0.0.1', port: sentinelTls }];
  });
  afterAll(stopAllProcesses);

  it('reaches the primary over TLS, asking the sentinels over TLS with redis.tls.caFile', async () => {
    const target = { url: '', tls: { caFile }, sentinel: { sentinels, name: 'secure', tls: true } };
    const client = await connectRedis(target, createRedisClient(target));
    expect(((await client.call('ROLE')) as unknown[])[0]).toBe('master');
    client.disconnect();
  });

  it('without sentinelTls the sentinels are unreachable, and the message says to set it', async () => {
    const error = await failure({ url: '', tls: { caFile }, sentinel: { sentinels, name: 'secure' } });
    expect(error.code).toBe(RedisErrorCode.Unreachable);
    expect(error.message).toContain('redis.sentinelTls');
  });
});

describe('connectRedis to a cluster-mode Redis', () => {
  afterAll(stopAllProcesses);

  it('refuses it, saying why one primary is the design', async () => {
    const redis = await startRedisProcess(['--cluster-enabled', 'yes']);
    const error = await failure(redis.url);
    expect(error.code).toBe(RedisErrorCode.ClusterRefused);
    expect(error.message).toContain('the audit chain has one ordered head and approvals are human-scale');
  });
});
