import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@gatehouse/testkit/processes';
import { type Service, startProgram } from './processes.js';

/**
 * The second pass-through baseline: Debian's nginx as a TLS-in, TLS-out reverse proxy to the same
 * upstream, so the report shows how far Node itself (the bare proxy) is from the floor. One process
 * (`master_process off`, one worker's work) like the Node proxies, on a loopback port with a
 * throwaway config, logs off like the bare proxy; as root it runs as `nobody`.
 */

export const NGINX = '/usr/sbin/nginx';

/** Installs Debian's nginx when it is missing (the bench's only system dependency besides Redis). */
function ensureNginx(): void {
  if (existsSync(NGINX)) return;
  process.stdout.write('  nginx missing: apt-get install nginx-light\n');
  execFileSync('apt-get', ['install', '-y', '-qq', 'nginx-light'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

export interface NginxTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Its log, config and (under BENCH_CALLGRIND=1) callgrind output stay in its own directory. */
export async function startNginx(
  tls: NginxTls,
  upstreamPort: number,
): Promise<{ service: Service; origin: string }> {
  ensureNginx();
  // Its own directory: the bench's is private to this user, and nginx may run as another.
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-nginx-'));
  // Its own copies of the TLS files, readable by the user it runs as.
  for (const name of ['ca', 'cert', 'key'] as const) copyFileSync(tls[name], join(dir, `${name}.pem`));
  const asRoot = process.getuid?.() === 0;
  const nobody = 65534;
  if (asRoot) {
    for (const name of ['', 'ca.pem', 'cert.pem', 'key.pem']) chownSync(join(dir, name), nobody, nobody);
  }
  const port = await freePort();
  const temp = (name: string) => `${name}_temp_path ${join(dir, `${name}-temp`)};`;
  const config = `
daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  upstream bench_upstream {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${join(dir, 'cert.pem')};
    ssl_certificate_key ${join(dir, 'key.pem')};
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    location / {
      proxy_pass https://bench_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate ${join(dir, 'ca.pem')};
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
      proxy_buffering off;
    }
  }
}
`;
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  if (asRoot) chownSync(configPath, nobody, nobody);
  const service = await startProgram('nginx', NGINX, {
    args: ['-p', `${dir}/`, '-e', join(dir, 'error.log'), '-c', configPath],
    env: {},
    logDir: dir,
    ready: { port },
    measured: true,
    ...(asRoot && { user: { uid: nobody, gid: nobody } }),
  });
  const stop = async () => {
    await service.stop();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  };
  return { service: { ...service, stop }, origin: `https://127.0.0.1:${port}` };
}
