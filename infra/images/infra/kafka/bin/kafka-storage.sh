#!/usr/bin/env bash
# kafka-storage.sh of the Kafka distribution: kafka.tools.StorageTool.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.tools.StorageTool "$@"
