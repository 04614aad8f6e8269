// The Objective-C wrapper over the libremotedev C API (remotedev.h). ARC-neutral:
// manual retain/release only when ARC is off. No blocks (GNUstep's gcc runtime).
#import "RemoteDev.h"

#include "remotedev.h"

#if __has_feature(objc_arc)
#define RD_POOL_BEGIN @autoreleasepool {
#define RD_POOL_END }
#define RD_RELEASE(x)
#define RD_RETAIN(x) (x)
#define RD_AUTORELEASE(x) (x)
#define RD_SUPER_DEALLOC()
#define RD_BRIDGE __bridge
#else
#define RD_POOL_BEGIN { NSAutoreleasePool *rd_pool = [NSAutoreleasePool new];
#define RD_POOL_END [rd_pool drain]; }
#define RD_RELEASE(x) [(x) release]
#define RD_RETAIN(x) [(x) retain]
#define RD_AUTORELEASE(x) [(x) autorelease]
#define RD_SUPER_DEALLOC() [super dealloc]
#define RD_BRIDGE
#endif

NSString *const RDErrorDomain = @"RDErrorDomain";

/// Fills *error from a failed status; returns NO for use in `return RDFail(...)`.
static BOOL RDFail(remotedev_status status, NSError **error) {
  if (error) {
    const char *text = remotedev_last_error();
    NSString *message = text && *text ? [NSString stringWithUTF8String:text] : nil;
    if (!message) message = [NSString stringWithUTF8String:remotedev_status_message((int)status)];
    NSDictionary *info = [NSDictionary dictionaryWithObject:message forKey:NSLocalizedDescriptionKey];
    *error = [NSError errorWithDomain:RDErrorDomain code:(NSInteger)status userInfo:info];
  }
  return NO;
}

static BOOL RDCheck(remotedev_status status, NSError **error) {
  return status == REMOTEDEV_STATUS_OK ? YES : RDFail(status, error);
}

/// Fills *error with `code` and the text `message`; returns NO.
static BOOL RDRefuse(remotedev_status code, NSString *message, NSError **error) {
  if (error) {
    NSDictionary *info = [NSDictionary dictionaryWithObject:message forKey:NSLocalizedDescriptionKey];
    *error = [NSError errorWithDomain:RDErrorDomain code:(NSInteger)code userInfo:info];
  }
  return NO;
}

BOOL RDSetLogLevel(NSInteger level, NSError **error) {
  if (level < INT_MIN || level > INT_MAX) level = -1;
  return RDCheck(remotedev_set_log_level((int)level), error);
}

static NSString *RDString(const char *s) {
  return s ? [NSString stringWithUTF8String:s] : nil;
}

/// The text of a `char *` a C call returned (nil when it failed), freed.
static NSString *RDTakeString(remotedev_status status, char **s) {
  NSString *text = status == REMOTEDEV_STATUS_OK ? RDString(*s) : nil;
  remotedev_string_free(status == REMOTEDEV_STATUS_OK ? *s : NULL);
  return text;
}

/// Milliseconds of a timeout, clamped.
static uint32_t RDMillis(NSTimeInterval t) {
  if (t <= 0) return 0;
  if (t >= 4000000.0) return 4000000000u;
  return (uint32_t)(t * 1000.0);
}

/// The thread a callback runs on belongs to the library; GNUstep needs to know it.
static void RDEnterCallbackThread(void) {
#ifdef GNUSTEP
  GSRegisterCurrentThread();
#endif
}

NSString *RDJSONText(id object, NSError **error) {
  if ([object isKindOfClass:[NSString class]]) return object;
  NSData *data = [NSJSONSerialization dataWithJSONObject:object options:0 error:error];
  if (!data) return nil;
  NSString *text = [[NSString alloc] initWithData:data encoding:NSUTF8StringEncoding];
  return RD_AUTORELEASE(text);
}

id RDJSONObject(NSString *text, NSError **error) {
  NSData *data = [text dataUsingEncoding:NSUTF8StringEncoding];
  return [NSJSONSerialization JSONObjectWithData:data
                                         options:NSJSONReadingAllowFragments
                                           error:error];
}

