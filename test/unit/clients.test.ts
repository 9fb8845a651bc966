import { strict as assert } from 'node:assert';
import { parseActuatorHealth } from '../../src/clients/actuator';
import { cosignLayersOf, signatureTag } from '../../src/clients/ecr';
import { classifyPushFailure, parsePorcelainZ } from '../../src/clients/git';
import { kubeError } from '../../src/clients/kubernetes';
import { describeAppStatus, joinPodUsage, newestReplicaSetHash, toAppStatus, toPodStatus } from '../../src/clients/kubeMap';
import { parseQueryResponse, parseSampleValue } from '../../src/clients/prometheus';
import { cpuMillicores, memoryBytes, parseQuantity } from '../../src/clients/quantity';
import { redactUrls, safeUrl } from '../../src/clients/util';
import { webhookBody } from '../../src/clients/webhook';

describe('clients: quantities', () => {
  it('parses CPU in cores, millicores and nanocores', () => {
    assert.equal(cpuMillicores('250m'), 250);
    assert.equal(cpuMillicores('1'), 1000);
    assert.equal(cpuMillicores('1.5'), 1500);
    assert.equal(cpuMillicores('0.1'), 100);
    assert.equal(cpuMillicores('123456789n'), 123.457);
    assert.equal(cpuMillicores('500u'), 0.5);
  });
  it('parses memory in binary and decimal units', () => {
    assert.equal(memoryBytes('128Mi'), 128 * 1024 * 1024);
    assert.equal(memoryBytes('1Gi'), 1024 ** 3);
    assert.equal(memoryBytes('300Ki'), 300 * 1024);
    assert.equal(memoryBytes('2G'), 2e9);
    assert.equal(memoryBytes('500M'), 5e8);
    assert.equal(memoryBytes('1k'), 1000);
    assert.equal(memoryBytes('1e3'), 1000);
    assert.equal(memoryBytes('1048576'), 1048576);
  });
  it('refuses what is not a quantity', () => {
    assert.equal(parseQuantity('abc'), undefined);
    assert.equal(parseQuantity('12Mb'), undefined);
    assert.equal(parseQuantity(''), undefined);
    assert.equal(parseQuantity(undefined), undefined);
  });
});

describe('clients: actuator health', () => {
  it('reads UP with all components UP', () => {
    const h = parseActuatorHealth('{"status":"UP","components":{"db":{"status":"UP"},"diskSpace":{"status":"UP"}}}');
    assert.deepEqual(h, { status: 'UP', downComponents: [] });
  });
  it('names components that are not UP, nested ones by path', () => {
    const h = parseActuatorHealth(
      JSON.stringify({
        status: 'DOWN',
        components: {
          db: { status: 'DOWN', details: { error: 'Connection refused' } },
          diskSpace: { status: 'UP' },
          broker: { status: 'OUT_OF_SERVICE', components: { kafka: { status: 'OUT_OF_SERVICE' }, rabbit: { status: 'UP' } } },
          composite: { status: 'DOWN', components: { a: { status: 'UP' } } },
        },
      }),
    );
    assert.equal(h.status, 'DOWN');
    assert.deepEqual(h.downComponents, ['db', 'broker.kafka', 'composite']);
  });
  it('tolerates a body that is not JSON', () => {
    assert.deepEqual(parseActuatorHealth('upstream connect error'), { downComponents: [] });
    assert.deepEqual(parseActuatorHealth('[1,2]'), { downComponents: [] });
  });
});

