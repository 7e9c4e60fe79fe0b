import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeEksToken, verifyEksTokenSignature } from './eks-token.js';

export interface FakeStsOptions {
  /** Milliseconds since the epoch; credential expirations are computed from it. @defaultValue Date.now */
  clock?: { now(): number };
  /** Credential lifetime when the caller sends no DurationSeconds. @defaultValue 3600 */
  durationSeconds?: number;
  /** Serve HTTPS with this certificate instead of plain HTTP. */
  tls?: { certPem: string; keyPem: string };
  /** @defaultValue '123456789012' */
  accountId?: string;
}

/** Credentials the fake handed out; recognisable by the `ASIAFAKESTS` prefix and a sequence number. */
export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly roleArn: string;
  readonly roleSessionName: string;
}

/** One AssumeRole request as the fake received it. */
export interface AssumeRoleCall {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds: number | undefined;
  /** The access key id the caller signed with (from its Authorization header). */
  readonly callerAccessKeyId: string | undefined;
  /** What the fake answered with; undefined when it answered with an error. */
  readonly issued: IssuedCredentials | undefined;
}

/** An STS error the fake answers every AssumeRole with until cleared. */
export interface StsFailure {
  /** e.g. 'AccessDenied' */
  code: string;
  message: string;
  /** @defaultValue 403 */
  status?: number;
}

export interface FakeSts {
  /** Base URL for `AWS_ENDPOINT_URL_STS`. */
  readonly url: string;
  readonly calls: readonly AssumeRoleCall[];
  /** Answer AssumeRole with this error from now on; `undefined` restores success. */
  failWith(failure: StsFailure | undefined): void;
  /**
   * The credentials that signed an EKS token, when the token's signature checks out with their
   * secret and covers `x-k8s-aws-id: clusterName`; undefined otherwise.
   */
  credentialsForEksToken(token: string, clusterName: string): IssuedCredentials | undefined;
  close(): Promise<void>;
}

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

const xmlEscape = (text: string): string =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

/** AWS timestamps carry no milliseconds. */
const awsTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function callerKeyId(req: IncomingMessage): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code>` +
      `<Message>${xmlEscape(message)}</Message></Error><RequestId>fake-sts-error</RequestId></ErrorResponse>`,
  );
}

function assumeRoleXml(issued: IssuedCredentials, accountId: string, requestId: number): string {
  const roleName = issued.roleArn.slice(issued.roleArn.lastIndexOf('/') + 1);
  const userArn = `arn:aws:sts::${accountId}:assumed-role/${roleName}/${issued.roleSessionName}`;
  return (
    `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult>` +
    `<AssumedRoleUser><Arn>${xmlEscape(userArn)}</Arn>` +
    `<AssumedRoleId>AROAFAKESTS:${xmlEscape(issued.roleSessionName)}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${issued.accessKeyId}</AccessKeyId>` +
    `<SecretAccessKey>${issued.secretAccessKey}</SecretAccessKey>` +
    `<SessionToken>${issued.sessionToken}</SessionToken>` +
    `<Expiration>${awsTime(issued.expiration)}</Expiration></Credentials>` +
    `</AssumeRoleResult><ResponseMetadata><RequestId>fake-sts-${requestId}</RequestId></ResponseMetadata>` +
    '</AssumeRoleResponse>'
  );
}

/**
 * A local STS speaking the AWS query protocol, enough for the AWS SDK's AssumeRole. It records each
 * call and issues deterministic credentials (`ASIAFAKESTS000000001`, …) so a test can tell which
 * AssumeRole an upstream token came from.
 */
export async function startFakeSts(options: FakeStsOptions = {}): Promise<FakeSts> {
  const clock = options.clock ?? { now: () => Date.now() };
  const accountId = options.accountId ?? '123456789012';
  const calls: AssumeRoleCall[] = [];
  let failure: StsFailure | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const form = new URLSearchParams(req.method === 'POST' ? await readBody(req) : '');
    const action = form.get('Action');
    if (action !== 'AssumeRole') {
      sendError(
        res,
        400,
        'InvalidAction',
        `the fake STS only implements AssumeRole, not ${action ?? 'nothing'}`,
      );
      return;
    }
    const roleArn = form.get('RoleArn') ?? '';
    const roleSessionName = form.get('RoleSessionName') ?? '';
    const requested = form.get('DurationSeconds');
    const durationSeconds = requested === null ? undefined : Number(requested);
    const call = { roleArn, roleSessionName, durationSeconds, callerAccessKeyId: callerKeyId(req) };
    if (failure) {
      calls.push({ ...call, issued: undefined });
      sendError(res, failure.status ?? 403, failure.code, failure.message);
      return;
    }
    const n = calls.length + 1;
    const lifetime = (durationSeconds ?? options.durationSeconds ?? 3600) * 1000;
    const issued: IssuedCredentials = {
      accessKeyId: `ASIAFAKESTS${String(n).padStart(9, '0')}`,
      secretAccessKey: `fakeStsSecretAccessKey${n}`,
      sessionToken: `fake-sts-session-token-${n}`,
      // Whole seconds, as STS reports them, so a test comparing with the SDK's Date sees the same instant.
      expiration: new Date(Math.floor((clock.now() + lifetime) / 1000) * 1000),
      roleArn,
      roleSessionName,
    };
    calls.push({ ...call, issued });
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(assumeRoleXml(issued, accountId, n));
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => sendError(res, 500, 'InternalFailure', String(error)));
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    calls,
    failWith: (next) => {
      failure = next;
    },
    credentialsForEksToken: (token, clusterName) => {
      const { accessKeyId } = decodeEksToken(token);
      const issued = calls.find((call) => call.issued?.accessKeyId === accessKeyId)?.issued;
      if (!issued) return undefined;
      const valid = verifyEksTokenSignature(token, { secretAccessKey: issued.secretAccessKey, clusterName });
      return valid ? issued : undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
