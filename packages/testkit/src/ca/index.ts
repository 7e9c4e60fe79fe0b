export type { ClientCertOptions, IssuedCert, ServerCertOptions, TestCa } from './certs.js';
export { createTestCa, issueClientCert, issueServerCert, sharedTestCa } from './certs.js';
export type { KubeconfigCredentials, KubeconfigOptions, WrittenKubeconfig } from './kubeconfig.js';
export { writeKubeconfig } from './kubeconfig.js';
