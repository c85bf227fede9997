//! MQTT 5 CONNECT (§3.1) and CONNACK (§3.2).
//!
//! CONNECT: protocol name "MQTT", level 5, flags, keep-alive, properties;
//! then client id, [will properties, will topic, will payload], [user
//! name], [password]. Unlike 3.1.1 a password may come without a user name
//! (§3.1.2.9). CONNACK: acknowledge flags, reason code, properties.

use super::{
    check_properties, put_properties, read_properties, Context, Extra, Properties, ReasonCode,
};
use crate::codec::{
    packet_len, ConnAck, Connect, DecodeError, EncodeError, Packet, Reader, Writer,
};
use crate::types::{PacketType, ProtocolVersion};

const SESSION_PRESENT: u8 = 0x01;

/// The exact number of bytes [`encode_connect`] writes.
pub fn connect_len(
    c: &Connect<'_>,
    properties: Properties<'_>,
    will_properties: Properties<'_>,
) -> usize {
    packet_len(c.remaining_len_as(ProtocolVersion::V5, Some((properties, will_properties))))
}

/// Encodes an MQTT 5 CONNECT: name "MQTT" and level 5 whatever
/// `c.version` says; `c.clean_session` is Clean Start (§3.1.2.4).
/// `properties` must be valid for [`Context::Connect`], `will_properties`
/// for [`Context::Will`] and empty without a will.
pub fn encode_connect(
    c: &Connect<'_>,
    properties: Properties<'_>,
    will_properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    check_properties(properties, Context::Connect)?;
    check_properties(will_properties, Context::Will)?;
    encode_connect_prepared(c, properties, will_properties, buf)
}

/// [`encode_connect`] without parsing the property blocks again, for a
/// CONNECT `Client::prepare_connect` parsed them for.
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn encode_connect_prepared(
    c: &Connect<'_>,
    properties: Properties<'_>,
    will_properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if c.will.is_none() && !will_properties.is_empty() {
        return Err(EncodeError::WillPropertiesWithoutWill);
    }
    if c.will.is_some_and(|will| will.topic.as_bytes().is_empty()) {
        return Err(EncodeError::EmptyTopicWithoutAlias);
    }
    c.encode_as(
        ProtocolVersion::V5,
        Some((properties, will_properties)),
        buf,
    )
}

fn connack_remaining_len(properties: Properties<'_>) -> usize {
    properties.encoded_len().saturating_add(2)
}

/// The exact number of bytes [`encode_connack`] writes.
pub fn connack_len(properties: Properties<'_>) -> usize {
    packet_len(connack_remaining_len(properties))
}

/// Encodes a CONNACK (a server's job; for tests and fuzzing). `reason`
/// must be valid for CONNACK, and session present requires success
/// (§3.2.2.1.1).
pub fn encode_connack(
    session_present: bool,
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if !reason.valid_for(PacketType::ConnAck) || (session_present && reason.is_error()) {
        return Err(EncodeError::InvalidReasonCode);
    }
    check_properties(properties, Context::ConnAck)?;
    let remaining_len = connack_remaining_len(properties);
    let mut writer = Writer::packet(buf, PacketType::ConnAck, remaining_len)?;
    writer.put_u8(if session_present { SESSION_PRESENT } else { 0 })?;
    writer.put_u8(reason.0)?;
    put_properties(&mut writer, properties)?;
    Ok(writer.finish())
}

/// CONNACK: flags bits 7-1 reserved, a reason valid for CONNACK, session
/// present only on success, then the properties (always present).
/// Before MQTT 5 (`version`), as [`ConnAck`] reads it: the flags and any
/// return code, nothing after them; MQTT 3.1 gives the flags no meaning.
pub(super) fn decode_connack(
    body: &[u8],
    version: ProtocolVersion,
) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    let v5 = version == ProtocolVersion::V5;
    let mut reader = Reader::new(body);
    let flags = reader.u8()?;
    let reason = ReasonCode(reader.u8()?);
    if !v5 && !reader.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    // MQTT 3.1 reserves the whole byte and gives it no meaning.
    #[cfg(feature = "mqtt31")]
    let flags = if version == ProtocolVersion::V31 {
        0
    } else {
        flags
    };
    if flags & !SESSION_PRESENT != 0 {
        return Err(DecodeError::ReservedBitsSet);
    }
    let session_present = flags & SESSION_PRESENT != 0;
    let packet = Packet::ConnAck(ConnAck {
        session_present,
        return_code: reason.0,
    });
    if !v5 {
        return Ok((packet, Extra::default()));
    }
    if !reason.valid_for(PacketType::ConnAck) {
        return Err(DecodeError::InvalidReasonCode);
    }
    if session_present && reason.is_error() {
        return Err(DecodeError::InvalidConnectFlags);
    }
    let properties = read_properties(&mut reader, Context::ConnAck)?;
    reader.finish()?;
    Ok((packet, Extra::with_reason(reason, properties)))
}

