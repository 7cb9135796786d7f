"""What the cluster runs on itself once the API server answers: RBAC for the administrator's kubeconfig, CoreDNS,
and the storage provisioner's namespace, configuration and default StorageClass. Plain objects, applied with
`kubectl apply --server-side`."""

from __future__ import annotations

import json
from typing import Any

from faultline_ops.cluster.configs import corefile
from faultline_ops.cluster.layout import DNS_SERVICE_IP, SANDBOX_IMAGE, STORAGE_CLASS, ClusterSettings
from faultline_ops.cluster.programs import (PROVISIONER_NAME, STORAGE_CONFIGMAP, STORAGE_NAMESPACE,
                                            STORAGE_SERVICE_ACCOUNT, helper_image)

COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.4"


def admin_binding() -> list[dict[str, Any]]:
    """kubeadm's admin.conf is in group kubeadm:cluster-admins, which `kubeadm init` binds to cluster-admin."""
    return [{
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "kubeadm:cluster-admins"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "kubeadm:cluster-admins"}],
    }]


def coredns() -> list[dict[str, Any]]:
    labels = {"k8s-app": "kube-dns"}
    meta = {"namespace": "kube-system", "labels": labels}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:coredns"},
         "rules": [{"apiGroups": [""], "resources": ["endpoints", "services", "pods", "namespaces"],
                    "verbs": ["list", "watch"]},
                   {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": {"name": "system:coredns"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:coredns"},
         "subjects": [{"kind": "ServiceAccount", "name": "coredns", "namespace": "kube-system"}]},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": corefile()}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "coredns", **meta},
         "spec": {
             "replicas": 1,
             "selector": {"matchLabels": labels},
             "template": {"metadata": {"labels": labels}, "spec": {
                 "serviceAccountName": "coredns",
                 "priorityClassName": "system-cluster-critical",
                 "dnsPolicy": "Default",
                 "containers": [{
                     "name": "coredns", "image": COREDNS_IMAGE, "imagePullPolicy": "IfNotPresent",
                     "args": ["-conf", "/etc/coredns/Corefile"],
                     "ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"},
                               {"name": "dns-tcp", "containerPort": 53, "protocol": "TCP"}],
                     "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181}, "periodSeconds": 2},
                     "livenessProbe": {"httpGet": {"path": "/health", "port": 8080}, "periodSeconds": 10},
                     "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "128Mi"}},
                     "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                         "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
                     "volumeMounts": [{"name": "config", "mountPath": "/etc/coredns", "readOnly": True}],
                 }],
                 "volumes": [{"name": "config", "configMap": {"name": "coredns"}}],
             }},
         }},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "kube-dns", **meta},
         "spec": {"clusterIP": DNS_SERVICE_IP, "selector": labels,
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP"},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]}},
    ]


def storage(cluster: ClusterSettings) -> list[dict[str, Any]]:
    """kind's `standard` class (rancher.io/local-path, WaitForFirstConsumer, Delete), default for PVCs."""
    config = {"nodePathMap": [{"node": "DEFAULT_PATH_FOR_NON_LISTED_NODES", "paths": [str(cluster.volumes)]}]}
    helper_pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "helper-pod"},
        "spec": {"priorityClassName": "system-node-critical",
                 "containers": [{"name": "helper-pod", "image": helper_image(), "imagePullPolicy": "IfNotPresent"}]},
    }
    namespace_meta = {"name": STORAGE_NAMESPACE}
    return [
        # Helper pods mount a host folder: the namespace is privileged, as local-path-provisioner's own is on kind.
        {"apiVersion": "v1", "kind": "Namespace",
         "metadata": {**namespace_meta, "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
        {"apiVersion": "v1", "kind": "ServiceAccount",
         "metadata": {"name": STORAGE_SERVICE_ACCOUNT, "namespace": STORAGE_NAMESPACE}},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": STORAGE_CONFIGMAP, "namespace": STORAGE_NAMESPACE},
         "data": {
             "config.json": json.dumps(config, indent=2),
             "setup": '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
             "teardown": '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
             "helperPod.yaml": json.dumps(helper_pod, indent=2),
         }},
        {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
         "metadata": {"name": STORAGE_CLASS,
                      "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
         "provisioner": PROVISIONER_NAME, "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete"},
    ]


def node_images() -> list[str]:
    """What the node itself runs from images: pod sandboxes, CoreDNS, the storage helper pods."""
    return [SANDBOX_IMAGE, COREDNS_IMAGE, helper_image()]


def manifests(cluster: ClusterSettings) -> list[dict[str, Any]]:
    return [*coredns(), *storage(cluster)]
