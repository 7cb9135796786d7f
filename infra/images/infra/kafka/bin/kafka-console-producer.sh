#!/usr/bin/env bash
# kafka-console-producer.sh of the Kafka distribution: org.apache.kafka.tools.ConsoleProducer.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.ConsoleProducer "$@"