// ---------------------------------------------------------------------------
@implementation RDMessage

- (instancetype)initWithHandle:(void *)handle {
  if ((self = [super init])) _handle = handle;
  return self;
}

- (void)dealloc {
  remotedev_message_free((remotedev_message *)_handle);
  RD_SUPER_DEALLOC();
}

- (RDMessageKind)kind {
  return (RDMessageKind)remotedev_message_get_kind((const remotedev_message *)_handle);
}
- (NSString *)type { return RDString(remotedev_message_type(_handle)); }
- (NSString *)connectionId { return RDString(remotedev_message_connection_id(_handle)); }
- (NSString *)instanceId { return RDString(remotedev_message_instance_id(_handle)); }
- (NSString *)name { return RDString(remotedev_message_name(_handle)); }
- (NSString *)actionJSON { return RDString(remotedev_message_action(_handle)); }
- (NSString *)stateJSON { return RDString(remotedev_message_state(_handle)); }
- (NSString *)rawJSON { return RDString(remotedev_message_raw(_handle)); }
- (id)action {
  NSString *s = [self actionJSON];
  return s ? RDJSONObject(s, NULL) : nil;
}
- (id)state {
  NSString *s = [self stateJSON];
  return s ? RDJSONObject(s, NULL) : nil;
}
- (NSString *)description {
  return [NSString stringWithFormat:@"<RDMessage %@ %@>", [self type], [self rawJSON]];
}
@end

/// An RDMessage that keeps a copy of a message lent to a callback.
static RDMessage *RDMessageCopy(const remotedev_message *lent) {
  remotedev_message *copy = NULL;
  if (remotedev_message_clone(lent, &copy) != REMOTEDEV_STATUS_OK) return nil;
  return RD_AUTORELEASE([[RDMessage alloc] initWithHandle:copy]);
}

// ---------------------------------------------------------------------------
// Options: an NSDictionary keyed by the C setters' names, applied to the C builders
// through one table per builder type.

#define RD_COUNT(table) (sizeof(table) / sizeof *(table))

/// A builder type's option table (key and setter by kind of value) and the function
/// that applies one value: 1 applied, 0 not in the table, -1 refused (*error set).
#define RD_OPTIONS(Builder)                                                                  \
  typedef struct {                                                                           \
    const char *key;                                                                         \
    remotedev_status (*number)(Builder *, int64_t);                                          \
    remotedev_status (*real)(Builder *, double);                                             \
    remotedev_status (*flag)(Builder *, bool);                                               \
    remotedev_status (*text)(Builder *, const char *);                                       \
  } Builder##_option;                                                                        \
  static int Builder##_apply(const Builder##_option *t, size_t n, Builder *b, NSString *key, \
                             id value, NSError **error) {                                    \
    BOOL number = [value isKindOfClass:[NSNumber class]];                                    \
    for (size_t i = 0; i < n; i++) {                                                         \
      if (strcmp(t[i].key, [key UTF8String]) != 0) continue;                                 \
      remotedev_status st;                                                                   \
      if (t[i].text && [value isKindOfClass:[NSArray class]]) {                              \
        for (id item in (NSArray *)value) {                                                  \
          if (![item isKindOfClass:[NSString class]])                                        \
            return RDRefuse(REMOTEDEV_STATUS_INVALID_ARGUMENT,                               \
                            [NSString stringWithFormat:@"option %@: wrong kind of value", key], \
                            error) ? 1 : -1;                                                 \
          if (!RDCheck(t[i].text(b, [item UTF8String]), error)) return -1;                   \
        }                                                                                    \
        return 1;                                                                            \
      }                                                                                      \
      if (t[i].text && [value isKindOfClass:[NSString class]])                               \
        st = t[i].text(b, [value UTF8String]);                                               \
      else if (t[i].number && number)                                                        \
        st = t[i].number(b, [value longLongValue]);                                          \
      else if (t[i].real && number)                                                          \
        st = t[i].real(b, [value doubleValue]);                                              \
      else if (t[i].flag && number)                                                          \
        st = t[i].flag(b, [value boolValue] ? true : false);                                 \
      else                                                                                   \
        return RDRefuse(REMOTEDEV_STATUS_INVALID_ARGUMENT,                                   \
                        [NSString stringWithFormat:@"option %@: wrong kind of value", key],  \
                        error) ? 1 : -1;                                                     \
      return RDCheck(st, error) ? 1 : -1;                                                    \
    }                                                                                        \
    return 0;                                                                                \
  }

