#!/usr/bin/env bash
# kafka-console-consumer.sh of the Kafka distribution: org.apache.kafka.tools.consumer.ConsoleConsumer.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
