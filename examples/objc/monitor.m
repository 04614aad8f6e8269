// A monitor in Objective-C that prints every app message (RDMonitorDelegate).
//   ./monitor [url (default ws://127.0.0.1:8000/socketcluster/)] [seconds (default: forever)]
#import <Foundation/Foundation.h>
#import "RemoteDev.h"

@interface Printer : NSObject <RDMonitorDelegate>
@end

@implementation Printer
- (void)monitor:(RDMonitor *)monitor didReceiveMessage:(RDMessage *)message {
  printf("%s from %s: %s\n", [[message type] UTF8String] ?: "REPORT",
         [[message instanceId] UTF8String] ?: "?", [[message rawJSON] UTF8String]);
  fflush(stdout);
}
@end

int main(int argc, char **argv) {
  NSAutoreleasePool *pool = [NSAutoreleasePool new];
  setvbuf(stdout, NULL, _IOLBF, 0);
  NSString *url = argc > 1 ? [NSString stringWithUTF8String:argv[1]]
                           : @"ws://127.0.0.1:8000/socketcluster/";
  int seconds = argc > 2 ? atoi(argv[2]) : 0;
  NSError *error = nil;
  RDMonitor *monitor = [[RDMonitor alloc] initWithURL:url error:&error];
  if (!monitor || ![monitor connectWithTimeout:5 error:&error]) {
    NSLog(@"monitor: %@", [error localizedDescription]);
    return 1;
  }
  printf("monitoring %s\n", [url UTF8String]);
  fflush(stdout);
  Printer *printer = [Printer new];
  [monitor setDelegate:printer];
  for (int i = 0; seconds == 0 || i < seconds; i++) [NSThread sleepForTimeInterval:1];
  [monitor setDelegate:nil];
  [monitor release];
  [printer release];
  [pool drain];
  return 0;
}