RD_OPTIONS(remotedev_relay_options)
RD_OPTIONS(remotedev_app_options)
RD_OPTIONS(remotedev_monitor_options)
RD_OPTIONS(remotedev_socket_options)

static const remotedev_relay_options_option kRelayOptions[] = {
    {.key = "host", .text = remotedev_relay_options_set_host},
    {.key = "port", .number = remotedev_relay_options_set_port},
    {.key = "ping_interval_ms", .number = remotedev_relay_options_set_ping_interval_ms},
    {.key = "ping_timeout_ms", .number = remotedev_relay_options_set_ping_timeout_ms},
    {.key = "handshake_timeout_ms", .number = remotedev_relay_options_set_handshake_timeout_ms},
    {.key = "subscribe_grace_ms", .number = remotedev_relay_options_set_subscribe_grace_ms},
    {.key = "max_payload", .number = remotedev_relay_options_set_max_payload},
    {.key = "outbound_limit", .number = remotedev_relay_options_set_outbound_limit},
    {.key = "pending_limit", .number = remotedev_relay_options_set_pending_limit},
    {.key = "channel_limit", .number = remotedev_relay_options_set_channel_limit},
    {.key = "max_request_body", .number = remotedev_relay_options_set_max_request_body},
    {.key = "worker_threads", .number = remotedev_relay_options_set_worker_threads},
    {.key = "protocol_version", .text = remotedev_relay_options_set_protocol_version},
    {.key = "db", .text = remotedev_relay_options_set_db},
    {.key = "db_options_file", .text = remotedev_relay_options_set_db_options_file},
    {.key = "serve_ui", .flag = remotedev_relay_options_set_serve_ui},
    {.key = "tls_cert_file", .text = remotedev_relay_options_set_tls_cert_file},
    {.key = "tls_cert_pem", .text = remotedev_relay_options_set_tls_cert_pem},
    {.key = "tls_key_file", .text = remotedev_relay_options_set_tls_key_file},
    {.key = "tls_key_pem", .text = remotedev_relay_options_set_tls_key_pem},
    {.key = "tls_passphrase", .text = remotedev_relay_options_set_tls_passphrase},
    {.key = "auth_key", .text = remotedev_relay_options_set_auth_key},
    {.key = "allow_origin", .text = remotedev_relay_options_add_allow_origin},
    {.key = "read_only", .flag = remotedev_relay_options_set_read_only},
    {.key = "redis", .text = remotedev_relay_options_set_redis},
    {.key = "cluster", .text = remotedev_relay_options_set_cluster},
};

static const remotedev_app_options_option kAppOptions[] = {
    {.key = "url", .text = remotedev_app_options_set_url},
    {.key = "host", .text = remotedev_app_options_set_host},
    {.key = "port", .number = remotedev_app_options_set_port},
    {.key = "name", .text = remotedev_app_options_set_name},
    {.key = "instance_id", .text = remotedev_app_options_set_instance_id},
    {.key = "max_age", .number = remotedev_app_options_set_max_age},
    {.key = "queue_limit", .number = remotedev_app_options_set_queue_limit},
};

static const remotedev_monitor_options_option kMonitorOptions[] = {
    {.key = "url", .text = remotedev_monitor_options_set_url},
    {.key = "host", .text = remotedev_monitor_options_set_host},
    {.key = "port", .number = remotedev_monitor_options_set_port},
    {.key = "answer_start", .flag = remotedev_monitor_options_set_answer_start},
};

