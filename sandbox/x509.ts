// X.509 certificates for the local control plane's aggregation layer: the front-proxy CA and the client certificate
// the kube-apiserver proxies with, and the serving certificate of the local metrics server (sandbox/metrics-server.ts).
// node:crypto signs but cannot issue certificates, and the openssl command is not on every machine, so this writes the
// few DER structures of RFC 5280 that Go's crypto/x509 and OpenSSL need: ECDSA P-256 keys, SHA-256 signatures.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import net from 'node:net';

export interface IssuedCert {
  /** PEM of the certificate. */
  certPem: string;
  /** PEM of its private key (PKCS #8), which Go's tls.X509KeyPair and node:tls both read. */
  keyPem: string;
  readonly key: KeyObject;
  /** DER of the subject Name, which certificates this one signs carry as their issuer. */
  readonly subjectDer: Buffer;
  readonly keyId: Buffer;
}

export interface CertRequest {
  commonName: string;
  organization?: string;
  /** A CA may sign certificates; a leaf may not. */
  ca?: boolean;
  /** Extended key usage of a leaf: a TLS server, a TLS client, or both. */
  usage?: ('server' | 'client')[];
  dnsNames?: string[];
  ips?: string[];
  /** Days from now; one hour back from now is the start, against clock skew. */
  days?: number;
}

/** Issues `request` signed by `issuer`, or self-signed when there is none (a root CA). */
export function issueCert(request: CertRequest, issuer?: IssuedCert): IssuedCert {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bytes (for P-256, the last 65 of the SPKI).
  const keyId = createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
  const subjectDer = name(request.commonName, request.organization);
  const signer = issuer ?? { key: privateKey, subjectDer, keyId };
  const now = Date.now();
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))), // v3
    integer(serialNumber()),
    ECDSA_SHA256,
    signer.subjectDer,
    seq(time(new Date(now - 3_600_000)), time(new Date(now + (request.days ?? 365) * 86_400_000))),
    subjectDer,
    spki,
    explicit(3, seq(...extensions(request, keyId, signer.keyId))),
  );
  const signature = sign('sha256', tbs, signer.key); // DER ECDSA-Sig-Value, as X.509 wants it
  const der = seq(tbs, ECDSA_SHA256, bitString(signature));
  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    key: privateKey,
    subjectDer,
    keyId,
  };
}

function extensions(request: CertRequest, keyId: Buffer, issuerKeyId: Buffer): Buffer[] {
  const list = [
    extension('2.5.29.19', true, request.ca ? seq(tlv(0x01, Buffer.from([0xff]))) : seq()), // basicConstraints
    // keyUsage: digitalSignature (bit 0), plus keyCertSign and cRLSign (bits 5, 6) for a CA.
    extension('2.5.29.15', true, request.ca ? tlv(0x03, Buffer.from([1, 0x86])) : tlv(0x03, Buffer.from([7, 0x80]))),
    extension('2.5.29.14', false, tlv(0x04, keyId)), // subjectKeyIdentifier
    extension('2.5.29.35', false, seq(tlv(0x80, issuerKeyId))), // authorityKeyIdentifier [0] keyIdentifier
  ];
  const usage = request.usage ?? [];
  if (usage.length > 0) {
    const oids = { server: '1.3.6.1.5.5.7.3.1', client: '1.3.6.1.5.5.7.3.2' };
    list.push(extension('2.5.29.37', false, seq(...usage.map((u) => oid(oids[u]))))); // extKeyUsage
  }
  const names = [
    ...(request.dnsNames ?? []).map((dns) => tlv(0x82, Buffer.from(dns, 'ascii'))), // [2] dNSName
    ...(request.ips ?? []).map((ip) => tlv(0x87, ipBytes(ip))), // [7] iPAddress
  ];
  if (names.length > 0) list.push(extension('2.5.29.17', false, seq(...names))); // subjectAltName
  return list;
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function name(commonName: string, organization?: string): Buffer {
  const rdn = (type: string, value: string) => tlv(0x31, seq(oid(type), tlv(0x0c, Buffer.from(value, 'utf8'))));
  return seq(...(organization ? [rdn('2.5.4.10', organization)] : []), rdn('2.5.4.3', commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

/** A positive 128-bit serial: DER INTEGERs are signed, so the top bit stays clear. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes;
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  throw new Error(`only IPv4 addresses are supported in certificates here, not ${ip}`);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 4.1.2.5), at whole seconds. */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// DER: tag, definite length, contents.
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : lengthBytes(n);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function lengthBytes(n: number): Buffer {
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function seq(...items: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(items));
}

function explicit(n: number, content: Buffer): Buffer {
  return tlv(0xa0 + n, content);
}

function integer(bytes: Buffer): Buffer {
  return tlv(0x02, bytes);
}

function bitString(bytes: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [first * 40 + second];
  for (const arc of rest) {
    const base128: number[] = [];
    for (let v = arc; ; v = Math.floor(v / 128)) {
      base128.unshift((v % 128) | (base128.length > 0 ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}
