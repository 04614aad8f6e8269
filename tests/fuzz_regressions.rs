//! Fuzz findings (issue 13) replayed through the same in-process relay the fuzz targets
//! drive (`remotedev::relay::fuzzing`, feature `fuzzing`). Each input ran many times in
//! one harness, as libFuzzer runs them: the failures depended on what ran before.

use remotedev::relay::fuzzing::Harness;

fn replay(name: &str, times: usize) {
    let path = format!("{}/tests/fuzz_inputs/{name}", env!("CARGO_MANIFEST_DIR"));
    let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let harness = Harness::new();
    for _ in 0..times {
        harness.run_input(&input);
    }
}

#[test]
fn relay_socket_session_ends_after_the_peer_closes() {
    replay("relay_socket-session-never-ended", 3000);
}

#[test]
fn relay_socket_never_closed() {
    replay("relay_socket-never-closed", 3000);
}
