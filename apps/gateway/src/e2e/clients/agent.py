"""What an agent's tool does with the official Kubernetes Python client (Debian python3-kubernetes).

Usage: agent.py KUBECONFIG OPERATION [ARGS...]; prints a JSON line: {"ok": ..., "output"|"error": ...}.
"""
import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.stream import stream


def main() -> None:
    kubeconfig, operation, *args = sys.argv[1:]
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    try:
        if operation == "list":
            pods = core.list_namespaced_pod(args[0])
            print(json.dumps({"ok": True, "output": [p.metadata.name for p in pods.items]}))
        elif operation == "exec":
            namespace, pod, *command = args
            output = stream(core.connect_get_namespaced_pod_exec, pod, namespace, command=command,
                            stderr=True, stdin=False, stdout=True, tty=False)
            print(json.dumps({"ok": True, "output": output}))
        elif operation == "delete-namespace":
            core.delete_namespace(args[0])
            print(json.dumps({"ok": True, "output": "deleted"}))
        else:
            raise SystemExit(f"unknown operation {operation}")
    except ApiException as error:
        # What an agent's tool would report: status, reason phrase and body as the client has them.
        print(json.dumps({"ok": False, "error": f"{error.status} {error.reason}", "body": error.body}))


main()
