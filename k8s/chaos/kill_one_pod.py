"""Delete one random running pod labelled faultline.dev/chaos=true in this pod's namespace.

Runs in a service image (it has Python; nothing else is needed): standard library only, talking to the API
server with the pod's service account token. RBAC lets the account list and delete pods in this namespace, and
the ValidatingAdmissionPolicy next to it refuses any delete by this account of a pod without the chaos label.
"""
import json
import os
import random
import ssl
import urllib.parse
import urllib.request

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
SELECTOR = os.environ.get("CHAOS_SELECTOR", "faultline.dev/chaos=true")


def api(method: str, path: str) -> dict:
    with open(f"{ACCOUNT}/token") as token_file:
        token = token_file.read().strip()
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ["KUBERNETES_SERVICE_PORT"]
    request = urllib.request.Request(f"https://{host}:{port}{path}", method=method,
                                     headers={"Authorization": f"Bearer {token}"})
    context = ssl.create_default_context(cafile=f"{ACCOUNT}/ca.crt")
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return json.load(response)


def main() -> None:
    with open(f"{ACCOUNT}/namespace") as namespace_file:
        namespace = namespace_file.read().strip()
    query = urllib.parse.urlencode({"labelSelector": SELECTOR, "fieldSelector": "status.phase=Running"})
    pods = api("GET", f"/api/v1/namespaces/{namespace}/pods?{query}")["items"]
    if not pods:
        print(f"no running pod matches {SELECTOR} in {namespace}")
        return
    victim = random.choice(pods)["metadata"]["name"]
    api("DELETE", f"/api/v1/namespaces/{namespace}/pods/{victim}")
    print(f"deleted pod {victim} ({len(pods)} candidates)")


if __name__ == "__main__":
    main()
