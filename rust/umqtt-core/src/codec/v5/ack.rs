//! MQTT 5 PUBACK (§3.4), PUBREC (§3.5), PUBREL (§3.6) and PUBCOMP (§3.7).
//!
//! Packet id, then a reason code and properties, both of which may be left
//! out: a remaining length of 2 means Success without properties, 3 a
//! reason without properties (§3.4.2.1, §3.4.2.2.1). Decoded with
//! DISCONNECT and AUTH by one decoder (`decode_reason_packet`, in the
//! parent module).

use super::{encode_reason_packet, reason_packet_remaining_len, Context, Properties, ReasonCode};
use crate::codec::{packet_len, EncodeError};
use crate::types::{PacketType, Pid};

/// The exact number of bytes [`encode_ack`] writes.
pub fn ack_len(reason: ReasonCode, properties: Properties<'_>) -> usize {
    packet_len(reason_packet_remaining_len(true, reason, properties))
}

/// Encodes a PUBACK, PUBREC, PUBREL (flags 0b0010) or PUBCOMP in its
/// shortest form: 4 bytes for Success without properties. `reason` must be
/// valid for `packet_type` and `properties` for [`Context::PubAck`].
pub fn encode_ack(
    packet_type: PacketType,
    pid: Pid,
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if !matches!(
        packet_type,
        PacketType::PubAck | PacketType::PubRec | PacketType::PubRel | PacketType::PubComp
    ) {
        return Err(EncodeError::InvalidPacketType);
    }
    encode_reason_packet(
        packet_type,
        Context::PubAck,
        Some(pid),
        reason,
        properties,
        buf,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_encodes, pid};
    use crate::codec::v5::tests::props;
    use crate::codec::v5::{decode, Extra, Property, PropertyId, PropertyValue};
    use crate::codec::DecodeError;

    const TYPES: [(PacketType, u8); 4] = [
        (PacketType::PubAck, 0x40),
        (PacketType::PubRec, 0x50),
        (PacketType::PubRel, 0x62),
        (PacketType::PubComp, 0x70),
    ];

    fn check(
        packet_type: PacketType,
        reason: ReasonCode,
        properties: Properties<'_>,
        expected: &[u8],
    ) {
        let (first_byte, body) = assert_encodes(expected, ack_len(reason, properties), |buf| {
            encode_ack(packet_type, pid(12), reason, properties, buf)
        });
        let (packet, extra) = decode(first_byte, body).unwrap();
        assert_eq!(packet.packet_type(), packet_type);
        assert_eq!(extra, Extra::with_reason(reason, properties));
    }

    #[test]
    fn golden_short_forms() {
        for (packet_type, first_byte) in TYPES {
            // Success, no properties: remaining length 2 (§3.4.2.1).
            check(
                packet_type,
                ReasonCode::SUCCESS,
                Properties::EMPTY,
                &[first_byte, 0x02, 0x00, 0x0c],
            );
        }
        // A reason without properties: remaining length 3.
        check(
            PacketType::PubAck,
            ReasonCode::NO_MATCHING_SUBSCRIBERS,
            Properties::EMPTY,
            &[0x40, 0x03, 0x00, 0x0c, 0x10],
        );
        check(
            PacketType::PubRec,
            ReasonCode::QUOTA_EXCEEDED,
            Properties::EMPTY,
            &[0x50, 0x03, 0x00, 0x0c, 0x97],
        );
        check(
            PacketType::PubRel,
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            Properties::EMPTY,
            &[0x62, 0x03, 0x00, 0x0c, 0x92],
        );
        check(
            PacketType::PubComp,
            ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
            Properties::EMPTY,
            &[0x70, 0x03, 0x00, 0x0c, 0x92],
        );
    }

    #[test]
    fn golden_ack_with_properties() {
        let mut block = [0u8; 32];
        let properties = props(
            &mut block,
            Context::PubAck,
            &[
                Property {
                    id: PropertyId::ReasonString,
                    value: PropertyValue::Utf8String("no"),
                },
                Property {
                    id: PropertyId::UserProperty,
                    value: PropertyValue::Utf8Pair("a", ""),
                },
                Property {
                    id: PropertyId::UserProperty,
                    value: PropertyValue::Utf8Pair("a", "b"),
                },
            ],
        );
        #[rustfmt::skip]
        let expected = [
            0x40, 22,
            0x00, 0x0c,                    // packet id 12
            0x87,                          // Not authorized
            18,                            // property length
            0x1f, 0x00, 0x02, b'n', b'o',  // Reason String "no"
            0x26, 0x00, 0x01, b'a', 0x00, 0x00,       // User Property a=""
            0x26, 0x00, 0x01, b'a', 0x00, 0x01, b'b', // User Property a=b (repeats are fine)
        ];
        check(
            PacketType::PubAck,
            ReasonCode::NOT_AUTHORIZED,
            properties,
            &expected,
        );
        // Success with properties keeps the reason byte.
        let mut buf = [0u8; 32];
        let len = encode_ack(
            PacketType::PubComp,
            pid(12),
            ReasonCode::SUCCESS,
            properties,
            &mut buf,
        )
        .unwrap();
        assert_eq!(&buf[..6], &[0x70, 22, 0x00, 0x0c, 0x00, 18]);
        assert_eq!(len, 24);
    }

    #[test]
    fn reject_bad_acks() {
        for (packet_type, first_byte) in TYPES {
            let check = |body: &[u8], expected: DecodeError| {
                assert_eq!(
                    decode(first_byte, body),
                    Err(expected),
                    "{packet_type:?} {body:x?}"
                );
            };
            check(&[0x00, 0x00], DecodeError::ZeroPid);
            check(&[0x00], DecodeError::Truncated);
            check(&[0x00, 0x01, 0x01], DecodeError::InvalidReasonCode);
            check(&[0x00, 0x01, 0x00, 0x01], DecodeError::Truncated);
            check(&[0x00, 0x01, 0x00, 0x00, 0x00], DecodeError::TrailingBytes);
            check(
                &[0x00, 0x01, 0x00, 0x02, 0x26, 0x00],
                DecodeError::InvalidProperty,
            );
            check(
                &[0x00, 0x01, 0x00, 0x02, 0x24, 0x00],
                DecodeError::PropertyNotAllowed,
            );
            assert_eq!(
                decode(first_byte ^ 0x02, &[0x00, 0x01]),
                Err(DecodeError::InvalidFlags)
            );
        }
        // Each type has its own codes: 0x10 only in PUBACK/PUBREC, 0x92 only in PUBREL/PUBCOMP.
        assert!(decode(0x40, &[0x00, 0x01, 0x10]).is_ok());
        assert_eq!(
            decode(0x62, &[0x00, 0x01, 0x10]),
            Err(DecodeError::InvalidReasonCode)
        );
        assert!(decode(0x70, &[0x00, 0x01, 0x92]).is_ok());
        assert_eq!(
            decode(0x50, &[0x00, 0x01, 0x92]),
            Err(DecodeError::InvalidReasonCode)
        );
    }

    #[test]
    fn encoder_refuses_bad_input() {
        let mut buf = [0u8; 16];
        for packet_type in [
            PacketType::SubAck,
            PacketType::UnsubAck,
            PacketType::Publish,
        ] {
            assert_eq!(
                encode_ack(
                    packet_type,
                    pid(1),
                    ReasonCode::SUCCESS,
                    Properties::EMPTY,
                    &mut buf
                ),
                Err(EncodeError::InvalidPacketType)
            );
        }
        assert_eq!(
            encode_ack(
                PacketType::PubRel,
                pid(1),
                ReasonCode::NO_MATCHING_SUBSCRIBERS,
                Properties::EMPTY,
                &mut buf
            ),
            Err(EncodeError::InvalidReasonCode)
        );
        assert_eq!(
            encode_ack(
                PacketType::PubAck,
                pid(1),
                ReasonCode::SUCCESS,
                Properties::trusted(&[0x23, 0x00, 0x01]),
                &mut buf
            ),
            Err(EncodeError::InvalidProperties)
        );
    }
}
