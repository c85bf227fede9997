//! MQTT 5 DISCONNECT (§3.14) and AUTH (§3.15).
//!
//! Both are a reason code and properties, and both may be empty: remaining
//! length 0 means reason 0 (Normal disconnection / Success) without
//! properties. DISCONNECT may also stop after the reason (§3.14.2.2.1).
//! Decoded with the PUBACK family by one decoder (`decode_reason_packet`,
//! in the parent module).

use super::{
    check_reason, encode_reason_packet, put_properties, reason_packet_remaining_len,
    write_reason_packet, Context, Properties, ReasonCode,
};
use crate::codec::{packet_len, EncodeError, Writer};
use crate::types::PacketType;

/// The exact number of bytes [`encode_disconnect`] writes.
pub fn disconnect_len(reason: ReasonCode, properties: Properties<'_>) -> usize {
    packet_len(reason_packet_remaining_len(false, reason, properties))
}

/// Encodes a DISCONNECT in its shortest form: `E0 00` for Normal
/// disconnection without properties, the reason alone without properties.
/// `reason` must be valid for DISCONNECT, `properties` for
/// [`Context::Disconnect`].
pub fn encode_disconnect(
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    encode_reason_packet(
        PacketType::Disconnect,
        Context::Disconnect,
        None,
        reason,
        properties,
        buf,
    )
}

/// [`encode_disconnect`] without its checks, for a DISCONNECT
/// `Client::prepare_disconnect` checked (its reason and properties).
pub(crate) fn encode_disconnect_prepared(
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    write_reason_packet(PacketType::Disconnect, None, reason, properties, buf)
}

/// AUTH may leave out both reason and properties, never the properties
/// alone (§3.15.2.1).
fn auth_remaining_len(reason: ReasonCode, properties: Properties<'_>) -> usize {
    if reason == ReasonCode::SUCCESS && properties.is_empty() {
        0
    } else {
        properties.encoded_len().saturating_add(1)
    }
}

/// The exact number of bytes [`encode_auth`] writes.
pub fn auth_len(reason: ReasonCode, properties: Properties<'_>) -> usize {
    packet_len(auth_remaining_len(reason, properties))
}

