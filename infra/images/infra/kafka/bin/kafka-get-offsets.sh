#!/usr/bin/env bash
# kafka-get-offsets.sh of the Kafka distribution: org.apache.kafka.tools.GetOffsetShell.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.GetOffsetShell "$@"
