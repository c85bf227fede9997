//! The MQTT 5 helpers of the C ABI: property blocks and the texts of
//! refusals.

use std::string::ToString;

use umqtt_core::limits::LimitError;

use crate::v5::*;
use crate::*;

fn text(bytes: umqtt_bytes) -> &'static str {
    // SAFETY: the texts are static.
    core::str::from_utf8(unsafe { bytes.as_slice() }).unwrap()
}

#[test]
fn limit_texts_follow_their_codes() {
    for limit in [
        LimitError::QosNotSupported,
        LimitError::RetainNotSupported,
        LimitError::PacketTooLarge,
        LimitError::ReceiveMaximum,
        LimitError::TopicAliasInvalid,
        LimitError::WildcardNotSupported,
        LimitError::SharedNotSupported,
        LimitError::SubscriptionIdsNotSupported,
    ] {
        assert_eq!(text(umqtt_limit_text(limit_code(limit))), limit.to_string());
    }
    for detail in [0, 9, 255] {
        assert_eq!(
            text(umqtt_limit_text(detail)),
            "refused by the broker's limits"
        );
    }
}

#[test]
fn reason_texts_are_a_disconnects() {
    assert_eq!(text(umqtt_reason_text(0x00)), "Success");
    assert_eq!(text(umqtt_reason_text(0x8E)), "Session taken over");
    assert_eq!(
        text(umqtt_reason_text(0xA2)),
        "Wildcard Subscriptions not supported"
    );
    // Not a DISCONNECT's.
    assert_eq!(text(umqtt_reason_text(0x86)), "Unknown reason code");
}

#[test]
fn properties_put_and_read_back() {
    let mut buf = [0u8; 16];
    let mut len = 0;
    let put = |buf: &mut [u8], len: &mut usize, id: u8, number: u32, a: &[u8], b: &[u8]| {
        let property = umqtt_property {
            id,
            kind: umqtt_property_kind_of(id),
            number,
            a: umqtt_bytes::of(a),
            b: umqtt_bytes::of(b),
        };
        // SAFETY: all valid for the call.
        unsafe {
            umqtt_props_put(
                buf.as_mut_ptr(),
                buf.len(),
                len,
                umqtt_props_context::Publish,
                &property,
            )
        }
    };
    assert_eq!(put(&mut buf, &mut len, 0x23, 7, b"", b""), umqtt_status::Ok);
    assert_eq!(
        put(&mut buf, &mut len, 0x26, 0, b"k", b"v"),
        umqtt_status::Ok
    );
    assert_eq!(len, 3 + 7);
    // Repeated, not allowed, not UTF-8, no room: the block stays.
    for (id, a, expected) in [
        (0x23, &b""[..], umqtt_status::InvalidProperty),
        (0x11, b"", umqtt_status::InvalidProperty),
        (0x03, &[0xff][..], umqtt_status::InvalidProperty),
        (0x03, b"abcd", umqtt_status::BufferTooSmall),
    ] {
        assert_eq!(
            put(&mut buf, &mut len, id, 1, a, b""),
            expected,
            "{id:#04x}"
        );
        assert_eq!(len, 10);
    }
    assert_eq!(umqtt_property_kind_of(0x05), umqtt_property_kind::Unknown);

    let block = umqtt_bytes::of(&buf[..len]);
    let mut offset = 0;
    let mut p = umqtt_property {
        id: 0,
        kind: umqtt_property_kind::Unknown,
        number: 0,
        a: umqtt_bytes::EMPTY,
        b: umqtt_bytes::EMPTY,
    };
    // SAFETY: all valid for the calls.
    unsafe {
        assert!(umqtt_props_next(block, &mut offset, &mut p));
        assert_eq!(
            (p.id, p.kind, p.number, offset),
            (0x23, umqtt_property_kind::TwoByteInt, 7, 3)
        );
        assert!(umqtt_props_next(block, &mut offset, &mut p));
        assert_eq!(
            (p.id, p.kind, offset),
            (0x26, umqtt_property_kind::Utf8Pair, 10)
        );
        assert_eq!((p.a.as_slice(), p.b.as_slice()), (&b"k"[..], &b"v"[..]));
        assert!(!umqtt_props_next(block, &mut offset, &mut p));
    }
}
