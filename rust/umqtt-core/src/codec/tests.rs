//! Shared test helpers and the whole-codec tests: every first byte, and
//! property tests over all packet types.

use std::string::String;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::topic::{TopicFilter, TopicName};
use crate::types::{QoS, QosPid};

const V311: ProtocolVersion = ProtocolVersion::V311;

/// A non-zero packet id.
pub(crate) fn pid(value: u16) -> Pid {
    Pid::new(value).unwrap()
}

/// A valid topic filter.
pub(crate) fn filter(text: &'static str) -> TopicFilter<'static> {
    TopicFilter::new(text.as_bytes()).unwrap()
}

/// A CONNECT for `version` with only the required fields.
pub(crate) fn connect_minimal(version: ProtocolVersion) -> Connect<'static> {
    Connect {
        version,
        client_id: "cid",
        clean_session: true,
        keep_alive: 60,
        will: None,
        username: None,
        password: None,
    }
}

/// A CONNECT for `version` with a will, a user name and a password.
pub(crate) fn connect_full(version: ProtocolVersion) -> Connect<'static> {
    Connect {
        version,
        client_id: "c",
        clean_session: false,
        keep_alive: 10,
        will: Some(LastWill {
            topic: TopicName::new(b"w").unwrap(),
            message: b"bye",
            qos: QoS::AtLeastOnce,
            retain: true,
        }),
        username: Some("u"),
        password: Some(b"pw"),
    }
}

/// Splits a whole encoded packet into its first byte and body.
pub(crate) fn split_packet(bytes: &[u8]) -> (u8, &[u8]) {
    let (body_len, length_len) = varint::decode(&bytes[1..]).unwrap().unwrap();
    let body = &bytes[1 + length_len..];
    assert_eq!(
        body.len(),
        body_len,
        "remaining length disagrees with the bytes"
    );
    (bytes[0], body)
}

/// `encode` writes exactly `expected`, whose length its `*_len` companion
/// gave as `len`, and refuses a buffer one byte short. Returns the first
/// byte and body of `expected`.
pub(crate) fn assert_encodes(
    expected: &[u8],
    len: usize,
    encode: impl Fn(&mut [u8]) -> Result<usize, EncodeError>,
) -> (u8, &[u8]) {
    let mut buf = [0u8; 512];
    let written = encode(&mut buf).unwrap();
    assert_eq!(&buf[..written], expected);
    assert_eq!(len, written);
    assert_eq!(
        encode(&mut buf[..written - 1]),
        Err(EncodeError::BufferTooSmall { needed: written })
    );
    split_packet(expected)
}

/// `packet` encodes to exactly `expected`, reports that length, refuses a
/// buffer one byte short, and decodes back to itself.
pub(crate) fn assert_golden(packet: &Packet<'_>, expected: &[u8]) {
    let (first_byte, body) =
        assert_encodes(expected, packet.encoded_len(), |buf| packet.encode(buf));
    assert_eq!(decode(first_byte, body, V311), Ok(*packet));
}

/// The body of `packet` with one byte more and one byte less must not decode.
pub(crate) fn assert_length_boundaries(packet: &Packet<'_>) {
    let mut buf = [0u8; 512];
    let len = packet.encode(&mut buf).unwrap();
    buf[len] = 0xff;
    let (first_byte, body) = split_packet(&buf[..len]);
    let body_start = len - body.len();
    let longer = &buf[body_start..len + 1];
    let shorter = &buf[body_start..len - 1];
    assert!(
        decode(first_byte, longer, V311).is_err(),
        "extra byte accepted: {packet:?}"
    );
    assert!(
        decode(first_byte, shorter, V311).is_err(),
        "missing byte accepted: {packet:?}"
    );
}

