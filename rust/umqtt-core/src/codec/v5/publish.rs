//! MQTT 5 PUBLISH (§3.3): topic name, packet id (QoS 1 and 2), properties,
//! payload.
//!
//! The topic may be empty when a Topic Alias property names it
//! (§3.3.2.3.4): the packet then decodes with [`TopicName::EMPTY`] and
//! [`Extra::topic_alias`] set, and the receiver resolves it.

use super::{read_properties, Context, Extra, Properties, PropertyId, PropertyValue};
use crate::codec::publish::{read_flags, read_qos_pid};
use crate::codec::{topic_error, DecodeError, EncodeError, Packet, Publish, Reader};
use crate::topic::TopicName;

/// The exact number of bytes [`encode_publish_header`] writes: the whole
/// packet minus the payload.
pub fn publish_header_len(p: &Publish<'_>, properties: Properties<'_>) -> usize {
    p.header_len_with(Some(properties))
}

/// Encodes the whole PUBLISH, payload included. `properties` must be valid
/// for [`Context::Publish`]; `p.topic` may be [`TopicName::EMPTY`] only if
/// they contain a Topic Alias.
pub fn encode_publish(
    p: &Publish<'_>,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    p.check_with(properties)?;
    p.encode_with(Some(properties), buf)
}

/// Encodes everything up to the payload; the remaining length still counts
/// `p.payload`, which the caller sends from its own buffer.
/// `buf` needs [`publish_header_len`] bytes.
pub fn encode_publish_header(
    p: &Publish<'_>,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    p.check_with(properties)?;
    p.encode_header_with(Some(properties), buf)
}

