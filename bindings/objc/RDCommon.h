// Shared declarations of the Objective-C wrapper over the libremotedev C API.
// Builds with clang on Apple platforms (ARC or not) and on GNUstep (gcc runtime, no
// blocks: events come through delegate protocols).
#import <Foundation/Foundation.h>

#ifndef NS_ASSUME_NONNULL_BEGIN
#if defined(__clang__)
#define NS_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#define NS_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
#else
#define NS_ASSUME_NONNULL_BEGIN
#define NS_ASSUME_NONNULL_END
#endif
#endif
#if !defined(__clang__)
#define _Nullable
#define _Nonnull
#define _Null_unspecified
#endif

#ifndef __has_feature
#define __has_feature(x) 0
#endif
/// Ivars that must not retain (delegates) under ARC too.
#if __has_feature(objc_arc)
#define RD_UNRETAINED __unsafe_unretained
#else
#define RD_UNRETAINED
#endif

NS_ASSUME_NONNULL_BEGIN

/// The domain of every NSError this wrapper reports. The code is the C API's
/// `remotedev_status`; the localized description is the library's error text.
extern NSString *const RDErrorDomain;

/// Error codes (the C API's `remotedev_status` values). A wait that found nothing yet
/// is RDErrorTimeout; a wait on a closed client (nothing will ever come) is
/// RDErrorClosed; a relay that cannot be reached is RDErrorConnectFailed, whose
/// localizedDescription names the endpoint and the cause (e.g. "Connection refused").
typedef NS_ENUM(NSInteger, RDErrorCode) {
  RDErrorNullArgument = 1,
  RDErrorInvalidUTF8 = 2,
  RDErrorInvalidArgument = 3,
  RDErrorInvalidJSON = 4,
  RDErrorInvalidURL = 5,
  RDErrorAddrInUse = 6,
  RDErrorIO = 7,
  RDErrorTimeout = 8,
  RDErrorRemote = 9,
  RDErrorDisconnected = 10,
  RDErrorClosed = 11,
  RDErrorQueueFull = 12,
  RDErrorStopped = 13,
  RDErrorNotConnected = 14,
  RDErrorBusy = 15,
  RDErrorPanic = 16,
  RDErrorConnectFailed = 17,
  RDErrorNoError = 18,
  /// The relay refused the client's auth token (option "auth_token"), or needs one.
  RDErrorAuth = 19,
};

/// Sets the library's process-wide stderr log level: 0 silent, 1 errors, 2 warnings,
/// 3 info, 4 debug, 5 trace. NO with RDErrorInvalidArgument outside 0...5.
BOOL RDSetLogLevel(NSInteger level, NSError *_Nullable *_Nullable error);

/// JSON text of a Foundation JSON object (NSDictionary or NSArray) via
/// NSJSONSerialization; an NSString is taken as JSON text already. nil on error.
NSString *_Nullable RDJSONText(id object, NSError *_Nullable *_Nullable error);

/// The Foundation object of JSON text (containers mutable: no); nil on error.
id _Nullable RDJSONObject(NSString *text, NSError *_Nullable *_Nullable error);

NS_ASSUME_NONNULL_END