describe('clients: git push rejection', () => {
  it('recognises non-fast-forward rejections', () => {
    const fetchFirst = [
      'To /tmp/origin.git',
      ' ! [rejected]        HEAD -> main (fetch first)',
      "error: failed to push some refs to '/tmp/origin.git'",
      'hint: Updates were rejected because the remote contains work that you do not',
    ].join('\n');
    assert.equal(classifyPushFailure(fetchFirst), 'non-fast-forward');
    assert.equal(classifyPushFailure(' ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs'), 'non-fast-forward');
    // two pushes at the same instant (seen in the two-services race): the server's ref moved under the update
    const lockRace = "remote: error: cannot lock ref 'refs/heads/main': is at 017f05b1a2810f2ee3c18df88ce15bdc8e0e5154 but expected 8b2d33027eb5591be013a301cc6ace37ad8ee759\n!\t8b2d330:refs/heads/main\t[remote rejected] (failed to update ref)";
    assert.equal(classifyPushFailure(lockRace), 'non-fast-forward');
  });
  it('treats hook refusals, auth and network failures as other', () => {
    assert.equal(classifyPushFailure(' ! [remote rejected] HEAD -> main (protected branch hook declined)\nerror: failed to push some refs'), 'protected');
    assert.equal(classifyPushFailure('remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: Changes must be made through a pull request.\n ! [remote rejected] main -> main (pre-receive hook declined)'), 'protected');
    assert.equal(classifyPushFailure('remote: error: GH013: Repository rule violations found for refs/heads/main.\n ! [remote rejected] main -> main (push declined due to repository rule violations)'), 'protected');
    assert.equal(classifyPushFailure(' ! [remote rejected] main -> main (pre-receive hook declined)'), 'other');
    assert.equal(classifyPushFailure("fatal: Authentication failed for 'https://github.com/acme/gitops.git/'"), 'other');
    assert.equal(classifyPushFailure("fatal: unable to access 'https://github.com/acme/gitops.git/': Could not resolve host: github.com"), 'other');
  });
  it('parses porcelain -z status with renames', () => {
    assert.deepEqual(parsePorcelainZ(' M a.yaml\0R  new.txt\0old.txt\0?? dir/x\0'), ['a.yaml', 'new.txt', 'old.txt', 'dir/x']);
    assert.deepEqual(parsePorcelainZ(''), []);
  });
});

describe('clients: Prometheus answers', () => {
  const q = 'sum(rate(x[5m]))';
  it('reads the first sample of a vector', () => {
    assert.equal(parseQueryResponse(q, 200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1700000000.1,"0.02"]}]}}'), 0.02);
  });
  it('reads scalars, empty vectors and NaN', () => {
    assert.equal(parseQueryResponse(q, 200, '{"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}}'), 3);
    assert.equal(parseQueryResponse(q, 200, '{"status":"success","data":{"resultType":"vector","result":[]}}'), undefined);
    assert.equal(parseQueryResponse(q, 200, '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}'), undefined);
    assert.equal(parseSampleValue('+Inf'), Infinity);
  });
  it('throws with the query and the error text', () => {
    assert.throws(
      () => parseQueryResponse(q, 400, '{"status":"error","errorType":"bad_data","error":"parse error at char 5"}'),
      (e: Error) => e.message.includes('parse error at char 5') && e.message.includes(q) && e.message.includes('bad_data'),
    );
    assert.throws(() => parseQueryResponse(q, 502, '<html>Bad gateway</html>'), (e: Error) => e.message.includes('HTTP 502') && e.message.includes(q));
  });
});

