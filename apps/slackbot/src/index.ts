export {
  createSlackbot,
  EVENTS_PATH,
  type Slackbot,
  type SlackbotOptions,
  type SlackSecrets,
} from './app.js';
export {
  InvalidOptionsError,
  MalformedSecretError,
  MissingSecretError,
  NotConfiguredError,
  SlackbotError,
  SlackbotErrorCode,
  SlackPostFailedError,
} from './errors.js';
export { ActionId, BlockId, DENY_REASON_INPUT, METADATA_EVENT_TYPE, ViewId } from './ids.js';
export type { ApprovalsPort, AuditTrailPort, TrailEntry } from './ports.js';
