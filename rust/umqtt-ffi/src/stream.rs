//! Raw stream I/O with a deadline, for simple2's `_read(n)` / `_write(buf)`
//! hooks (which subclasses override and call through `super()`), and topic
//! matching for the façades' per-topic handlers.

use core::slice;

use umqtt_core::{TopicFilter, TopicName};

use crate::driver::{self, Deadline};
use crate::port::umqtt_port_t;
use crate::{result_status, umqtt_bytes, umqtt_status, write_ptr};

/// Reads exactly `len` bytes into `buf` (`write` false), or writes all
/// `len` bytes of `buf` (`write` true), within `timeout` ms. (One entry
/// point for both: they share their checks.)
///
/// # Safety
/// `port` valid for the call; `buf` valid for `len` bytes (writable to
/// read into).
#[no_mangle]
pub unsafe extern "C" fn umqtt_stream_io(
    port: *mut umqtt_port_t,
    buf: *mut u8,
    len: usize,
    timeout: i32,
    write: bool,
) -> umqtt_status {
    // SAFETY: per the contract.
    let Some(port) = (unsafe { port.as_mut() }) else {
        return umqtt_status::InvalidArgument;
    };
    if buf.is_null() {
        return if len == 0 {
            umqtt_status::Ok
        } else {
            umqtt_status::InvalidArgument
        };
    }
    // SAFETY: per the contract.
    let buf = unsafe { slice::from_raw_parts_mut(buf, len) };
    let mut deadline = Deadline::after(timeout);
    if write {
        return result_status(driver::write_all(port, buf, &mut deadline));
    }
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match driver::read_some(port, rest, &mut deadline) {
            Ok(n) => filled += n,
            Err(status) => return status.into(),
        }
    }
    umqtt_status::Ok
}

/// Whether the topic filter `filter` selects the topic name `topic`
/// (MQTT §4.7: `+`, `#`, `$` topics), by the core's matcher. `Ok` with
/// `*matched` set; `InvalidTopic` if either is not a valid filter / name.
///
/// # Safety
/// `filter` and `topic` valid for the call; `matched` null or writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_topic_matches(
    filter: umqtt_bytes,
    topic: umqtt_bytes,
    matched: *mut bool,
) -> umqtt_status {
    // SAFETY: forwarded contract.
    let (filter, topic) = unsafe { (filter.as_slice(), topic.as_slice()) };
    let Ok(filter) = TopicFilter::new(filter) else {
        return umqtt_status::InvalidTopic;
    };
    let Ok(topic) = TopicName::new(topic) else {
        return umqtt_status::InvalidTopic;
    };
    write_ptr(matched, umqtt_core::matches(&filter, &topic));
    umqtt_status::Ok
}
