/*
 * The sandbox process of a Kubernetes pod (what containerd's CRI runs from registry.k8s.io/pause): it holds the
 * pod's namespaces, reaps the zombies of a pod that shares its process namespace, and exits 0 on SIGINT or
 * SIGTERM. `pause -v` prints the version. Written for Faultline; compiled static by infra/images/infra.sh.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "3.10"

static void on_termination(int signal_number) {
  (void)signal_number;
  _exit(0);
}

static void on_child_exit(int signal_number) {
  (void)signal_number;
  int saved_errno = errno;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  errno = saved_errno;
}

static void handle(int signal_number, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = signal_number == SIGCHLD ? SA_NOCLDSTOP | SA_RESTART : 0;
  sigemptyset(&action.sa_mask);
  if (sigaction(signal_number, &action, NULL) != 0) {
    perror("sigaction");
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("pause.c %s (faultline)\n", VERSION);
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "Warning: pause should be the first process\n");
  }
  handle(SIGINT, on_termination);
  handle(SIGTERM, on_termination);
  handle(SIGCHLD, on_child_exit);
  for (;;) {
    pause();
  }
}
