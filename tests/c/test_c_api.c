/* Tests of the C API (include/remotedev.h): a relay spawned through the API, an app
 * client streaming to a real socketcluster-client@20 monitor (node) and following its
 * targeted JUMP_TO_ACTION, the monitor client, the generic socket, and bad input.
 * Run from the repository root. The last line is "N passed, N failed". */
#include "harness.h"

#include <pthread.h>

#include "remotedev.h"

#define WAIT_MS 20000

/* A relay on a free port that keeps reports in memory; `*url` is its URL (owned by the
 * relay). NULL when it did not start. */
static remotedev_relay *start_relay(const char **url) {
  remotedev_relay_options *ro = NULL;
  CHECK_OK(remotedev_relay_options_new(&ro));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  remotedev_relay *relay = NULL;
  CHECK_OK(remotedev_relay_start(ro, &relay));
  remotedev_relay_options_free(ro);
  *url = NULL;
  if (relay) CHECK_OK(remotedev_relay_url(relay, url));
  return relay;
}

/* An app client of the relay at `url` (name and instance id may be NULL). */
static remotedev_app *start_app(const char *url, const char *name, const char *instance_id) {
  remotedev_app_options *ao = NULL;
  CHECK_OK(remotedev_app_options_new(&ao));
  CHECK_OK(remotedev_app_options_set_url(ao, url));
  if (name) CHECK_OK(remotedev_app_options_set_name(ao, name));
  if (instance_id) CHECK_OK(remotedev_app_options_set_instance_id(ao, instance_id));
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_start(ao, &app));
  remotedev_app_options_free(ao);
  return app;
}

/* A monitor client of the relay at `url`. */
static remotedev_monitor *start_monitor(const char *url) {
  remotedev_monitor_options *mo = NULL;
  CHECK_OK(remotedev_monitor_options_new(&mo));
  CHECK_OK(remotedev_monitor_options_set_url(mo, url));
  remotedev_monitor *mon = NULL;
  CHECK_OK(remotedev_monitor_start(mo, &mon));
  remotedev_monitor_options_free(mo);
  return mon;
}

static void test_version_and_status_text(void) {
  CHECK_STR(remotedev_version(), REMOTEDEV_VERSION);
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_OK), "ok");
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_INVALID_JSON), "invalid JSON");
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_CLOSED), "closed");
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_TIMEOUT), "timed out");
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_CONNECT_FAILED), "cannot connect");
  CHECK_STR(remotedev_status_message(9999), "unknown status");
  CHECK_STR(remotedev_status_message(-1), "unknown status");
  CHECK(remotedev_last_error() != NULL);
  CHECK_OK(remotedev_set_log_level(0));
  CHECK_STATUS(remotedev_set_log_level(9), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option log_level: must be 0 (silent) to 5 (trace), got 9");
  CHECK_STATUS(remotedev_set_log_level(-1), REMOTEDEV_STATUS_INVALID_ARGUMENT);
}

/* Every free accepts NULL. */
static void test_free_null(void) {
  remotedev_relay_options_free(NULL);
  remotedev_app_options_free(NULL);
  remotedev_monitor_options_free(NULL);
  remotedev_socket_options_free(NULL);
  remotedev_relay_free(NULL);
  remotedev_app_free(NULL);
  remotedev_monitor_free(NULL);
  remotedev_socket_free(NULL);
  remotedev_subscription_free(NULL);
  remotedev_message_free(NULL);
  remotedev_socket_event_free(NULL);
  remotedev_string_free(NULL);
  CHECK(1);
}

/* Option values are refused with the Rust API's words: by the setters' conversions
 * (negative numbers) and by the core's validate() at start (combinations). */
