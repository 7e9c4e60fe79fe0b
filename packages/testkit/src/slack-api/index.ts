export { blockLimitProblems } from './block-limits.js';
export {
  type BlockActionsOptions,
  blockActionsPayload,
  type Clicker,
  interactiveBody,
  type SlashCommandOptions,
  slashCommandBody,
  type ViewSubmissionOptions,
  viewSubmissionPayload,
} from './payloads.js';
export {
  type RecordedCall,
  type ScriptedFailure,
  type SlackApiFake,
  type SlackApiOptions,
  startSlackApi,
} from './server.js';
export {
  type PostedResponse,
  postToSlackApp,
  type SignOptions,
  signedHeaders,
  slackSignature,
} from './signing.js';
export type { FakeEphemeral, FakeMessage, FakeResponse, FakeUser, FakeView } from './workspace.js';
