#import "RDCommon.h"

NS_ASSUME_NONNULL_BEGIN

/// A relay running on the library's own threads.
@interface RDRelay : NSObject {
 @private
  void *_handle;  // remotedev_relay *
}
/// Starts a relay on `host` (nil: 127.0.0.1) and `port` (0: any free port). `logLevel`
/// 0 silent … 3 info (process-wide). Blocks until listening.
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
