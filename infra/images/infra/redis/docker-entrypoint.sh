#!/bin/sh
# The official redis image's entrypoint contract, for Debian's redis-server:
# - a first argument starting with "-", or ending in ".conf", is an argument of redis-server;
# - redis-server started as root chowns what it finds in the working directory (/data) to redis and drops to it;
# - protected mode is off unless asked for (the official image builds it off: a container is reached from
#   outside its loopback, with access controlled by the network); a later --protected-mode or a config file
#   line still wins, since redis-server applies its arguments in order;
# - anything else is executed as given (redis-cli, sh, ...).
set -e

case "$1" in
  -*|*.conf) set -- redis-server "$@" ;;
esac

if [ "$1" = "redis-server" ] && [ "$(id -u)" = "0" ]; then
  find . \! -user redis -exec chown redis '{}' +
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# The official image's umask: files written in the container are private unless another umask was set.
if [ "$(umask)" = "0022" ]; then
  umask 0077
fi

if [ "$1" = "redis-server" ]; then
  shift
  case "$1" in
    # Options redis-server only honours as its first argument.
    -v|--version|-h|--help|--test-memory|--check-system) set -- redis-server "$@" ;;
    ""|-*) set -- redis-server --protected-mode no "$@" ;;
    *) config="$1"; shift; set -- redis-server "$config" --protected-mode no "$@" ;;
  esac
fi

exec "$@"
