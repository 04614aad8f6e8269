#import "RDMessage.h"

NS_ASSUME_NONNULL_BEGIN

/// What RDClient and RDMonitor share: a client of the C API that connects in the
/// background from its initialiser, waits with -connectWithTimeout:error:, and hands
/// received messages to its delegate (on the library's dispatcher thread) or to
/// -next...WithTimeout:error:. Not used directly.
@interface RDConnection : NSObject {
 @protected
  void *_handle;               // remotedev_app * or remotedev_monitor *
  const void *_ops;            // the C functions of that handle type
  RD_UNRETAINED id _delegate;  // not retained
}
/// Waits until connected. Fails with RDErrorConnectFailed (the description names the
/// endpoint and the cause), RDErrorTimeout (no attempt finished yet) or RDErrorClosed.
- (BOOL)connectWithTimeout:(NSTimeInterval)timeout error:(NSError *_Nullable *_Nullable)error;
@property (nonatomic, readonly, getter=isConnected) BOOL connected;
/// The socket id (the <id> of sc-<id>); nil while not connected.
@property (nonatomic, readonly, copy) NSString *_Nullable socketId;
/// The client's latest error (e.g. why it cannot connect while it retries in the
/// background); nil when there was none.
@property (nonatomic, readonly, copy) NSString *_Nullable lastError;
/// Disconnects for good: later waits fail with RDErrorClosed.
- (void)close;
@end

NS_ASSUME_NONNULL_END
