import { describe, expect, it } from 'vitest';
import { eksToken } from '../../kube/eks-token.ts';

describe('eksToken', () => {
  it('presigns GetCallerIdentity for 60 s with the cluster name in a signed header, as aws-iam-authenticator does', async () => {
    const token = await eksToken('prod-eu', 'eu-west-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, new Date('2026-11-27T10:00:00Z'));
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    const url = new URL(Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString());
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      Action: 'GetCallerIdentity',
      Version: '2011-06-15',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20261127/eu-west-1/sts/aws4_request',
      'X-Amz-Date': '20261127T100000Z',
      'X-Amz-Expires': '60',
      'X-Amz-SignedHeaders': 'host;x-k8s-aws-id',
    });
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // Deterministic for the same inputs; a different cluster signs differently.
    expect(await eksToken('prod-eu', 'eu-west-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, new Date('2026-11-27T10:00:00Z'))).toBe(token);
    expect(await eksToken('staging', 'eu-west-1', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }, new Date('2026-11-27T10:00:00Z'))).not.toBe(token);
  });
});
