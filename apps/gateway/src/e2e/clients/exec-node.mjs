// An agent's exec with @kubernetes/client-node, in its own process as an agent runs it (vitest's
// module interop breaks the library's WebSocket import in-process).
// Usage: exec-node.mjs KUBECONFIG NAMESPACE POD COMMAND...; prints one JSON line.
import { PassThrough } from 'node:stream';
import { Exec, KubeConfig } from '@kubernetes/client-node';

const [kubeconfig, namespace, pod, ...command] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const stdout = new PassThrough();
let printed = '';
stdout.on('data', (chunk) => {
  printed += chunk;
});
const done = (answer) => {
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  process.exit(0);
};
new Exec(kc)
  .exec(namespace, pod, 'app', command, stdout, null, null, false, (status) =>
    // The status arrives on channel 3 after the output channel's frames.
    setImmediate(() => done({ stdout: printed, status })),
  )
  .catch((error) => done({ stdout: printed, error: String(error?.message ?? error) }));
