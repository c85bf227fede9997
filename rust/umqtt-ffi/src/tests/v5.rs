//! The MQTT 5 helpers of the C ABI: property blocks and the texts of
//! refusals.

use std::string::{String, ToString};

use umqtt_core::codec::v5::ReasonCode;
use umqtt_core::limits::LimitError;
use umqtt_core::PacketType;

use crate::v5::*;
use crate::*;

fn text(key: u8) -> String {
    let mut out = [0xAA; UMQTT_TEXT_MAX + 1];
    // SAFETY: `out` is writable for UMQTT_TEXT_MAX bytes.
    let len = unsafe { umqtt_text(key, out.as_mut_ptr()) };
    assert!(len <= UMQTT_TEXT_MAX);
    assert_eq!(out[UMQTT_TEXT_MAX], 0xAA, "wrote past the buffer");
    String::from_utf8(out[..len].to_vec()).unwrap()
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
        assert_eq!(
            text(UMQTT_TEXT_LIMIT + limit_code(limit)),
            limit.to_string()
        );
    }
    assert_eq!(text(UMQTT_TEXT_LIMIT), "refused by the broker's limits");
}

#[test]
fn reason_texts_are_a_disconnects() {
    assert_eq!(text(0x00), "Success");
    assert_eq!(text(0x8E), "Session taken over");
    assert_eq!(text(0xA2), "Wildcard Subscriptions not supported");
    for code in 0..=255u8 {
        let limit = (UMQTT_TEXT_LIMIT..=UMQTT_TEXT_LIMIT + 8).contains(&code);
        let reason = ReasonCode(code);
        if reason.valid_for(PacketType::Disconnect) {
            assert!(!limit, "{code:#04x}");
            assert_eq!(text(code), reason.name(), "{code:#04x}");
        } else if !limit && code >= 0x20 {
            // Not a DISCONNECT's (0x86: CONNACK's alone).
            assert_eq!(text(code), "Unknown reason code", "{code:#04x}");
        }
    }
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
