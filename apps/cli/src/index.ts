export { CliErrorCode } from './errors.js';
export { type ReplayReport, replay } from './policy/replay.js';
export { type CliIo, type ExitCode, runCli, USAGE } from './run.js';
