// Tests of the Objective-C wrapper (bindings/objc) on GNUstep: a relay, an RDClient
// that streams to a real socketcluster-client@20 monitor (node) and receives its
// targeted JUMP_TO_ACTION through its delegate and by pulling, an RDMonitor, NSError
// reporting. Run from the repository root. The last line is "N passed, N failed".
#include "harness.h"

#import "RemoteDev.h"
#include "remotedev.h" /* remotedev_auth_token_issue for test_auth */

@interface Collector : NSObject <RDClientDelegate, RDMonitorDelegate> {
 @public
  NSCondition *cond;
  NSMutableArray *commands;
  NSMutableArray *messages;
}
@end

@implementation Collector
- (instancetype)init {
  if ((self = [super init])) {
    cond = [NSCondition new];
    commands = [NSMutableArray new];
    messages = [NSMutableArray new];
  }
  return self;
}
- (void)dealloc {
  [cond release];
  [commands release];
  [messages release];
  [super dealloc];
}
- (void)client:(RDClient *)client didReceiveCommand:(RDMessage *)command {
  [cond lock];
  [commands addObject:command];
  [cond broadcast];
  [cond unlock];
}
- (void)monitor:(RDMonitor *)monitor didReceiveMessage:(RDMessage *)message {
  [cond lock];
  [messages addObject:message];
  [cond broadcast];
  [cond unlock];
}
/// The first collected message of `type` in `list`, waiting up to 20 s.
- (RDMessage *)waitIn:(NSMutableArray *)list forType:(NSString *)type {
  NSDate *until = [NSDate dateWithTimeIntervalSinceNow:20];
  RDMessage *found = nil;
  [cond lock];
  while (!found) {
    for (RDMessage *m in list)
      if ([[m type] isEqualToString:type]) found = m;
    if (!found && ![cond waitUntilDate:until]) break;
  }
  [[found retain] autorelease];
  [cond unlock];
  return found;
}
@end

static void test_errors(void) {
  NSError *error = nil;
  RDClient *c = [[RDClient alloc] initWithURL:@"http://nope/" name:nil instanceId:nil reconnect:NO
                                        error:&error];
  CHECK(c == nil);
  CHECK([[error domain] isEqualToString:RDErrorDomain]);
  CHECK([error code] == RDErrorInvalidURL);
  CHECK([[error localizedDescription] length] > 0);

  RDRelay *relay = [[RDRelay alloc] initWithHost:nil port:0 logLevel:0 error:&error];
  CHECK(relay != nil);
  CHECK([relay port] != 0);
  error = nil;
  RDRelay *busy = [[RDRelay alloc] initWithHost:nil port:[relay port] logLevel:0 error:&error];
  CHECK(busy == nil);
  CHECK([error code] == RDErrorAddrInUse);
  CHECK([relay stop:&error]);
  CHECK(![relay stop:&error]);
  CHECK([error code] == RDErrorStopped);
  CHECK([relay url] == nil);
  [relay release];

  c = [[RDClient alloc] initWithURL:@"ws://127.0.0.1:1/socketcluster/" name:nil instanceId:nil
                          reconnect:NO error:&error];
  CHECK(c != nil);
  error = nil;
  CHECK(![c initState:@"{not json" error:&error]);
  CHECK([error code] == RDErrorInvalidJSON);
  CHECK([c socketId] == nil);
  CHECK(![c isConnected]);
  [c release];
}

static NSString *describe(NSError *error) {
  return error ? [error localizedDescription] : @"";
}

