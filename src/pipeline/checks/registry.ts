// Every check, in the order its results are listed. Adding a check: one file in this folder
// exporting a BeforeCheck or AfterCheck, and one line here (see docs/architecture.md).
import type { Check } from './check';
import { errorRate } from './errorRate';
import { finishBy } from './finishBy';
import { health } from './health';
import { imageExists } from './imageExists';
import { journal } from './journal';
import { lock } from './lock';
import { pods } from './pods';
import { previousEnvironment } from './previousEnvironment';
import { reason } from './reason';
import { resources } from './resources';
import { restarts } from './restarts';
import { rollout } from './rollout';
import { runningDigest } from './runningDigest';
import { signature } from './signature';
import { smoke } from './smoke';
import { window } from './window';
import { workingTree } from './workingTree';

export const CHECKS: readonly Check[] = [
  // before: pre-deployment
  imageExists,
  signature,
  previousEnvironment,
  window,
  finishBy,
  reason,
  workingTree,
  journal,
  lock,
  // rollout
  rollout,
  // after: verification
  pods,
  restarts,
  runningDigest,
  health,
  smoke,
  errorRate,
  resources,
];