/// Decodes an MQTT 5 CONNECT body, as a server would (tests only).
#[cfg(test)]
pub(crate) fn decode_connect(
    body: &[u8],
) -> Result<(Connect<'_>, Properties<'_>, Properties<'_>), DecodeError> {
    use crate::codec::connect::{
        read_will, read_will_flags, FLAG_CLEAN_SESSION, FLAG_PASSWORD, FLAG_USERNAME,
    };
    use crate::codec::properties::read_str;

    let mut reader = Reader::new(body);
    let name = reader.field()?;
    let level = reader.u8()?;
    if ProtocolVersion::from_name_and_level(name, level) != Some(ProtocolVersion::V5) {
        return Err(DecodeError::InvalidProtocol);
    }
    let flags = reader.u8()?;
    let will_flags = read_will_flags(flags)?;
    let keep_alive = reader.u16()?;
    let properties = read_properties(&mut reader, Context::Connect)?;
    let client_id = read_str(&mut reader)?;
    let (will, will_properties) = match will_flags {
        Some(will_flags) => {
            let will_properties = read_properties(&mut reader, Context::Will)?;
            (Some(read_will(&mut reader, will_flags)?), will_properties)
        }
        None => (None, Properties::EMPTY),
    };
    let username = if flags & FLAG_USERNAME != 0 {
        Some(read_str(&mut reader)?)
    } else {
        None
    };
    let password = if flags & FLAG_PASSWORD != 0 {
        Some(reader.field()?)
    } else {
        None
    };
    reader.finish()?;
    let connect = Connect {
        version: ProtocolVersion::V5,
        client_id,
        clean_session: flags & FLAG_CLEAN_SESSION != 0,
        keep_alive,
        will,
        username,
        password,
    };
    Ok((connect, properties, will_properties))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_encodes, connect_full, connect_minimal};
    use crate::codec::v5::tests::props;
    use crate::codec::v5::{decode, Property, PropertyId, PropertyValue};

    fn minimal() -> Connect<'static> {
        connect_minimal(ProtocolVersion::V5)
    }

    fn full() -> Connect<'static> {
        connect_full(ProtocolVersion::V5)
    }

    /// Encodes, checks length, exact-size and one-short buffers, and the
    /// test-side decoder's round trip.
    fn check_connect(
        c: &Connect<'_>,
        properties: Properties<'_>,
        will_properties: Properties<'_>,
        expected: &[u8],
    ) {
        let (first_byte, body) = assert_encodes(
            expected,
            connect_len(c, properties, will_properties),
            |buf| encode_connect(c, properties, will_properties, buf),
        );
        assert_eq!(first_byte, 0x10);
        assert_eq!(decode_connect(body), Ok((*c, properties, will_properties)));
        // A client never receives CONNECT.
        assert_eq!(decode(first_byte, body), Err(DecodeError::UnexpectedPacket));
    }

    /// The CONNECT variable header example of §3.1.2.12 (keep-alive 10,
    /// Session Expiry Interval 10), with client id "cid".
    #[test]
    fn golden_connect_spec_example() {
        let mut block = [0u8; 8];
        let properties = props(
            &mut block,
            Context::Connect,
            &[Property {
                id: PropertyId::SessionExpiryInterval,
                value: PropertyValue::FourByteInt(10),
            }],
        );
        let c = Connect {
            keep_alive: 10,
            clean_session: false,
            ..minimal()
        };
        #[rustfmt::skip]
        let expected = [
            0x10, 21,
            0x00, 0x04, b'M', b'Q', b'T', b'T', // protocol name
            0x05,                               // protocol version 5
            0x00,                               // no flags
            0x00, 0x0a,                         // keep-alive 10 s
            0x05,                               // property length 5
            0x11, 0x00, 0x00, 0x00, 0x0a,       // Session Expiry Interval 10
            0x00, 0x03, b'c', b'i', b'd',       // client id
        ];
        check_connect(&c, properties, Properties::EMPTY, &expected);
    }

    #[test]
    fn golden_connect_minimal() {
        #[rustfmt::skip]
        let expected = [
            0x10, 16,
            0x00, 0x04, b'M', b'Q', b'T', b'T',
            0x05,
            0x02,       // Clean Start
            0x00, 0x3c,
            0x00,       // no properties
            0x00, 0x03, b'c', b'i', b'd',
        ];
        check_connect(&minimal(), Properties::EMPTY, Properties::EMPTY, &expected);
        // The version field does not matter: v5 is written.
        let v311 = Connect {
            version: ProtocolVersion::V311,
            ..minimal()
        };
        let mut buf = [0u8; 32];
        let len = encode_connect(&v311, Properties::EMPTY, Properties::EMPTY, &mut buf).unwrap();
        assert_eq!(&buf[..len], &expected);
    }

    #[test]
    fn golden_connect_with_will_user_password_and_properties() {
        let mut block = [0u8; 16];
        let properties = props(
            &mut block,
            Context::Connect,
            &[Property {
                id: PropertyId::ReceiveMaximum,
                value: PropertyValue::TwoByteInt(20),
            }],
        );
        let mut will_block = [0u8; 16];
        let will_properties = props(
            &mut will_block,
            Context::Will,
            &[Property {
                id: PropertyId::WillDelayInterval,
                value: PropertyValue::FourByteInt(5),
            }],
        );
        #[rustfmt::skip]
        let expected = [
            0x10, 38,
            0x00, 0x04, b'M', b'Q', b'T', b'T',
            0x05,
            0xec,                         // user, password, will retain, will QoS 1, will
            0x00, 0x0a,                   // keep-alive 10 s
            0x03, 0x21, 0x00, 0x14,       // Receive Maximum 20
            0x00, 0x01, b'c',             // client id
            0x05, 0x18, 0, 0, 0, 5,       // will properties: Will Delay Interval 5
            0x00, 0x01, b'w',             // will topic
            0x00, 0x03, b'b', b'y', b'e', // will payload
            0x00, 0x01, b'u',             // user name
            0x00, 0x02, b'p', b'w',       // password
        ];
        check_connect(&full(), properties, will_properties, &expected);
        // Without will properties, the will property length is 0.
        let mut buf = [0u8; 64];
        let len = encode_connect(&full(), properties, Properties::EMPTY, &mut buf).unwrap();
        assert_eq!(len, expected.len() - 5);
        assert_eq!(buf[19], 0x00);
    }

    #[test]
    fn password_without_user_name_is_allowed_in_v5() {
        let c = Connect {
            password: Some(b"p"),
            ..minimal()
        };
        let mut buf = [0u8; 32];
        let len = encode_connect(&c, Properties::EMPTY, Properties::EMPTY, &mut buf).unwrap();
        assert_eq!(buf[9], 0x42);
        assert_eq!(
            decode_connect(&buf[2..len]),
            Ok((c, Properties::EMPTY, Properties::EMPTY))
        );
    }

    #[test]
    fn connect_refuses_bad_property_blocks() {
        let mut buf = [0u8; 64];
        let mut block = [0u8; 16];
        // A PUBLISH property is not a CONNECT property.
        let topic_alias = Properties::trusted(&[0x23, 0x00, 0x01]);
        assert_eq!(
            encode_connect(&minimal(), topic_alias, Properties::EMPTY, &mut buf),
            Err(EncodeError::InvalidProperties)
        );
        assert_eq!(
            encode_connect(&full(), Properties::EMPTY, topic_alias, &mut buf),
            Err(EncodeError::InvalidProperties)
        );
        let will_properties = props(
            &mut block,
            Context::Will,
            &[Property {
                id: PropertyId::WillDelayInterval,
                value: PropertyValue::FourByteInt(1),
            }],
        );
        assert_eq!(
            encode_connect(&minimal(), Properties::EMPTY, will_properties, &mut buf),
            Err(EncodeError::WillPropertiesWithoutWill)
        );
    }

    #[test]
    fn connect_decoder_rejects_bad_flags_and_versions() {
        let mut buf = [0u8; 64];
        let len =
            encode_connect(&minimal(), Properties::EMPTY, Properties::EMPTY, &mut buf).unwrap();
        let check = |at: usize, value: u8, expected: DecodeError| {
            let mut bytes = buf;
            bytes[at] = value;
            assert_eq!(decode_connect(&bytes[2..len]), Err(expected), "{value:#x}");
        };
        check(8, 4, DecodeError::InvalidProtocol);
        check(9, 0x03, DecodeError::ReservedBitsSet);
        check(9, 0x1e, DecodeError::InvalidQos);
        check(9, 0x0a, DecodeError::InvalidConnectFlags);
        // Property length 1: the block is the client id's first byte, no property id.
        check(12, 0x01, DecodeError::InvalidProperty);
        check(12, 0x7f, DecodeError::Truncated);
    }

    /// The CONNACK of §3.2: session present, success, and a few of the
    /// limits a server announces.
    #[test]
    fn golden_connack() {
        let mut block = [0u8; 32];
        let properties = props(
            &mut block,
            Context::ConnAck,
            &[
                Property {
                    id: PropertyId::MaximumQoS,
                    value: PropertyValue::Byte(1),
                },
                Property {
                    id: PropertyId::TopicAliasMaximum,
                    value: PropertyValue::TwoByteInt(10),
                },
                Property {
                    id: PropertyId::AssignedClientIdentifier,
                    value: PropertyValue::Utf8String("id"),
                },
            ],
        );
        #[rustfmt::skip]
        let expected = [
            0x20, 13,
            0x01,                   // session present
            0x00,                   // Success
            10,                     // property length
            0x24, 0x01,             // Maximum QoS 1
            0x22, 0x00, 0x0a,       // Topic Alias Maximum 10
            0x12, 0x00, 0x02, b'i', b'd', // Assigned Client Identifier "id"
        ];
        let (first_byte, body) = assert_encodes(&expected, connack_len(properties), |buf| {
            encode_connack(true, ReasonCode::SUCCESS, properties, buf)
        });
        let (packet, extra) = decode(first_byte, body).unwrap();
        assert_eq!(
            packet,
            Packet::ConnAck(ConnAck {
                session_present: true,
                return_code: 0
            })
        );
        assert_eq!(extra.reason, ReasonCode::SUCCESS);
        assert_eq!(extra.properties, properties);
        assert_eq!(
            extra.properties.get(PropertyId::TopicAliasMaximum),
            Some(PropertyValue::TwoByteInt(10))
        );
    }

    #[test]
    fn golden_connack_refused() {
        let mut buf = [0u8; 8];
        let len = encode_connack(
            false,
            ReasonCode::BAD_USER_NAME_OR_PASSWORD,
            Properties::EMPTY,
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..len], &[0x20, 0x03, 0x00, 0x86, 0x00]);
        let (packet, extra) = decode(0x20, &buf[2..len]).unwrap();
        assert_eq!(
            packet,
            Packet::ConnAck(ConnAck {
                session_present: false,
                return_code: 0x86
            })
        );
        assert_eq!(extra.reason, ReasonCode::BAD_USER_NAME_OR_PASSWORD);
        assert!(extra.properties.is_empty());
    }

    #[test]
    fn reject_bad_connack() {
        let check = |body: &[u8], expected: DecodeError| {
            assert_eq!(decode(0x20, body), Err(expected), "{body:x?}");
        };
        check(&[0x02, 0x00, 0x00], DecodeError::ReservedBitsSet);
        check(&[0x00, 0x10, 0x00], DecodeError::InvalidReasonCode); // not a CONNACK code
        check(&[0x00, 0x8b, 0x00], DecodeError::InvalidReasonCode); // DISCONNECT only
        check(&[0x01, 0x87, 0x00], DecodeError::InvalidConnectFlags); // present + refused
        check(&[0x00, 0x00], DecodeError::Truncated); // the property length is required
        check(&[0x00, 0x00, 0x00, 0x00], DecodeError::TrailingBytes);
        check(&[0x00, 0x00, 0x02, 0x24], DecodeError::Truncated);
        check(
            &[0x00, 0x00, 0x02, 0x24, 0x02],
            DecodeError::InvalidProperty,
        ); // Maximum QoS 2
        check(
            &[0x00, 0x00, 0x02, 0x23, 0x01],
            DecodeError::InvalidProperty,
        ); // value cut
        check(
            &[0x00, 0x00, 0x03, 0x23, 0x00, 0x01],
            DecodeError::PropertyNotAllowed,
        );
        assert_eq!(decode(0x21, &[0, 0, 0]), Err(DecodeError::InvalidFlags));

        let mut buf = [0u8; 8];
        assert_eq!(
            encode_connack(
                true,
                ReasonCode::NOT_AUTHORIZED,
                Properties::EMPTY,
                &mut buf
            ),
            Err(EncodeError::InvalidReasonCode)
        );
        assert_eq!(
            encode_connack(
                false,
                ReasonCode::NO_MATCHING_SUBSCRIBERS,
                Properties::EMPTY,
                &mut buf
            ),
            Err(EncodeError::InvalidReasonCode)
        );
    }
}
