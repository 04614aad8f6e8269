// Umbrella header of the Objective-C wrapper (module RemoteDev).
#import "RDCommon.h"
#import "RDMessage.h"
#import "RDRelay.h"
#import "RDConnection.h"
#import "RDClient.h"
#import "RDMonitor.h"