static void test_invalid_options(void) {
  remotedev_relay_options *ro = NULL;
  remotedev_relay *relay = (remotedev_relay *)0x1; /* sentinel: must stay untouched */
  CHECK_OK(remotedev_relay_options_new(&ro));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  CHECK_OK(remotedev_relay_options_set_ping_interval_ms(ro, 0));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option ping_interval: must be greater than 0 ms");
  CHECK(relay == (remotedev_relay *)0x1);
  CHECK_OK(remotedev_relay_options_set_ping_interval_ms(ro, 30000));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(),
            "invalid option ping_interval: must be less than ping_timeout (20000 ms), got 30000 ms");
  CHECK_OK(remotedev_relay_options_set_ping_interval_ms(ro, 20000)); /* equal: refused too */
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(remotedev_relay_options_set_max_payload(ro, -1), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option max_payload: must not be negative, got -1");
  CHECK_STATUS(remotedev_relay_options_set_outbound_limit(ro, -5), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option outbound_limit: must not be negative, got -5");
  CHECK_STATUS(remotedev_relay_options_set_ping_timeout_ms(ro, -1), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option ping_timeout: must not be negative, got -1 ms");
  CHECK_STATUS(remotedev_relay_options_set_port(ro, 70000), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option port: must be a port from 0 to 65535, got 70000");
  CHECK_STATUS(remotedev_relay_options_set_protocol_version(ro, "3"), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "protocol_version") != NULL);
  CHECK_STATUS(remotedev_relay_options_set_db_options_file(ro, "/nonexistent/knex.json"),
               REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "/nonexistent/knex.json") != NULL);
  CHECK_STATUS(remotedev_relay_options_set_max_payload(NULL, 1), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_relay_options_set_host(ro, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_OK(remotedev_relay_options_set_ping_interval_ms(ro, 1000));
  CHECK_OK(remotedev_relay_options_set_max_payload(ro, 0));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option max_payload: must be greater than 0");
  CHECK(relay == (remotedev_relay *)0x1);
  CHECK_OK(remotedev_relay_options_set_max_payload(ro, 1000000));
  /* cluster mode: the URL and the cluster name are checked at start */
  CHECK_OK(remotedev_relay_options_set_redis(ro, "localhost:6379"));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(),
            "invalid option redis: must be a redis://HOST:PORT[/DB] URL, got \"localhost:6379\"");
  CHECK_OK(remotedev_relay_options_set_redis(ro, "redis://127.0.0.1:1/0"));
  CHECK_OK(remotedev_relay_options_set_cluster(ro, "bad name"));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "invalid option cluster:") != NULL);
  CHECK_OK(remotedev_relay_options_set_redis(ro, NULL));
  CHECK_OK(remotedev_relay_options_set_cluster(ro, "eu-1"));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "set redis too") != NULL);
  CHECK(relay == (remotedev_relay *)0x1);
  remotedev_relay_options_free(ro);

  /* client options */
  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_STATUS(remotedev_socket_options_set_ack_timeout_ms(so, -1), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option ack_timeout: must not be negative, got -1 ms");
  CHECK_OK(remotedev_socket_options_set_ack_timeout_ms(so, 0));
  remotedev_socket *sock = NULL;
  CHECK_STATUS(remotedev_socket_create("ws://127.0.0.1:1/socketcluster/", so, &sock),
               REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option ack_timeout: must be greater than 0 ms");
  CHECK(sock == NULL);
  CHECK_OK(remotedev_socket_options_set_ack_timeout_ms(so, 1000));
  CHECK_OK(remotedev_socket_options_set_backoff_multiplier(so, 0.5));
  CHECK_STATUS(remotedev_socket_create("ws://127.0.0.1:1/socketcluster/", so, &sock),
               REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option backoff.multiplier: must be a finite number >= 1, got 0.5");
  CHECK_STATUS(remotedev_socket_options_set_backoff_schedule(so, 7), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option backoff.schedule: must be 0 (jittered) or 1 (reference), got 7");
  CHECK_OK(remotedev_socket_options_set_backoff_schedule(so, 1));
  CHECK_STATUS(remotedev_socket_options_use_reference_backoff(NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_relay_options_set_serve_ui(NULL, false), REMOTEDEV_STATUS_NULL_ARGUMENT);

  remotedev_app_options *ao = NULL;
  CHECK_OK(remotedev_app_options_new(&ao));
  CHECK_STATUS(remotedev_app_options_set_max_age(ao, -1), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option max_age: must not be negative, got -1");
  CHECK_OK(remotedev_app_options_set_max_age(ao, 0));
  remotedev_app *app = NULL;
  CHECK_STATUS(remotedev_app_start(ao, &app), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STR(remotedev_last_error(), "invalid option max_age: must be greater than 0");
  CHECK_OK(remotedev_app_options_set_max_age(ao, 10));
  CHECK_OK(remotedev_app_options_set_socket(ao, so)); /* the bad multiplier comes along */
  CHECK_STATUS(remotedev_app_start(ao, &app), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "backoff.multiplier") != NULL);
  CHECK(app == NULL);
  remotedev_app_options_free(ao);

  remotedev_monitor_options *mo = NULL;
  CHECK_OK(remotedev_monitor_options_new(&mo));
  CHECK_OK(remotedev_monitor_options_set_socket(mo, so));
  remotedev_monitor *mon = NULL;
  CHECK_STATUS(remotedev_monitor_start(mo, &mon), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(mon == NULL);
  CHECK_STATUS(remotedev_monitor_options_set_socket(mo, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  remotedev_monitor_options_free(mo);
  remotedev_socket_options_free(so);
}

/* A NULL builder means the defaults. */
static void test_null_builder_means_defaults(void) {
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_start(NULL, &app)); /* ws://127.0.0.1:8000/socketcluster/ */
  remotedev_app_free(app);
  remotedev_monitor *mon = NULL;
  CHECK_OK(remotedev_monitor_start(NULL, &mon));
  remotedev_monitor_free(mon);
  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_create("ws://127.0.0.1:1/socketcluster/", NULL, &sock));
  remotedev_socket_free(sock);
  /* 127.0.0.1:8000; another program may hold the port */
  remotedev_relay *relay = NULL;
  remotedev_status st = remotedev_relay_start(NULL, &relay);
  CHECK(st == REMOTEDEV_STATUS_OK || st == REMOTEDEV_STATUS_ADDR_IN_USE);
  if (st == REMOTEDEV_STATUS_OK) {
    uint16_t port = 0;
    CHECK_OK(remotedev_relay_port(relay, &port));
    CHECK(port == 8000);
  } else {
    CHECK(strstr(remotedev_last_error(), "8000") != NULL);
  }
  remotedev_relay_free(relay);
}

/* Connecting where nothing listens fails within the timeout with CONNECT_FAILED, naming
 * the endpoint and the OS error; the client keeps the error while it retries. */
static void test_connect_failed(void) {
  char url[128];
  snprintf(url, sizeof url, "ws://127.0.0.1:%d/socketcluster/", dead_port());
  remotedev_app *app = start_app(url, NULL, NULL);
  char *text = NULL;
  long long started = h_now_ms();
  char *id = (char *)0x1;
  CHECK_STATUS(remotedev_app_connect(app, 1500, &id), REMOTEDEV_STATUS_CONNECT_FAILED);
  CHECK(h_now_ms() - started < 3000);
  CHECK(id == (char *)0x1);
  CHECK(strstr(remotedev_last_error(), url) != NULL);
  CHECK(strstr(remotedev_last_error(), "refused") != NULL);
  CHECK_OK(remotedev_app_last_error(app, &text));
  CHECK(text && strstr(text, "refused") && strstr(text, url));
  remotedev_string_free(text);
  remotedev_connection_state st = REMOTEDEV_CONNECTION_STATE_OPEN;
  CHECK_OK(remotedev_app_state(app, &st));
  CHECK(st != REMOTEDEV_CONNECTION_STATE_OPEN && st != REMOTEDEV_CONNECTION_STATE_CLOSED);
  remotedev_app_free(app);

  remotedev_monitor *mon = start_monitor(url);
  CHECK_STATUS(remotedev_monitor_connect(mon, 1500, NULL), REMOTEDEV_STATUS_CONNECT_FAILED);
  CHECK(strstr(remotedev_last_error(), "refused") != NULL);
  text = NULL;
  CHECK_OK(remotedev_monitor_last_error(mon, &text));
  CHECK(text && strstr(text, url));
  remotedev_string_free(text);
  remotedev_monitor_free(mon);

  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_create(url, NULL, &sock));
  CHECK_STATUS(remotedev_socket_connect(sock, 1500, NULL), REMOTEDEV_STATUS_CONNECT_FAILED);
  CHECK(strstr(remotedev_last_error(), "refused") != NULL);
  text = NULL;
  CHECK_OK(remotedev_socket_last_error(sock, &text));
  CHECK(text && strstr(text, "refused"));
  remotedev_string_free(text);
  remotedev_socket_free(sock);
}

/* Receiving on a closed handle is CLOSED (at once), never TIMEOUT. */
static void test_closed_is_not_timeout(void) {
  const char *url = NULL;
  remotedev_relay *relay = start_relay(&url);
  if (!relay) return;

  remotedev_app *app = start_app(url, NULL, NULL);
  char *text = (char *)0x1;
  CHECK_STATUS(remotedev_app_last_error(app, &text), REMOTEDEV_STATUS_NO_ERROR);
  CHECK(text == (char *)0x1);
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, NULL));
  remotedev_message *m = NULL;
  CHECK_STATUS(remotedev_app_next(app, 50, &m), REMOTEDEV_STATUS_TIMEOUT);
  CHECK_OK(remotedev_app_close(app));
  long long started = h_now_ms();
  CHECK_STATUS(remotedev_app_next(app, 5000, &m), REMOTEDEV_STATUS_CLOSED);
  CHECK(h_now_ms() - started < 1000);
  CHECK(m == NULL);
  remotedev_app_free(app);

  remotedev_monitor *mon = start_monitor(url);
  CHECK_OK(remotedev_monitor_connect(mon, WAIT_MS, NULL));
  CHECK_OK(remotedev_monitor_close(mon));
  remotedev_status st = REMOTEDEV_STATUS_OK;
  for (int i = 0; i < 50 && st == REMOTEDEV_STATUS_OK; i++) { /* what came before first */
    st = remotedev_monitor_next(mon, 5000, &m);
    if (st == REMOTEDEV_STATUS_OK) remotedev_message_free(m);
  }
  CHECK_STATUS(st, REMOTEDEV_STATUS_CLOSED);
  remotedev_monitor_free(mon);

  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_create(url, NULL, &sock));
  CHECK_OK(remotedev_socket_connect(sock, WAIT_MS, NULL));
  remotedev_subscription *sub = NULL, *receiver = NULL;
  CHECK_OK(remotedev_socket_subscribe(sock, "log", &sub));
  CHECK_OK(remotedev_socket_receiver(sock, "respond", &receiver));
  CHECK_OK(remotedev_socket_close(sock));
  char *json = NULL;
  CHECK_STATUS(remotedev_subscription_next(sub, 5000, &json), REMOTEDEV_STATUS_CLOSED);
  CHECK_STATUS(remotedev_subscription_next(receiver, 5000, &json), REMOTEDEV_STATUS_CLOSED);
  CHECK(json == NULL);
  remotedev_socket_event *ev = NULL;
  int closed = 0;
  for (int i = 0; i < 20 && !closed; i++) { /* the events before the close come first */
    st = remotedev_socket_next_event(sock, 5000, &ev);
    if (st == REMOTEDEV_STATUS_OK) remotedev_socket_event_free(ev);
    closed = st == REMOTEDEV_STATUS_CLOSED;
    if (st != REMOTEDEV_STATUS_OK && !closed) break;
  }
  CHECK(closed);
  remotedev_socket_free(sock);
  remotedev_subscription_free(sub);
  remotedev_subscription_free(receiver);
  remotedev_relay_free(relay);
}

static void test_bad_input(void) {
  const char bad_utf8[] = {'{', (char)0xff, (char)0xfe, '}', 0};
  remotedev_relay *relay = (remotedev_relay *)0x1; /* sentinel: must stay untouched */

  /* NULL handles and out-parameters */
  CHECK_STATUS(remotedev_relay_start(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "NULL") != NULL);
  CHECK_STATUS(remotedev_relay_options_new(NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_relay_port(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_relay_stop(NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_init(NULL, "{}"), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_connect(NULL, 10, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_start(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_last_error(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_monitor_send_to(NULL, "x", "{}"), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_socket_transmit(NULL, "x", NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_subscription_next(NULL, 1, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_message_clone(NULL, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK(remotedev_message_raw(NULL) == NULL);
  CHECK(remotedev_subscription_name(NULL) == NULL);
  CHECK(remotedev_socket_event_code(NULL) == 0);

  /* invalid UTF-8 */
  remotedev_relay_options *ro = NULL;
  CHECK_OK(remotedev_relay_options_new(&ro));
  CHECK_STATUS(remotedev_relay_options_set_host(ro, bad_utf8), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK(strstr(remotedev_last_error(), "UTF-8") != NULL);
  CHECK_OK(remotedev_relay_options_set_host(ro, ""));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "invalid option host") != NULL);
  CHECK(relay == (remotedev_relay *)0x1);
  CHECK_OK(remotedev_relay_options_set_host(ro, "127.0.0.1"));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  CHECK_OK(remotedev_relay_options_set_protocol_version(ro, "auto"));
  CHECK_OK(remotedev_relay_options_set_worker_threads(ro, 1));

  remotedev_app_options *ao = NULL;
  CHECK_OK(remotedev_app_options_new(&ao));
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_options_set_url(ao, "http://nowhere.invalid/"));
  CHECK_STATUS(remotedev_app_start(ao, &app), REMOTEDEV_STATUS_INVALID_URL);
  CHECK(app == NULL);
  CHECK_STATUS(remotedev_app_options_set_url(ao, bad_utf8), REMOTEDEV_STATUS_INVALID_UTF8);

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
  CHECK_OK(remotedev_relay_start(ro, &relay));
  uint16_t port = 0;
  CHECK_OK(remotedev_relay_port(relay, &port));
  CHECK(port != 0);
  remotedev_relay *busy = NULL;
  CHECK_OK(remotedev_relay_options_set_port(ro, port));
  CHECK_STATUS(remotedev_relay_start(ro, &busy), REMOTEDEV_STATUS_ADDR_IN_USE);
  CHECK(busy == NULL);
  remotedev_relay_options_free(ro);
  CHECK_OK(remotedev_relay_stop(relay));
  CHECK_STATUS(remotedev_relay_stop(relay), REMOTEDEV_STATUS_STOPPED);
  CHECK(strstr(remotedev_last_error(), "stopped") != NULL);
  const char *url = NULL;
  CHECK_STATUS(remotedev_relay_url(relay, &url), REMOTEDEV_STATUS_STOPPED);
  CHECK(url == NULL);
  CHECK_STATUS(remotedev_relay_port(relay, &port), REMOTEDEV_STATUS_STOPPED);
  remotedev_relay_free(relay);

  /* a client whose relay is gone; closed clients */
  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_OK(remotedev_socket_options_set_reconnect(so, false));
  CHECK_OK(remotedev_app_options_set_url(ao, "ws://127.0.0.1:1/socketcluster/"));
  CHECK_OK(remotedev_app_options_set_socket(ao, so));
  remotedev_socket_options_free(so);
  CHECK_OK(remotedev_app_start(ao, &app));
  remotedev_app_options_free(ao);
  remotedev_status st = remotedev_app_connect(app, 300, NULL);
  CHECK(st == REMOTEDEV_STATUS_CONNECT_FAILED || st == REMOTEDEV_STATUS_CLOSED);
  CHECK_STATUS(remotedev_app_init(app, "{not json"), REMOTEDEV_STATUS_INVALID_JSON);
  CHECK_STATUS(remotedev_app_init(app, bad_utf8), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK_STATUS(remotedev_app_init(app, NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(remotedev_app_send_action(app, "{}", "{x"), REMOTEDEV_STATUS_INVALID_JSON);
  char *id = (char *)0x1;
  CHECK_STATUS(remotedev_app_socket_id(app, &id), REMOTEDEV_STATUS_NOT_CONNECTED);
  CHECK(id == (char *)0x1);
  CHECK_OK(remotedev_app_close(app));
  remotedev_connection_state cs;
  CHECK_OK(remotedev_app_state(app, &cs));
  CHECK(cs == REMOTEDEV_CONNECTION_STATE_CLOSED);
  CHECK_STATUS(remotedev_app_init(app, "{}"), REMOTEDEV_STATUS_CLOSED); /* never sent: refused */
  remotedev_message *m = NULL;
  CHECK_STATUS(remotedev_app_next(app, 50, &m), REMOTEDEV_STATUS_CLOSED);
  CHECK(m == NULL);
  remotedev_app_free(app);

  remotedev_socket *sock = NULL;
  CHECK_STATUS(remotedev_socket_create("ftp://x/", NULL, &sock), REMOTEDEV_STATUS_INVALID_URL);
  CHECK_OK(remotedev_socket_create("ws://127.0.0.1:1/socketcluster/", NULL, &sock));
  CHECK_STATUS(remotedev_socket_transmit(sock, "ev", "{bad"), REMOTEDEV_STATUS_INVALID_JSON);
  CHECK_STATUS(remotedev_socket_transmit(sock, bad_utf8, NULL), REMOTEDEV_STATUS_INVALID_UTF8);
  CHECK_STATUS(remotedev_socket_subscribe(sock, "", NULL), REMOTEDEV_STATUS_NULL_ARGUMENT);
  remotedev_subscription *sub = NULL;
  CHECK_STATUS(remotedev_socket_subscribe(sock, "", &sub), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_OK(remotedev_socket_close(sock));
  CHECK_STATUS(remotedev_socket_transmit(sock, "ev", NULL), REMOTEDEV_STATUS_CLOSED);
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
  const char *url = NULL;
  remotedev_relay *relay = start_relay(&url);
  if (!relay) return;
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
  remotedev_monitor_options *mo = NULL;
  CHECK_OK(remotedev_monitor_options_new(&mo));
  CHECK_OK(remotedev_monitor_options_set_host(mo, "127.0.0.1"));
  CHECK_OK(remotedev_monitor_options_set_port(mo, port));
  remotedev_monitor *mon = NULL;
  CHECK_OK(remotedev_monitor_start(mo, &mon));
  remotedev_monitor_options_free(mo);
  CHECK_OK(remotedev_monitor_connect(mon, WAIT_MS, NULL));

  remotedev_app *app = start_app(url, "CounterC", "c-test-1");
  char *id = NULL;
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, &id));
  CHECK(id && strlen(id) > 0);
  remotedev_connection_state st = REMOTEDEV_CONNECTION_STATE_CLOSED;
  CHECK_OK(remotedev_app_state(app, &st));
  CHECK(st == REMOTEDEV_CONNECTION_STATE_OPEN);
  char *id2 = NULL;
  CHECK_OK(remotedev_app_socket_id(app, &id2));
  CHECK_STR(id2, id);
  remotedev_string_free(id2);

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
  CHECK_STATUS(remotedev_app_send_action(app, "{}", "{}"), REMOTEDEV_STATUS_CLOSED);
  remotedev_app_free(app);
  CHECK_OK(remotedev_monitor_close(mon));
  remotedev_monitor_free(mon);
  peer_stop(&node);
  CHECK_OK(remotedev_relay_stop(relay));
  remotedev_relay_free(relay);
}

static void test_socket(void) {
  const char *url = NULL;
  remotedev_relay *relay = start_relay(&url);
  if (!relay) return;

  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_OK(remotedev_socket_options_set_ack_timeout_ms(so, 5000));
  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_create(url, so, &sock));
  remotedev_socket_options_free(so);
  char *sid = NULL;
  CHECK_OK(remotedev_socket_connect(sock, WAIT_MS, &sid));
  CHECK(sid && *sid);
  char *sid2 = NULL;
  CHECK_OK(remotedev_socket_id(sock, &sid2));
  CHECK_STR(sid2, sid);
  remotedev_string_free(sid2);

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
  CHECK_OK(remotedev_socket_receiver(sock, "nothing-comes", &listener));
  char *data = (char *)0x1;
  CHECK_STATUS(remotedev_subscription_next(listener, 50, &data), REMOTEDEV_STATUS_TIMEOUT);
  CHECK(data == (char *)0x1);

  /* an app's messages arrive on the subscription */
  remotedev_app *app = start_app(url, NULL, NULL);
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, NULL));
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
  CHECK_OK(remotedev_socket_transmit(sock, "respond", "{\"type\":\"STOP\"}"));
  CHECK_OK(remotedev_socket_unsubscribe(sock, "log"));

  remotedev_app_free(app);
  remotedev_string_free(sid);
  remotedev_socket_free(sock);
  CHECK_STATUS(remotedev_subscription_next(sub, 10, &data), REMOTEDEV_STATUS_CLOSED);
  remotedev_subscription_free(sub);
  remotedev_subscription_free(listener);
  remotedev_relay_free(relay); /* stops it */
}

/* TLS (issue 11): a relay with a certificate chain from tests/tls/make_test_pki.sh
 * (REMOTEDEV_TEST_PKI), an app and a monitor trusting the test CA, an app that does
 * not (CONNECT_FAILED naming the reason), and the insecure opt-in against a
 * self-signed relay. */
static remotedev_relay *start_tls_relay(const char *pki, const char *cert, const char *key,
                                        const char **url) {
  char path[1024];
  remotedev_relay_options *ro = NULL;
  CHECK_OK(remotedev_relay_options_new(&ro));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  snprintf(path, sizeof path, "%s/%s", pki, cert);
  CHECK_OK(remotedev_relay_options_set_tls_cert_file(ro, path));
  snprintf(path, sizeof path, "%s/%s", pki, key);
  CHECK_OK(remotedev_relay_options_set_tls_key_file(ro, path));
  remotedev_relay *relay = NULL;
  CHECK_OK(remotedev_relay_start(ro, &relay));
  remotedev_relay_options_free(ro);
  *url = NULL;
  if (relay) CHECK_OK(remotedev_relay_url(relay, url));
  return relay;
}

static remotedev_app *start_tls_app(const char *url, const char *ca_file, bool insecure) {
  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  if (ca_file) CHECK_OK(remotedev_socket_options_add_ca_file(so, ca_file));
  if (insecure) CHECK_OK(remotedev_socket_options_set_dangerous_accept_any_certificate(so, true));
  remotedev_app_options *ao = NULL;
  CHECK_OK(remotedev_app_options_new(&ao));
  CHECK_OK(remotedev_app_options_set_url(ao, url));
  CHECK_OK(remotedev_app_options_set_socket(ao, so));
  remotedev_socket_options_free(so);
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_start(ao, &app));
  remotedev_app_options_free(ao);
  return app;
}

static void test_tls(void) {
  const char *pki = getenv("REMOTEDEV_TEST_PKI");
  if (!pki) {
    printf("test_tls skipped: REMOTEDEV_TEST_PKI is not set\n");
    return;
  }
  char ca[1024];
  snprintf(ca, sizeof ca, "%s/ca.pem", pki);
  const char *url = NULL;
  remotedev_relay *relay = start_tls_relay(pki, "chain.pem", "key.pem", &url);
  CHECK(url && strncmp(url, "wss://127.0.0.1:", 16) == 0);

  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_OK(remotedev_socket_options_add_ca_pem(so, "not PEM"));
  remotedev_monitor_options *mo = NULL;
  CHECK_OK(remotedev_monitor_options_new(&mo));
  CHECK_OK(remotedev_monitor_options_set_url(mo, url));
  CHECK_OK(remotedev_monitor_options_set_socket(mo, so));
  remotedev_monitor *mon = NULL;
  CHECK_STATUS(remotedev_monitor_start(mo, &mon), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "invalid option ca_certs") != NULL);
  remotedev_socket_options_free(so);
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_OK(remotedev_socket_options_add_ca_file(so, ca));
  CHECK_OK(remotedev_monitor_options_set_socket(mo, so));
  remotedev_socket_options_free(so);
  CHECK_OK(remotedev_monitor_start(mo, &mon));
  remotedev_monitor_options_free(mo);
  CHECK_OK(remotedev_monitor_connect(mon, WAIT_MS, NULL));

  remotedev_app *app = start_tls_app(url, ca, false);
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, NULL));
  CHECK_OK(remotedev_app_init(app, "{\"count\":0}"));
  CHECK_OK(remotedev_app_send_action(app, "{\"type\":\"INCREMENT\"}", "{\"count\":1}"));
  remotedev_message *m = next_of_type(mon, "ACTION");
  CHECK(m != NULL);
  remotedev_message_free(m);
  remotedev_app_free(app);

  app = start_tls_app(url, NULL, false); /* platform roots only */
  CHECK_STATUS(remotedev_app_connect(app, 1500, NULL), REMOTEDEV_STATUS_CONNECT_FAILED);
  CHECK(strstr(remotedev_last_error(), "UnknownIssuer") != NULL);
  char *text = NULL;
  CHECK_OK(remotedev_app_last_error(app, &text));
  CHECK(text && strstr(text, "UnknownIssuer"));
  remotedev_string_free(text);
  remotedev_app_free(app);
  remotedev_monitor_free(mon);
  remotedev_relay_free(relay);

  relay = start_tls_relay(pki, "self-signed.pem", "self-signed-key.pem", &url);
  app = start_tls_app(url, NULL, true);
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, NULL));
  remotedev_app_free(app);
  remotedev_relay_free(relay);

  /* a key that does not match: INVALID_ARGUMENT naming the files */
  remotedev_relay_options *ro = NULL;
  CHECK_OK(remotedev_relay_options_new(&ro));
  char path[1024];
  snprintf(path, sizeof path, "%s/chain.pem", pki);
  CHECK_OK(remotedev_relay_options_set_tls_cert_file(ro, path));
  snprintf(path, sizeof path, "%s/self-signed-key.pem", pki);
  CHECK_OK(remotedev_relay_options_set_tls_key_file(ro, path));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  relay = NULL;
  CHECK_STATUS(remotedev_relay_start(ro, &relay), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK(strstr(remotedev_last_error(), "does not match") != NULL);
  remotedev_relay_options_free(ro);
}

/* Issue 12: a relay with an auth key; clients with the token connect, without it (or
 * with a foreign one) connect fails at once with AUTH. */
static void test_auth(void) {
  const char *key = "c-test-key-0123456789";
  remotedev_relay_options *ro = NULL;
  CHECK_OK(remotedev_relay_options_new(&ro));
  CHECK_OK(remotedev_relay_options_set_port(ro, 0));
  CHECK_OK(remotedev_relay_options_set_db(ro, ":memory:"));
  CHECK_OK(remotedev_relay_options_set_auth_key(ro, key));
  CHECK_OK(remotedev_relay_options_add_allow_origin(ro, "https://app.example"));
  CHECK_OK(remotedev_relay_options_set_read_only(ro, false));
  remotedev_relay *relay = NULL;
  CHECK_OK(remotedev_relay_start(ro, &relay));
  remotedev_relay_options_free(ro);
  const char *url = NULL;
  CHECK_OK(remotedev_relay_url(relay, &url));

  char *token = NULL;
  CHECK_OK(remotedev_auth_token_issue(key, 600, &token));
  CHECK(token && strncmp(token, "ey", 2) == 0);
  char *foreign = NULL;
  CHECK_OK(remotedev_auth_token_issue("another-key", 0, &foreign));
  CHECK_STATUS(remotedev_auth_token_issue(key, -1, &foreign), REMOTEDEV_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(remotedev_auth_token_issue("", 0, &foreign), REMOTEDEV_STATUS_INVALID_ARGUMENT);

  /* no token: AUTH at once, and the last error says why */
  remotedev_app *anon = start_app(url, NULL, NULL);
  long long started = h_now_ms();
  CHECK_STATUS(remotedev_app_connect(anon, WAIT_MS, NULL), REMOTEDEV_STATUS_AUTH);
  CHECK(h_now_ms() - started < 5000);
  CHECK(strstr(remotedev_last_error(), "AuthError") != NULL);
  char *text = NULL;
  CHECK_OK(remotedev_app_last_error(anon, &text));
  CHECK(text && strstr(text, "authentication refused"));
  remotedev_string_free(text);
  remotedev_app_free(anon);
  CHECK_STR(remotedev_status_message(REMOTEDEV_STATUS_AUTH), "authentication refused by the relay");

  /* the token through the socket options of an app and a monitor */
  remotedev_socket_options *so = NULL;
  CHECK_OK(remotedev_socket_options_new(&so));
  CHECK_OK(remotedev_socket_options_set_auth_token(so, token));
  remotedev_app_options *ao = NULL;
  CHECK_OK(remotedev_app_options_new(&ao));
  CHECK_OK(remotedev_app_options_set_url(ao, url));
  CHECK_OK(remotedev_app_options_set_socket(ao, so));
  remotedev_app *app = NULL;
  CHECK_OK(remotedev_app_start(ao, &app));
  remotedev_app_options_free(ao);
  CHECK_OK(remotedev_app_connect(app, WAIT_MS, NULL));
  remotedev_monitor_options *mo = NULL;
  CHECK_OK(remotedev_monitor_options_new(&mo));
  CHECK_OK(remotedev_monitor_options_set_url(mo, url));
  CHECK_OK(remotedev_monitor_options_set_socket(mo, so));
  remotedev_monitor *mon = NULL;
  CHECK_OK(remotedev_monitor_start(mo, &mon));
  remotedev_monitor_options_free(mo);
  CHECK_OK(remotedev_monitor_connect(mon, WAIT_MS, NULL));

  /* a token of another key: AUTH */
  CHECK_OK(remotedev_socket_options_set_auth_token(so, foreign));
  remotedev_socket *sock = NULL;
  CHECK_OK(remotedev_socket_create(url, so, &sock));
  CHECK_OK(remotedev_socket_connect(sock, WAIT_MS, NULL));
  char *answer = NULL;
  CHECK_STATUS(remotedev_socket_invoke(sock, "login", "{}", &answer), REMOTEDEV_STATUS_AUTH);
  remotedev_socket_free(sock);
  CHECK_OK(remotedev_socket_options_set_auth_token(so, NULL));
  remotedev_socket_options_free(so);

  remotedev_monitor_free(mon);
  remotedev_app_free(app);
  remotedev_string_free(token);
  remotedev_string_free(foreign);
  remotedev_relay_free(relay);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  test_version_and_status_text();
  test_free_null();
  test_invalid_options();
  test_null_builder_means_defaults();
  test_connect_failed();
  test_closed_is_not_timeout();
  test_bad_input();
  test_app_with_real_monitor();
  test_socket();
  test_tls();
  test_auth();
  return h_summary();
}
