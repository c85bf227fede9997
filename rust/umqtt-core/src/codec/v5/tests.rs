//! Shared test helpers, the property block tests, and property-based tests
//! over the whole v5 codec.

use std::string::{String, ToString};
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::codec::tests::{pid, qos_strategy, split_packet};
use crate::codec::{ConnAck, Connect, LastWill, Publish, SubAck, UnsubAck};
use crate::topic::{TopicFilter, TopicName};
use crate::types::{Pid, QoS, QosPid};
use crate::varint;

/// Builds a block of `list` for `context` in `buf`.
pub(crate) fn props<'b>(
    buf: &'b mut [u8],
    context: Context,
    list: &[Property<'_>],
) -> Properties<'b> {
    let mut writer = PropertyWriter::new(buf, context);
    for property in list {
        writer.push(*property).unwrap();
    }
    writer.finish()
}

/// One property of each id, with a valid value.
fn sample(id: PropertyId) -> Property<'static> {
    let value = match id.kind() {
        PropertyKind::Byte => PropertyValue::Byte(1),
        PropertyKind::TwoByteInt => PropertyValue::TwoByteInt(0x1234),
        PropertyKind::FourByteInt => PropertyValue::FourByteInt(0x0102_0304),
        PropertyKind::VarInt => PropertyValue::VarInt(300),
        PropertyKind::Utf8String => PropertyValue::Utf8String("a/é"),
        PropertyKind::BinaryData => PropertyValue::BinaryData(&[0, 0xff]),
        PropertyKind::Utf8Pair => PropertyValue::Utf8Pair("k", "v"),
    };
    Property { id, value }
}

fn all_ids() -> impl Iterator<Item = PropertyId> {
    (0..=255u8).filter_map(PropertyId::from_u8)
}

const CONTEXTS: [Context; 11] = Context::ALL;

#[test]
fn property_ids_round_trip_and_count() {
    assert_eq!(all_ids().count(), 27);
    for id in all_ids() {
        assert_eq!(PropertyId::from_u8(id as u8), Some(id));
        assert!(!id.name().is_empty());
        assert!(
            CONTEXTS.iter().any(|&context| id.allowed_in(context)),
            "{id:?}"
        );
    }
    assert_eq!(PropertyId::from_u8(0), None);
    assert_eq!(PropertyId::from_u8(0x04), None);
    assert_eq!(PropertyId::from_u8(0x2B), None);
    assert_eq!(PropertyId::TopicAlias.name(), "Topic Alias");
}

/// The table of §2.2.2.2, written out per context.
#[test]
fn allowed_in_matches_the_spec_table() {
    use PropertyId::*;
    let table: [(Context, &[PropertyId]); 11] = [
        (
            Context::Connect,
            &[
                SessionExpiryInterval,
                AuthenticationMethod,
                AuthenticationData,
                RequestProblemInformation,
                RequestResponseInformation,
                ReceiveMaximum,
                TopicAliasMaximum,
                UserProperty,
                MaximumPacketSize,
            ],
        ),
        (
            Context::Will,
            &[
                PayloadFormatIndicator,
                MessageExpiryInterval,
                ContentType,
                ResponseTopic,
                CorrelationData,
                WillDelayInterval,
                UserProperty,
            ],
        ),
        (
            Context::ConnAck,
            &[
                SessionExpiryInterval,
                AssignedClientIdentifier,
                ServerKeepAlive,
                AuthenticationMethod,
                AuthenticationData,
                ResponseInformation,
                ServerReference,
                ReasonString,
                ReceiveMaximum,
                TopicAliasMaximum,
                MaximumQoS,
                RetainAvailable,
                UserProperty,
                MaximumPacketSize,
                WildcardSubscriptionAvailable,
                SubscriptionIdentifierAvailable,
                SharedSubscriptionAvailable,
            ],
        ),
        (
            Context::Publish,
            &[
                PayloadFormatIndicator,
                MessageExpiryInterval,
                ContentType,
                ResponseTopic,
                CorrelationData,
                SubscriptionIdentifier,
                TopicAlias,
                UserProperty,
            ],
        ),
        (Context::PubAck, &[ReasonString, UserProperty]),
        (Context::Subscribe, &[SubscriptionIdentifier, UserProperty]),
        (Context::SubAck, &[ReasonString, UserProperty]),
        (Context::Unsubscribe, &[UserProperty]),
        (Context::UnsubAck, &[ReasonString, UserProperty]),
        (
            Context::Disconnect,
            &[
                SessionExpiryInterval,
                ServerReference,
                ReasonString,
                UserProperty,
            ],
        ),
        (
            Context::Auth,
            &[
                AuthenticationMethod,
                AuthenticationData,
                ReasonString,
                UserProperty,
            ],
        ),
    ];
    for (context, allowed) in table {
        for id in all_ids() {
            assert_eq!(
                id.allowed_in(context),
                allowed.contains(&id),
                "{id:?} in {context:?}"
            );
            let repeatable =
                id == UserProperty || (id == SubscriptionIdentifier && context == Context::Publish);
            assert_eq!(
                id.repeatable_in(context),
                repeatable && allowed.contains(&id),
                "{id:?} in {context:?}"
            );
        }
    }
}

