//! The report API's bodies (JSON and urlencoded, on `POST /` and `POST /graphql`) and
//! the `dbOptions` JSON: never a panic, a 500 or a non-JSON answer; only successful
//! adds are published (see `remotedev::relay::fuzzing::ReportApi`). The first byte
//! picks the input kind.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use remotedev::relay::fuzzing::ReportApi;
use remotedev::store::StoreLocation;

thread_local! {
    static API: RefCell<ReportApi> = RefCell::new(ReportApi::new());
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, body)) = data.split_first() else {
        return;
    };
    match kind % 5 {
        0 => {
            API.with(|a| {
                a.borrow_mut()
                    .post("/", Some("application/json"), body.to_vec())
            });
        }
        1 => {
            API.with(|a| {
                a.borrow_mut().post(
                    "/",
                    Some("application/x-www-form-urlencoded"),
                    body.to_vec(),
                )
            });
        }
        2 => {
            API.with(|a| a.borrow_mut().post("/", None, body.to_vec()));
        }
        3 => {
            API.with(|a| {
                a.borrow_mut()
                    .post("/graphql", Some("application/json"), body.to_vec())
            });
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = StoreLocation::from_knex_json(text);
            }
        }
    }
});
