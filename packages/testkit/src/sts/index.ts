export { type DecodedEksToken, decodeEksToken, verifyEksTokenSignature } from './eks-token.js';
export {
  type AssumeRoleCall,
  type FakeSts,
  type FakeStsOptions,
  type IssuedCredentials,
  type StsFailure,
  startFakeSts,
} from './server.js';