/// Every property kind, hand-encoded: identifier, then the value (§2.2.2.2, §1.5).
#[test]
fn golden_every_kind() {
    let cases: [(Property<'_>, &[u8]); 7] = [
        (
            Property {
                id: PropertyId::PayloadFormatIndicator,
                value: PropertyValue::Byte(1),
            },
            &[0x01, 0x01],
        ),
        (
            Property {
                id: PropertyId::TopicAlias,
                value: PropertyValue::TwoByteInt(0x0102),
            },
            &[0x23, 0x01, 0x02],
        ),
        (
            Property {
                id: PropertyId::MessageExpiryInterval,
                value: PropertyValue::FourByteInt(0xdead_beef),
            },
            &[0x02, 0xde, 0xad, 0xbe, 0xef],
        ),
        (
            Property {
                id: PropertyId::SubscriptionIdentifier,
                value: PropertyValue::VarInt(16_384),
            },
            &[0x0b, 0x80, 0x80, 0x01],
        ),
        (
            Property {
                id: PropertyId::ContentType,
                value: PropertyValue::Utf8String("é"),
            },
            &[0x03, 0x00, 0x02, 0xc3, 0xa9],
        ),
        (
            Property {
                id: PropertyId::CorrelationData,
                value: PropertyValue::BinaryData(&[0x00, 0x00]),
            },
            &[0x09, 0x00, 0x02, 0x00, 0x00],
        ),
        (
            Property {
                id: PropertyId::UserProperty,
                value: PropertyValue::Utf8Pair("", "x"),
            },
            &[0x26, 0x00, 0x00, 0x00, 0x01, b'x'],
        ),
    ];
    for (property, expected) in cases {
        let mut buf = [0u8; 16];
        let block = props(&mut buf, Context::Publish, &[property]);
        assert_eq!(block.as_bytes(), expected, "{property:?}");
        assert_eq!(property.encoded_len(), expected.len());
        assert_eq!(block.encoded_len(), expected.len() + 1);
        assert_eq!(Properties::parse(expected, Context::Publish), Ok(block));
        assert_eq!(block.iter().collect::<Vec<_>>(), [property]);
        assert_eq!(block.get(property.id), Some(property.value));
    }
}

/// Every id with a sample value goes through the writer and back, in the
/// first context that allows it.
#[test]
fn every_property_round_trips() {
    for id in all_ids() {
        let context = CONTEXTS
            .into_iter()
            .find(|&context| id.allowed_in(context))
            .unwrap();
        let mut buf = [0u8; 32];
        let block = props(&mut buf, context, &[sample(id)]);
        assert_eq!(Properties::parse(block.as_bytes(), context), Ok(block));
        assert_eq!(block.iter().next(), Some(sample(id)));
        assert_eq!(block.get(id), Some(sample(id).value));
    }
}

#[test]
fn empty_block() {
    assert!(Properties::EMPTY.is_empty());
    assert_eq!(Properties::EMPTY.encoded_len(), 1);
    assert_eq!(Properties::EMPTY.iter().next(), None);
    assert_eq!(Properties::default(), Properties::EMPTY);
    for context in CONTEXTS {
        assert_eq!(Properties::parse(&[], context), Ok(Properties::EMPTY));
    }
}

/// Every rule of [`Properties::parse`], one failing block each.
#[test]
fn parse_rejects_every_broken_rule() {
    let check = |block: &[u8], context: Context, expected: DecodeError| {
        assert_eq!(
            Properties::parse(block, context),
            Err(expected),
            "{block:x?} in {context:?}"
        );
    };
    use Context::*;
    use DecodeError::*;
    // Unknown identifiers (0, gaps, beyond 0x2A, a multi-byte-looking one).
    for id in [0x00, 0x04, 0x0a, 0x14, 0x1b, 0x20, 0x2b, 0x7f, 0x80, 0xff] {
        check(&[id, 0x00], Publish, InvalidProperty);
    }
    // Not allowed in the context.
    check(&[0x24, 0x00], Publish, PropertyNotAllowed);
    check(&[0x23, 0x00, 0x01], Connect, PropertyNotAllowed);
    check(&[0x18, 0, 0, 0, 1], Connect, PropertyNotAllowed);
    check(&[0x1f, 0x00, 0x00], Publish, PropertyNotAllowed);
    check(&[0x0b, 0x01], Unsubscribe, PropertyNotAllowed);
    // Duplicates.
    check(&[0x01, 0x00, 0x01, 0x01], Publish, DuplicateProperty);
    check(&[0x0b, 0x01, 0x0b, 0x02], Subscribe, DuplicateProperty);
    check(
        &[
            0x1f, 0x00, 0x00, 0x26, 0x00, 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00,
        ],
        PubAck,
        DuplicateProperty,
    );
    // Repeatable ones are fine.
    assert!(Properties::parse(&[0x0b, 0x01, 0x0b, 0x02], Publish).is_ok());
    assert!(Properties::parse(&[0x26, 0, 0, 0, 0, 0x26, 0, 0, 0, 0], Auth).is_ok());
    // Truncated values of every kind.
    check(&[0x01], Publish, InvalidProperty);
    check(&[0x23, 0x00], Publish, InvalidProperty);
    check(&[0x02, 0x00, 0x00, 0x00], Publish, InvalidProperty);
    check(&[0x0b, 0x80], Publish, InvalidProperty);
    check(&[0x03, 0x00, 0x02, b'a'], Publish, InvalidProperty);
    check(&[0x03, 0x00], Publish, InvalidProperty);
    check(&[0x09, 0x00, 0x01], Publish, InvalidProperty);
    check(&[0x26, 0x00, 0x01, b'k'], Publish, InvalidProperty);
    check(
        &[0x26, 0x00, 0x01, b'k', 0x00, 0x02, b'v'],
        Publish,
        InvalidProperty,
    );
    // Bad UTF-8 and U+0000, in strings and in both halves of a pair.
    check(&[0x03, 0x00, 0x01, 0xff], Publish, InvalidUtf8);
    check(&[0x03, 0x00, 0x03, 0xed, 0xa0, 0x80], Publish, InvalidUtf8); // a surrogate
    check(&[0x03, 0x00, 0x01, 0x00], Publish, InvalidUtf8);
    check(&[0x26, 0x00, 0x01, 0x00, 0x00, 0x00], Publish, InvalidUtf8);
    check(
        &[0x26, 0x00, 0x00, 0x00, 0x02, b'a', 0x00],
        Publish,
        InvalidUtf8,
    );
    check(&[0x26, 0x00, 0x01, 0xc3, 0x00, 0x00], Publish, InvalidUtf8);
    // Binary data may hold anything.
    assert!(Properties::parse(&[0x09, 0x00, 0x02, 0x00, 0xff], Publish).is_ok());
    // Out-of-range values.
    for id in [0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a] {
        let context = if matches!(id, 0x17 | 0x19) {
            Connect
        } else if id == 0x01 {
            Publish
        } else {
            ConnAck
        };
        assert!(Properties::parse(&[id, 0x01], context).is_ok(), "{id:#x}");
        check(&[id, 0x02], context, InvalidProperty);
        check(&[id, 0xff], context, InvalidProperty);
    }
    check(&[0x21, 0x00, 0x00], ConnAck, InvalidProperty); // Receive Maximum 0
    check(&[0x23, 0x00, 0x00], Publish, InvalidProperty); // Topic Alias 0
    check(&[0x27, 0, 0, 0, 0], Connect, InvalidProperty); // Maximum Packet Size 0
    check(&[0x0b, 0x00], Subscribe, InvalidProperty); // Subscription Identifier 0
    check(&[0x08, 0x00, 0x01, b'+'], Will, InvalidProperty); // Response Topic wildcard
    check(&[0x08, 0x00, 0x00], Publish, InvalidProperty); // empty Response Topic
    assert!(Properties::parse(&[0x22, 0x00, 0x00], Connect).is_ok()); // Topic Alias Maximum 0
    assert!(Properties::parse(&[0x13, 0x00, 0x00], ConnAck).is_ok()); // Server Keep Alive 0
                                                                      // Variable byte integers: minimal, at most four bytes.
    assert!(Properties::parse(&[0x0b, 0xff, 0xff, 0xff, 0x7f], Publish).is_ok());
    check(&[0x0b, 0x81, 0x00], Publish, InvalidProperty); // 1 in two bytes
    check(
        &[0x0b, 0xff, 0xff, 0xff, 0xff, 0x01],
        Publish,
        InvalidProperty,
    );
}

/// The property length must agree with the bytes (§2.2.2.1).
#[test]
fn property_length_mismatch() {
    // PUBACK with reason 0 and a block [Reason String ""]:
    let good = [0x00, 0x01, 0x00, 0x03, 0x1f, 0x00, 0x00];
    assert!(decode(0x40, &good).is_ok());
    // Length one too long: the block runs past the body.
    let mut long = good;
    long[3] = 0x04;
    assert_eq!(decode(0x40, &long), Err(DecodeError::Truncated));
    // One too short: the last property is cut inside the block.
    let mut short = good;
    short[3] = 0x02;
    assert_eq!(decode(0x40, &short), Err(DecodeError::InvalidProperty));
    // Shorter still: the block ends cleanly, then bytes are left over.
    let mut shorter = good;
    shorter[3] = 0x00;
    assert_eq!(decode(0x40, &shorter), Err(DecodeError::TrailingBytes));
    // A malformed property length.
    assert_eq!(
        decode(0x40, &[0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f]),
        Err(DecodeError::MalformedLength)
    );
    assert_eq!(
        decode(0x40, &[0x00, 0x01, 0x00, 0x80, 0x00]),
        Err(DecodeError::MalformedLength)
    );
    // A non-minimal but in-range length is malformed too.
    assert_eq!(
        decode(0x40, &[0x00, 0x01, 0x00, 0x83, 0x00, 0x1f, 0x00, 0x00]),
        Err(DecodeError::MalformedLength)
    );
}

#[test]
fn writer_enforces_the_rules_and_writes_nothing_on_error() {
    let mut buf = [0u8; 16];
    let mut writer = PropertyWriter::new(&mut buf, Context::Publish);
    let topic_alias = Property {
        id: PropertyId::TopicAlias,
        value: PropertyValue::TwoByteInt(1),
    };
    writer.push(topic_alias).unwrap();
    assert_eq!(writer.len(), 3);
    let refusals = [
        // Wrong kind for the id.
        (
            Property {
                id: PropertyId::TopicAlias,
                value: PropertyValue::FourByteInt(1),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::MaximumQoS,
                value: PropertyValue::Byte(0),
            },
            PropertyError::NotAllowed,
        ),
        (topic_alias, PropertyError::Duplicate),
        (
            Property {
                id: PropertyId::PayloadFormatIndicator,
                value: PropertyValue::Byte(2),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::SubscriptionIdentifier,
                value: PropertyValue::VarInt(268_435_456),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::SubscriptionIdentifier,
                value: PropertyValue::VarInt(0),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::ContentType,
                value: PropertyValue::Utf8String("a\0"),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::UserProperty,
                value: PropertyValue::Utf8Pair("a", "\0"),
            },
            PropertyError::InvalidValue,
        ),
        (
            Property {
                id: PropertyId::ResponseTopic,
                value: PropertyValue::Utf8String("a/#"),
            },
            PropertyError::InvalidValue,
        ),
        // 3 + 14 bytes do not fit 16.
        (
            Property {
                id: PropertyId::CorrelationData,
                value: PropertyValue::BinaryData(&[0; 11]),
            },
            PropertyError::BufferTooSmall,
        ),
    ];
    for (property, expected) in refusals {
        assert_eq!(writer.push(property), Err(expected), "{property:?}");
        assert_eq!(writer.len(), 3);
    }
    // Exactly filling the buffer works; a repeatable one may repeat.
    let id = Property {
        id: PropertyId::SubscriptionIdentifier,
        value: PropertyValue::VarInt(127),
    };
    writer.push(id).unwrap();
    writer.push(id).unwrap();
    let data = Property {
        id: PropertyId::CorrelationData,
        value: PropertyValue::BinaryData(&[7; 6]),
    };
    writer.push(data).unwrap();
    assert_eq!(writer.len(), 16);
    let block = writer.finish();
    assert_eq!(
        block.iter().collect::<Vec<_>>(),
        [topic_alias, id, id, data]
    );
    assert_eq!(
        Properties::parse(block.as_bytes(), Context::Publish),
        Ok(block)
    );

    let long = "a".repeat(65_536);
    let mut big = std::vec![0u8; 70_000];
    let mut writer = PropertyWriter::new(&mut big, Context::PubAck);
    assert_eq!(
        writer.push(Property {
            id: PropertyId::ReasonString,
            value: PropertyValue::Utf8String(&long),
        }),
        Err(PropertyError::FieldTooLong)
    );
    writer
        .push(Property {
            id: PropertyId::ReasonString,
            value: PropertyValue::Utf8String(&long[1..]),
        })
        .unwrap();
    assert_eq!(writer.len(), 65_538);
    for error in [
        PropertyError::NotAllowed,
        PropertyError::Duplicate,
        PropertyError::InvalidValue,
        PropertyError::BufferTooSmall,
        PropertyError::FieldTooLong,
    ] {
        assert!(!error.to_string().is_empty());
    }
}

#[test]
fn writer_resumes_one_property_per_call() {
    let mut buf = [0u8; 32];
    let mut len = 0;
    for property in [
        Property {
            id: PropertyId::SessionExpiryInterval,
            value: PropertyValue::FourByteInt(30),
        },
        Property {
            id: PropertyId::UserProperty,
            value: PropertyValue::Utf8Pair("a", "b"),
        },
    ] {
        let mut writer = PropertyWriter::resume(&mut buf, len, Context::Connect).unwrap();
        writer.push(property).unwrap();
        len = writer.len();
    }
    assert_eq!(
        &buf[..len],
        &[0x11, 0, 0, 0, 30, 0x26, 0, 1, b'a', 0, 1, b'b']
    );
    let mut writer = PropertyWriter::resume(&mut buf, len, Context::Connect).unwrap();
    assert_eq!(
        writer.push(Property {
            id: PropertyId::SessionExpiryInterval,
            value: PropertyValue::FourByteInt(1),
        }),
        Err(PropertyError::Duplicate)
    );
    // The block is validated again, in the new context.
    assert!(matches!(
        PropertyWriter::resume(&mut buf, len, Context::Publish),
        Err(PropertyError::NotAllowed)
    ));
    assert!(matches!(
        PropertyWriter::resume(&mut buf, len - 1, Context::Connect),
        Err(PropertyError::InvalidValue)
    ));
    assert!(matches!(
        PropertyWriter::resume(&mut buf, 33, Context::Connect),
        Err(PropertyError::BufferTooSmall)
    ));
    buf[5..10].copy_from_slice(&[0x11, 0, 0, 0, 1]);
    assert!(matches!(
        PropertyWriter::resume(&mut buf, 10, Context::Connect),
        Err(PropertyError::Duplicate)
    ));
}

#[test]
fn append_to_validates_the_block_with_the_new_property() {
    let mut buf = [0u8; 24];
    // Session Expiry Interval 30, then a user property "a" = "b".
    let len = PropertyWriter::append_to(&mut buf, 0, Context::Connect, 0x11, 30, &[], &[]).unwrap();
    let len =
        PropertyWriter::append_to(&mut buf, len, Context::Connect, 0x26, 0, b"a", b"b").unwrap();
    assert_eq!(
        &buf[..len],
        &[0x11, 0, 0, 0, 30, 0x26, 0, 1, b'a', 0, 1, b'b']
    );
    let refusals: [(u8, u32, &[u8], PropertyError); 7] = [
        // Unknown id; a number too large for its kind; out of range.
        (0x05, 0, b"", PropertyError::InvalidValue),
        (0x17, 256, b"", PropertyError::InvalidValue),
        (0x17, 2, b"", PropertyError::InvalidValue),
        (0x21, 65_536, b"", PropertyError::InvalidValue),
        // Not UTF-8; not allowed in CONNECT; already there.
        (0x15, 0, &[0xff], PropertyError::InvalidValue),
        (0x23, 1, b"", PropertyError::NotAllowed),
        (0x11, 1, b"", PropertyError::Duplicate),
    ];
    for (id, number, a, expected) in refusals {
        assert_eq!(
            PropertyWriter::append_to(&mut buf, len, Context::Connect, id, number, a, b""),
            Err(expected),
            "{id:#04x}"
        );
    }
    // No room, or a length past the buffer.
    assert_eq!(
        PropertyWriter::append_to(&mut buf, len, Context::Connect, 0x15, 0, b"0123456789", b""),
        Err(PropertyError::BufferTooSmall)
    );
    assert_eq!(
        PropertyWriter::append_to(&mut buf, 25, Context::Connect, 0x17, 1, b"", b""),
        Err(PropertyError::BufferTooSmall)
    );
    // The block before the new property is checked too: a duplicate in it,
    // or properties the context does not allow.
    buf[5..10].copy_from_slice(&[0x11, 0, 0, 0, 1]);
    assert_eq!(
        PropertyWriter::append_to(&mut buf, 10, Context::Connect, 0x17, 1, b"", b""),
        Err(PropertyError::Duplicate)
    );
    assert_eq!(
        PropertyWriter::append_to(&mut buf, 5, Context::Publish, 0x01, 1, b"", b""),
        Err(PropertyError::NotAllowed)
    );
}

#[test]
fn trusted_blocks_iterate_without_panicking() {
    // A Topic Alias, then a property cut short.
    let block = Properties::trusted(&[0x23, 0x00, 0x05, 0x02, 0x00]);
    let mut iter = block.iter();
    assert_eq!(iter.remaining(), 5);
    assert_eq!(
        iter.next(),
        Some(Property {
            id: PropertyId::TopicAlias,
            value: PropertyValue::TwoByteInt(5)
        })
    );
    assert_eq!(iter.remaining(), 2);
    assert_eq!(iter.next(), None);
    assert_eq!(iter.next(), None);
    assert_eq!(iter.remaining(), 0);
    assert_eq!(block.get(PropertyId::MessageExpiryInterval), None);
    // Encoders check again.
    let p = Publish {
        dup: false,
        qos_pid: QosPid::AtMostOnce,
        retain: false,
        topic: TopicName::new(b"a").unwrap(),
        payload: b"",
    };
    assert_eq!(
        encode_publish(&p, block, &mut [0u8; 32]),
        Err(EncodeError::InvalidProperties)
    );
}

#[test]
fn decode_routes_every_type() {
    assert_eq!(decode(0x00, &[]), Err(DecodeError::ReservedPacketType));
    assert_eq!(decode(0x0f, &[]), Err(DecodeError::ReservedPacketType));
    for first_byte in [0x10, 0x82, 0xa2, 0xc0] {
        assert_eq!(decode(first_byte, &[]), Err(DecodeError::UnexpectedPacket));
    }
    assert_eq!(
        decode(0xd0, &[]),
        Ok((Packet::PingResp(crate::codec::PingResp), Extra::default()))
    );
    assert_eq!(decode(0xd0, &[0]), Err(DecodeError::TrailingBytes));
    assert_eq!(decode(0xd1, &[]), Err(DecodeError::InvalidFlags));
    // The 3.1.1 decoder keeps AUTH reserved and refuses to do v5.
    use crate::types::ProtocolVersion;
    for version in [
        #[cfg(feature = "mqtt31")]
        ProtocolVersion::V31,
        ProtocolVersion::V311,
    ] {
        for first_byte in 0xf0..=0xff {
            for body in [&[][..], &[0x00], &[0x18, 0x00]] {
                assert_eq!(
                    crate::codec::decode(first_byte, body, version),
                    Err(DecodeError::ReservedPacketType)
                );
            }
        }
    }
    // In v5, type 15 is AUTH, whose flags must be 0.
    for first_byte in 0xf1..=0xff {
        assert_eq!(decode(first_byte, &[]), Err(DecodeError::InvalidFlags));
    }
    assert_eq!(
        crate::codec::decode(0xd0, &[], ProtocolVersion::V5),
        Err(DecodeError::InvalidProtocol)
    );
}

#[test]
fn new_errors_display() {
    for error in [
        DecodeError::InvalidProperty,
        DecodeError::DuplicateProperty,
        DecodeError::PropertyNotAllowed,
        DecodeError::InvalidReasonCode,
        DecodeError::UnexpectedPacket,
        DecodeError::InvalidRetainHandling,
    ] {
        assert!(!error.to_string().is_empty());
    }
    for error in [
        EncodeError::EmptyTopicWithoutAlias,
        EncodeError::InvalidReasonCode,
        EncodeError::InvalidProperties,
        EncodeError::InvalidPacketType,
        EncodeError::InvalidSubscription,
        EncodeError::WillPropertiesWithoutWill,
    ] {
        assert!(!error.to_string().is_empty());
    }
}

// ---- property-based tests ----

/// An owned property, so proptest can generate it.
#[derive(Clone, Debug)]
enum OwnedValue {
    Byte(u8),
    Two(u16),
    Four(u32),
    Var(u32),
    Str(String),
    Bin(Vec<u8>),
    Pair(String, String),
}

fn value_strategy() -> impl Strategy<Value = OwnedValue> {
    prop_oneof![
        prop_oneof![Just(0u8), Just(1), Just(2), any::<u8>()].prop_map(OwnedValue::Byte),
        prop_oneof![Just(0u16), Just(1), any::<u16>()].prop_map(OwnedValue::Two),
        prop_oneof![Just(0u32), any::<u32>()].prop_map(OwnedValue::Four),
        prop_oneof![Just(0u32), 1..=268_435_455u32, any::<u32>()].prop_map(OwnedValue::Var),
        prop_oneof!["[a-z/+#]{0,6}", "\\PC{0,4}", Just(String::from("a\0"))]
            .prop_map(OwnedValue::Str),
        proptest::collection::vec(any::<u8>(), 0..6).prop_map(OwnedValue::Bin),
        ("\\PC{0,3}", "\\PC{0,3}").prop_map(|(a, b)| OwnedValue::Pair(a, b)),
    ]
}

fn as_value(value: &OwnedValue) -> PropertyValue<'_> {
    match value {
        OwnedValue::Byte(v) => PropertyValue::Byte(*v),
        OwnedValue::Two(v) => PropertyValue::TwoByteInt(*v),
        OwnedValue::Four(v) => PropertyValue::FourByteInt(*v),
        OwnedValue::Var(v) => PropertyValue::VarInt(*v),
        OwnedValue::Str(v) => PropertyValue::Utf8String(v),
        OwnedValue::Bin(v) => PropertyValue::BinaryData(v),
        OwnedValue::Pair(a, b) => PropertyValue::Utf8Pair(a, b),
    }
}

