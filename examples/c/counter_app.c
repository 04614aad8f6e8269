/* A counter app that starts its own relay and streams to it: open the Redux DevTools
 * (Remote, localhost:PORT) or run examples/c/monitor, press the slider / jump buttons,
 * and the counter follows JUMP_TO_ACTION / JUMP_TO_STATE.
 *
 *   cc counter_app.c $(pkg-config --cflags --libs remotedev) -o counter_app
 *   ./counter_app [port (default 8000, 0 = any)] [seconds (default: run until killed)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remotedev.h"

static int fail(const char *what, remotedev_status status) {
  fprintf(stderr, "%s: %s\n", what, remotedev_last_error());
  return (int)status;
}

/* Reads "count":N out of a state such as {"count":3}. */
static int read_count(const char *state, int fallback) {
  const char *p = state ? strstr(state, "\"count\":") : NULL;
  return p ? atoi(p + 8) : fallback;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int port = argc > 1 ? atoi(argv[1]) : 8000;
  int seconds = argc > 2 ? atoi(argv[2]) : 0;

  remotedev_relay_options ro;
  remotedev_relay_options_init(&ro);
  ro.port = (uint16_t)port;
  ro.log_level = 2;
  remotedev_relay *relay = NULL;
  remotedev_status st = remotedev_relay_start(&ro, &relay);
  if (st != REMOTEDEV_STATUS_OK) return fail("relay", st);
  const char *url = NULL;
  remotedev_relay_url(relay, &url);
  printf("relay listening on %s\n", url);

  remotedev_app_options ao;
  remotedev_app_options_init(&ao);
  ao.url = url;
  ao.name = "Counter (C)";
  remotedev_app *app = NULL;
  if ((st = remotedev_app_new(&ao, &app)) != REMOTEDEV_STATUS_OK) return fail("app", st);
  if ((st = remotedev_app_connect(app, 5000)) != REMOTEDEV_STATUS_OK) return fail("connect", st);
  char *id = NULL;
  remotedev_app_socket_id(app, &id);
  printf("app connected as %s\n", id);
  remotedev_string_free(id);

  int count = 0;
  remotedev_app_init(app, "{\"count\":0}");
  time_t end = seconds > 0 ? time(NULL) + seconds : 0;
  while (!end || time(NULL) < end) {
    /* one tick: wait up to 500 ms for a monitor command, then count */
    remotedev_message *command = NULL;
    if (remotedev_app_next(app, 500, &command) == REMOTEDEV_STATUS_OK) {
      const char *type = remotedev_message_type(command);
      const char *action = remotedev_message_action(command);
      printf("command %s %s\n", type, action ? action : "");
      if (strcmp(type, "DISPATCH") == 0 && action &&
          (strstr(action, "JUMP_TO_ACTION") || strstr(action, "JUMP_TO_STATE"))) {
        count = read_count(remotedev_message_state(command), count);
        printf("jumped: count = %d\n", count);
      }
      remotedev_message_free(command);
      continue;
    }
    char state[64];
    snprintf(state, sizeof state, "{\"count\":%d}", ++count);
    remotedev_app_send_action(app, "{\"type\":\"INCREMENT\"}", state);
    printf("count = %d\n", count);
  }
  remotedev_app_free(app);
  remotedev_relay_free(relay);
  return 0;
}
