// One cold "10,000 records → insights" in this process (bundled and run by bench-insights.ts in a
// fresh node process each time): read + parse every record of the repository, compute the DORA
// measures for 12 months, and make the message the Insights tab receives. Prints one JSON line.
import * as path from 'node:path';
import { computeInsights } from '../src/pipeline/model/dora';
import { readRecords } from '../src/pipeline/model/records';
import type { ExtensionToWebview } from '../src/providers/recordsProtocol';

const DAY = 86_400_000;
const [dir, untilIso, envList] = process.argv.slice(2);
const envs = envList.split(',');
const until = new Date(untilIso);

void (async () => {
  const t0 = performance.now();
  const { records, problems } = await readRecords(envs.map((e) => path.join(dir, 'docs/deployments', e)));
  const t1 = performance.now();
  const insights = computeInsights(records, { since: new Date(until.getTime() - 365 * DAY), until, environmentOrder: envs });
  const t2 = performance.now();
  const payload = JSON.stringify({ type: 'insights', requestId: 1, insights } satisfies ExtensionToWebview);
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ records: records.length, problems: problems.length, processStartToMainMs: t0, readMs: t1 - t0, computeMs: t2 - t1, payloadMs: t3 - t2, totalMs: t3 - t0, bytes: payload.length }) + '\n');
})();
