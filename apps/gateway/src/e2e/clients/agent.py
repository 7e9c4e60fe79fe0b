"""What an agent's tool does with the official Kubernetes Python client (Debian python3-kubernetes).

Usage: agent.py KUBECONFIG OPERATION [ARGS...]; a stream prints {"item": ...} lines as they arrive,
and every operation ends with one answer line: {"ok": ..., "output"|"error": ...}.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException
from kubernetes.stream import portforward, stream


def say(answer) -> None:
    print(json.dumps(answer), flush=True)


def main() -> None:
    kubeconfig, operation, *args = sys.argv[1:]
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    try:
        if operation == "list":
            pods = core.list_namespaced_pod(args[0])
            say({"ok": True, "output": [p.metadata.name for p in pods.items]})
        elif operation == "watch":
            # Prints each event as it arrives; answers once the named pod has been ADDED.
            namespace, stop_after = args
            for event in watch.Watch().stream(core.list_namespaced_pod, namespace):
                name = event["object"].metadata.name
                say({"item": f"{event['type']} {name}"})
                if event["type"] == "ADDED" and name == stop_after:
                    break
            say({"ok": True})
        elif operation == "logs-follow":
            namespace, pod = args
            response = core.read_namespaced_pod_log(pod, namespace, follow=True, _preload_content=False)
            for chunk in response.stream():
                say({"item": chunk.decode()})
            say({"ok": True})
        elif operation == "exec":
            namespace, pod, *command = args
            output = stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=command,
                            stderr=True, stdin=False, stdout=True, tty=False)
            say({"ok": True, "output": output})
        elif operation == "port-forward":
            # One HTTP/1.0 request through the forwarded port; the pod's answer ends the connection.
            namespace, pod, port, path = args
            forward = portforward(core.connect_get_namespaced_pod_portforward, pod, namespace, ports=port)
            sock = forward.socket(int(port))
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: pod\r\n\r\n".encode())
            received = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                received += data
            sock.close()
            error = forward.error(int(port))
            say({"ok": error is None, "output": received.decode(), "error": error})
        elif operation == "delete-namespace":
            core.delete_namespace(args[0])
            say({"ok": True, "output": "deleted"})
        else:
            raise SystemExit(f"unknown operation {operation}")
    except ApiException as error:
        # What an agent's tool would report: status, reason phrase and body as the client has them.
        say({"ok": False, "error": f"{error.status} {error.reason}", "body": error.body})


main()