static const remotedev_socket_options_option kSocketOptions[] = {
    {.key = "reconnect", .flag = remotedev_socket_options_set_reconnect},
    {.key = "ack_timeout_ms", .number = remotedev_socket_options_set_ack_timeout_ms},
    {.key = "connect_timeout_ms", .number = remotedev_socket_options_set_connect_timeout_ms},
    {.key = "max_payload", .number = remotedev_socket_options_set_max_payload},
    {.key = "backoff_initial_delay_ms", .number = remotedev_socket_options_set_backoff_initial_delay_ms},
    {.key = "backoff_randomness_ms", .number = remotedev_socket_options_set_backoff_randomness_ms},
    {.key = "backoff_multiplier", .real = remotedev_socket_options_set_backoff_multiplier},
    {.key = "backoff_max_delay_ms", .number = remotedev_socket_options_set_backoff_max_delay_ms},
    {.key = "backoff_schedule", .number = remotedev_socket_options_set_backoff_schedule},
    {.key = "ca_file", .text = remotedev_socket_options_add_ca_file},
    {.key = "ca_pem", .text = remotedev_socket_options_add_ca_pem},
    {.key = "dangerous_accept_any_certificate", .flag = remotedev_socket_options_set_dangerous_accept_any_certificate},
    {.key = "auth_token", .text = remotedev_socket_options_set_auth_token},
};

/// Applies every key of `options` with `apply` (the builder's own table), else to
/// `socket` (when not NULL); an unknown key is RDErrorInvalidArgument.
static BOOL RDApplyOptions(NSDictionary *options, int (*apply)(void *, NSString *, id, NSError **),
                           void *builder, remotedev_socket_options *socket, NSError **error) {
  NSEnumerator *keys = [options keyEnumerator];
  NSString *key;
  while ((key = [keys nextObject])) {
    id value = [options objectForKey:key];
    int r = apply(builder, key, value, error);
    if (r == 0 && socket)
      r = remotedev_socket_options_apply(kSocketOptions, RD_COUNT(kSocketOptions), socket, key,
                                         value, error);
    if (r == 0)
      return RDRefuse(REMOTEDEV_STATUS_INVALID_ARGUMENT,
                      [NSString stringWithFormat:@"unknown option %@", key], error);
    if (r < 0) return NO;
  }
  return YES;
}

static int RDRelayApply(void *b, NSString *key, id value, NSError **error) {
  return remotedev_relay_options_apply(kRelayOptions, RD_COUNT(kRelayOptions), b, key, value, error);
}

// ---------------------------------------------------------------------------
@implementation RDRelay

- (instancetype)initWithOptions:(NSDictionary *)options error:(NSError **)error {
  if (!(self = [super init])) return nil;
  remotedev_relay_options *b = NULL;
  remotedev_relay *relay = NULL;
  BOOL ok = RDCheck(remotedev_relay_options_new(&b), error) &&
            RDApplyOptions(options, RDRelayApply, b, NULL, error) &&
            RDCheck(remotedev_relay_start(b, &relay), error);
  remotedev_relay_options_free(b);
  if (!ok) {
    RD_RELEASE(self);
    return nil;
  }
  _handle = relay;
  return self;
}

- (instancetype)initWithHost:(NSString *)host
                        port:(uint16_t)port
                    logLevel:(int)logLevel
                       error:(NSError **)error {
  if (!RDSetLogLevel(logLevel, error)) {
    RD_RELEASE(self);
    return nil;
  }
  NSMutableDictionary *options = [NSMutableDictionary dictionary];
  [options setObject:[NSNumber numberWithInt:port] forKey:@"port"];
  [options setObject:@":memory:" forKey:@"db"];
  if (host) [options setObject:host forKey:@"host"];
  return [self initWithOptions:options error:error];
}

- (void)dealloc {
  remotedev_relay_free((remotedev_relay *)_handle);
  RD_SUPER_DEALLOC();
}