#[inline(always)]
pub(super) fn decode_publish(
    flags: u8,
    body: &[u8],
    v5: bool,
) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    let (dup, qos, retain) = read_flags(flags)?;
    let mut reader = Reader::new(body);
    let topic = reader.field()?;
    let qos_pid = read_qos_pid(&mut reader, qos)?;
    // Before MQTT 5 (not `v5`): no properties, so no Topic Alias (and no
    // search for one on every message).
    let (properties, topic_alias) = if v5 {
        let properties = read_properties(&mut reader, Context::Publish)?;
        match properties.get(PropertyId::TopicAlias) {
            Some(PropertyValue::TwoByteInt(alias)) => (properties, Some(alias)),
            _ => (properties, None),
        }
    } else {
        (Properties::EMPTY, None)
    };
    let topic = if topic.is_empty() && topic_alias.is_some() {
        TopicName::EMPTY
    } else {
        TopicName::new(topic).map_err(topic_error)?
    };
    let publish = Publish {
        dup,
        qos_pid,
        retain,
        topic,
        payload: reader.rest(),
    };
    let extra = Extra {
        topic_alias,
        ..Extra::with_properties(properties)
    };
    Ok((Packet::Publish(publish), extra))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_encodes, pid};
    use crate::codec::v5::tests::props;
    use crate::codec::v5::{decode, Property};
    use crate::types::QosPid;

    fn publish<'a>(topic: &'a [u8], qos_pid: QosPid, payload: &'a [u8]) -> Publish<'a> {
        Publish {
            dup: false,
            qos_pid,
            retain: false,
            topic: TopicName::new(topic).unwrap_or(TopicName::EMPTY),
            payload,
        }
    }

    /// Encodes `p`, compares with `expected`, checks both lengths, the
    /// one-short buffers and the round trip.
    fn check(p: &Publish<'_>, properties: Properties<'_>, expected: &[u8]) {
        let header_len = publish_header_len(p, properties);
        let (first_byte, body) = assert_encodes(expected, header_len + p.payload.len(), |buf| {
            encode_publish(p, properties, buf)
        });
        let mut header = [0u8; 256];
        assert_eq!(
            encode_publish_header(p, properties, &mut header),
            Ok(header_len)
        );
        assert_eq!(&header[..header_len], &expected[..header_len]);
        assert_eq!(
            encode_publish_header(p, properties, &mut header[..header_len - 1]),
            Err(EncodeError::BufferTooSmall { needed: header_len })
        );
        let (packet, extra) = decode(first_byte, body).unwrap();
        assert_eq!(packet, Packet::Publish(*p));
        assert_eq!(extra.properties, properties);
        assert_eq!(extra.reason, super::super::ReasonCode::SUCCESS);
    }

    #[test]
    fn golden_publish_qos0_no_properties() {
        #[rustfmt::skip]
        let expected = [
            0x30, 8,
            0x00, 0x03, b'a', b'/', b'b', // topic
            0x00,                         // property length 0
            b'h', b'i',                   // payload
        ];
        check(
            &publish(b"a/b", QosPid::AtMostOnce, b"hi"),
            Properties::EMPTY,
            &expected,
        );
    }

    /// The variable header example of §3.3.2.4 ("a/b", packet id 10, no
    /// properties), with dup and retain.
    #[test]
    fn golden_publish_qos1_spec_example() {
        let p = Publish {
            dup: true,
            retain: true,
            ..publish(b"a/b", QosPid::AtLeastOnce(pid(10)), b"x")
        };
        #[rustfmt::skip]
        let expected = [
            0x3b, 9,
            0x00, 0x03, 0x61, 0x2f, 0x62, // "a/b"
            0x00, 0x0a,                   // packet id 10
            0x00,                         // no properties
            b'x',
        ];
        check(&p, Properties::EMPTY, &expected);
    }

    #[test]
    fn golden_publish_qos2_with_message_properties() {
        let mut block = [0u8; 64];
        let properties = props(
            &mut block,
            Context::Publish,
            &[
                Property {
                    id: PropertyId::PayloadFormatIndicator,
                    value: PropertyValue::Byte(1),
                },
                Property {
                    id: PropertyId::MessageExpiryInterval,
                    value: PropertyValue::FourByteInt(60),
                },
                Property {
                    id: PropertyId::ContentType,
                    value: PropertyValue::Utf8String("t"),
                },
                Property {
                    id: PropertyId::ResponseTopic,
                    value: PropertyValue::Utf8String("r"),
                },
                Property {
                    id: PropertyId::CorrelationData,
                    value: PropertyValue::BinaryData(&[0xff]),
                },
                Property {
                    id: PropertyId::UserProperty,
                    value: PropertyValue::Utf8Pair("k", "v"),
                },
            ],
        );
        #[rustfmt::skip]
        let expected = [
            0x34, 33,
            0x00, 0x01, b't',              // topic "t"
            0xff, 0xff,                    // packet id 65535
            26,                            // property length
            0x01, 0x01,                    // Payload Format Indicator: UTF-8
            0x02, 0x00, 0x00, 0x00, 0x3c,  // Message Expiry Interval 60 s
            0x03, 0x00, 0x01, b't',        // Content Type "t"
            0x08, 0x00, 0x01, b'r',        // Response Topic "r"
            0x09, 0x00, 0x01, 0xff,        // Correlation Data ff
            0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // User Property k=v
            b'z',
        ];
        check(
            &publish(b"t", QosPid::ExactlyOnce(pid(65535)), b"z"),
            properties,
            &expected,
        );
    }

    /// §3.3.2.3.4: a topic alias sets the alias with a topic, and names the
    /// topic on its own with an empty one.
    #[test]
    fn golden_publish_topic_alias() {
        let mut block = [0u8; 8];
        let properties = props(
            &mut block,
            Context::Publish,
            &[Property {
                id: PropertyId::TopicAlias,
                value: PropertyValue::TwoByteInt(3),
            }],
        );
        #[rustfmt::skip]
        let setting = [
            0x30, 9,
            0x00, 0x01, b'a',
            0x03, 0x23, 0x00, 0x03, // Topic Alias 3
            b'p', b'q',
        ];
        let p = publish(b"a", QosPid::AtMostOnce, b"pq");
        check(&p, properties, &setting);
        assert_eq!(decode(0x30, &setting[2..]).unwrap().1.topic_alias, Some(3));

        #[rustfmt::skip]
        let using = [
            0x30, 8,
            0x00, 0x00,             // empty topic
            0x03, 0x23, 0x00, 0x03, // Topic Alias 3
            b'p', b'q',
        ];
        let p = publish(b"", QosPid::AtMostOnce, b"pq");
        assert_eq!(p.topic, TopicName::EMPTY);
        check(&p, properties, &using);
        let (packet, extra) = decode(0x30, &using[2..]).unwrap();
        assert_eq!(extra.topic_alias, Some(3));
        let Packet::Publish(decoded) = packet else {
            panic!("not a publish");
        };
        assert_eq!(decoded.topic.as_bytes(), b"");

        // No alias: an empty topic is not allowed either way.
        let mut buf = [0u8; 32];
        assert_eq!(
            encode_publish(&p, Properties::EMPTY, &mut buf),
            Err(EncodeError::EmptyTopicWithoutAlias)
        );
        assert_eq!(
            encode_publish_header(&p, Properties::EMPTY, &mut buf),
            Err(EncodeError::EmptyTopicWithoutAlias)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x00, 0x00, b'p']),
            Err(DecodeError::InvalidTopic)
        );
    }

    #[test]
    fn several_subscription_identifiers_are_allowed_in_publish() {
        // Subscription Identifiers 1 and 268435455 (the largest, four bytes).
        let body = [
            0x00, 0x01, b'a', 0x07, 0x0b, 0x01, 0x0b, 0xff, 0xff, 0xff, 0x7f,
        ];
        let (_, extra) = decode(0x30, &body).unwrap();
        let ids: std::vec::Vec<_> = extra.properties.iter().map(|p| p.value).collect();
        assert_eq!(
            ids,
            [PropertyValue::VarInt(1), PropertyValue::VarInt(268_435_455)]
        );
    }

    #[test]
    fn reject_bad_publish() {
        let check = |first_byte: u8, body: &[u8], expected: DecodeError| {
            assert_eq!(decode(first_byte, body), Err(expected), "{body:x?}");
        };
        check(
            0x36,
            &[0x00, 0x01, b'a', 0x00, 0x01, 0x00],
            DecodeError::InvalidQos,
        );
        check(0x38, &[0x00, 0x01, b'a', 0x00], DecodeError::InvalidFlags);
        check(
            0x32,
            &[0x00, 0x01, b'a', 0x00, 0x00, 0x00],
            DecodeError::ZeroPid,
        );
        check(0x30, &[0x00, 0x01, b'+', 0x00], DecodeError::InvalidTopic);
        check(0x30, &[0x00, 0x01, 0xff, 0x00], DecodeError::InvalidUtf8);
        check(0x30, &[0x00, 0x01, b'a'], DecodeError::Truncated); // no property length
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x05, 0x01],
            DecodeError::Truncated,
        );
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x80, 0x00],
            DecodeError::MalformedLength,
        );
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x02, 0x23, 0x00],
            DecodeError::InvalidProperty,
        );
        // Topic Alias 0 is a protocol error.
        check(
            0x30,
            &[0x00, 0x00, 0x03, 0x23, 0x00, 0x00],
            DecodeError::InvalidProperty,
        );
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x06, 0x23, 0x00, 0x01, 0x23, 0x00, 0x02],
            DecodeError::DuplicateProperty,
        );
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x02, 0x24, 0x01],
            DecodeError::PropertyNotAllowed,
        );
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x02, 0x0b, 0x00],
            DecodeError::InvalidProperty,
        );
        // Response Topic with a wildcard.
        check(
            0x30,
            &[0x00, 0x01, b'a', 0x04, 0x08, 0x00, 0x01, b'#'],
            DecodeError::InvalidProperty,
        );
    }

    #[test]
    fn encoder_refuses_dup_on_qos0_and_foreign_properties() {
        let mut buf = [0u8; 32];
        let p = Publish {
            dup: true,
            ..publish(b"a", QosPid::AtMostOnce, b"")
        };
        assert_eq!(
            encode_publish(&p, Properties::EMPTY, &mut buf),
            Err(EncodeError::DupWithoutQos)
        );
        let p = publish(b"a", QosPid::AtMostOnce, b"");
        // Maximum QoS is a CONNACK property.
        let foreign = Properties::trusted(&[0x24, 0x01]);
        assert_eq!(
            encode_publish(&p, foreign, &mut buf),
            Err(EncodeError::InvalidProperties)
        );
    }

    #[test]
    fn large_payload_uses_multi_byte_length() {
        let payload = std::vec![7u8; 20_000];
        let p = publish(b"a/b", QosPid::AtMostOnce, &payload);
        let mut buf = std::vec![0u8; publish_header_len(&p, Properties::EMPTY) + payload.len()];
        assert_eq!(encode_publish(&p, Properties::EMPTY, &mut buf), Ok(20_010));
        assert_eq!(&buf[..4], &[0x30, 0xa6, 0x9c, 0x01]); // 20_006 as a varint
        let (packet, _) = decode(buf[0], &buf[4..]).unwrap();
        assert_eq!(packet, Packet::Publish(p));
    }
}
