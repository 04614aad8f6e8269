//! One relay socket (and a second one) driven by an arbitrary sequence of frames
//! against an in-process relay: no panic, every cid answered at most once, nothing left
//! in the hub afterwards (see `remotedev::relay::fuzzing`). Input: lines; a line's
//! first byte picks the socket (odd: the second) and says whether both sockets start
//! with a valid handshake (the first line's byte 0x80 bit); the rest is the frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remotedev::relay::fuzzing::Harness;

thread_local! {
    static HARNESS: Harness = Harness::new();
}

fuzz_target!(|data: &[u8]| {
    HARNESS.with(|h| {
        h.run_input(data);
    });
});