static void test_options_and_closed(void) {
  NSError *error = nil;
  // refusals in the core's words
  NSMutableDictionary *o = [NSMutableDictionary dictionary];
  [o setObject:[NSNumber numberWithInt:0] forKey:@"port"];
  [o setObject:@":memory:" forKey:@"db"];
  [o setObject:[NSNumber numberWithInt:0] forKey:@"ping_interval_ms"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([error code] == RDErrorInvalidArgument);
  CHECK([describe(error) isEqualToString:@"invalid option ping_interval: must be greater than 0 ms"]);
  [o setObject:[NSNumber numberWithInt:30000] forKey:@"ping_interval_ms"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([describe(error) isEqualToString:@"invalid option ping_interval: must be less than "
                                          "ping_timeout (20000 ms), got 30000 ms"]);
  [o setObject:[NSNumber numberWithInt:1000] forKey:@"ping_interval_ms"];
  [o setObject:[NSNumber numberWithInt:-1] forKey:@"max_payload"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([describe(error) isEqualToString:@"invalid option max_payload: must not be negative, got -1"]);
  [o removeObjectForKey:@"max_payload"];
  [o setObject:@"x" forKey:@"no_such_option"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([describe(error) isEqualToString:@"unknown option no_such_option"]);
  [o removeObjectForKey:@"no_such_option"];
  // cluster mode keys (issue 15): checked by the core at start
  [o setObject:@"localhost:6379" forKey:@"redis"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([describe(error) isEqualToString:@"invalid option redis: must be a redis://HOST:PORT[/DB] "
                                          "URL, got \"localhost:6379\""]);
  [o setObject:@"redis://127.0.0.1:1/0" forKey:@"redis"];
  [o setObject:@"bad name" forKey:@"cluster"];
  CHECK([[RDRelay alloc] initWithOptions:o error:&error] == nil);
  CHECK([describe(error) hasPrefix:@"invalid option cluster:"]);
  [o removeObjectForKey:@"redis"];
  [o removeObjectForKey:@"cluster"];
  RDRelay *relay = [[RDRelay alloc] initWithOptions:o error:&error];
  CHECK(relay != nil);
  CHECK(!RDSetLogLevel(9, &error));
  CHECK([error code] == RDErrorInvalidArgument);
  NSDictionary *badAge = [NSDictionary dictionaryWithObject:[NSNumber numberWithInt:0] forKey:@"max_age"];
  CHECK([[RDClient alloc] initWithOptions:badAge error:&error] == nil);
  CHECK([describe(error) isEqualToString:@"invalid option max_age: must be greater than 0"]);

  // nil options: the defaults (ws://127.0.0.1:8000/socketcluster/, in the background)
  RDMonitor *defaults = [[RDMonitor alloc] initWithOptions:nil error:&error];
  CHECK(defaults != nil);
  [defaults release];

  // a port where nothing listens: CONNECT_FAILED naming the endpoint and the cause
  NSString *dead = [NSString stringWithFormat:@"ws://127.0.0.1:%d/socketcluster/", dead_port()];
  RDClient *lost = [[RDClient alloc] initWithURL:dead name:nil instanceId:nil reconnect:YES
                                           error:&error];
  NSDate *started = [NSDate date];
  error = nil;
  CHECK(![lost connectWithTimeout:1.5 error:&error]);
  CHECK([[NSDate date] timeIntervalSinceDate:started] < 3);
  CHECK([error code] == RDErrorConnectFailed);
  CHECK([describe(error) rangeOfString:dead].location != NSNotFound);
  CHECK([describe(error) rangeOfString:@"refused"].location != NSNotFound);
  CHECK([[lost lastError] rangeOfString:@"refused"].location != NSNotFound);
  [lost release];

  // closed is not a timeout
  RDClient *app = [[RDClient alloc] initWithURL:[relay url] name:nil instanceId:nil reconnect:YES
                                          error:&error];
  CHECK([app lastError] == nil);
  CHECK([app connectWithTimeout:20 error:&error]);
  error = nil;
  CHECK([app nextCommandWithTimeout:0.05 error:&error] == nil);
  CHECK([error code] == RDErrorTimeout);
  [app close];
  started = [NSDate date];
  CHECK([app nextCommandWithTimeout:5 error:&error] == nil);
  CHECK([error code] == RDErrorClosed);
  CHECK([[NSDate date] timeIntervalSinceDate:started] < 1);
  [app release];
  RDMonitor *monitor = [[RDMonitor alloc] initWithURL:[relay url] error:&error];
  CHECK([monitor connectWithTimeout:20 error:&error]);
  [monitor close];
  for (int i = 0; i < 50 && [monitor nextMessageWithTimeout:5 error:&error]; i++) {
  }  // what came before the close is read first
  CHECK([error code] == RDErrorClosed);
  [monitor release];
  CHECK([relay stop:&error]);
  [relay release];
}

static void test_app_with_real_monitor(void) {
  NSError *error = nil;
  RDRelay *relay = [[RDRelay alloc] initWithHost:@"127.0.0.1" port:0 logLevel:0 error:&error];
  CHECK(relay != nil);
  if (!relay) return;
  NSString *url = [relay url];
  CHECK([url hasPrefix:@"ws://127.0.0.1:"]);

  peer node;
  char line[65536];
  CHECK(peer_start_monitor(&node, [url UTF8String]) == 0);
  CHECK(peer_wait_for(&node, "\"ready\"", line, sizeof line, 20000) == 0);

  Collector *collector = [Collector new];
  RDMonitor *monitor = [[RDMonitor alloc] initWithURL:url error:&error];
  CHECK(monitor != nil);
  CHECK([monitor connectWithTimeout:20 error:&error]);
  [monitor setDelegate:collector];

  RDClient *app = [[RDClient alloc] initWithURL:url name:@"CounterObjC" instanceId:@"objc-1"
                                      reconnect:YES error:&error];
  CHECK(app != nil);
  CHECK([app connectWithTimeout:20 error:&error]);
  CHECK([app isConnected]);
  NSString *sid = [app socketId];
  CHECK([sid length] > 0);
  NSDictionary *zero = [NSDictionary dictionaryWithObject:[NSNumber numberWithInt:0] forKey:@"count"];
  NSDictionary *one = [NSDictionary dictionaryWithObject:[NSNumber numberWithInt:1] forKey:@"count"];
  NSDictionary *inc = [NSDictionary dictionaryWithObject:@"INCREMENT" forKey:@"type"];
  CHECK([app initState:zero error:&error]);
  CHECK([app sendAction:inc state:one error:&error]);

  CHECK(peer_wait_for(&node, "INCREMENT", line, sizeof line, 20000) == 0);
  CHECK(strstr(line, "objc-1") != NULL);
  RDMessage *seen = [collector waitIn:collector->messages forType:@"ACTION"];
  CHECK(seen != nil);
  CHECK([[seen instanceId] isEqualToString:@"objc-1"]);
  CHECK([[seen connectionId] isEqualToString:sid]);
  CHECK([[[seen state] objectForKey:@"count"] intValue] == 1);
  CHECK([seen kind] == RDMessageKindApp);

  // pulled
  snprintf(line, sizeof line,
           "{\"event\":\"sc-%s\",\"data\":{\"type\":\"DISPATCH\",\"action\":{\"type\":"
           "\"JUMP_TO_ACTION\",\"actionId\":1},\"state\":\"{\\\"count\\\":1}\"}}",
           [sid UTF8String]);
  CHECK(peer_writeline(&node, line) == 0);
  RDMessage *jump = nil;
  for (int i = 0; i < 20 && !jump; i++) {
    RDMessage *m = [app nextCommandWithTimeout:1 error:&error];
    if ([[m type] isEqualToString:@"DISPATCH"]) jump = m;
  }
  CHECK(jump != nil);
  CHECK([[[jump action] objectForKey:@"type"] isEqualToString:@"JUMP_TO_ACTION"]);
  CHECK([[[jump action] objectForKey:@"actionId"] intValue] == 1);
  CHECK([[jump stateJSON] isEqualToString:@"{\"count\":1}"]);
  CHECK([jump kind] == RDMessageKindCommand);

  // through the delegate
  [app setDelegate:collector];
  error = nil;
  CHECK([app nextCommandWithTimeout:0.01 error:&error] == nil);
  CHECK([error code] == RDErrorBusy);
  snprintf(line, sizeof line,
           "{\"event\":\"sc-%s\",\"data\":{\"type\":\"DISPATCH\",\"action\":{\"type\":"
           "\"JUMP_TO_ACTION\",\"actionId\":2},\"state\":\"{\\\"count\\\":2}\"}}",
           [sid UTF8String]);
  CHECK(peer_writeline(&node, line) == 0);
  RDMessage *viaDelegate = [collector waitIn:collector->commands forType:@"DISPATCH"];
  CHECK(viaDelegate != nil);
  CHECK([[[viaDelegate state] objectForKey:@"count"] intValue] == 2);

  // our monitor targets the app too
  NSDictionary *jump3 = [NSDictionary dictionaryWithObjectsAndKeys:@"JUMP_TO_ACTION", @"type",
                                                                   [NSNumber numberWithInt:3],
                                                                   @"actionId", nil];
  CHECK([monitor dispatchAction:jump3 state:@"{\"count\":3}" toConnection:sid error:&error]);
  CHECK([monitor broadcastCommand:[NSDictionary dictionaryWithObject:@"UPDATE" forKey:@"type"]
                            error:&error]);
  NSDate *until = [NSDate dateWithTimeIntervalSinceNow:20];
  int got3 = 0;
  while (!got3 && [until timeIntervalSinceNow] > 0) {
    [collector->cond lock];
    for (RDMessage *m in collector->commands)
      if ([[m stateJSON] isEqualToString:@"{\"count\":3}"]) got3 = 1;
    if (!got3) [collector->cond waitUntilDate:until];
    [collector->cond unlock];
  }
  CHECK(got3);

  [app setDelegate:nil];
  [monitor setDelegate:nil];
  [app close];
  [monitor close];
  [app release];
  [monitor release];
  [collector release];
  peer_stop(&node);
  CHECK([relay stop:&error]);
  [relay release];
}

/* TLS: the relay's tls_* keys and the clients' ca_file / dangerous_accept_any_certificate
 * keys (a test PKI from tests/tls/make_test_pki.sh in REMOTEDEV_TEST_PKI). */
static void test_tls(void) {
  const char *dir = getenv("REMOTEDEV_TEST_PKI");
  if (!dir) {
    printf("test_tls skipped: REMOTEDEV_TEST_PKI is not set\n");
    return;
  }
  NSString *pki = [NSString stringWithUTF8String:dir];
  NSString *ca = [pki stringByAppendingPathComponent:@"ca.pem"];
  NSError *error = nil;
  NSDictionary *ro = [NSDictionary dictionaryWithObjectsAndKeys:
      [NSNumber numberWithInt:0], @"port", @":memory:", @"db",
      [pki stringByAppendingPathComponent:@"chain.pem"], @"tls_cert_file",
      [pki stringByAppendingPathComponent:@"key-encrypted.pem"], @"tls_key_file",
      @"test-passphrase", @"tls_passphrase", nil];
  RDRelay *relay = [[RDRelay alloc] initWithOptions:ro error:&error];
  CHECK(relay != nil);
  CHECK([[relay url] hasPrefix:@"wss://127.0.0.1:"]);
  NSDictionary *co = [NSDictionary dictionaryWithObjectsAndKeys:[relay url], @"url", ca, @"ca_file", nil];
  RDClient *app = [[RDClient alloc] initWithOptions:co error:&error];
  CHECK([app connectWithTimeout:20 error:&error]);
  [app release];
  NSDictionary *untrusted = [NSDictionary dictionaryWithObject:[relay url] forKey:@"url"];
  RDClient *refused = [[RDClient alloc] initWithOptions:untrusted error:&error];
  error = nil;
  CHECK(![refused connectWithTimeout:1.5 error:&error]);
  CHECK([error code] == RDErrorConnectFailed);
  CHECK([describe(error) rangeOfString:@"UnknownIssuer"].location != NSNotFound);
  [refused release];
  NSDictionary *insecure = [NSDictionary dictionaryWithObjectsAndKeys:[relay url], @"url",
      [NSNumber numberWithBool:YES], @"dangerous_accept_any_certificate", nil];
  RDMonitor *monitor = [[RDMonitor alloc] initWithOptions:insecure error:&error];
  CHECK([monitor connectWithTimeout:20 error:&error]);
  [monitor release];
  CHECK([relay stop:&error]);
  [relay release];
}

/* Issue 12: "auth_key" / "allow_origin" / "read_only" relay keys and the socket's
 * "auth_token": with the token the client connects, without it RDErrorAuth. */
static void test_auth(void) {
  NSError *error = nil;
  NSMutableDictionary *o = [NSMutableDictionary dictionary];
  [o setObject:[NSNumber numberWithInt:0] forKey:@"port"];
  [o setObject:@":memory:" forKey:@"db"];
  [o setObject:@"objc-key-0123456789" forKey:@"auth_key"];
  [o setObject:[NSArray arrayWithObjects:@"https://a.example", @"null", nil] forKey:@"allow_origin"];
  [o setObject:[NSNumber numberWithBool:NO] forKey:@"read_only"];
  RDRelay *relay = [[RDRelay alloc] initWithOptions:o error:&error];
  CHECK(relay != nil);
  char *token = NULL;
  CHECK(remotedev_auth_token_issue("objc-key-0123456789", 600, &token) == REMOTEDEV_STATUS_OK);
  NSMutableDictionary *c = [NSMutableDictionary dictionary];
  [c setObject:[relay url] forKey:@"url"];
  RDClient *anon = [[RDClient alloc] initWithOptions:c error:&error];
  CHECK(anon != nil);
  CHECK(![anon connectWithTimeout:10 error:&error]);
  CHECK([error code] == RDErrorAuth);
  [c setObject:[NSString stringWithUTF8String:token] forKey:@"auth_token"];
  RDClient *app = [[RDClient alloc] initWithOptions:c error:&error];
  CHECK(app != nil);
  CHECK([app connectWithTimeout:10 error:&error]);
  remotedev_string_free(token);
  [anon release];
  [app release];
  [relay release];
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  NSAutoreleasePool *pool = [NSAutoreleasePool new];
  test_errors();
  test_options_and_closed();
  test_app_with_real_monitor();
  test_tls();
  test_auth();
  [pool drain];
  return h_summary();
}
