#!/usr/bin/env bash
# kafka-metadata-quorum.sh of the Kafka distribution: org.apache.kafka.tools.MetadataQuorumCommand.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.MetadataQuorumCommand "$@"
