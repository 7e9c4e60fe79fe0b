export { type Clock, systemClock } from './clock.js';
export {
  grantWaitingFact,
  isoTime,
  lapsedFact,
  type RunFacts,
  requesterGoneFact,
  runFact,
  sendingFact,
  sentFact,
  type Time,
} from './facts.js';