/// Encodes an AUTH: `F0 00` for Success without properties, otherwise the
/// reason (Success, Continue authentication or Re-authenticate) and the
/// properties, valid for [`Context::Auth`].
pub fn encode_auth(
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    check_reason(PacketType::Auth, Context::Auth, reason, properties)?;
    let remaining_len = auth_remaining_len(reason, properties);
    let mut writer = Writer::packet(buf, PacketType::Auth, remaining_len)?;
    if remaining_len > 0 {
        writer.put_u8(reason.0)?;
        put_properties(&mut writer, properties)?;
    }
    Ok(writer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::assert_encodes;
    use crate::codec::v5::tests::props;
    use crate::codec::v5::{decode, Extra, Property, PropertyId, PropertyValue};
    use crate::codec::{Auth, DecodeError, Disconnect, Packet};

    fn check_disconnect(reason: ReasonCode, properties: Properties<'_>, expected: &[u8]) {
        let (first_byte, body) =
            assert_encodes(expected, disconnect_len(reason, properties), |buf| {
                encode_disconnect(reason, properties, buf)
            });
        assert_eq!(
            decode(first_byte, body),
            Ok((
                Packet::Disconnect(Disconnect),
                Extra::with_reason(reason, properties)
            ))
        );
    }

    fn check_auth(reason: ReasonCode, properties: Properties<'_>, expected: &[u8]) {
        let (first_byte, body) = assert_encodes(expected, auth_len(reason, properties), |buf| {
            encode_auth(reason, properties, buf)
        });
        assert_eq!(
            decode(first_byte, body),
            Ok((Packet::Auth(Auth), Extra::with_reason(reason, properties)))
        );
    }

    #[test]
    fn golden_disconnect_forms() {
        // Normal disconnection without properties: remaining length 0.
        check_disconnect(
            ReasonCode::NORMAL_DISCONNECTION,
            Properties::EMPTY,
            &[0xe0, 0x00],
        );
        // A reason alone (§3.14.2.2.1: no property length below 2).
        check_disconnect(
            ReasonCode::DISCONNECT_WITH_WILL_MESSAGE,
            Properties::EMPTY,
            &[0xe0, 0x01, 0x04],
        );
        let mut block = [0u8; 32];
        let properties = props(
            &mut block,
            Context::Disconnect,
            &[Property {
                id: PropertyId::ReasonString,
                value: PropertyValue::Utf8String("bye"),
            }],
        );
        #[rustfmt::skip]
        check_disconnect(
            ReasonCode::NORMAL_DISCONNECTION,
            properties,
            &[
                0xe0, 8,
                0x00,                               // Normal disconnection
                0x06, 0x1f, 0x00, 0x03, b'b', b'y', b'e', // Reason String "bye"
            ],
        );
    }

    #[test]
    fn client_disconnect_may_carry_session_expiry_but_server_not() {
        let mut block = [0u8; 8];
        let properties = props(
            &mut block,
            Context::Disconnect,
            &[Property {
                id: PropertyId::SessionExpiryInterval,
                value: PropertyValue::FourByteInt(0),
            }],
        );
        let mut buf = [0u8; 16];
        let len = encode_disconnect(ReasonCode::SUCCESS, properties, &mut buf).unwrap();
        assert_eq!(&buf[..len], &[0xe0, 0x07, 0x00, 0x05, 0x11, 0, 0, 0, 0]);
        assert_eq!(
            decode(0xe0, &buf[2..len]),
            Err(DecodeError::PropertyNotAllowed)
        );
    }

    #[test]
    fn golden_auth_forms() {
        check_auth(ReasonCode::SUCCESS, Properties::EMPTY, &[0xf0, 0x00]);
        let mut buf = [0u8; 4];
        assert_eq!(Packet::Auth(Auth).encode(&mut buf), Ok(2));
        assert_eq!(&buf[..2], &[0xf0, 0x00]);
        assert_eq!(Packet::Auth(Auth).encoded_len(), 2);
        assert_eq!(Packet::Auth(Auth).packet_type(), PacketType::Auth);
        // A reason is followed by the property length, even when 0.
        check_auth(
            ReasonCode::RE_AUTHENTICATE,
            Properties::EMPTY,
            &[0xf0, 0x02, 0x19, 0x00],
        );
        let mut block = [0u8; 32];
        let properties = props(
            &mut block,
            Context::Auth,
            &[
                Property {
                    id: PropertyId::AuthenticationMethod,
                    value: PropertyValue::Utf8String("SCRAM"),
                },
                Property {
                    id: PropertyId::AuthenticationData,
                    value: PropertyValue::BinaryData(&[1, 2]),
                },
            ],
        );
        #[rustfmt::skip]
        check_auth(
            ReasonCode::CONTINUE_AUTHENTICATION,
            properties,
            &[
                0xf0, 15,
                0x18,                                        // Continue authentication
                13,                                          // property length
                0x15, 0x00, 0x05, b'S', b'C', b'R', b'A', b'M', // Authentication Method
                0x16, 0x00, 0x02, 0x01, 0x02,                // Authentication Data
            ],
        );
        // The reason without a property length is accepted when received.
        let (_, extra) = decode(0xf0, &[0x18]).unwrap();
        assert_eq!(extra.reason, ReasonCode::CONTINUE_AUTHENTICATION);
    }

    #[test]
    fn reject_bad_disconnect_and_auth() {
        assert_eq!(decode(0xe0, &[0x01]), Err(DecodeError::InvalidReasonCode));
        assert_eq!(decode(0xe0, &[0x84]), Err(DecodeError::InvalidReasonCode));
        assert_eq!(decode(0xe0, &[0x00, 0x01]), Err(DecodeError::Truncated));
        assert_eq!(
            decode(0xe0, &[0x00, 0x00, 0x00]),
            Err(DecodeError::TrailingBytes)
        );
        assert_eq!(
            decode(0xe0, &[0x00, 0x02, 0x23, 0x00]),
            Err(DecodeError::InvalidProperty)
        );
        assert_eq!(decode(0xe1, &[]), Err(DecodeError::InvalidFlags));
        assert_eq!(decode(0xf0, &[0x04]), Err(DecodeError::InvalidReasonCode));
        assert_eq!(decode(0xf0, &[0x87]), Err(DecodeError::InvalidReasonCode));
        assert_eq!(
            decode(0xf0, &[0x18, 0x02, 0x1c, 0x00]),
            Err(DecodeError::InvalidProperty)
        );
        assert_eq!(
            decode(0xf0, &[0x18, 0x03, 0x21, 0x00, 0x01]),
            Err(DecodeError::PropertyNotAllowed)
        );
        assert_eq!(decode(0xf8, &[]), Err(DecodeError::InvalidFlags));
        let mut buf = [0u8; 8];
        assert_eq!(
            encode_disconnect(ReasonCode::BANNED, Properties::EMPTY, &mut buf),
            Err(EncodeError::InvalidReasonCode)
        );
        assert_eq!(
            encode_auth(ReasonCode::NOT_AUTHORIZED, Properties::EMPTY, &mut buf),
            Err(EncodeError::InvalidReasonCode)
        );
        assert_eq!(
            encode_auth(
                ReasonCode::SUCCESS,
                Properties::trusted(&[0x11, 0, 0, 0, 0]),
                &mut buf
            ),
            Err(EncodeError::InvalidProperties)
        );
    }
}
