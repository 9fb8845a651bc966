// The OCI adapter against small loopback registries that misbehave in ways the sandbox does not:
// a Docker-Content-Digest that is not the bytes' digest, a manifest of an unexpected media type,
// and a Bearer challenge whose token realm is on another host (it must not get the credentials).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OciRegistry } from '../../src/clients/oci';
import { PortError } from '../../src/pipeline/model/cause';

type Seen = { host: string; url: string; authorization?: string };

async function serve(host: string, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const MANIFEST = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 2, digest: 'sha256:' + '4'.repeat(64) }, layers: [] });
const DIGEST = 'sha256:' + createHash('sha256').update(MANIFEST).digest('hex');
const CREDS = { username: 'ci', password: 's3cret' };
const BASIC = 'Basic ' + Buffer.from('ci:s3cret').toString('base64');

async function rejection(p: Promise<unknown>): Promise<PortError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof PortError, String(e));
    return e;
  }
  throw new Error('expected a rejection');
}

describe('OCI adapter: registries that misbehave', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it('a Docker-Content-Digest that is not the digest of the bytes served is refused; the right one is taken', async () => {
    let header = 'sha256:' + 'f'.repeat(64);
    const reg = await serve('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': header });
      res.end(MANIFEST);
    });
    closers.push(reg.close);
    const oci = new OciRegistry({ url: reg.url });
    const e = await rejection(oci.describeImage('acme/accounts', '1.0.0'));
    assert.equal(e.kind, 'transport');
    assert.ok(e.message.includes(DIGEST), e.message);
    header = DIGEST;
    assert.equal((await oci.describeImage('acme/accounts', '1.0.0'))?.digest, DIGEST);
  });

  it('a manifest of a media type that was not asked for is refused', async () => {
    const reg = await serve('127.0.0.1', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' });
      res.end(MANIFEST);
    });
    closers.push(reg.close);
    const e = await rejection(new OciRegistry({ url: reg.url }).describeImage('acme/accounts', '1.0.0'));
    assert.ok(e.message.includes('manifest.v1+prettyjws'), e.message);
  });

  it('Bearer: a token realm on another host gets no credentials (anonymous token); on the registry\'s host it gets them', async () => {
    const seen: Seen[] = [];
    let realmBase = '';
    const tokenServer = (host: string) => serve(host, (req, res) => {
      seen.push({ host, url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: req.headers.authorization ? 'with-creds' : 'anonymous' }));
    });
    const registry = await serve('127.0.0.1', (req, res) => {
      if (req.url?.startsWith('/token')) {
        seen.push({ host: 'registry', url: req.url, authorization: req.headers.authorization });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ token: req.headers.authorization === BASIC ? 'with-creds' : 'anonymous' }));
      }
      seen.push({ host: 'registry', url: req.url ?? '', authorization: req.headers.authorization });
      if (!String(req.headers.authorization ?? '').startsWith('Bearer ')) {
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': `Bearer realm="${realmBase}/token",service="reg",scope="repository:acme/accounts:pull"` });
        return res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': DIGEST });
      res.end(MANIFEST);
    });
    closers.push(registry.close);
    // Another host: 127.0.0.2 (loopback, another origin).
    const other = await tokenServer('127.0.0.2');
    closers.push(other.close);
    realmBase = other.url;
    await new OciRegistry({ url: registry.url, credentials: CREDS }).describeImage('acme/accounts', '1.0.0');
    const toOther = seen.filter((s) => s.host === '127.0.0.2');
    assert.equal(toOther.length, 1);
    assert.equal(toOther[0].authorization, undefined, 'the credentials stay with the registry host');
    assert.match(toOther[0].url, /scope=repository%3Aacme%2Faccounts%3Apull/);
    assert.equal(seen.filter((s) => s.host === 'registry').at(-1)?.authorization, 'Bearer anonymous');

    seen.length = 0;
    realmBase = registry.url;
    await new OciRegistry({ url: registry.url, credentials: CREDS }).describeImage('acme/accounts', '1.0.0');
    assert.equal(seen.find((s) => s.url.startsWith('/token'))?.authorization, BASIC);
    assert.equal(seen.at(-1)?.authorization, 'Bearer with-creds');
  });
});
