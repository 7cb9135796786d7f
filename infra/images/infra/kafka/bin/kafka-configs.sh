#!/usr/bin/env bash
# kafka-configs.sh of the Kafka distribution: kafka.admin.ConfigCommand.
exec "$(dirname "${BASH_SOURCE[0]}")/kafka-run-class.sh" kafka.admin.ConfigCommand "$@"
