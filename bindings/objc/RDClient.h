#import "RDMessage.h"

NS_ASSUME_NONNULL_BEGIN

@class RDClient;

/// Receives an app's monitor commands. Called on the client's dispatcher thread (a
/// thread the library owns, never the main thread): hop to your own queue or thread to
/// touch UI state.
@protocol RDClientDelegate <NSObject>
- (void)client:(RDClient *)client didReceiveCommand:(RDMessage *)command;
@end

/// An instrumented app: streams INIT / ACTION / STATE to the monitors and receives
/// their commands (time travel…), either through the delegate or pulled with
/// -nextCommandWithTimeout:error:.
@interface RDClient : NSObject {
 @private
  void *_handle;  // remotedev_app *
  RD_UNRETAINED id _delegate;  // not retained
}
/// Starts connecting to `url` (ws://host:port/socketcluster/) in the background.
- (nullable instancetype)initWithURL:(NSString *)url
                                name:(nullable NSString *)name
                          instanceId:(nullable NSString *)instanceId
                           reconnect:(BOOL)reconnect
                               error:(NSError *_Nullable *_Nullable)error;
/// Waits until connected and logged in.
- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError *_Nullable *_Nullable)error;
/// INIT with the initial state (an NSDictionary / NSArray, or JSON text as NSString).
- (BOOL)initState:(id)state error:(NSError *_Nullable *_Nullable)error;
/// ACTION: the action (e.g. @{@"type": @"INCREMENT"}) and the state after it.
- (BOOL)sendAction:(id)action state:(id)state error:(NSError *_Nullable *_Nullable)error;
/// STATE: a whole lifted state.
- (BOOL)sendLiftedState:(id)liftedState error:(NSError *_Nullable *_Nullable)error;
/// The next command, waiting up to `timeout`; nil with RDErrorTimeout when none came
/// (RDErrorBusy while a delegate is set).
- (nullable RDMessage *)nextCommandWithTimeout:(NSTimeInterval)timeout
                                         error:(NSError *_Nullable *_Nullable)error;
@property (nonatomic, readonly, getter=isConnected) BOOL connected;
/// The socket id (the <id> of sc-<id>); nil while not connected.
@property (nonatomic, readonly, copy) NSString *_Nullable socketId;
/// Not retained. Setting it starts (nil: stops) delivery on the dispatcher thread.
@property (nonatomic, assign) id<RDClientDelegate> _Nullable delegate;
/// Disconnects for good.
- (void)close;
@end

NS_ASSUME_NONNULL_END
