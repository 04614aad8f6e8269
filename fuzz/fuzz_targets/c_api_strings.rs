//! The C API's string arguments: arbitrary bytes (invalid UTF-8, invalid JSON, NULL)
//! into long-stable `remotedev_*` entry points that take strings. Each call returns a
//! status with a message, never crashes; strings it returns are valid and freed with
//! `remotedev_string_free`.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::ptr;

use libfuzzer_sys::fuzz_target;
use remotedev::ffi::*;

fn arg(part: Option<&[u8]>) -> Option<CString> {
    part.map(|p| CString::new(p.iter().copied().filter(|b| *b != 0).collect::<Vec<_>>()).unwrap())
}

fn ptr_of(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}

fuzz_target!(|data: &[u8]| {
    // three arguments separated by 0xff; a missing one is NULL
    let mut parts = data.split(|b| *b == 0xff);
    let (action, state, instance) = (arg(parts.next()), arg(parts.next()), arg(parts.next()));
    let mut out: *mut c_char = ptr::null_mut();
    let status =
        remotedev_dispatch_command(ptr_of(&action), ptr_of(&state), ptr_of(&instance), &mut out);
    // SAFETY (test): the library returns NUL-terminated strings it owns or we free.
    let message = unsafe { CStr::from_ptr(remotedev_status_message(status as _)) };
    assert!(!message.to_bytes().is_empty());
    if out.is_null() {
        let last = remotedev_last_error();
        assert!(!last.is_null(), "a failed call leaves a last error");
        let text = unsafe { CStr::from_ptr(last) }
            .to_str()
            .expect("UTF-8 error text");
        assert!(!text.is_empty());
    } else {
        let text = unsafe { CStr::from_ptr(out) }
            .to_str()
            .expect("UTF-8 command");
        // RawValue: JSON numbers beyond f64 (e.g. 10E11181) are valid JSON text
        let v: &serde_json::value::RawValue = serde_json::from_str(text).expect("a JSON command");
        assert!(v.get().starts_with(r#"{"type":"DISPATCH","#), "{text}");
        remotedev_string_free(out);
    }
    // any status number has a message
    let n = data.first().map_or(0, |b| *b as i8 as i32);
    let m = remotedev_status_message(n as _);
    assert!(!m.is_null());
    remotedev_string_free(ptr::null_mut());
});
