#!/usr/bin/env bash
# kafka-cluster.sh of the Kafka distribution: org.apache.kafka.tools.ClusterTool.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.ClusterTool "$@"