- (uint16_t)port {
  uint16_t port = 0;
  remotedev_relay_port((const remotedev_relay *)_handle, &port);
  return port;
}

- (NSString *)url {
  const char *url = NULL;
  if (remotedev_relay_url((const remotedev_relay *)_handle, &url) != REMOTEDEV_STATUS_OK) return nil;
  return RDString(url);
}

- (BOOL)stop:(NSError **)error {
  return RDCheck(remotedev_relay_stop((remotedev_relay *)_handle), error);
}
@end

// ---------------------------------------------------------------------------
// RDConnection: one implementation over the C functions of the app or the monitor
// handle, reached through an RDOps table made by RD_CLIENT_OPS.

typedef struct {
  remotedev_status (*options_new)(void **out);
  void (*options_free)(void *b);
  int (*apply)(void *b, NSString *key, id value, NSError **error);
  remotedev_status (*set_socket)(void *b, const remotedev_socket_options *s);
  remotedev_status (*start)(const void *b, void **out);
  remotedev_status (*connect)(const void *h, uint32_t ms, char **id);
  remotedev_status (*next)(const void *h, uint32_t ms, remotedev_message **out);
  remotedev_status (*set_callback)(const void *h, remotedev_message_callback cb, void *ud);
  remotedev_status (*state)(const void *h, remotedev_connection_state *out);
  remotedev_status (*socket_id)(const void *h, char **out);
  remotedev_status (*last_error)(const void *h, char **out);
  remotedev_status (*close)(const void *h);
  void (*free)(void *h);
} RDOps;

/// The RDOps of the C handle type remotedev_KIND, with its options table.
#define RD_CLIENT_OPS(kind, table)                                                         \
  static remotedev_status kind##_options_new(void **out) {                                 \
    remotedev_##kind##_options *b = NULL;                                                  \
    remotedev_status st = remotedev_##kind##_options_new(&b);                              \
    *out = b;                                                                              \
    return st;                                                                             \
  }                                                                                        \
  static void kind##_options_free(void *b) { remotedev_##kind##_options_free(b); }         \
  static int kind##_apply(void *b, NSString *key, id value, NSError **error) {             \
    return remotedev_##kind##_options_apply(table, RD_COUNT(table), b, key, value, error); \
  }                                                                                        \
  static remotedev_status kind##_set_socket(void *b, const remotedev_socket_options *s) {  \
    return remotedev_##kind##_options_set_socket(b, s);                                    \
  }                                                                                        \
  static remotedev_status kind##_start(const void *b, void **out) {                        \
    remotedev_##kind *h = NULL;                                                            \
    remotedev_status st = remotedev_##kind##_start(b, &h);                                 \
    *out = h;                                                                              \
    return st;                                                                             \
  }                                                                                        \
  static remotedev_status kind##_connect(const void *h, uint32_t ms, char **id) {          \
    return remotedev_##kind##_connect(h, ms, id);                                          \
  }                                                                                        \
  static remotedev_status kind##_next(const void *h, uint32_t ms, remotedev_message **m) { \
    return remotedev_##kind##_next(h, ms, m);                                              \
  }                                                                                        \
  static remotedev_status kind##_set_callback(const void *h, remotedev_message_callback c, \
                                              void *ud) {                                  \
    return remotedev_##kind##_set_callback(h, c, ud);                                      \
  }                                                                                        \
  static remotedev_status kind##_state(const void *h, remotedev_connection_state *out) {   \
    return remotedev_##kind##_state(h, out);                                               \
  }                                                                                        \
  static remotedev_status kind##_socket_id(const void *h, char **out) {                    \
    return remotedev_##kind##_socket_id(h, out);                                           \
  }                                                                                        \
  static remotedev_status kind##_last_error(const void *h, char **out) {                   \
    return remotedev_##kind##_last_error(h, out);                                          \
  }                                                                                        \
  static remotedev_status kind##_close(const void *h) { return remotedev_##kind##_close(h); } \
  static void kind##_free(void *h) { remotedev_##kind##_free(h); }                         \
  static const RDOps kind##_ops = {                                                        \
      kind##_options_new, kind##_options_free, kind##_apply,     kind##_set_socket,        \
      kind##_start,       kind##_connect,      kind##_next,      kind##_set_callback,      \
      kind##_state,       kind##_socket_id,    kind##_last_error, kind##_close,            \
      kind##_free};

