#import "RDCommon.h"

NS_ASSUME_NONNULL_BEGIN

/// What an RDMessage holds.
typedef NS_ENUM(NSInteger, RDMessageKind) {
  /// A command from a monitor to an app (START, STOP, DISPATCH, …).
  RDMessageKindCommand = 1,
  /// A message from an app to the monitors (INIT, ACTION, STATE, …).
  RDMessageKindApp = 2,
  /// A report-store notification.
  RDMessageKindReport = 3,
};

/// A received command or app message (immutable; any thread).
@interface RDMessage : NSObject {
 @private
  void *_handle;  // remotedev_message *, owned
}
@property (nonatomic, readonly) RDMessageKind kind;
/// "DISPATCH", "ACTION", …; nil for reports.
@property (nonatomic, readonly, copy) NSString *_Nullable type;
/// The app's connection (socket) id, where targeted commands go.
@property (nonatomic, readonly, copy) NSString *_Nullable connectionId;
@property (nonatomic, readonly, copy) NSString *_Nullable instanceId;
@property (nonatomic, readonly, copy) NSString *_Nullable name;
/// The action as JSON text, e.g. {"type":"JUMP_TO_ACTION","actionId":1}.
@property (nonatomic, readonly, copy) NSString *_Nullable actionJSON;
/// The state as JSON text (DISPATCH / IMPORT / SYNC state, or an app's payload).
@property (nonatomic, readonly, copy) NSString *_Nullable stateJSON;
/// The whole message as JSON text.
@property (nonatomic, readonly, copy) NSString *rawJSON;
/// actionJSON / stateJSON parsed with NSJSONSerialization (nil if absent or unparsable).
@property (nonatomic, readonly) id _Nullable action;
@property (nonatomic, readonly) id _Nullable state;

/// Takes ownership of a `remotedev_message *` (used by RDClient / RDMonitor).
- (instancetype)initWithHandle:(void *)handle;
@end

NS_ASSUME_NONNULL_END