fn id_strategy() -> impl Strategy<Value = PropertyId> {
    proptest::sample::select(all_ids().collect::<Vec<_>>())
}

fn context_strategy() -> impl Strategy<Value = Context> {
    proptest::sample::select(CONTEXTS.to_vec())
}

/// A filter, possibly shared.
fn filter_strategy() -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(prop_oneof!["[a-z]{0,3}", Just(String::from("+"))], 1..4),
        any::<bool>(),
        proptest::option::of("[a-z]{1,3}"),
    )
        .prop_map(|(levels, multi_level, share)| {
            let mut filter = levels.join("/");
            if multi_level {
                filter.push_str("/#");
            }
            match share {
                Some(share) => std::format!("$share/{share}/{filter}"),
                None => filter,
            }
        })
        .prop_filter("must be a valid filter", |filter| {
            TopicFilter::new_v5(filter.as_bytes()).is_ok()
        })
}

fn options_strategy() -> impl Strategy<Value = SubscriptionOptions> {
    (qos_strategy(), any::<bool>(), any::<bool>(), 0..3u8).prop_map(
        |(qos, no_local, retain_as_published, retain_handling)| SubscriptionOptions {
            qos,
            no_local,
            retain_as_published,
            retain_handling: match retain_handling {
                0 => RetainHandling::SendAtSubscribe,
                1 => RetainHandling::SendIfNew,
                _ => RetainHandling::DoNotSend,
            },
        },
    )
}

