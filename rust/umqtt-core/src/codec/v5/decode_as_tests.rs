//! `decode_as` on MQTT 3.1 / 3.1.1 connections: it must read every packet
//! as the 3.1.1 decoder of a client's build (without feature `server`)
//! does, since the client engine takes it instead of that one.

use std::vec::Vec;

use proptest::prelude::*;

use super::{decode_as, Extra};
use crate::codec::{decode, ConnAck, DecodeError, Packet, PubAck, SubAck, UnsubAck};
use crate::types::{PacketType, ProtocolVersion};

const VERSIONS: [ProtocolVersion; 2] = [
    #[cfg(feature = "mqtt31")]
    ProtocolVersion::V31,
    #[cfg(not(feature = "mqtt31"))]
    ProtocolVersion::V311,
    ProtocolVersion::V311,
];

/// What [`decode`] returns in a client's build: the tests build it with
/// the server's decoders, which a client's build replaces, once the flags
/// are checked, by `UnexpectedPacket` (CONNECT, SUBSCRIBE, UNSUBSCRIBE,
/// PINGREQ, DISCONNECT).
fn client_decode(
    first_byte: u8,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<Packet<'_>, DecodeError> {
    let decoded = decode(first_byte, body, version);
    let client_only = matches!(
        PacketType::from_first_byte(first_byte),
        Some(
            PacketType::Connect
                | PacketType::Subscribe
                | PacketType::Unsubscribe
                | PacketType::PingReq
                | PacketType::Disconnect
        )
    );
    match decoded {
        Err(DecodeError::ReservedPacketType | DecodeError::InvalidFlags) => decoded,
        _ if client_only => Err(DecodeError::UnexpectedPacket),
        _ => decoded,
    }
}

