#import "RDMessage.h"

NS_ASSUME_NONNULL_BEGIN

@class RDMonitor;

/// Receives the apps' messages. Called on the monitor's dispatcher thread (owned by the
/// library, never the main thread).
@protocol RDMonitorDelegate <NSObject>
- (void)monitor:(RDMonitor *)monitor didReceiveMessage:(RDMessage *)message;
@end

/// A monitor (what the Redux DevTools app does): receives app messages, sends commands.
@interface RDMonitor : NSObject {
 @private
  void *_handle;  // remotedev_monitor *
  RD_UNRETAINED id _delegate;  // not retained
}
- (nullable instancetype)initWithURL:(NSString *)url error:(NSError *_Nullable *_Nullable)error;
/// Waits until connected with `log` subscribed.
- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError *_Nullable *_Nullable)error;
- (nullable RDMessage *)nextMessageWithTimeout:(NSTimeInterval)timeout
                                         error:(NSError *_Nullable *_Nullable)error;
/// Sends a command (NSDictionary or JSON text) to one app connection.
- (BOOL)sendCommand:(id)command
       toConnection:(NSString *)connectionId
              error:(NSError *_Nullable *_Nullable)error;
/// Sends a DISPATCH (e.g. @{@"type": @"JUMP_TO_ACTION", @"actionId": @1}) with the
/// state to show (JSON text or a container; may be nil) to one app connection.
- (BOOL)dispatchAction:(id)action
                 state:(nullable id)state
          toConnection:(NSString *)connectionId
                 error:(NSError *_Nullable *_Nullable)error;
/// Sends a command to every app.
- (BOOL)broadcastCommand:(id)command error:(NSError *_Nullable *_Nullable)error;
@property (nonatomic, assign) id<RDMonitorDelegate> _Nullable delegate;
- (void)close;
@end

NS_ASSUME_NONNULL_END