/// Pushes what the writer accepts; returns the accepted ones.
fn build<'b>(
    buf: &'b mut [u8],
    context: Context,
    list: &[(PropertyId, OwnedValue)],
) -> Properties<'b> {
    let mut writer = PropertyWriter::new(buf, context);
    for (id, value) in list {
        let before = writer.len();
        if writer
            .push(Property {
                id: *id,
                value: as_value(value),
            })
            .is_err()
        {
            assert_eq!(writer.len(), before, "a refused push wrote bytes");
        }
    }
    writer.finish()
}

fn reason_strategy() -> impl Strategy<Value = u8> {
    prop_oneof![Just(0u8), any::<u8>()]
}

proptest! {
    /// Whatever the writer accepts parses in its context, back to the same
    /// properties, and resumes.
    #[test]
    fn writer_output_always_parses(
        context in context_strategy(),
        list in proptest::collection::vec((id_strategy(), value_strategy()), 0..8),
        capacity in 0..64usize,
    ) {
        let mut buf = std::vec![0u8; capacity];
        let block = build(&mut buf, context, &list);
        prop_assert_eq!(Properties::parse(block.as_bytes(), context), Ok(block));
        let total: usize = block.iter().map(|p| p.encoded_len()).sum();
        prop_assert_eq!(total, block.as_bytes().len());
        for property in block.iter() {
            prop_assert!(property.id.allowed_in(context));
            prop_assert_eq!(property.value.kind(), property.id.kind());
        }
        let len = block.as_bytes().len();
        prop_assert!(PropertyWriter::resume(&mut buf, len, context).is_ok());
    }

    /// Arbitrary blocks never panic; what parses iterates to the end.
    #[test]
    fn parse_of_arbitrary_blocks(
        block in proptest::collection::vec(any::<u8>(), 0..24),
        context in context_strategy(),
    ) {
        let trusted = Properties::trusted(&block);
        let mut iter = trusted.iter();
        while iter.next().is_some() {}
        prop_assert_eq!(iter.remaining() == 0, true);
        if let Ok(properties) = Properties::parse(&block, context) {
            let total: usize = properties.iter().map(|p| p.encoded_len()).sum();
            prop_assert_eq!(total, block.len());
            // Writing the same properties again gives the same bytes.
            let mut buf = std::vec![0u8; block.len()];
            let mut writer = PropertyWriter::new(&mut buf, context);
            for property in properties.iter() {
                prop_assert_eq!(writer.push(property), Ok(()));
            }
            prop_assert_eq!(writer.finish().as_bytes(), &block[..]);
        }
    }

    /// Arbitrary bytes never panic the decoder, whatever the first byte.
    #[test]
    fn decode_of_arbitrary_bytes(
        first_byte in any::<u8>(),
        body in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        if let Ok((packet, extra)) = decode(first_byte, &body) {
            prop_assert_eq!(Some(packet.packet_type()), crate::types::PacketType::from_first_byte(first_byte));
            // Properties that decoded are whole.
            let total: usize = extra.properties.iter().map(|p| p.encoded_len()).sum();
            prop_assert_eq!(total, extra.properties.as_bytes().len());
        }
    }

    /// Bodies that start like real packets reach the deeper checks.
    #[test]
    fn decode_of_mutated_packets(
        model in model_strategy(),
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4),
    ) {
        let mut buf = std::vec![0u8; 512];
        let len = encode_model(&model, &mut buf);
        let mut bytes = buf[..len].to_vec();
        for (position, value) in &flips {
            let index = position % bytes.len();
            bytes[index] = *value;
        }
        let body_start = match varint::decode(&bytes[1..]) {
            Ok(Some((_, length_len))) => (1 + length_len).min(bytes.len()),
            _ => 1,
        };
        let _ = decode(bytes[0], &bytes[body_start..]);
    }

    /// Every server-to-client packet the encoders produce decodes back.
    #[test]
    fn server_packets_round_trip(model in model_strategy()) {
        let mut buf = std::vec![0u8; 512];
        let len = encode_model(&model, &mut buf);
        let (first_byte, body) = split_packet(&buf[..len]);
        check_model(&model, first_byte, body);
    }

    /// Client packets round trip through the test-side decoders.
    #[test]
    fn client_packets_round_trip(
        pid in 1..=u16::MAX,
        filters in proptest::collection::vec((filter_strategy(), options_strategy()), 1..4),
        sub_id in proptest::option::of(1..=268_435_455u32),
        client_id in "\\PC{0,8}",
        will in proptest::option::of(("[a-z/]{1,6}", proptest::collection::vec(any::<u8>(), 0..6), qos_strategy(), any::<bool>())),
        username in proptest::option::of("\\PC{0,4}"),
        password in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..4)),
        keep_alive in any::<u16>(),
        clean_start in any::<bool>(),
        reason in reason_strategy(),
    ) {
        let pid = Pid::new(pid).unwrap();
        let filters: Vec<(TopicFilter<'_>, SubscriptionOptions)> = filters
            .iter()
            .map(|(filter, options)| {
                let filter = TopicFilter::new_v5(filter.as_bytes()).unwrap();
                let no_local = options.no_local && filter.shared().is_none();
                (filter, SubscriptionOptions { no_local, ..*options })
            })
            .collect();
        let mut block = [0u8; 8];
        let properties = match sub_id {
            Some(value) => props(&mut block, Context::Subscribe, &[Property {
                id: PropertyId::SubscriptionIdentifier,
                value: PropertyValue::VarInt(value),
            }]),
            None => Properties::EMPTY,
        };
        let mut buf = std::vec![0u8; 1024];
        let len = encode_subscribe(pid, &filters, properties, &mut buf).unwrap();
        prop_assert_eq!(len, subscribe_len(pid, &filters, properties));
        let (first_byte, body) = split_packet(&buf[..len]);
        prop_assert_eq!(first_byte, 0x82);
        prop_assert_eq!(subscribe::decode_subscribe(body), Ok((pid, properties, filters.clone())));

        let list: Vec<TopicFilter<'_>> = filters.iter().map(|(filter, _)| *filter).collect();
        let len = encode_unsubscribe(pid, &list, Properties::EMPTY, &mut buf).unwrap();
        prop_assert_eq!(len, unsubscribe_len(pid, &list, Properties::EMPTY));
        let (first_byte, body) = split_packet(&buf[..len]);
        prop_assert_eq!(first_byte, 0xa2);
        prop_assert_eq!(subscribe::decode_unsubscribe(body), Ok((pid, Properties::EMPTY, list)));

        let connect = Connect {
            version: crate::types::ProtocolVersion::V5,
            client_id: &client_id,
            clean_session: clean_start,
            keep_alive,
            will: will.as_ref().map(|(topic, message, qos, retain)| LastWill {
                topic: TopicName::new(topic.as_bytes()).unwrap(),
                message,
                qos: *qos,
                retain: *retain,
            }),
            username: username.as_deref(),
            password: password.as_deref(),
        };
        let len = encode_connect(&connect, Properties::EMPTY, Properties::EMPTY, &mut buf).unwrap();
        prop_assert_eq!(len, connect_len(&connect, Properties::EMPTY, Properties::EMPTY));
        prop_assert_eq!(len, Packet::Connect(connect).encoded_len());
        let (_, body) = split_packet(&buf[..len]);
        prop_assert_eq!(connect::decode_connect(body), Ok((connect, Properties::EMPTY, Properties::EMPTY)));

        // Client-side acks and DISCONNECT/AUTH: valid reasons round trip,
        // invalid ones are refused.
        let reason = ReasonCode(reason);
        for packet_type in [PacketType::PubAck, PacketType::PubRec, PacketType::PubRel, PacketType::PubComp] {
            let encoded = encode_ack(packet_type, pid, reason, Properties::EMPTY, &mut buf);
            check_reason_packet(packet_type, reason, encoded, ack_len(reason, Properties::EMPTY), &buf)?;
        }
        let encoded = encode_disconnect(reason, Properties::EMPTY, &mut buf);
        check_reason_packet(PacketType::Disconnect, reason, encoded, disconnect_len(reason, Properties::EMPTY), &buf)?;
        let encoded = encode_auth(reason, Properties::EMPTY, &mut buf);
        check_reason_packet(PacketType::Auth, reason, encoded, auth_len(reason, Properties::EMPTY), &buf)?;
    }
}