/// Which first bytes are acceptable for a given body, by hand from §2.2.
#[test]
fn every_first_byte_with_sample_bodies() {
    let connect_body = [
        0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00,
    ];
    // Every PUBLISH first byte except QoS 3 and dup-with-QoS-0.
    let publish_bytes: &[u8] = &[0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x3a, 0x3b, 0x3c, 0x3d];
    let with_publish = |other: u8| -> Vec<u8> {
        let mut accepted = publish_bytes.to_vec();
        accepted.push(other);
        accepted
    };
    // (body, first bytes that must decode)
    let cases: [(&[u8], Vec<u8>); 7] = [
        (&[], std::vec![0xc0, 0xd0, 0xe0]),
        // Two bytes: every pid-only ack, and CONNACK with return code 1.
        (&[0x00, 0x01], std::vec![0x20, 0x40, 0x50, 0x62, 0x70, 0xb0]),
        // QoS 0 PUBLISH to "a", retain either way; the rest is truncated or invalid.
        (&[0x00, 0x01, b'a'], std::vec![0x30, 0x31]),
        // PUBLISH to "a" with pid 1 (or QoS 0 with payload 00 01).
        (&[0x00, 0x01, b'a', 0x00, 0x01], publish_bytes.to_vec()),
        // UNSUBSCRIBE pid 1 from "a"; as a PUBLISH the topic would be "\0".
        (&[0x00, 0x01, 0x00, 0x01, b'a'], std::vec![0xa2]),
        // SUBSCRIBE pid 1 to "a" at QoS 0.
        (&[0x00, 0x01, 0x00, 0x01, b'a', 0x00], std::vec![0x82]),
        // CONNECT; also a PUBLISH to "MQTT" (with pid 0x0402 for QoS 1/2).
        (&connect_body, with_publish(0x10)),
    ];
    for (body, accepted) in cases {
        for first_byte in 0..=255u8 {
            let result = decode(first_byte, body, V311);
            assert_eq!(
                result.is_ok(),
                accepted.contains(&first_byte),
                "first byte {first_byte:#04x}, body {body:x?}: {result:?}"
            );
            let packet_type = PacketType::from_first_byte(first_byte);
            match result {
                Ok(packet) => assert_eq!(Some(packet.packet_type()), packet_type),
                Err(error) if packet_type.is_none() => {
                    assert_eq!(error, DecodeError::ReservedPacketType)
                }
                Err(_) => {}
            }
        }
    }
}

/// SUBACK is the one type the sample bodies above never accept.
#[test]
fn every_first_byte_with_a_suback_body() {
    // SUBACK pid 1: granted QoS 0, failure. As a PUBLISH the topic is "\0";
    // as SUBSCRIBE or UNSUBSCRIBE the filter length 0x0080 runs past the end.
    let body = [0x00, 0x01, 0x00, 0x80];
    for first_byte in 0..=255u8 {
        let result = decode(first_byte, &body, V311);
        if first_byte == 0x90 {
            assert_eq!(
                result,
                Ok(Packet::SubAck(SubAck {
                    pid: Pid::new(1).unwrap(),
                    return_codes: &[0x00, 0x80]
                }))
            );
        } else {
            assert!(result.is_err(), "first byte {first_byte:#04x}: {result:?}");
        }
    }
}

/// The protocol version only changes how CONNACK's first body byte is read.
#[test]
#[cfg(feature = "mqtt31")]
fn every_first_byte_decodes_alike_for_both_versions() {
    let bodies: [&[u8]; 8] = [
        &[],
        &[0x00, 0x00],
        &[0x00, 0x01],
        &[0x01, 0x00],
        &[0x00, 0x01, b'a'],
        &[0x00, 0x01, b'a', 0x00, 0x01],
        &[0x00, 0x01, 0x00, 0x01, b'a', 0x00],
        &[
            0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00,
        ],
    ];
    for body in bodies {
        for first_byte in 0..=255u8 {
            let v311 = decode(first_byte, body, V311);
            let v31 = decode(first_byte, body, ProtocolVersion::V31);
            if first_byte != 0x20 {
                assert_eq!(v31, v311, "first byte {first_byte:#04x}, body {body:x?}");
            }
        }
    }
    // CONNACK: 3.1.1 has the session-present bit and reserves the rest; 3.1
    // ignores the whole byte.
    let connack = |present: bool| {
        Ok(Packet::ConnAck(ConnAck {
            session_present: present,
            return_code: 0,
        }))
    };
    assert_eq!(decode(0x20, &[0x01, 0x00], V311), connack(true));
    assert_eq!(
        decode(0x20, &[0x01, 0x00], ProtocolVersion::V31),
        connack(false)
    );
    for flags in 0x02..=0xffu8 {
        assert_eq!(
            decode(0x20, &[flags, 0x00], V311),
            Err(DecodeError::ReservedBitsSet)
        );
        assert_eq!(
            decode(0x20, &[flags, 0x00], ProtocolVersion::V31),
            connack(false)
        );
    }
    for first_byte in 0x21..=0x2fu8 {
        assert_eq!(
            decode(first_byte, &[0x00, 0x00], ProtocolVersion::V31),
            Err(DecodeError::InvalidFlags)
        );
    }
}

