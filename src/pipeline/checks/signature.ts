// The image's signature is verified (cosign v3 bundle or classic tag; a trusted key or a keyless
// identity) against the configured trust policy; `signing.mode: exists` only looks for one.
import type { EnvironmentConfig, GitOpsConfig } from '../config/types';
import { checkKeys, describeEvidence, short, verifyImage, type RefusalReason, type SignatureMaterial, type TrustedKey, type TrustPolicy } from '../signatures';
import { rel } from '../steps/state';
import { errText, faultOf, type BeforeCheck } from './check';

const FIX: Record<RefusalReason, (repo: string, digest: string) => string> = {
  unsigned: (r, d) => `Sign it in the build workflow (cosign sign ${r}@${d}) and check that the signing step completed.`,
  'digest-mismatch': (r, d) => `The signature belongs to another image: re-sign ${r}@${d}.`,
  'untrusted-key': (r, d) => `Sign ${r}@${d} with the trusted key, or add the signer's public key to signing.publicKeys if it is trusted.`,
  'identity-not-allowed': () => `If this signer is trusted, add an entry to signing.identities (issuer and subjectRegExp) in .gitops-deploy.yaml; otherwise sign with the release workflow.`,
  'untrusted-certificate': () => `The certificate was not issued by the trusted Fulcio: check signing.trustedRoot (a private Sigstore needs its trusted_root.json).`,
  'certificate-expired': (r, d) => `Re-sign ${r}@${d}: the signature was not logged while its certificate was valid.`,
  'no-timestamp': (r, d) => `Re-sign ${r}@${d} with the transparency log enabled (no --tlog-upload=false).`,
  'tlog-invalid': () => `The Rekor entry does not match the trusted log: check signing.trustedRoot.`,
  tampered: (r, d) => `The signature was altered or is malformed: re-sign ${r}@${d}.`,
  'no-trust-material': () => `Fix signing.trustedRoot (a Sigstore trusted_root.json).`,
};

/**
 * The trust policy of a configuration for an environment. `publicKeys` replaces the configured keys
 * (a follow subscription's `signedBy`; then no keyless identity applies).
 */
export async function trustPolicyFor(config: GitOpsConfig, env: EnvironmentConfig | undefined, readKey: (file: string) => Promise<string>, publicKeys?: readonly string[]): Promise<{ policy?: TrustPolicy; problem?: string }> {
  const signing = config.signing;
  const root = config.root;
  const keys: TrustedKey[] = [];
  const missing: string[] = [];
  for (const file of publicKeys ?? signing.publicKeys) {
    try {
      keys.push({ name: rel(root, file), pem: await readKey(file) });
    } catch {
      missing.push(rel(root, file));
    }
  }
  const { keys: good, problems } = checkKeys(keys);
  const identities = publicKeys ? [] : (env?.identities ?? signing.identities);
  let trustedRoot: unknown;
  let trustedRootName = 'Sigstore public-good root';
  if (signing.trustedRoot) {
    trustedRootName = rel(root, signing.trustedRoot);
    try {
      trustedRoot = JSON.parse(await readKey(signing.trustedRoot));
    } catch (err) {
      return { problem: `the trusted root ${trustedRootName} cannot be read (${errText(err)}). Point signing.trustedRoot at the Sigstore trusted_root.json of your deployment.` };
    }
  }
  if (good.length === 0 && identities.length === 0) {
    const why = [...missing.map((m) => `${m} does not exist`), ...problems].join('; ') || 'signing.publicKeys is empty';
    return { problem: `nothing to verify the signature with: no trusted public key (${why}) and no keyless identity (signing.identities). Add the cosign public key (cosign.pub) or the release workflow's identity in .gitops-deploy.yaml.` };
  }
  return { policy: { keys: good, identities, trustedRoot, trustedRootName } };
}

export const signature: BeforeCheck<'registry'> = {
  name: 'signature',
  phase: 'before',
  needs: ['registry'],
  async run({ run: s, tag, observed }, ctx) {
    const signing = s.settings.config.signing;
    if (signing.mode === 'off') return { status: 'skipped', detail: 'signing.mode is off' };
    const got = await observed.image();
    const digest = got.ok ? got.info?.digest : undefined;
    if (!digest) return { status: 'skipped', detail: 'no image digest to check the signature of' };
    const repo = s.target.serviceConfig.ecrRepository;
    let material: SignatureMaterial;
    try {
      const [bundles, classic] = await Promise.all([ctx.ports.registry.bundles(repo, digest, ctx.signal), ctx.ports.registry.signatures(repo, digest, ctx.signal)]);
      material = { bundles, classic };
    } catch (err) {
      return { status: 'failed', ...faultOf(err), detail: `cannot read the signatures of ${repo}@${short(digest)}: ${errText(err)}` };
    }
    if (signing.mode === 'exists') {
      const n = material.bundles.length + material.classic.length;
      if (n === 0) return { status: 'failed', detail: `${repo}:${tag} (${short(digest)}) is not signed: no Sigstore bundle among its referrers and no sha256-….sig tag. ${FIX.unsigned(repo, digest)}`, signatureRefusal: { reason: 'unsigned', message: 'no signature' } };
      return { status: 'passed', detail: `a signature exists (${material.bundles.length} bundle${material.bundles.length === 1 ? '' : 's'}, ${material.classic.length} classic layer${material.classic.length === 1 ? '' : 's'}; signing.mode "exists": not verified)` };
    }
    const { policy, problem } = await trustPolicyFor(s.settings.config, s.target.env, s.settings.readKey);
    if (!policy) return { status: 'failed', detail: problem, signatureRefusal: { reason: 'no-trust-material', message: problem ?? '' } };
    const verdict = await verifyImage(material, digest, policy);
    if (verdict.ok) return { status: 'passed', detail: describeEvidence(verdict.evidence), signature: verdict.evidence, learned: { signature: verdict.evidence } };
    const r = verdict.refusal;
    return { status: 'failed', detail: `signature of ${repo}:${tag} (${short(digest)}) rejected (${r.reason}${r.form ? `, ${r.form}` : ''}): ${r.message}. ${FIX[r.reason](repo, digest)}`, signatureRefusal: r };
  },
};