/// A packet of `packet_type` with `reason` and no properties, `encoded` into
/// `buf`: `len` bytes that decode back to it when the reason is valid for
/// the type, else refused.
fn check_reason_packet(
    packet_type: PacketType,
    reason: ReasonCode,
    encoded: Result<usize, EncodeError>,
    len: usize,
    buf: &[u8],
) -> Result<(), TestCaseError> {
    match encoded {
        Ok(written) => {
            prop_assert_eq!(written, len);
            let (first_byte, body) = split_packet(&buf[..written]);
            let (packet, extra) = decode(first_byte, body).unwrap();
            prop_assert_eq!(packet.packet_type(), packet_type);
            prop_assert_eq!(extra.reason, reason);
        }
        Err(error) => {
            prop_assert_eq!(error, EncodeError::InvalidReasonCode);
            prop_assert!(!reason.valid_for(packet_type));
        }
    }
    Ok(())
}

use crate::types::PacketType;

/// A packet a server sends, owned.
#[derive(Clone, Debug)]
enum Model {
    ConnAck(bool, u8, Vec<(PropertyId, OwnedValue)>),
    Publish {
        dup: bool,
        qos: QoS,
        pid: u16,
        retain: bool,
        topic: String,
        alias: Option<u16>,
        props: Vec<(PropertyId, OwnedValue)>,
        payload: Vec<u8>,
    },
    Ack(PacketType, u16, u8, Vec<(PropertyId, OwnedValue)>),
    SubAck(u16, Vec<u8>, Vec<(PropertyId, OwnedValue)>),
    UnsubAck(u16, Vec<u8>, Vec<(PropertyId, OwnedValue)>),
    Disconnect(u8, Vec<(PropertyId, OwnedValue)>),
    Auth(u8, Vec<(PropertyId, OwnedValue)>),
    PingResp,
}

