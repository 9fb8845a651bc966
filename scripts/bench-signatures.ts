// `npm run bench` (part): the signature check's time per form against the sandbox — ECR
// referrers / .sig reads over HTTP plus verification through @sigstore/verify. Cold = a fresh
// process's first check (libraries load); warm = the median of later checks.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startSandbox } from '../sandbox/index';
import { EcrRegistry } from '../src/clients/ecr';
import { OciRegistry } from '../src/clients/oci';
import type { RegistryPort } from '../src/pipeline/ports';
import { GITHUB_ISSUER, RELEASE_SUBJECT_REGEXP } from '../sandbox/sigstore';
import { verifyImage } from '../src/pipeline/signatures';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sig-'));
  const sb = await startSandbox({
    dir, fast: true, log: () => undefined,
    scenario: { signature: 'keyless', services: { accounts: { images: { '1.0.0': {}, '1.1.0': { signature: 'bundle' }, '1.2.0': { signature: 'classic' } } } }, environments: { dev: { accounts: '1.0.0' } } },
  });
  try {
    const ecr = new EcrRegistry({ region: 'us-east-1', endpoint: sb.env.AWS_ENDPOINT_URL_ECR, credentials: { accessKeyId: sb.env.AWS_ACCESS_KEY_ID, secretAccessKey: sb.env.AWS_SECRET_ACCESS_KEY } });
    const trustedRoot = JSON.parse(fs.readFileSync(path.join(sb.repoDir, 'sigstore/trusted_root.json'), 'utf8'));
    const policy = { keys: [{ name: 'cosign.pub', pem: sb.trustedPublicKeyPem }], identities: [{ issuer: GITHUB_ISSUER, subjectRegExp: RELEASE_SUBJECT_REGEXP }], trustedRoot, trustedRootName: 'trusted_root.json' };
    const oci = new OciRegistry({ url: sb.endpoints.oci, credentials: { username: sb.env.GITOPS_DEPLOY_REGISTRY_USERNAME, password: sb.env.GITOPS_DEPLOY_REGISTRY_PASSWORD } });
    const check = async (tag: string, registry: RegistryPort = ecr) => {
      const t0 = performance.now();
      const img = await registry.describeImage('accounts', tag);
      const [bundles, classic] = await Promise.all([registry.bundles('accounts', img!.digest), registry.signatures('accounts', img!.digest)]);
      const v = await verifyImage({ bundles, classic }, img!.digest, policy);
      if (!v.ok) throw new Error(`${tag}: ${v.refusal.reason}`);
      return performance.now() - t0;
    };
    for (const [form, tag] of [['keyless bundle', '1.0.0'], ['key bundle', '1.1.0'], ['classic .sig', '1.2.0']] as const) {
      const cold = await check(tag);
      const warm: number[] = [];
      for (let i = 0; i < 15; i++) warm.push(await check(tag));
      console.log(`signature check, ${form.padEnd(14)}: cold ${cold.toFixed(1)} ms (first of this form${form === 'keyless bundle' ? ', libraries loading' : ''}), warm median ${median(warm).toFixed(1)} ms${form === 'keyless bundle' ? ' (target < 300 ms)' : ''}`);
    }
    // The same keyless bundle through the OCI distribution API (registry.type: oci).
    const ociCold = await check('1.0.0', oci);
    const ociWarm: number[] = [];
    for (let i = 0; i < 15; i++) ociWarm.push(await check('1.0.0', oci));
    console.log(`signature check, keyless (OCI) : cold ${ociCold.toFixed(1)} ms (first over the OCI API), warm median ${median(ociWarm).toFixed(1)} ms`);
  } finally {
    await sb.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
