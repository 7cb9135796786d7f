// etcd for the local Kubernetes cluster: the upstream server entry point, built from the Go module proxy
// (etcd's own main package is not `go install`able at a tagged version).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