fn list_strategy() -> impl Strategy<Value = Vec<(PropertyId, OwnedValue)>> {
    proptest::collection::vec((id_strategy(), value_strategy()), 0..5)
}

/// A reason code valid for `packet_type`.
fn valid_reason(packet_type: PacketType) -> impl Strategy<Value = u8> {
    let codes: Vec<u8> = (0..=255u8)
        .filter(|&code| ReasonCode(code).valid_for(packet_type))
        .collect();
    proptest::sample::select(codes)
}

fn model_strategy() -> impl Strategy<Value = Model> {
    let connack = (
        any::<bool>(),
        valid_reason(PacketType::ConnAck),
        list_strategy(),
    )
        .prop_map(|(present, reason, list)| Model::ConnAck(present && reason == 0, reason, list));
    let publish = (
        (any::<bool>(), qos_strategy(), 1..=u16::MAX, any::<bool>()),
        prop_oneof!["[a-z0-9/ é$]{1,10}", Just(String::new())],
        proptest::option::of(1..=u16::MAX),
        list_strategy(),
        proptest::collection::vec(any::<u8>(), 0..32),
    )
        .prop_map(|((dup, qos, pid, retain), topic, alias, props, payload)| {
            let alias = if topic.is_empty() {
                Some(alias.unwrap_or(1))
            } else {
                alias
            };
            Model::Publish {
                dup: dup && qos != QoS::AtMostOnce,
                qos,
                pid,
                retain,
                topic,
                alias,
                props,
                payload,
            }
        });
    let ack = prop_oneof![
        Just(PacketType::PubAck),
        Just(PacketType::PubRec),
        Just(PacketType::PubRel),
        Just(PacketType::PubComp)
    ]
    .prop_flat_map(|packet_type| {
        (
            Just(packet_type),
            1..=u16::MAX,
            valid_reason(packet_type),
            list_strategy(),
        )
    })
    .prop_map(|(packet_type, pid, reason, list)| Model::Ack(packet_type, pid, reason, list));
    prop_oneof![
        connack,
        publish,
        ack,
        (
            1..=u16::MAX,
            proptest::collection::vec(valid_reason(PacketType::SubAck), 1..5),
            list_strategy()
        )
            .prop_map(|(pid, codes, list)| Model::SubAck(pid, codes, list)),
        (
            1..=u16::MAX,
            proptest::collection::vec(valid_reason(PacketType::UnsubAck), 1..5),
            list_strategy()
        )
            .prop_map(|(pid, codes, list)| Model::UnsubAck(pid, codes, list)),
        (valid_reason(PacketType::Disconnect), list_strategy())
            .prop_map(|(reason, list)| Model::Disconnect(reason, list)),
        (valid_reason(PacketType::Auth), list_strategy())
            .prop_map(|(reason, list)| Model::Auth(reason, list)),
        Just(Model::PingResp),
    ]
}

