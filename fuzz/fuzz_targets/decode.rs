//! `umqtt_core::decode` over an arbitrary first byte, body and protocol
//! version. Input: byte 0 = first byte, byte 1 bit 0 = version (3.1 / 3.1.1),
//! the rest = the body. Whatever decodes must re-encode to exactly
//! `encoded_len()` bytes, and decoding that encoding gives the same packet
//! (CONNACK under 3.1 drops its session-present bit, so it is compared
//! under 3.1.1 only).
#![no_main]

use libfuzzer_sys::fuzz_target;
use umqtt_core::{decode, Packet, ProtocolVersion};

fuzz_target!(|data: &[u8]| {
    let [first_byte, version, body @ ..] = data else {
        return;
    };
    let version = if version & 1 == 0 {
        ProtocolVersion::V311
    } else {
        ProtocolVersion::V31
    };
    let Ok(packet) = decode(*first_byte, body, version) else {
        return;
    };
    assert_eq!(packet.packet_type() as u8, first_byte >> 4);
    let mut buf = vec![0u8; packet.encoded_len()];
    let len = packet
        .encode(&mut buf)
        .expect("a decoded packet encodes into encoded_len() bytes");
    assert_eq!(len, packet.encoded_len());
    // A buffer one byte short is refused, never overrun.
    if len > 0 {
        assert!(packet.encode(&mut buf[..len - 1]).is_err());
    }
    // Re-decode: fixed header, then the same packet.
    let (header, mut rest) = (buf[0], &buf[1..]);
    let mut remaining = 0usize;
    let mut shift = 0;
    loop {
        let b = rest[0];
        rest = &rest[1..];
        remaining |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    assert_eq!(remaining, rest.len());
    let again = decode(header, rest, ProtocolVersion::V311).expect("an encoding decodes");
    match (packet, again) {
        (Packet::ConnAck(_), _) if version == ProtocolVersion::V31 => {}
        (a, b) => assert_eq!(a, b),
    }
});
