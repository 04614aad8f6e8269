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

  remotedev_set_log_level(2); /* warnings */
  remotedev_relay_options *ro = NULL;
  remotedev_relay_options_new(&ro);
  remotedev_status st = remotedev_relay_options_set_port(ro, port);
  if (st == REMOTEDEV_STATUS_OK) st = remotedev_relay_options_set_db(ro, ":memory:");
  remotedev_relay *relay = NULL;
  if (st == REMOTEDEV_STATUS_OK) st = remotedev_relay_start(ro, &relay);
  remotedev_relay_options_free(ro);
  if (st != REMOTEDEV_STATUS_OK) return fail("relay", st);
  const char *url = NULL;
  remotedev_relay_url(relay, &url);
  printf("relay listening on %s\n", url);

  remotedev_app_options *ao = NULL;
  remotedev_app_options_new(&ao);
  remotedev_app_options_set_url(ao, url);
  remotedev_app_options_set_name(ao, "Counter (C)");
  remotedev_app *app = NULL;
  st = remotedev_app_start(ao, &app); /* connects in the background */
  remotedev_app_options_free(ao);
  if (st != REMOTEDEV_STATUS_OK) return fail("app", st);
  char *id = NULL;
  if ((st = remotedev_app_connect(app, 5000, &id)) != REMOTEDEV_STATUS_OK) return fail("connect", st);
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
