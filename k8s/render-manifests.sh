#!/usr/bin/env bash
# Renders k8s/manifests/faultline.yaml from the chart with its default values, for `kubectl apply -k k8s/manifests`
# without Helm. tests/deploy fails when this file and the chart drift apart: rerun this after changing the chart.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELM="${HELM:-$(command -v helm || echo "${FAULTLINE_CACHE:-$HOME/.cache/faultline}/bin/helm")}"
{
  echo "# Rendered by k8s/render-manifests.sh from charts/faultline with default values: do not edit by hand."
  "$HELM" template faultline "$ROOT/charts/faultline" --namespace faultline --kube-version 1.34.0
} >"$ROOT/k8s/manifests/faultline.yaml"
echo "wrote k8s/manifests/faultline.yaml"
