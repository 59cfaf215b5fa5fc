/* The pod sandbox's "pause" process, as a tiny static program: it holds the
 * pod's namespaces and does nothing else. Like the upstream pause
 * (kubernetes/build/pause/linux/pause.c) it exits on SIGINT/SIGTERM and reaps
 * zombies, since it is PID 1 when the pod shares its PID namespace. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }
static void on_chld(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction term = {.sa_handler = on_term};
  struct sigaction chld = {.sa_handler = on_chld, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &term, NULL);
  sigaction(SIGTERM, &term, NULL);
  sigaction(SIGCHLD, &chld, NULL);
  for (;;) pause();
  return 0;
}
