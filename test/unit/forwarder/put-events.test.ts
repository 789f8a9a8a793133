import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { credentialSource, putEventsClient, signV4 } from '../../../forwarder/put-events.ts';
import { eventBridgeSink } from '../../../forwarder/sinks.ts';
import { startPutEventsDouble, type PutEventsDouble } from '../../support/eventbridge-double.ts';

const servers: { close(): unknown }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** A loopback HTTP server answering each request with `answer`; the requests it got. */
async function serve(answer: (req: http.IncomingMessage, body: string) => { status: number; body: string }) {
  const got: { headers: http.IncomingHttpHeaders; body: string; url: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body, url: req.url ?? '' });
      const a = answer(req, body);
      res.writeHead(a.status).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push({ close: () => new Promise((r) => server.close(r)) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

describe('PutEvents signed by hand', () => {
  it("signs as the SDK's own SignatureV4 does, with and without a session token", async () => {
    const now = new Date('2026-11-30T00:40:12.345Z');
    const body = JSON.stringify({ Entries: [{ Source: 'oombot', DetailType: 'x', Detail: '{"a":"ü"}', EventBusName: 'oombot', Time: 1 }] });
    for (const credentials of [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, { accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'token+/=' }]) {
      const headers = { 'content-type': 'application/x-amz-json-1.1', host: 'events.eu-west-1.amazonaws.com', 'x-amz-target': 'AWSEvents.PutEvents' };
      const mine = signV4({ credentials, region: 'eu-west-1', service: 'events', method: 'POST', headers, body, now });
      const sdk = await new SignatureV4({ credentials, region: 'eu-west-1', service: 'events', sha256: Sha256, applyChecksum: false }).sign(
        { method: 'POST', protocol: 'https:', hostname: headers.host, path: '/', headers: { ...headers }, body },
        { signingDate: now },
      );
      expect(mine.authorization).toBe(sdk.headers['authorization']);
      expect(mine['x-amz-security-token']).toBe(sdk.headers['x-amz-security-token']);
    }
  });

  it('takes keys from the environment first, then IRSA from STS, then EKS Pod Identity, and none otherwise', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oombot-creds-'));
    await writeFile(path.join(dir, 'token'), 'jwt-of-the-pod\n');
    const sts = await serve(() => ({
      status: 200,
      body: '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIASTS</AccessKeyId><SecretAccessKey>s3cr3t</SecretAccessKey><SessionToken>sess</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
    }));
    const agent = await serve(() => ({ status: 200, body: JSON.stringify({ AccessKeyId: 'ASIAPOD', SecretAccessKey: 'pod', Token: 'podtoken', Expiration: '2099-01-01T00:00:00Z' }) }));

    expect(await credentialSource({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'SK', AWS_WEB_IDENTITY_TOKEN_FILE: 'x', AWS_ROLE_ARN: 'y' }, 'eu-west-1')!()).toEqual({ accessKeyId: 'AK', secretAccessKey: 'SK' });

    const irsa = credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: path.join(dir, 'token'), AWS_ROLE_ARN: 'arn:aws:iam::1:role/oombot', AWS_ENDPOINT_URL_STS: sts.url }, 'eu-west-1')!;
    expect(await irsa()).toEqual({ accessKeyId: 'ASIASTS', secretAccessKey: 's3cr3t', sessionToken: 'sess', expiresAtMs: Date.parse('2099-01-01T00:00:00Z') });
    await irsa(); // held until five minutes before it expires
    expect(sts.got).toHaveLength(1);
    const form = new URLSearchParams(sts.got[0]!.body);
    expect([form.get('Action'), form.get('RoleArn'), form.get('WebIdentityToken')]).toEqual(['AssumeRoleWithWebIdentity', 'arn:aws:iam::1:role/oombot', 'jwt-of-the-pod']);

    const pod = credentialSource({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${agent.url}/v1/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: path.join(dir, 'token') }, 'eu-west-1')!;
    expect(await pod()).toEqual({ accessKeyId: 'ASIAPOD', secretAccessKey: 'pod', sessionToken: 'podtoken', expiresAtMs: Date.parse('2099-01-01T00:00:00Z') });
    expect(agent.got[0]).toMatchObject({ url: '/v1/credentials', headers: { authorization: 'jwt-of-the-pod' } });

    expect(credentialSource({ AWS_PROFILE: 'dev' }, 'eu-west-1')).toBeUndefined();
  });

  it('says why STS refused', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'oombot-creds-'));
    await writeFile(path.join(dir, 'token'), 'jwt');
    const sts = await serve(() => ({ status: 403, body: '<ErrorResponse><Error><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>' }));
    const irsa = credentialSource({ AWS_WEB_IDENTITY_TOKEN_FILE: path.join(dir, 'token'), AWS_ROLE_ARN: 'arn:aws:iam::1:role/x', AWS_ENDPOINT_URL_STS: sts.url }, 'eu-west-1')!;
    await expect(irsa()).rejects.toThrow('STS AssumeRoleWithWebIdentity for arn:aws:iam::1:role/x: HTTP 403 AccessDenied Not authorized to perform sts:AssumeRoleWithWebIdentity');
  });

  describe('against the PutEvents double', () => {
    let bus: PutEventsDouble;
    afterEach(async () => bus.close());

    it('delivers entries, reports per-entry failures, and retries a throttled request up to three times', async () => {
      bus = await startPutEventsDouble();
      const env = { AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b', AWS_ENDPOINT_URL_EVENTBRIDGE: bus.url };
      const sink = eventBridgeSink('oombot', 'eu-west-1', env);
      const entry = (id: string) => ({ id, source: 'oombot', detailType: 'OOMKilled', detail: JSON.stringify({ id }), time: new Date('2026-11-30T00:00:01Z'), occurredAtMs: Date.parse('2026-11-30T00:00:01Z') });
      expect(await sink.put([entry('1'), entry('2')])).toEqual({ failed: [] });
      expect(bus.accepted.map((e) => [e.Detail, e.EventBusName, e.Time])).toEqual([['{"id":"1"}', 'oombot', Date.parse('2026-11-30T00:00:01Z') / 1000], ['{"id":"2"}', 'oombot', Date.parse('2026-11-30T00:00:01Z') / 1000]]);

      bus.throttleNext = 2;
      expect(await sink.put([entry('3')])).toEqual({ failed: [] });
      expect([bus.throttled, bus.accepted.length]).toEqual([2, 3]);

      bus.throttleNext = 3;
      const put = putEventsClient(env, 'eu-west-1', () => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }), () => Promise.resolve());
      await expect(put([{ EventBusName: 'oombot', Source: 's', DetailType: 'd', Detail: '{}', Time: new Date() }])).rejects.toMatchObject({ name: 'ThrottlingException', status: 400 });

      bus.failureRate = 1;
      const out = await sink.put([entry('4')]);
      expect(out.failed).toHaveLength(1);
      expect(out.failed[0]).toMatchObject({ index: 0, code: expect.any(String) });
    });

    it('does not retry a request EventBridge refuses for good', async () => {
      const refusing = await serve(() => ({ status: 400, body: JSON.stringify({ __type: 'com.amazon#AccessDeniedException', message: 'no events:PutEvents' }) }));
      const put = putEventsClient({ AWS_ENDPOINT_URL: refusing.url }, 'eu-west-1', () => Promise.resolve({ accessKeyId: 'a', secretAccessKey: 'b' }), () => Promise.resolve());
      await expect(put([{ EventBusName: 'oombot', Source: 's', DetailType: 'd', Detail: '{}', Time: new Date() }])).rejects.toMatchObject({ name: 'AccessDeniedException', message: 'no events:PutEvents' });
      expect(refusing.got).toHaveLength(1);
      expect(refusing.got[0]!.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=a\/\d{8}\/eu-west-1\/events\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=[0-9a-f]{64}$/);
    });
  });
});
