/* Tests of the C API (include/remotedev.h): a relay spawned through the API, an app
 * client streaming to a real socketcluster-client@20 monitor (node) and following its
 * targeted JUMP_TO_ACTION, the monitor client, the generic socket, and bad input.
 * Run from the repository root. The last line is "N passed, N failed". */
#include "harness.h"

#include <pthread.h>

#include "remotedev.h"

#define WAIT_MS 20000

static void test_version_and_status_text(void) {
  CHECK_STR(remotedev_version(), REMOTEDEV_VERSION);
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_OK), "ok");
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_INVALID_JSON), "invalid JSON");
  CHECK_STR(remotedev_status_message(9999), "unknown status");
  CHECK(remotedev_last_error() != NULL);
}

static void test_bad_input(void) {
  const char bad_utf8[] = {'{', (char)0xff, (char)0xfe, '}', 0};
  remotedev_relay *relay = (remotedev_relay *)0x1; /* sentinel: must stay untouched */

  /* NULL handles and out-parameters */
  CHECK_STATUS(remotedev_relay_start(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "NULL") != NULL);
  CHECK_STATUS(remotedev_relay_port(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_relay_stop(NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_init(NULL, "{}"), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_connect(NULL, 10), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_new(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_monitor_send_to(NULL, "x", "{}"), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_socket_emit(NULL, "x", NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_subscription_next(NULL, 1, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_message_clone(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK(remotedev_message_raw(NULL) == NULL);
  CHECK(remotedev_subscription_name(NULL) == NULL);
  CHECK(remotedev_socket_event_code(NULL) == 0);
  remotedev_relay_free(NULL);
  remotedev_app_free(NULL);
  remotedev_monitor_free(NULL);
  remotedev_socket_free(NULL);
  remotedev_subscription_free(NULL);
  remotedev_message_free(NULL);
  remotedev_socket_event_free(NULL);
  remotedev_string_free(NULL);

  /* invalid UTF-8 and invalid options */
  remotedev_relay_options ro;
  CHECK_OK(remotedev_relay_options_init(&ro));
  CHECK(ro.port == 8000 && ro.ping_interval_ms == 8000 && ro.ping_timeout_ms == 20000);
  ro.host = bad_utf8;
  ro.port = 0;
  ro.log_level = 0;
  CHECK_STATUS(remotedev_relay_start(&ro, &relay), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK(strstr(remotedev_last_error(), "UTF-8") != NULL);
  CHECK(relay == (remotedev_relay *)0x1);
  ro.host = NULL;
  ro.ping_interval_ms = 0;
  CHECK_STATUS(remotedev_relay_start(&ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(relay == (remotedev_relay *)0x1);

  remotedev_app_options ao;
  CHECK_OK(remotedev_app_options_init(&ao));
  remotedev_app *app = NULL;
  ao.url = "http://nowhere.invalid/";
  CHECK_STATUS(remotedev_app_new(&ao, &app), REMOTEDEV_STATUS_INVALID_URL);
  CHECK(app == NULL);
  ao.url = bad_utf8;
  CHECK_STATUS(remotedev_app_new(&ao, &app), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK(app == NULL);

  char *s = (char *)0x1;
  CHECK_STATUS(remotedev_dispatch_command("{nope", NULL, NULL, &s), REMOTEDEV_STATUS_INVALID_JSON);
  CHECK(s == (char *)0x1);
  CHECK_STATUS(remotedev_dispatch_command(bad_utf8, NULL, NULL, &s), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK_OK(remotedev_dispatch_command("{\"type\":\"JUMP_TO_ACTION\",\"actionId\":1}", "{\"count\":1}",
                                      NULL, &s));
  CHECK_STR(s, "{\"type\":\"DISPATCH\",\"action\":{\"type\":\"JUMP_TO_ACTION\",\"actionId\":1},"
               "\"state\":\"{\\\"count\\\":1}\"}");
  remotedev_string_free(s);

  /* relay: use after stop, double stop */
  relay = NULL;
  ro.ping_interval_ms = 8000;
  CHECK_OK(remotedev_relay_start(&ro, &relay));
  uint16_t port = 0;
  CHECK_OK(remotedev_relay_port(relay, &port));
  CHECK(port != 0);
  remotedev_relay *busy = NULL;
  ro.port = port;
  CHECK_STATUS(remotedev_relay_start(&ro, &busy), REMOTEDEV_STATUS_ADDR_IN_USE);
  CHECK(busy == NULL);
  CHECK_OK(remotedev_relay_stop(relay));
  CHECK_STATUS(remotedev_relay_stop(relay), REMOTEDEV_STATUS_STOPPED);
  CHECK(strstr(remotedev_last_error(), "stopped") != NULL);
  const char *url = NULL;
  CHECK_STATUS(remotedev_relay_url(relay, &url), REMOTEDEV_STATUS_STOPPED);
  CHECK(url == NULL);
  CHECK_STATUS(remotedev_relay_port(relay, &port), REMOTEDEV_STATUS_STOPPED);
  remotedev_relay_free(relay);

  /* a client whose relay is gone; closed clients */
  ao.url = "ws://127.0.0.1:1/socketcluster/";
  ao.reconnect = false;
  CHECK_OK(remotedev_app_new(&ao, &app));
  CHECK_STATUS(remotedev_app_connect(app, 300), REMOTEDEV_STATUS_CLOSED); /* no reconnect */
  CHECK_STATUS(remotedev_app_init(app, "{not json"), REMOTEDEV_STATUS_INVALID_JSON);
  CHECK_STATUS(remotedev_app_init(app, bad_utf8), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK_STATUS(remotedev_app_init(app, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_send_action(app, "{}", "{x"), REMOTEDEV_STATUS_INVALID_JSON);
  char *id = (char *)0x1;
  CHECK_STATUS(remotedev_app_socket_id(app, &id), REMOTEDEV_STATUS_NOT_CONNECTED);
  CHECK(id == (char *)0x1);
  CHECK_OK(remotedev_app_close(app));
  remotedev_connection_state st;
  CHECK_OK(remotedev_app_state(app, &st));
  CHECK(st == REMOTEDEV_CONNECTION_STATE_CLOSED);
  CHECK_STATUS(remotedev_app_init(app, "{}"), REMOTEDEV_STATUS_OK); /* kept for later */
  remotedev_message *m = NULL;
  CHECK_STATUS(remotedev_app_next(app, 50, &m), REMOTEDEV_STATUS_CLOSED);
  CHECK(m == NULL);
  remotedev_app_free(app);

  remotedev_socket *sock = NULL;
  CHECK_STATUS(remotedev_socket_new("ftp://x/", NULL, &sock), REMOTEDEV_STATUS_INVALID_URL);
  CHECK_OK(remotedev_socket_new("ws://127.0.0.1:1/socketcluster/", NULL, &sock));
  CHECK_STATUS(remotedev_socket_emit(sock, "ev", "{bad"), REMOTEDEV_STATUS_INVALID_JSON);
  CHECK_STATUS(remotedev_socket_emit(sock, bad_utf8, NULL), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK_STATUS(remotedev_socket_subscribe(sock, "", NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  remotedev_subscription *sub = NULL;
  CHECK_STATUS(remotedev_socket_subscribe(sock, "", &sub), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_OK(remotedev_socket_close(sock));
  CHECK_STATUS(remotedev_socket_emit(sock, "ev", NULL), REMOTEDEV_STATUS_CLOSED);
  remotedev_socket_free(sock);
}

/* Collects what a callback received, for the thread that waits for it. */
typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int count;
  char action[512];
  char state[512];
  pthread_t thread;
} inbox;

static void inbox_init(inbox *b) {
  memset(b, 0, sizeof *b);
  pthread_mutex_init(&b->lock, NULL);
  pthread_cond_init(&b->cond, NULL);
}

static void inbox_destroy(inbox *b) {
  pthread_mutex_destroy(&b->lock);
  pthread_cond_destroy(&b->cond);
}

/* Waits until the inbox has at least `n` entries. */
static int inbox_wait(inbox *b, int n, int timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  pthread_mutex_lock(&b->lock);
  int ok = 1;
  while (b->count < n && ok) ok = pthread_cond_timedwait(&b->cond, &b->lock, &until) == 0;
  int got = b->count >= n;
  pthread_mutex_unlock(&b->lock);
  return got;
}

static void on_command(void *userdata, const remotedev_message *m) {
  inbox *b = userdata;
  const char *type = remotedev_message_type(m);
  if (!type || strcmp(type, "DISPATCH") != 0) return;
  pthread_mutex_lock(&b->lock);
  snprintf(b->action, sizeof b->action, "%s", remotedev_message_action(m));
  snprintf(b->state, sizeof b->state, "%s",
           remotedev_message_state(m) ? remotedev_message_state(m) : "");
  b->thread = pthread_self();
  b->count++;
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&b->lock);
}

static void on_data(void *userdata, const char *name, const char *json) {
  inbox *b = userdata;
  if (!strstr(json, "\"ACTION\"")) return;
  pthread_mutex_lock(&b->lock);
  snprintf(b->action, sizeof b->action, "%s", name);
  b->count++;
  pthread_cond_broadcast(&b->cond);
  pthread_mutex_unlock(&b->lock);
}

/* Pulls commands until a DISPATCH comes. */
static remotedev_message *next_dispatch(remotedev_app *app) {
  long long deadline = h_now_ms() + WAIT_MS;
  while (h_now_ms() < deadline) {
    remotedev_message *m = NULL;
    if (remotedev_app_next(app, 1000, &m) != REMOTEDEV_STATUS_OK) continue;
    CHECK(remotedev_message_get_kind(m) == REMOTEDEV_MESSAGE_KIND_COMMAND);
    if (strcmp(remotedev_message_type(m), "DISPATCH") == 0) return m;
    remotedev_message_free(m);
  }
  return NULL;
}

/* Pulls monitor messages until one of `type` comes. */
static remotedev_message *next_of_type(remotedev_monitor *mon, const char *type) {
  long long deadline = h_now_ms() + WAIT_MS;
  while (h_now_ms() < deadline) {
    remotedev_message *m = NULL;
    if (remotedev_monitor_next(mon, 1000, &m) != REMOTEDEV_STATUS_OK) continue;
    const char *t = remotedev_message_type(m);
    if (t && strcmp(t, type) == 0) return m;
    remotedev_message_free(m);
  }
  return NULL;
}

static void test_app_with_real_monitor(void) {
  remotedev_relay_options ro;
  remotedev_relay_options_init(&ro);
  ro.port = 0;
  ro.log_level = 0;
  remotedev_relay *relay = NULL;
  CHECK_OK(remotedev_relay_start(&ro, &relay));
  if (!relay) return;
  const char *url = NULL;
  CHECK_OK(remotedev_relay_url(relay, &url));
  uint16_t port = 0;
  CHECK_OK(remotedev_relay_port(relay, &port));
  char want[128];
  snprintf(want, sizeof want, "ws://127.0.0.1:%u/socketcluster/", (unsigned)port);
  CHECK_STR(url, want);

  /* the real socketcluster-client@20 monitor */
  peer node;
  char line[65536];
  CHECK(peer_start_monitor(&node, url) == 0);
  int ready = peer_wait_for(&node, "\"ready\"", line, sizeof line, WAIT_MS) == 0;
  CHECK(ready);
  if (!ready) fprintf(stderr, "node monitor not ready (did tests/interop/setup.sh run?)\n");

  /* our own monitor client too */
  remotedev_monitor_options mo;
  CHECK_OK(remotedev_monitor_options_init(&mo));
  mo.host = "127.0.0.1";
  mo.port = port;
  remotedev_monitor *mon = NULL;
  CHECK_OK(remotedev_monitor_new(&mo, &mon));
  CHECK_OK(remotedev_monitor_connect(mon, WAIT_MS));

  remotedev_app_options ao;
  remotedev_app_options_init(&ao);
  ao.url = url;
  ao.name = "CounterC";
  ao.instance_id = "c-test-1";
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_new(&ao, &app));
  CHECK_OK(remotedev_app_connect(app, WAIT_MS));
  remotedev_connection_state st = REMOTEDEV_CONNECTION_STATE_CLOSED;
  CHECK_OK(remotedev_app_state(app, &st));
  CHECK(st == REMOTEDEV_CONNECTION_STATE_OPEN);
  char *id = NULL;
  CHECK_OK(remotedev_app_socket_id(app, &id));
  CHECK(id && strlen(id) > 0);

  CHECK_OK(remotedev_app_init(app, "{\"count\":0}"));
  CHECK_OK(remotedev_app_send_action(app, "{\"type\":\"INCREMENT\"}", "{\"count\":1}"));

  /* the real monitor sees the action from our app */
  CHECK(peer_wait_for(&node, "INCREMENT", line, sizeof line, WAIT_MS) == 0);
  CHECK(strstr(line, "\"ACTION\"") != NULL);
  CHECK(strstr(line, "c-test-1") != NULL);

  /* and so does our monitor client */
  remotedev_message *am = next_of_type(mon, "ACTION");
  CHECK(am != NULL);
  if (am) {
    CHECK(remotedev_message_get_kind(am) == REMOTEDEV_MESSAGE_KIND_APP);
    CHECK_STR(remotedev_message_instance_id(am), "c-test-1");
    CHECK_STR(remotedev_message_name(am), "CounterC");
    CHECK_STR(remotedev_message_connection_id(am), id);
    CHECK_STR(remotedev_message_state(am), "{\"count\":1}");
    CHECK(strstr(remotedev_message_action(am), "INCREMENT") != NULL);
    CHECK(strstr(remotedev_message_raw(am), "\"ACTION\"") != NULL);
    remotedev_message *copy = NULL;
    CHECK_OK(remotedev_message_clone(am, &copy));
    remotedev_message_free(am);
    CHECK_STR(remotedev_message_instance_id(copy), "c-test-1");
    remotedev_message_free(copy);
  }

  /* the real monitor's targeted JUMP_TO_ACTION reaches the app (pulled with next) */
  snprintf(line, sizeof line,
           "{\"event\":\"sc-%s\",\"data\":{\"type\":\"DISPATCH\",\"action\":{\"type\":"
           "\"JUMP_TO_ACTION\",\"actionId\":1},\"state\":\"{\\\"count\\\":1}\","
           "\"instanceId\":\"c-test-1\"}}",
           id);
  CHECK(peer_writeline(&node, line) == 0);
  remotedev_message *cmd = next_dispatch(app);
  CHECK(cmd != NULL);
  if (cmd) {
    CHECK_STR(remotedev_message_action(cmd), "{\"type\":\"JUMP_TO_ACTION\",\"actionId\":1}");
    CHECK_STR(remotedev_message_state(cmd), "{\"count\":1}");
    /* the command exactly as the monitor sent it, and the instance it names */
    CHECK_STR(remotedev_message_raw(cmd),
              "{\"type\":\"DISPATCH\",\"action\":{\"type\":\"JUMP_TO_ACTION\",\"actionId\":1},"
              "\"state\":\"{\\\"count\\\":1}\",\"instanceId\":\"c-test-1\"}");
    CHECK_STR(remotedev_message_instance_id(cmd), "c-test-1");
    remotedev_message_free(cmd);
  }

  /* the same through a callback on the library's dispatcher thread */
  inbox box;
  inbox_init(&box);
  CHECK_OK(remotedev_app_set_callback(app, on_command, &box));
  remotedev_message *m = NULL;
  CHECK_STATUS(remotedev_app_next(app, 10, &m), REMOTEDEV_STATUS_BUSY);
  snprintf(line, sizeof line,
           "{\"event\":\"sc-%s\",\"data\":{\"type\":\"DISPATCH\",\"action\":{\"type\":"
           "\"JUMP_TO_ACTION\",\"actionId\":2},\"state\":\"{\\\"count\\\":2}\"}}",
           id);
  CHECK(peer_writeline(&node, line) == 0);
  CHECK(inbox_wait(&box, 1, WAIT_MS));
  pthread_mutex_lock(&box.lock);
  CHECK_STR(box.action, "{\"type\":\"JUMP_TO_ACTION\",\"actionId\":2}");
  CHECK_STR(box.state, "{\"count\":2}");
  CHECK(!pthread_equal(box.thread, pthread_self()));
  pthread_mutex_unlock(&box.lock);
  CHECK_OK(remotedev_app_set_callback(app, NULL, NULL));
  inbox_destroy(&box);

  /* our monitor client targets the app too */
  char *dispatch = NULL;
  CHECK_OK(remotedev_dispatch_command("{\"type\":\"JUMP_TO_ACTION\",\"actionId\":3}", "{\"count\":3}",
                                      "c-test-1", &dispatch));
  CHECK_OK(remotedev_monitor_send_to(mon, id, dispatch));
  remotedev_string_free(dispatch);
  cmd = next_dispatch(app);
  CHECK(cmd != NULL);
  if (cmd) {
    CHECK_STR(remotedev_message_state(cmd), "{\"count\":3}");
    remotedev_message_free(cmd);
  }
  CHECK_OK(remotedev_monitor_broadcast(mon, "{\"type\":\"UPDATE\"}"));
  CHECK_OK(remotedev_app_send_state(app, "{\"actionsById\":{},\"computedStates\":[]}"));
  CHECK_STATUS(remotedev_monitor_send_to(mon, id, "{oops"), REMOTEDEV_STATUS_INVALID_JSON);

  /* the monitor's callback */
  inbox_init(&box);
  CHECK_OK(remotedev_monitor_set_callback(mon, on_command, &box));
  CHECK_OK(remotedev_monitor_set_callback(mon, NULL, NULL));
  inbox_destroy(&box);

  remotedev_string_free(id);
  CHECK_OK(remotedev_app_close(app));
  CHECK_STATUS(remotedev_app_send_action(app, "{}", "{}"), REMOTEDEV_STATUS_OK); /* queued */
  remotedev_app_free(app);
  CHECK_OK(remotedev_monitor_close(mon));
  remotedev_monitor_free(mon);
  peer_stop(&node);
  CHECK_OK(remotedev_relay_stop(relay));
  remotedev_relay_free(relay);
}

static void test_socket(void) {
  remotedev_relay_options ro;
  remotedev_relay_options_init(&ro);
  ro.port = 0;
  ro.log_level = 0;
  remotedev_relay *relay = NULL;
  CHECK_OK(remotedev_relay_start(&ro, &relay));
  if (!relay) return;
  const char *url = NULL;
  CHECK_OK(remotedev_relay_url(relay, &url));

  remotedev_socket_options so;
  CHECK_OK(remotedev_socket_options_init(&so));
  CHECK(so.reconnect && so.ack_timeout_ms == 10000);
  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_new(url, &so, &sock));
  CHECK_OK(remotedev_socket_connect(sock, WAIT_MS));
  char *sid = NULL;
  CHECK_OK(remotedev_socket_id(sock, &sid));
  CHECK(sid && *sid);

  /* the connection events so far */
  int connected = 0;
  for (int i = 0; i < 5 && !connected; i++) {
    remotedev_socket_event *ev = NULL;
    if (remotedev_socket_next_event(sock, 1000, &ev) != REMOTEDEV_STATUS_OK) break;
    if (remotedev_socket_event_get_kind(ev) == REMOTEDEV_SOCKET_EVENT_KIND_CONNECTED) {
      connected = 1;
      CHECK_STR(remotedev_socket_event_id(ev), sid);
    }
    remotedev_socket_event_free(ev);
  }
  CHECK(connected);

  /* log in as a monitor by hand: the answer is the channel to watch */
  char *answer = NULL;
  CHECK_OK(remotedev_socket_invoke(sock, "login", "{}", &answer));
  CHECK_STR(answer, "\"log\"");
  remotedev_string_free(answer);
  remotedev_subscription *sub = NULL;
  CHECK_OK(remotedev_socket_subscribe(sock, "log", &sub));
  CHECK_STR(remotedev_subscription_name(sub), "log");
  CHECK_OK(remotedev_socket_wait_subscribed(sock, "log", WAIT_MS));
  remotedev_subscription *listener = NULL;
  CHECK_OK(remotedev_socket_on(sock, "nothing-comes", &listener));
  char *data = (char *)0x1;
  CHECK_STATUS(remotedev_subscription_next(listener, 50, &data), REMOTEDEV_STATUS_TIMEOUT);
  CHECK(data == (char *)0x1);

  /* an app's messages arrive on the subscription */
  remotedev_app_options ao;
  remotedev_app_options_init(&ao);
  ao.url = url;
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_new(&ao, &app));
  CHECK_OK(remotedev_app_connect(app, WAIT_MS));
  CHECK_OK(remotedev_app_init(app, "{\"n\":0}"));
  CHECK_OK(remotedev_app_send_action(app, "{\"type\":\"A\"}", "{\"n\":1}"));
  int seen = 0;
  long long deadline = h_now_ms() + WAIT_MS;
  while (!seen && h_now_ms() < deadline) {
    char *json = NULL;
    if (remotedev_subscription_next(sub, 1000, &json) != REMOTEDEV_STATUS_OK) continue;
    seen = strstr(json, "\"ACTION\"") != NULL;
    remotedev_string_free(json);
  }
  CHECK(seen);

  /* and through a subscription callback */
  inbox box;
  inbox_init(&box);
  CHECK_OK(remotedev_subscription_set_callback(sub, on_data, &box));
  CHECK_STATUS(remotedev_subscription_next(sub, 10, &data), REMOTEDEV_STATUS_BUSY);
  CHECK_OK(remotedev_app_send_action(app, "{\"type\":\"B\"}", "{\"n\":2}"));
  CHECK(inbox_wait(&box, 1, WAIT_MS));
  CHECK_STR(box.action, "log");
  CHECK_OK(remotedev_subscription_set_callback(sub, NULL, NULL));
  inbox_destroy(&box);

  /* an invoke the relay rejects */
  CHECK_STATUS(remotedev_socket_invoke(sock, "no-such-event", NULL, &answer), REMOTEDEV_STATUS_REMOTE);
  CHECK_OK(remotedev_socket_emit(sock, "respond", "{\"type\":\"STOP\"}"));
  CHECK_OK(remotedev_socket_unsubscribe(sock, "log"));

  remotedev_app_free(app);
  remotedev_string_free(sid);
  remotedev_socket_free(sock);
  CHECK_STATUS(remotedev_subscription_next(sub, 10, &data), REMOTEDEV_STATUS_TIMEOUT);
  remotedev_subscription_free(sub);
  remotedev_subscription_free(listener);
  remotedev_relay_free(relay); /* stops it */
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  test_version_and_status_text();
  test_bad_input();
  test_app_with_real_monitor();
  test_socket();
  return h_summary();
}
