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

static NSString *RDString(const char *s) {
  return s ? [NSString stringWithUTF8String:s] : nil;
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
@implementation RDRelay

- (instancetype)initWithHost:(NSString *)host
                        port:(uint16_t)port
                    logLevel:(int)logLevel
                       error:(NSError **)error {
  if (!(self = [super init])) return nil;
  remotedev_relay_options options;
  remotedev_relay_options_init(&options);
  options.host = host ? [host UTF8String] : NULL;
  options.port = port;
  options.log_level = logLevel;
  remotedev_relay *relay = NULL;
  remotedev_status st = remotedev_relay_start(&options, &relay);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    RD_RELEASE(self);
    return nil;
  }
  _handle = relay;
  return self;
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
static void RDClientCallback(void *userdata, const remotedev_message *message) {
  RDEnterCallbackThread();
  RD_POOL_BEGIN
  RDClient *client = (RD_BRIDGE RDClient *)userdata;
  id<RDClientDelegate> delegate = [client delegate];
  RDMessage *m = RDMessageCopy(message);
  if (delegate && m) [delegate client:client didReceiveCommand:m];
  RD_POOL_END
}

@implementation RDClient

- (instancetype)initWithURL:(NSString *)url
                       name:(NSString *)name
                 instanceId:(NSString *)instanceId
                  reconnect:(BOOL)reconnect
                      error:(NSError **)error {
  if (!(self = [super init])) return nil;
  remotedev_app_options options;
  remotedev_app_options_init(&options);
  options.url = [url UTF8String];
  options.name = name ? [name UTF8String] : NULL;
  options.instance_id = instanceId ? [instanceId UTF8String] : NULL;
  options.reconnect = reconnect ? true : false;
  remotedev_app *app = NULL;
  remotedev_status st = remotedev_app_new(&options, &app);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    RD_RELEASE(self);
    return nil;
  }
  _handle = app;
  return self;
}

- (void)dealloc {
  // Frees the dispatcher first (it waits for a running delegate call), then the app.
  remotedev_app_free((remotedev_app *)_handle);
  RD_SUPER_DEALLOC();
}

- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  return RDCheck(remotedev_app_connect(_handle, RDMillis(timeout)), error);
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
  remotedev_message *m = NULL;
  remotedev_status st = remotedev_app_next(_handle, RDMillis(timeout), &m);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    return nil;
  }
  return RD_AUTORELEASE([[RDMessage alloc] initWithHandle:m]);
}

- (BOOL)isConnected {
  remotedev_connection_state state = REMOTEDEV_CONNECTION_STATE_CLOSED;
  remotedev_app_state(_handle, &state);
  return state == REMOTEDEV_CONNECTION_STATE_OPEN;
}

- (NSString *)socketId {
  char *sid = NULL;
  if (remotedev_app_socket_id(_handle, &sid) != REMOTEDEV_STATUS_OK) return nil;
  NSString *s = RDString(sid);
  remotedev_string_free(sid);
  return s;
}

- (id<RDClientDelegate>)delegate {
  return _delegate;
}

- (void)setDelegate:(id<RDClientDelegate>)delegate {
  // Stop the old delivery first, so no call reaches a delegate that was replaced.
  remotedev_app_set_callback(_handle, NULL, NULL);
  _delegate = delegate;
  if (delegate) remotedev_app_set_callback(_handle, RDClientCallback, (RD_BRIDGE void *)self);
}

- (void)close {
  remotedev_app_close(_handle);
}
@end

// ---------------------------------------------------------------------------
static void RDMonitorCallback(void *userdata, const remotedev_message *message) {
  RDEnterCallbackThread();
  RD_POOL_BEGIN
  RDMonitor *monitor = (RD_BRIDGE RDMonitor *)userdata;
  id<RDMonitorDelegate> delegate = [monitor delegate];
  RDMessage *m = RDMessageCopy(message);
  if (delegate && m) [delegate monitor:monitor didReceiveMessage:m];
  RD_POOL_END
}

@implementation RDMonitor

- (instancetype)initWithURL:(NSString *)url error:(NSError **)error {
  if (!(self = [super init])) return nil;
  remotedev_monitor_options options;
  remotedev_monitor_options_init(&options);
  options.url = [url UTF8String];
  remotedev_monitor *monitor = NULL;
  remotedev_status st = remotedev_monitor_new(&options, &monitor);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    RD_RELEASE(self);
    return nil;
  }
  _handle = monitor;
  return self;
}

- (void)dealloc {
  remotedev_monitor_free((remotedev_monitor *)_handle);
  RD_SUPER_DEALLOC();
}

- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  return RDCheck(remotedev_monitor_connect(_handle, RDMillis(timeout)), error);
}

- (RDMessage *)nextMessageWithTimeout:(NSTimeInterval)timeout error:(NSError **)error {
  remotedev_message *m = NULL;
  remotedev_status st = remotedev_monitor_next(_handle, RDMillis(timeout), &m);
  if (st != REMOTEDEV_STATUS_OK) {
    RDFail(st, error);
    return nil;
  }
  return RD_AUTORELEASE([[RDMessage alloc] initWithHandle:m]);
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
  remotedev_monitor_set_callback(_handle, NULL, NULL);
  _delegate = delegate;
  if (delegate) remotedev_monitor_set_callback(_handle, RDMonitorCallback, (RD_BRIDGE void *)self);
}

- (void)close {
  remotedev_monitor_close(_handle);
}
@end
