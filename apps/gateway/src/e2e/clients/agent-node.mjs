// What an agent's tool does with @kubernetes/client-node, in its own process as an agent runs it
// (vitest's module interop breaks the library's WebSocket import in-process).
// Usage: agent-node.mjs KUBECONFIG OPERATION ARGS...; a stream prints {"item": …} lines as they
// arrive, and every operation ends with one answer line {"ok": …}.
import { PassThrough } from 'node:stream';
import { CoreV1Api, Exec, KubeConfig, Log, PortForward, Watch } from '@kubernetes/client-node';

const [kubeconfig, operation, ...args] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const item = (value) => process.stdout.write(`${JSON.stringify({ item: value })}\n`);
const done = (answer) => {
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  process.exit(0);
};
const failed = (error) => done({ ok: false, error: String(error?.message ?? error) });
/** Collects what a stream printed. */
const collector = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk;
  });
  return { stream, text: () => text };
};

if (operation === 'list') {
  kc.makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: args[0] })
    .then((pods) => done({ ok: true, output: pods.items.map((p) => p.metadata.name) }), failed);
} else if (operation === 'delete-namespace') {
  kc.makeApiClient(CoreV1Api)
    .deleteNamespace({ name: args[0] })
    .then(
      () => done({ ok: true, output: 'deleted' }),
      // ApiException: what an agent's tool would report, the code and the body as the library has them.
      (error) =>
        done({ ok: false, error: `${error.code} ${error.message.split('\n')[0]}`, body: error.body }),
    );
} else if (operation === 'exec') {
  const [namespace, pod, ...command] = args;
  const stdout = collector();
  new Exec(kc)
    .exec(namespace, pod, 'app', command, stdout.stream, null, null, false, (status) =>
      // The status arrives on channel 3 after the output channel's frames.
      setImmediate(() => done({ ok: status?.status === 'Success', output: stdout.text(), status })),
    )
    .catch(failed);
} else if (operation === 'watch') {
  // Prints each event as it arrives; answers once the named pod has been ADDED.
  const [namespace, stopAfter] = args;
  new Watch(kc)
    .watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (type, object) => {
        item(`${type} ${object.metadata.name}`);
        if (type === 'ADDED' && object.metadata.name === stopAfter) done({ ok: true });
      },
      (error) => (error ? failed(error) : done({ ok: true, ended: true })),
    )
    .catch(failed);
} else if (operation === 'logs-follow') {
  const [namespace, pod] = args;
  const stream = new PassThrough();
  stream.on('data', (chunk) => item(String(chunk)));
  stream.on('end', () => done({ ok: true }));
  new Log(kc).log(namespace, pod, 'app', stream, { follow: true }).catch(failed);
} else if (operation === 'port-forward') {
  // One HTTP/1.0 request through the forwarded port; the pod's answer ends the connection.
  const [namespace, pod, port, path] = args;
  const output = collector();
  const errors = collector();
  const input = new PassThrough();
  new PortForward(kc)
    .portForward(namespace, pod, [Number(port)], output.stream, errors.stream, input)
    .then((ws) => {
      ws.on('close', () => done({ ok: errors.text() === '', output: output.text(), error: errors.text() }));
      input.write(`GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`);
    })
    .catch(failed);
} else failed(`unknown operation ${operation}`);