/// The PUBLISH of a [`Model::Publish`].
fn model_publish(model: &Model) -> Publish<'_> {
    let Model::Publish {
        dup,
        qos,
        pid,
        retain,
        topic,
        payload,
        ..
    } = model
    else {
        panic!("not a PUBLISH model: {model:?}");
    };
    let pid = (*qos != QoS::AtMostOnce).then(|| Pid::new(*pid).unwrap());
    Publish {
        dup: *dup,
        qos_pid: QosPid::new(*qos, pid).unwrap(),
        retain: *retain,
        topic: TopicName::new(topic.as_bytes()).unwrap_or(TopicName::EMPTY),
        payload,
    }
}

/// The properties a model's packet carries (the valid subset of its list,
/// plus the topic alias), built in `buf`.
fn model_properties<'b>(model: &Model, buf: &'b mut [u8]) -> Properties<'b> {
    match model {
        Model::ConnAck(_, _, list) => build(buf, Context::ConnAck, list),
        Model::Publish { alias, props, .. } => {
            let mut list = props.clone();
            list.retain(|(id, _)| *id != PropertyId::TopicAlias);
            if let Some(alias) = alias {
                list.insert(0, (PropertyId::TopicAlias, OwnedValue::Two(*alias)));
            }
            build(buf, Context::Publish, &list)
        }
        Model::Ack(_, _, _, list) => build(buf, Context::PubAck, list),
        Model::SubAck(_, _, list) => build(buf, Context::SubAck, list),
        Model::UnsubAck(_, _, list) => build(buf, Context::UnsubAck, list),
        Model::Disconnect(_, list) => {
            let mut list = list.clone();
            list.retain(|(id, _)| *id != PropertyId::SessionExpiryInterval);
            build(buf, Context::Disconnect, &list)
        }
        Model::Auth(_, list) => build(buf, Context::Auth, list),
        Model::PingResp => Properties::EMPTY,
    }
}

