"""A real single-node Kubernetes on this machine, without Docker: etcd, the control plane, containerd, kubelet,
kube-proxy, CoreDNS, a storage provisioner and a NetworkPolicy enforcer, under one supervisord."""
