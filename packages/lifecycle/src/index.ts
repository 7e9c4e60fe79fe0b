export { type Clock, systemClock } from './clock.js';
export {
  claimedFact,
  deniedFact,
  expiredFact,
  grantWaitingFact,
  isoTime,
  lapsedFact,
  type RunFacts,
  requesterGoneFact,
  runFact,
  sendingFact,
  sentFact,
  staleFact,
  type Time,
} from './facts.js';
