// The bearer token EKS accepts for an IAM identity (aws-iam-authenticator's format, what `aws eks get-token` prints):
// "k8s-aws-v1." + base64url of an STS GetCallerIdentity URL presigned with SigV4 for 60 s, with the cluster's name in
// the signed `x-k8s-aws-id` header. The API server asks STS who signed it; no call to STS is made here.
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export async function eksToken(clusterName: string, region: string, credentials: AwsCredentials | (() => Promise<AwsCredentials>), signingDate = new Date()): Promise<string> {
  const hostname = `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials, region, service: 'sts', sha256: Sha256 });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate },
  );
  const query = new URLSearchParams(signed.query as Record<string, string>).toString();
  const url = `https://${hostname}/?${query}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}