/// `decode_as` agrees with [`client_decode`]: the same packets with an
/// empty [`Extra`], the same refusals; for a PUBLISH whose topic and
/// packet id are both bad, a refusal as the engine sees it (not QoS 3, so
/// `Malformed`): the two check them in another order.
fn check_agrees(
    first_byte: u8,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<(), TestCaseError> {
    let expected = client_decode(first_byte, body, version);
    let got = decode_as(first_byte, body, version);
    match (expected, got) {
        (Ok(packet), got) => prop_assert_eq!(got, Ok((packet, Extra::default()))),
        (Err(expected), Err(got)) if first_byte >> 4 == 3 => {
            prop_assert_eq!(
                expected == DecodeError::InvalidQos,
                got == DecodeError::InvalidQos
            );
        }
        (Err(expected), got) => prop_assert_eq!(got, Err(expected)),
    }
    Ok(())
}

#[test]
fn reads_mqtt3_packets_as_the_mqtt3_decoder() {
    use DecodeError::*;
    let v311 = ProtocolVersion::V311;
    // PUBACK: the packet id alone (a reason byte is MQTT 5's).
    assert_eq!(
        decode_as(0x40, &[0, 7], v311),
        Ok((
            Packet::PubAck(PubAck {
                pid: crate::codec::tests::pid(7)
            }),
            Extra::default()
        ))
    );
    assert_eq!(decode_as(0x40, &[0, 7, 0x10], v311), Err(TrailingBytes));
    assert_eq!(
        decode_as(0x40, &[0, 7, 0x10], ProtocolVersion::V5).map(|d| d.1.reason.0),
        Ok(0x10)
    );
    // SUBACK: 3.1.1 return codes only; UNSUBACK: no codes.
    assert_eq!(
        decode_as(0x90, &[0, 1, 0x80], v311),
        Ok((
            Packet::SubAck(SubAck {
                pid: crate::codec::tests::pid(1),
                return_codes: &[0x80]
            }),
            Extra::default()
        ))
    );
    assert_eq!(decode_as(0x90, &[0, 1, 0x87], v311), Err(InvalidReturnCode));
    assert_eq!(decode_as(0x90, &[0, 1], v311), Err(EmptyPayload));
    assert_eq!(
        decode_as(0xb0, &[0, 1], v311),
        Ok((
            Packet::UnsubAck(UnsubAck {
                pid: crate::codec::tests::pid(1)
            }),
            Extra::default()
        ))
    );
    assert_eq!(decode_as(0xb0, &[0, 1, 0], v311), Err(TrailingBytes));
    // CONNACK: no reason check, no properties; reserved bits in 3.1.1.
    assert_eq!(
        decode_as(0x20, &[1, 5], v311),
        Ok((
            Packet::ConnAck(ConnAck {
                session_present: true,
                return_code: 5
            }),
            Extra::default()
        ))
    );
    assert_eq!(decode_as(0x20, &[2, 0], v311), Err(ReservedBitsSet));
    assert_eq!(decode_as(0x20, &[0, 0, 0], v311), Err(TrailingBytes));
    // A client's packets: UnexpectedPacket once their flags are right.
    for (first_byte, expected) in [
        (0x10, UnexpectedPacket),
        (0x80, InvalidFlags),
        (0x82, UnexpectedPacket),
        (0xa2, UnexpectedPacket),
        (0xc0, UnexpectedPacket),
        (0xe0, UnexpectedPacket),
        (0xe1, InvalidFlags),
        (0xf0, ReservedPacketType),
        (0x00, ReservedPacketType),
    ] {
        assert_eq!(
            decode_as(first_byte, &[], v311),
            Err(expected),
            "{first_byte:#x}"
        );
    }
    // MQTT 5 refuses a client's packet before its flags.
    assert_eq!(
        decode_as(0x80, &[], ProtocolVersion::V5),
        Err(UnexpectedPacket)
    );
    // A PUBLISH: no properties before the payload.
    let body = [0, 1, b'a', 0, 9, 0];
    let (packet, extra) = decode_as(0x32, &body, v311).unwrap();
    assert_eq!(extra, Extra::default());
    let Packet::Publish(publish) = packet else {
        panic!("not a PUBLISH: {packet:?}");
    };
    assert_eq!(publish.payload, &[0]);
    assert_eq!(decode_as(0x30, &[0, 0], v311), Err(InvalidTopic));
    assert_eq!(decode_as(0x36, &body, v311), Err(InvalidQos));
}

#[cfg(feature = "mqtt31")]
#[test]
fn mqtt31_connack_has_no_session_present_bit() {
    assert_eq!(
        decode_as(0x20, &[0xff, 0], ProtocolVersion::V31),
        Ok((
            Packet::ConnAck(ConnAck {
                session_present: false,
                return_code: 0
            }),
            Extra::default()
        ))
    );
}

/// Bodies that often look like a PUBLISH (a short topic length first), or
/// anything short (the acks, CONNACK, SUBACK).
fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    let topic_byte = prop_oneof![
        Just(b'a'),
        Just(b'/'),
        Just(b'+'),
        Just(b'#'),
        Just(0u8),
        Just(0xffu8),
    ];
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..8),
        (
            0u8..4,
            proptest::collection::vec(topic_byte, 0..4),
            proptest::collection::vec(any::<u8>(), 0..5),
        )
            .prop_map(|(len, topic, tail)| {
                let mut body = std::vec![0, len];
                body.extend(topic);
                body.extend(tail);
                body
            }),
    ]
}

proptest! {
    #[test]
    fn agrees_with_the_mqtt3_decoder(first_byte in any::<u8>(), body in body_strategy()) {
        for version in VERSIONS {
            check_agrees(first_byte, &body, version)?;
        }
    }
}

#[test]
fn agrees_with_the_mqtt3_decoder_on_every_short_body() {
    // Every first byte with every body of up to 2 bytes: the acks, CONNACK.
    let mut bodies: Vec<Vec<u8>> = std::vec![std::vec![]];
    for a in 0..=255u8 {
        bodies.push(std::vec![a]);
        for b in [0u8, 1, 2, 3, 0x80, 0xfe, 0xff] {
            bodies.push(std::vec![a, b]);
        }
    }
    for first_byte in 0..=255u8 {
        for body in &bodies {
            for version in VERSIONS {
                check_agrees(first_byte, body, version).unwrap();
            }
        }
    }
}