describe('clients: Kubernetes mappings', () => {
  it('maps an Argo CD Application', () => {
    const s = toAppStatus({
      metadata: { name: 'accounts-dev', resourceVersion: '42', annotations: { 'argocd.argoproj.io/refresh': 'hard' } },
      operation: { sync: { revision: 'abc' } },
      status: {
        sync: { status: 'OutOfSync', revisions: ['def'] },
        health: { status: 'Progressing', message: 'waiting for rollout' },
        operationState: { phase: 'Running', message: 'syncing', syncResult: { revision: 'abc' }, finishedAt: '2026-01-01T00:00:00Z' },
        reconciledAt: '2026-01-01T00:00:01Z',
        conditions: [{ type: 'ComparisonError', message: 'boom' }],
      },
    });
    assert.equal(s.syncStatus, 'OutOfSync');
    assert.equal(s.syncRevision, 'def');
    assert.equal(s.operationRevision, 'abc');
    assert.equal(s.hasOperation, true);
    assert.equal(s.refreshAnnotation, 'hard');
    assert.equal(s.resourceVersion, '42');
    assert.match(describeAppStatus(s), /sync OutOfSync @def, health Progressing \(waiting for rollout\), operation Running @abc \(syncing\).*ComparisonError: boom/);
  });
  it('maps a crash-looping pod', () => {
    const p = toPodStatus({
      metadata: { name: 'a-1', labels: { app: 'a', 'pod-template-hash': 'h1' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'a-h1' }] },
      spec: { containers: [{ image: 'img:1' }, { image: 'side:1' }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [
          { restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } },
          { restartCount: 1, state: { running: {} } },
        ],
      },
    });
    assert.equal(p.restarts, 4);
    assert.equal(p.ready, false);
    assert.equal(p.waitingReason, 'CrashLoopBackOff');
    assert.equal(p.podTemplateHash, 'h1');
    assert.equal(p.ownerReplicaSet, 'a-h1');
    assert.deepEqual(p.images, ['img:1', 'side:1']);
  });
  it('picks the newest ReplicaSet owned by the Deployment', () => {
    const rs = (name: string, rev: string, hash: string, owner = 'd') => ({
      metadata: { name, annotations: { 'deployment.kubernetes.io/revision': rev }, labels: { 'pod-template-hash': hash }, ownerReferences: [{ kind: 'Deployment', name: owner }] },
    });
    assert.equal(newestReplicaSetHash([rs('d-1', '2', 'h2'), rs('d-2', '10', 'h10'), rs('x-1', '99', 'hx', 'x'), rs('d-3', '9', 'h9')], 'd'), 'h10');
    assert.equal(newestReplicaSetHash([], 'd'), undefined);
  });
  it('joins pod metrics with limits', () => {
    const pods = [
      { metadata: { name: 'p1' }, spec: { containers: [{ resources: { limits: { cpu: '500m', memory: '512Mi' } } }] } },
      { metadata: { name: 'p2' }, spec: { containers: [{ resources: { limits: { cpu: '1' } } }, { resources: {} }] } },
      { metadata: { name: 'p3' }, spec: { containers: [{}] } },
    ];
    const metrics = [
      { metadata: { name: 'p1' }, containers: [{ usage: { cpu: '120000000n', memory: '300Mi' } }] },
      { metadata: { name: 'p2' }, containers: [{ usage: { cpu: '100m', memory: '1Ki' } }, { usage: { cpu: '5m', memory: '1Ki' } }] },
    ];
    assert.deepEqual(joinPodUsage(pods, metrics), [
      { pod: 'p1', cpuMillicores: 120, memoryBytes: 300 * 1024 * 1024, cpuLimitMillicores: 500, memoryLimitBytes: 512 * 1024 * 1024 },
      { pod: 'p2', cpuMillicores: 105, memoryBytes: 2048, cpuLimitMillicores: undefined, memoryLimitBytes: undefined },
    ]);
  });
  it('turns API errors into clear messages', () => {
    const e = kubeError(
      { code: 404, body: JSON.stringify({ kind: 'Status', message: 'deployments.apps "x" not found', code: 404 }) },
      { what: 'deployments.apps "x"', namespace: 'default', hint: 'services.x.deployment' },
    );
    assert.equal(e.message, 'Kubernetes API: deployments.apps "x" not found in namespace "default" (404) — check services.x.deployment');
    const net = kubeError(new Error('request to https://k8s:6443/api failed, reason: connect ECONNREFUSED'), { what: 'pods', server: 'https://user:secret@k8s:6443' });
    assert.doesNotMatch(net.message, /secret/);
  });
});

describe('clients: small helpers', () => {
  it('builds cosign signature tags and reads signature manifests', () => {
    assert.equal(signatureTag('sha256:ABCDEF0123'), 'sha256-abcdef0123.sig');
    assert.throws(() => signatureTag('latest'));
    const layers = cosignLayersOf(
      JSON.stringify({
        schemaVersion: 2,
        layers: [
          { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: 'sha256:aa', size: 10, annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' } },
          { mediaType: 'application/octet-stream', digest: 'sha256:bb' },
        ],
      }),
    );
    assert.deepEqual(layers, [{ digest: 'sha256:aa', mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' } }]);
  });
  it('strips credentials from URLs', () => {
    assert.equal(redactUrls("fatal: unable to access 'https://x-access-token:ghs_abc@github.com/acme/gitops.git/'"), "fatal: unable to access 'https://github.com/acme/gitops.git/'");
    assert.equal(safeUrl('https://bucket.s3.amazonaws.com/layer?X-Amz-Signature=abc'), 'https://bucket.s3.amazonaws.com/layer?…');
  });
  it('builds a Slack-compatible webhook body', () => {
    const b = webhookBody({ kind: 'rolled-back', service: 'accounts', environment: 'prod', tag: '1.6.0', previousTag: '1.5.0', message: 'health DOWN (db) <x>', recordPath: 'docs/deployments/prod/r.md' });
    assert.match(b.text, /Rolled back accounts 1\.6\.0 to prod \(previous 1\.5\.0\): health DOWN/);
    assert.ok(JSON.stringify(b.blocks).includes('&lt;x&gt;'));
    assert.ok(JSON.stringify(b.blocks).includes('docs/deployments/prod/r.md'));
  });
});