#[test]
fn display_is_never_empty() {
    use std::string::ToString;
    assert_eq!(DecodeError::ZeroPid.to_string(), "packet id 0");
    assert!(!EncodeError::BufferTooSmall { needed: 3 }
        .to_string()
        .is_empty());
}

/// An owned description of a packet, so proptest can generate it and the
/// test can build the borrowed [`Packet`] from it.
#[derive(Clone, Debug)]
enum Model {
    Connect {
        version: ProtocolVersion,
        client_id: String,
        clean_session: bool,
        keep_alive: u16,
        will: Option<(String, Vec<u8>, QoS, bool)>,
        username: Option<String>,
        password: Option<Vec<u8>>,
    },
    ConnAck(bool, u8),
    Publish {
        dup: bool,
        qos: QoS,
        pid: Pid,
        retain: bool,
        topic: String,
        payload: Vec<u8>,
    },
    Ack(PacketType, Pid),
    Subscribe(Pid, Vec<(String, QoS)>),
    SubAck(Pid, Vec<u8>),
    Unsubscribe(Pid, Vec<String>),
    Empty(PacketType),
}

pub(crate) fn qos_strategy() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

fn pid_strategy() -> impl Strategy<Value = Pid> {
    (1..=u16::MAX).prop_map(|value| Pid::new(value).unwrap())
}

fn name_strategy() -> impl Strategy<Value = String> {
    "[a-z0-9$ /é]{1,12}"
}

fn filter_strategy() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(prop_oneof!["[a-z]{0,3}", Just(String::from("+"))], 1..4),
        any::<bool>(),
    )
        .prop_map(|(levels, multi_level)| {
            let mut filter = levels.join("/");
            if multi_level {
                filter.push_str("/#");
            }
            filter
        })
        .prop_filter("must be non-empty", |filter| !filter.is_empty())
}

/// The 3.x versions the build has (MQTT 3.1 with the feature `mqtt31`).
fn version_strategy() -> impl Strategy<Value = ProtocolVersion> {
    #[cfg(feature = "mqtt31")]
    return prop_oneof![Just(ProtocolVersion::V31), Just(ProtocolVersion::V311)];
    #[cfg(not(feature = "mqtt31"))]
    return Just(ProtocolVersion::V311);
}

