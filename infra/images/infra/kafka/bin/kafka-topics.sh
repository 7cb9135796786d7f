#!/usr/bin/env bash
# kafka-topics.sh of the Kafka distribution: org.apache.kafka.tools.TopicCommand.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.TopicCommand "$@"