/// Encodes the model with the server-side encoders; returns the length.
fn encode_model(model: &Model, out: &mut [u8]) -> usize {
    let mut block = [0u8; 96];
    let properties = model_properties(model, &mut block);
    match model {
        Model::ConnAck(present, reason, _) => {
            let len = encode_connack(*present, ReasonCode(*reason), properties, out).unwrap();
            assert_eq!(len, connack_len(properties));
            len
        }
        Model::Publish { payload, .. } => {
            let p = model_publish(model);
            let len = encode_publish(&p, properties, out).unwrap();
            assert_eq!(len, publish_header_len(&p, properties) + payload.len());
            len
        }
        Model::Ack(packet_type, id, reason, _) => {
            let len =
                encode_ack(*packet_type, pid(*id), ReasonCode(*reason), properties, out).unwrap();
            assert_eq!(len, ack_len(ReasonCode(*reason), properties));
            len
        }
        Model::SubAck(id, codes, _) => {
            let len = encode_suback(pid(*id), properties, codes, out).unwrap();
            assert_eq!(len, suback_len(properties, codes));
            len
        }
        Model::UnsubAck(id, codes, _) => {
            let len = encode_unsuback(pid(*id), properties, codes, out).unwrap();
            assert_eq!(len, unsuback_len(properties, codes));
            len
        }
        Model::Disconnect(reason, _) => {
            let len = encode_disconnect(ReasonCode(*reason), properties, out).unwrap();
            assert_eq!(len, disconnect_len(ReasonCode(*reason), properties));
            len
        }
        Model::Auth(reason, _) => {
            let len = encode_auth(ReasonCode(*reason), properties, out).unwrap();
            assert_eq!(len, auth_len(ReasonCode(*reason), properties));
            len
        }
        Model::PingResp => crate::codec::PingResp.encode(out).unwrap(),
    }
}

/// The decoded packet is the model.
fn check_model(model: &Model, first_byte: u8, body: &[u8]) {
    let mut block = [0u8; 96];
    let properties = model_properties(model, &mut block);
    let (packet, extra) = decode(first_byte, body).unwrap();
    assert_eq!(extra.properties, properties);
    match model {
        Model::ConnAck(present, reason, _) => {
            assert_eq!(
                packet,
                Packet::ConnAck(ConnAck {
                    session_present: *present,
                    return_code: *reason
                })
            );
            assert_eq!(extra.reason, ReasonCode(*reason));
        }
        Model::Publish { alias, .. } => {
            assert_eq!(packet, Packet::Publish(model_publish(model)));
            assert_eq!(extra.topic_alias, *alias);
        }
        Model::Ack(packet_type, id, reason, _) => {
            assert_eq!(packet.packet_type(), *packet_type);
            let expected = match packet_type {
                PacketType::PubAck => Packet::PubAck(crate::codec::PubAck { pid: pid(*id) }),
                PacketType::PubRec => Packet::PubRec(crate::codec::PubRec { pid: pid(*id) }),
                PacketType::PubRel => Packet::PubRel(crate::codec::PubRel { pid: pid(*id) }),
                _ => Packet::PubComp(crate::codec::PubComp { pid: pid(*id) }),
            };
            assert_eq!(packet, expected);
            assert_eq!(extra.reason, ReasonCode(*reason));
        }
        Model::SubAck(id, codes, _) => {
            assert_eq!(
                packet,
                Packet::SubAck(SubAck {
                    pid: pid(*id),
                    return_codes: codes
                })
            );
        }
        Model::UnsubAck(id, codes, _) => {
            assert_eq!(packet, Packet::UnsubAck(UnsubAck { pid: pid(*id) }));
            assert_eq!(extra.reason_codes, &codes[..]);
        }
        Model::Disconnect(reason, _) => {
            assert_eq!(packet, Packet::Disconnect(crate::codec::Disconnect));
            assert_eq!(extra.reason, ReasonCode(*reason));
        }
        Model::Auth(reason, _) => {
            assert_eq!(packet, Packet::Auth(Auth));
            assert_eq!(extra.reason, ReasonCode(*reason));
        }
        Model::PingResp => assert_eq!(packet, Packet::PingResp(crate::codec::PingResp)),
    }
}
