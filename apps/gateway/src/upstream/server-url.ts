import { InvalidServerUrlError } from './errors.js';

/** The cluster's API server URL; a path prefix (e.g. Rancher's /k8s/clusters/x) is kept. */
export function parseServerUrl(cluster: string, server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new InvalidServerUrlError(cluster, server);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidServerUrlError(cluster, server);
  return url;
}
