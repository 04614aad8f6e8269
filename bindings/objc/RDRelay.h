#import "RDCommon.h"

NS_ASSUME_NONNULL_BEGIN

/// A relay running on the library's own threads.
@interface RDRelay : NSObject {
 @private
  void *_handle;  // remotedev_relay *
}
/// Starts a relay with the settings in `options` (nil: the defaults, 127.0.0.1:8000),
/// keyed by the C API's setter names (remotedev_relay_options_set_*): "host", "port",
/// "ping_interval_ms", "ping_timeout_ms", "handshake_timeout_ms",
/// "subscribe_grace_ms", "max_payload", "outbound_limit", "pending_limit",
/// "channel_limit", "max_request_body", "worker_threads", "protocol_version", "db"
/// (a path or ":memory:"), "db_options_file", "serve_ui" (NSNumber bool: the monitor UI
/// at http://HOST:PORT/, default on), and access control (README "Access
/// control"): "auth_key" (NSString), "read_only" (NSNumber BOOL), "allow_origin" (an
/// NSString or an NSArray of them), and cluster mode (README "Cluster mode"): "redis"
/// (NSString redis://HOST:PORT[/DB]), "cluster" (NSString). Values are NSString or NSNumber. A refused
/// value fails with RDErrorInvalidArgument and the core's text (e.g. "invalid option
/// ping_interval: must be greater than 0 ms"). Blocks until listening.
- (nullable instancetype)initWithOptions:(nullable NSDictionary *)options
                                   error:(NSError *_Nullable *_Nullable)error;
/// Starts a relay on `host` (nil: 127.0.0.1) and `port` (0: any free port), keeping
/// reports in memory; `logLevel` 0 silent … 5 trace (process-wide, RDSetLogLevel).
- (nullable instancetype)initWithHost:(nullable NSString *)host
                                 port:(uint16_t)port
                             logLevel:(int)logLevel
                                error:(NSError *_Nullable *_Nullable)error;
/// The bound port; 0 once stopped.
@property (nonatomic, readonly) uint16_t port;
/// ws://HOST:PORT/socketcluster/; nil once stopped.
@property (nonatomic, readonly, copy) NSString *_Nullable url;
/// Closes every socket and stops. A second stop fails with RDErrorStopped.
- (BOOL)stop:(NSError *_Nullable *_Nullable)error;
@end

NS_ASSUME_NONNULL_END