RD_CLIENT_OPS(app, kAppOptions)
RD_CLIENT_OPS(monitor, kMonitorOptions)

@interface RDConnection (Internal)
- (instancetype)initWithOptions:(NSDictionary *)options ops:(const RDOps *)ops error:(NSError **)error;
- (RDMessage *)nextWithTimeout:(NSTimeInterval)timeout error:(NSError **)error;
- (void)setCallbackDelegate:(id)delegate;
- (void)deliver:(RDMessage *)message;
@end

/// Hands a message lent by the library's dispatcher thread to the connection's delegate.
static void RDConnectionCallback(void *userdata, const remotedev_message *message) {
  RDEnterCallbackThread();
  RD_POOL_BEGIN
  RDConnection *connection = (RD_BRIDGE RDConnection *)userdata;
  RDMessage *m = RDMessageCopy(message);
  if (m) [connection deliver:m];
  RD_POOL_END
}

#define RD_OPS ((const RDOps *)_ops)

@implementation RDConnection

- (instancetype)initWithOptions:(NSDictionary *)options ops:(const RDOps *)ops error:(NSError **)error {
  if (!(self = [super init])) return nil;
  void *b = NULL, *handle = NULL;
  remotedev_socket_options *s = NULL;
  BOOL ok = RDCheck(ops->options_new(&b), error) && RDCheck(remotedev_socket_options_new(&s), error) &&
            RDApplyOptions(options, ops->apply, b, s, error) && RDCheck(ops->set_socket(b, s), error) &&
            RDCheck(ops->start(b, &handle), error);
  ops->options_free(b);
  remotedev_socket_options_free(s);
  if (!ok) {
    RD_RELEASE(self);
    return nil;
  }
  _handle = handle;
  _ops = ops;
  return self;
}

- (void)dealloc {
  // Frees the dispatcher first (it waits for a running delegate call), then the client.
  if (_ops) RD_OPS->free(_handle);
  RD_SUPER_DEALLOC();
}

- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  return RDCheck(RD_OPS->connect(_handle, RDMillis(timeout), NULL), error);
}

- (RDMessage *)nextWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  remotedev_message *m = NULL;
  remotedev_status st = RD_OPS->next(_handle, RDMillis(timeout), &m);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    return nil;
  }
  return RD_AUTORELEASE([[RDMessage alloc] initWithHandle:m]);
}

- (BOOL)isConnected {
  remotedev_connection_state state = REMOTEDEV_CONNECTION_STATE_CLOSED;
  RD_OPS->state(_handle, &state);
  return state == REMOTEDEV_CONNECTION_STATE_OPEN;
}

- (NSString *)socketId {
  char *s = NULL;
  return RDTakeString(RD_OPS->socket_id(_handle, &s), &s);
}

- (NSString *)lastError {
  char *s = NULL;
  return RDTakeString(RD_OPS->last_error(_handle, &s), &s);
}

- (void)setCallbackDelegate:(id)delegate {
  // Stop the old delivery first, so no call reaches a delegate that was replaced.
  RD_OPS->set_callback(_handle, NULL, NULL);
  _delegate = delegate;
  if (delegate) RD_OPS->set_callback(_handle, RDConnectionCallback, (RD_BRIDGE void *)self);
}

- (void)deliver:(RDMessage *)message {
}

- (void)close {
  RD_OPS->close(_handle);
}
@end

// ---------------------------------------------------------------------------
@implementation RDClient

- (instancetype)initWithOptions:(NSDictionary *)options error:(NSError **)error {
  return [self initWithOptions:options ops:&app_ops error:error];
}