fn model_strategy() -> impl Strategy<Value = Model> {
    let connect = (
        version_strategy(),
        "\\PC{0,10}",
        any::<bool>(),
        any::<u16>(),
        proptest::option::of((
            name_strategy(),
            proptest::collection::vec(any::<u8>(), 0..8),
            qos_strategy(),
            any::<bool>(),
        )),
        proptest::option::of("\\PC{0,6}"),
        proptest::collection::vec(any::<u8>(), 0..8),
        any::<bool>(),
    )
        .prop_map(
            |(
                version,
                client_id,
                clean_session,
                keep_alive,
                will,
                username,
                password,
                with_password,
            )| {
                let password = (with_password && username.is_some()).then_some(password);
                Model::Connect {
                    version,
                    client_id,
                    clean_session,
                    keep_alive,
                    will,
                    username,
                    password,
                }
            },
        );
    let publish = (
        any::<bool>(),
        qos_strategy(),
        pid_strategy(),
        any::<bool>(),
        name_strategy(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(dup, qos, pid, retain, topic, payload)| Model::Publish {
            dup: dup && qos != QoS::AtMostOnce,
            qos,
            pid,
            retain,
            topic,
            payload,
        });
    let ack_type = prop_oneof![
        Just(PacketType::PubAck),
        Just(PacketType::PubRec),
        Just(PacketType::PubRel),
        Just(PacketType::PubComp),
        Just(PacketType::UnsubAck)
    ];
    let empty_type = prop_oneof![
        Just(PacketType::PingReq),
        Just(PacketType::PingResp),
        Just(PacketType::Disconnect)
    ];
    prop_oneof![
        connect,
        (any::<bool>(), any::<u8>()).prop_map(|(present, code)| Model::ConnAck(present, code)),
        publish,
        (ack_type, pid_strategy()).prop_map(|(kind, pid)| Model::Ack(kind, pid)),
        (
            pid_strategy(),
            proptest::collection::vec((filter_strategy(), qos_strategy()), 1..5)
        )
            .prop_map(|(pid, list)| Model::Subscribe(pid, list)),
        (
            pid_strategy(),
            proptest::collection::vec(prop_oneof![Just(0u8), Just(1), Just(2), Just(0x80)], 1..5)
        )
            .prop_map(|(pid, codes)| Model::SubAck(pid, codes)),
        (
            pid_strategy(),
            proptest::collection::vec(filter_strategy(), 1..5)
        )
            .prop_map(|(pid, list)| Model::Unsubscribe(pid, list)),
        empty_type.prop_map(Model::Empty),
    ]
}

/// Builds the borrowed packet described by `model` and hands it to `check`.
fn with_packet(model: &Model, check: impl FnOnce(Packet<'_>, ProtocolVersion)) {
    match model {
        Model::Connect {
            version,
            client_id,
            clean_session,
            keep_alive,
            will,
            username,
            password,
        } => {
            let will = will.as_ref().map(|(topic, message, qos, retain)| LastWill {
                topic: TopicName::new(topic.as_bytes()).unwrap(),
                message,
                qos: *qos,
                retain: *retain,
            });
            let connect = Connect {
                version: *version,
                client_id,
                clean_session: *clean_session,
                keep_alive: *keep_alive,
                will,
                username: username.as_deref(),
                password: password.as_deref(),
            };
            check(Packet::Connect(connect), *version)
        }
        Model::ConnAck(session_present, return_code) => check(
            Packet::ConnAck(ConnAck {
                session_present: *session_present,
                return_code: *return_code,
            }),
            V311,
        ),
        Model::Publish {
            dup,
            qos,
            pid,
            retain,
            topic,
            payload,
        } => {
            let pid = (*qos != QoS::AtMostOnce).then_some(*pid);
            let publish = Publish {
                dup: *dup,
                qos_pid: QosPid::new(*qos, pid).unwrap(),
                retain: *retain,
                topic: TopicName::new(topic.as_bytes()).unwrap(),
                payload,
            };
            check(Packet::Publish(publish), V311)
        }
        Model::Ack(kind, pid) => {
            let pid = *pid;
            let packet = match kind {
                PacketType::PubAck => Packet::PubAck(PubAck { pid }),
                PacketType::PubRec => Packet::PubRec(PubRec { pid }),
                PacketType::PubRel => Packet::PubRel(PubRel { pid }),
                PacketType::PubComp => Packet::PubComp(PubComp { pid }),
                _ => Packet::UnsubAck(UnsubAck { pid }),
            };
            check(packet, V311)
        }
        Model::Subscribe(pid, list) => {
            let list: Vec<(TopicFilter<'_>, QoS)> = list
                .iter()
                .map(|(filter, qos)| (TopicFilter::new(filter.as_bytes()).unwrap(), *qos))
                .collect();
            check(
                Packet::Subscribe(Subscribe {
                    pid: *pid,
                    filters: SubscribeFilters::new(&list),
                }),
                V311,
            )
        }
        Model::SubAck(pid, codes) => check(
            Packet::SubAck(SubAck {
                pid: *pid,
                return_codes: codes,
            }),
            V311,
        ),
        Model::Unsubscribe(pid, list) => {
            let list: Vec<TopicFilter<'_>> = list
                .iter()
                .map(|filter| TopicFilter::new(filter.as_bytes()).unwrap())
                .collect();
            check(
                Packet::Unsubscribe(Unsubscribe {
                    pid: *pid,
                    filters: UnsubscribeFilters::new(&list),
                }),
                V311,
            )
        }
        Model::Empty(kind) => {
            let packet = match kind {
                PacketType::PingReq => Packet::PingReq(PingReq),
                PacketType::PingResp => Packet::PingResp(PingResp),
                _ => Packet::Disconnect(Disconnect),
            };
            check(packet, V311)
        }
    }
}

proptest! {
    #[test]
    fn decode_of_encode_is_identity(model in model_strategy()) {
        with_packet(&model, |packet, version| {
            let mut buf = std::vec![0u8; packet.encoded_len()];
            let len = packet.encode(&mut buf).unwrap();
            assert_eq!(len, buf.len());
            let (first_byte, body) = split_packet(&buf);
            assert_eq!(decode(first_byte, body, version), Ok(packet));
        });
    }

    /// Arbitrary bytes never panic, and whatever decodes re-encodes to the
    /// same bytes: the decoder accepts only canonical packets.
    #[test]
    fn decode_of_arbitrary_bytes(first_byte in any::<u8>(), body in proptest::collection::vec(any::<u8>(), 0..40)) {
        if let Ok(packet) = decode(first_byte, &body, V311) {
            let mut buf = std::vec![0u8; packet.encoded_len()];
            let len = packet.encode(&mut buf).unwrap();
            let (encoded_first_byte, encoded_body) = split_packet(&buf[..len]);
            prop_assert_eq!(encoded_first_byte, first_byte);
            prop_assert_eq!(encoded_body, &body[..]);
        }
        #[cfg(feature = "mqtt31")]
        let _ = decode(first_byte, &body, ProtocolVersion::V31);
    }

    /// Bodies that start like a real packet reach the deeper checks.
    #[test]
    fn decode_of_mutated_packets(model in model_strategy(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        with_packet(&model, |packet, version| {
            let mut buf = std::vec![0u8; packet.encoded_len()];
            packet.encode(&mut buf).unwrap();
            for (position, value) in &flips {
                let index = position % buf.len();
                buf[index] = *value;
            }
            let (first_byte, body) = match varint::decode(&buf[1..]) {
                Ok(Some((_, length_len))) => (buf[0], &buf[(1 + length_len).min(buf.len())..]),
                _ => (buf[0], &buf[1..]),
            };
            let _ = decode(first_byte, body, version);
        });
    }
}

/// `Writer::header` writes the remaining length in place as
/// `varint::encode` does, at every length boundary, and refuses what
/// does not fit or cannot be encoded as it did.
#[test]
fn writer_start_writes_the_remaining_length_as_varint_encode() {
    use crate::varint;
    for remaining_len in [
        0,
        1,
        127,
        128,
        16_383,
        16_384,
        2_097_151,
        2_097_152,
        varint::MAX_VALUE,
    ] {
        let (bytes, used) = varint::encode(remaining_len).unwrap();
        let mut buf = [0u8; 5];
        let mut writer = Writer::new(&mut buf);
        writer.header(0x30, remaining_len, 0).unwrap();
        assert_eq!(writer.finish(), 1 + used);
        assert_eq!(buf[0], 0x30);
        assert_eq!(&buf[1..1 + used], &bytes[..used]);
        let mut short = [0u8; 8];
        let needed = 1 + used + 3;
        assert_eq!(
            Writer::new(&mut short[..needed - 1])
                .header(0x30, remaining_len, 3)
                .err(),
            Some(EncodeError::BufferTooSmall { needed })
        );
    }
    let mut buf = [0u8; 8];
    assert_eq!(
        Writer::new(&mut buf)
            .header(0x30, varint::MAX_VALUE + 1, 0)
            .err(),
        Some(EncodeError::PacketTooLarge)
    );
}
