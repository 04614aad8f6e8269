#import "RDConnection.h"

NS_ASSUME_NONNULL_BEGIN

@class RDMonitor;

/// Receives the apps' messages. Called on the monitor's dispatcher thread (owned by the
/// library, never the main thread).
@protocol RDMonitorDelegate <NSObject>
- (void)monitor:(RDMonitor *)monitor didReceiveMessage:(RDMessage *)message;
@end

/// A monitor (what the Redux DevTools app does): receives app messages, sends commands.
@interface RDMonitor : RDConnection
/// Starts connecting in the background with the settings in `options` (nil: the
/// defaults), keyed by the C API's setter names: "url", "host", "port", "answer_start"
/// (remotedev_monitor_options_set_*) and the socket's keys as for RDClient.
- (nullable instancetype)initWithOptions:(nullable NSDictionary *)options
                                   error:(NSError *_Nullable *_Nullable)error;
- (nullable instancetype)initWithURL:(NSString *)url error:(NSError *_Nullable *_Nullable)error;
/// The next app message, waiting up to `timeout`; nil with RDErrorTimeout,
/// RDErrorClosed or RDErrorBusy as for RDClient.
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
/// Not retained. Setting it starts (nil: stops) delivery on the dispatcher thread.
@property (nonatomic, assign) id<RDMonitorDelegate> _Nullable delegate;
@end

NS_ASSUME_NONNULL_END
