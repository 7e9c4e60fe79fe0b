export { type Clock, systemClock } from './clock.js';
export {
  type ApprovalState,
  claimedFact,
  deniedFact,
  expiredFact,
  grantWaitingFact,
  isoTime,
  lapsedFact,
  notSentFact,
  type RunFacts,
  requesterGoneFact,
  runFact,
  sendingFact,
  sentFact,
  type Time,
  type Unanswered,
  unansweredFact,
} from './facts.js';
export { ManualClock } from './manual-clock.js';
