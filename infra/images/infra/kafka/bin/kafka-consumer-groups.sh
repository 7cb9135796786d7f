#!/usr/bin/env bash
# kafka-consumer-groups.sh of the Kafka distribution: org.apache.kafka.tools.consumer.group.ConsumerGroupCommand.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