- (instancetype)initWithURL:(NSString *)url
                       name:(NSString *)name
                 instanceId:(NSString *)instanceId
                  reconnect:(BOOL)reconnect
                      error:(NSError **)error {
  NSMutableDictionary *options = [NSMutableDictionary dictionaryWithObject:url forKey:@"url"];
  if (name) [options setObject:name forKey:@"name"];
  if (instanceId) [options setObject:instanceId forKey:@"instance_id"];
  [options setObject:[NSNumber numberWithBool:reconnect] forKey:@"reconnect"];
  return [self initWithOptions:options error:error];
}

- (BOOL)initState:(id)state error:(NSError **)error {
  NSString *json = RDJSONText(state, error);
  if (!json) return NO;
  return RDCheck(remotedev_app_init(_handle, [json UTF8String]), error);
}

- (BOOL)sendAction:(id)action state:(id)state error:(NSError **)error {
  NSString *a = RDJSONText(action, error);
  if (!a) return NO;
  NSString *s = RDJSONText(state, error);
  if (!s) return NO;
  return RDCheck(remotedev_app_send_action(_handle, [a UTF8String], [s UTF8String]), error);
}

- (BOOL)sendLiftedState:(id)liftedState error:(NSError **)error {
  NSString *json = RDJSONText(liftedState, error);
  if (!json) return NO;
  return RDCheck(remotedev_app_send_state(_handle, [json UTF8String]), error);
}

- (RDMessage *)nextCommandWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  return [self nextWithTimeout:timeout error:error];
}

- (id<RDClientDelegate>)delegate {
  return _delegate;
}

- (void)setDelegate:(id<RDClientDelegate>)delegate {
  [self setCallbackDelegate:delegate];
}

- (void)deliver:(RDMessage *)message {
  id<RDClientDelegate> delegate = _delegate;
  [delegate client:self didReceiveCommand:message];
}
@end

// ---------------------------------------------------------------------------
@implementation RDMonitor

- (instancetype)initWithOptions:(NSDictionary *)options error:(NSError **)error {
  return [self initWithOptions:options ops:&monitor_ops error:error];
}

- (instancetype)initWithURL:(NSString *)url error:(NSError **)error {
  return [self initWithOptions:[NSDictionary dictionaryWithObject:url forKey:@"url"] error:error];
}

- (RDMessage *)nextMessageWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  return [self nextWithTimeout:timeout error:error];
}

- (BOOL)sendCommand:(id)command toConnection:(NSString *)connectionId error:(NSError **)error {
  NSString *json = RDJSONText(command, error);
  if (!json) return NO;
  return RDCheck(remotedev_monitor_send_to(_handle, [connectionId UTF8String], [json UTF8String]),
                 error);
}

- (BOOL)dispatchAction:(id)action
                 state:(id)state
          toConnection:(NSString *)connectionId
                 error:(NSError **)error {
  NSString *a = RDJSONText(action, error);
  if (!a) return NO;
  NSString *s = nil;
  if (state && !(s = RDJSONText(state, error))) return NO;
  char *command = NULL;
  remotedev_status st =
      remotedev_dispatch_command([a UTF8String], s ? [s UTF8String] : NULL, NULL, &command);
  if (st != REMOTEDEV_STATUS_OK) return RDFail(st, error);
  st = remotedev_monitor_send_to(_handle, [connectionId UTF8String], command);
  remotedev_string_free(command);
  return RDCheck(st, error);
}

- (BOOL)broadcastCommand:(id)command error:(NSError **)error {
  NSString *json = RDJSONText(command, error);
  if (!json) return NO;
  return RDCheck(remotedev_monitor_broadcast(_handle, [json UTF8String]), error);
}

- (id<RDMonitorDelegate>)delegate {
  return _delegate;
}

- (void)setDelegate:(id<RDMonitorDelegate>)delegate {
  [self setCallbackDelegate:delegate];
}

- (void)deliver:(RDMessage *)message {
  id<RDMonitorDelegate> delegate = _delegate;
  [delegate monitor:self didReceiveMessage:message];
}
@end
