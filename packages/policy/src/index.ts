export type {
  Action,
  Decision,
  KubeRequest,
  NonResourceAction,
  PolicyContext,
  ResourceAction,
  UnclassifiedAction,
  Verb,
} from './types.js';
