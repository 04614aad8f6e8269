#import "RDConnection.h"

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
@interface RDClient : RDConnection
/// Starts connecting in the background with the settings in `options` (nil: the
/// defaults), keyed by the C API's setter names: "url", "host", "port", "name",
/// "instance_id", "max_age", "queue_limit" (remotedev_app_options_set_*) and the
/// socket's "reconnect", "ack_timeout_ms", "connect_timeout_ms", "max_payload",
/// "backoff_initial_delay_ms", "backoff_randomness_ms",
/// "backoff_multiplier", "backoff_max_delay_ms", "backoff_schedule" (0 jittered,
/// 1 reference; see README "Reconnect"), "auth_token" (remotedev_socket_options_set_*).
/// A relay that refuses the auth token (or needs one) makes
/// -connectWithTimeout:error: fail at once with RDErrorAuth.
/// Values are NSString or NSNumber. A refused value fails with the core's text (e.g.
/// "invalid option max_age: must be greater than 0").
- (nullable instancetype)initWithOptions:(nullable NSDictionary *)options
                                   error:(NSError *_Nullable *_Nullable)error;
/// Starts connecting to `url` (ws://host:port/socketcluster/) in the background.
- (nullable instancetype)initWithURL:(NSString *)url
                                name:(nullable NSString *)name
                          instanceId:(nullable NSString *)instanceId
                           reconnect:(BOOL)reconnect
                               error:(NSError *_Nullable *_Nullable)error;
/// INIT with the initial state (an NSDictionary / NSArray, or JSON text as NSString).
- (BOOL)initState:(id)state error:(NSError *_Nullable *_Nullable)error;
/// ACTION: the action (e.g. @{@"type": @"INCREMENT"}) and the state after it.
- (BOOL)sendAction:(id)action state:(id)state error:(NSError *_Nullable *_Nullable)error;
/// STATE: a whole lifted state.
- (BOOL)sendLiftedState:(id)liftedState error:(NSError *_Nullable *_Nullable)error;
/// The next command, waiting up to `timeout`; nil with RDErrorTimeout when none came
/// yet, RDErrorClosed once closed, RDErrorBusy while a delegate is set.
- (nullable RDMessage *)nextCommandWithTimeout:(NSTimeInterval)timeout
                                         error:(NSError *_Nullable *_Nullable)error;
/// Not retained. Setting it starts (nil: stops) delivery on the dispatcher thread.
@property (nonatomic, assign) id<RDClientDelegate> _Nullable delegate;
@end

NS_ASSUME_NONNULL_END
