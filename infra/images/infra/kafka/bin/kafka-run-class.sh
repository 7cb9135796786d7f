#!/usr/bin/env bash
# Runs a Java class on /opt/kafka/libs with the environment the Kafka distribution's scripts read:
# KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_GC_LOG_OPTS, KAFKA_JMX_OPTS (+ JMX_PORT), KAFKA_LOG4J_OPTS,
# KAFKA_OPTS, LOG_DIR, CLASSPATH (prepended). Usage: kafka-run-class.sh CLASS [ARG...]
set -o errexit -o pipefail
base_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $# -ge 1 ]] || { echo "USAGE: $0 classname [opts]" >&2; exit 1; }

classpath="$base_dir/libs/*"
[[ -n "${CLASSPATH:-}" ]] && classpath="$CLASSPATH:$classpath"
log_dir="${LOG_DIR:-$base_dir/logs}"
mkdir -p "$log_dir" 2>/dev/null || true

heap_opts="${KAFKA_HEAP_OPTS:--Xmx256M}"
performance_opts="${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}"
jmx_opts="${KAFKA_JMX_OPTS:--Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.authenticate=false -Dcom.sun.management.jmxremote.ssl=false}"
[[ -n "${JMX_PORT:-}" ]] && jmx_opts="$jmx_opts -Dcom.sun.management.jmxremote.port=$JMX_PORT"
log4j_opts="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base_dir/config/tools-log4j2.yaml}"

# The option strings are word-split on purpose, as the distribution's scripts do.
# shellcheck disable=SC2086
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" $heap_opts $performance_opts ${KAFKA_GC_LOG_OPTS:-} $jmx_opts \
  "-Dkafka.logs.dir=$log_dir" $log4j_opts -cp "$classpath" ${KAFKA_OPTS:-} "$@"
