#!/usr/bin/env bash
# kafka-broker-api-versions.sh of the Kafka distribution: org.apache.kafka.tools.BrokerApiVersionsCommand.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
