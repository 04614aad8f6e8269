// A counter app in Objective-C that starts its own relay, streams to it and follows
// JUMP_TO_ACTION / JUMP_TO_STATE (received through its RDClientDelegate).
//   ./counter_app [port (default 8000, 0 = any)] [seconds (default: forever)]
#import <Foundation/Foundation.h>
#import "RemoteDev.h"

@interface Counter : NSObject <RDClientDelegate> {
 @public
  volatile int count;
}
@end

@implementation Counter
- (void)client:(RDClient *)client didReceiveCommand:(RDMessage *)command {
  NSString *type = [[command action] objectForKey:@"type"];
  NSLog(@"command %@ %@", [command type], [command actionJSON]);
  if ([[command type] isEqualToString:@"DISPATCH"] &&
      ([type isEqualToString:@"JUMP_TO_ACTION"] || [type isEqualToString:@"JUMP_TO_STATE"])) {
    id state = [command state];
    if ([state isKindOfClass:[NSDictionary class]]) {
      count = [[state objectForKey:@"count"] intValue];
      NSLog(@"jumped: count = %d", count);
    }
  }
}
@end

int main(int argc, char **argv) {
  NSAutoreleasePool *pool = [NSAutoreleasePool new];
  setvbuf(stdout, NULL, _IOLBF, 0);
  int port = argc > 1 ? atoi(argv[1]) : 8000;
  int seconds = argc > 2 ? atoi(argv[2]) : 0;
  NSError *error = nil;
  RDRelay *relay = [[RDRelay alloc] initWithHost:nil port:(uint16_t)port logLevel:2 error:&error];
  if (!relay) {
    NSLog(@"relay: %@", [error localizedDescription]);
    return 1;
  }
  printf("relay listening on %s\n", [[relay url] UTF8String]);
  RDClient *app = [[RDClient alloc] initWithURL:[relay url] name:@"Counter (ObjC)" instanceId:nil
                                      reconnect:YES error:&error];
  if (![app connectWithTimeout:5 error:&error]) {
    NSLog(@"connect: %@", [error localizedDescription]);
    return 1;
  }
  Counter *counter = [Counter new];
  [app setDelegate:counter];
  [app initState:@"{\"count\":0}" error:NULL];
  for (int tick = 0; seconds == 0 || tick < seconds * 2; tick++) {
    [NSThread sleepForTimeInterval:0.5];
    NSAutoreleasePool *inner = [NSAutoreleasePool new];
    int n = ++counter->count;
    [app sendAction:@"{\"type\":\"INCREMENT\"}"
              state:[NSDictionary dictionaryWithObject:[NSNumber numberWithInt:n] forKey:@"count"]
              error:NULL];
    printf("count = %d\n", n);
    [inner drain];
  }
  [app setDelegate:nil];
  [app release];
  [counter release];
  [relay release];
  [pool drain];
  return 0;
}
