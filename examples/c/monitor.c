/* A monitor that prints every app message it receives (through a callback on the
 * library's dispatcher thread).
 *
 *   cc monitor.c $(pkg-config --cflags --libs remotedev) -o monitor
 *   ./monitor [url (default ws://127.0.0.1:8000/socketcluster/)] [seconds (default 0: forever)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "remotedev.h"

static void on_message(void *userdata, const remotedev_message *m) {
  (void)userdata;
  const char *type = remotedev_message_type(m);
  const char *from = remotedev_message_instance_id(m);
  printf("%s from %s: %s\n", type ? type : "REPORT", from ? from : "?", remotedev_message_raw(m));
  fflush(stdout);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *url = argc > 1 ? argv[1] : "ws://127.0.0.1:8000/socketcluster/";
  int seconds = argc > 2 ? atoi(argv[2]) : 0;
  remotedev_monitor_options *mo = NULL;
  remotedev_monitor_options_new(&mo);
  remotedev_status st = remotedev_monitor_options_set_url(mo, url);
  remotedev_monitor *monitor = NULL;
  if (st == REMOTEDEV_STATUS_OK) st = remotedev_monitor_start(mo, &monitor);
  remotedev_monitor_options_free(mo);
  /* CONNECT_FAILED names the endpoint and the cause, e.g. "Connection refused" */
  if (st == REMOTEDEV_STATUS_OK) st = remotedev_monitor_connect(monitor, 5000, NULL);
  if (st != REMOTEDEV_STATUS_OK) {
    fprintf(stderr, "monitor: %s\n", remotedev_last_error());
    remotedev_monitor_free(monitor);
    return 1;
  }
  printf("monitoring %s\n", url);
  fflush(stdout);
  remotedev_monitor_set_callback(monitor, on_message, NULL);
  for (int i = 0; seconds == 0 || i < seconds; i++) sleep(1);
  remotedev_monitor_free(monitor);
  return 0;
}
