//! MQTT 5 SUBSCRIBE (§3.8), SUBACK (§3.9), UNSUBSCRIBE (§3.10) and
//! UNSUBACK (§3.11).
//!
//! Each has packet id, properties, then its list: (filter, subscription
//! options) pairs, reason codes, filters, reason codes. Filters starting
//! with `$share/` must be valid shared subscriptions (§4.8.2).

use super::{check_properties, put_properties, read_properties, Context, Extra, Properties};
use super::{ReasonCode, SubscriptionOptions};
use crate::codec::subscribe::{encode_filter_list, filter_list_len, is_valid_suback_code, Entry};
use crate::codec::{
    packet_len, DecodeError, EncodeError, Packet, Reader, SubAck, UnsubAck, Writer,
};
use crate::topic::TopicFilter;
use crate::types::{PacketType, Pid};

/// A filter valid for MQTT 5: a `$share/` filter must be a well-formed
/// shared subscription, and may not ask for No Local (§3.8.3.1).
pub(crate) fn check_filter(filter: &TopicFilter<'_>, no_local: bool) -> Result<(), EncodeError> {
    let shared = filter
        .is_shared()
        .map_err(|_| EncodeError::InvalidSubscription)?;
    if no_local && shared {
        return Err(EncodeError::InvalidSubscription);
    }
    Ok(())
}

fn subscribe_entries<'s, 'f>(
    filters: &'s [(TopicFilter<'f>, SubscriptionOptions)],
) -> impl Iterator<Item = Entry<'f>> + 's {
    filters
        .iter()
        .map(|(filter, options)| (*filter, Some(options.to_byte())))
}

fn unsubscribe_entries<'s, 'f>(
    filters: &'s [TopicFilter<'f>],
) -> impl Iterator<Item = Entry<'f>> + 's {
    filters.iter().map(|filter| (*filter, None))
}

/// The exact number of bytes [`encode_subscribe`] writes.
pub fn subscribe_len(
    _pid: Pid,
    filters: &[(TopicFilter<'_>, SubscriptionOptions)],
    properties: Properties<'_>,
) -> usize {
    packet_len(filter_list_len(
        Some(properties),
        subscribe_entries(filters),
    ))
}

/// Encodes a SUBSCRIBE (flags 0b0010). At least one filter; `properties`
/// valid for [`Context::Subscribe`] (at most one Subscription Identifier).
pub fn encode_subscribe(
    pid: Pid,
    filters: &[(TopicFilter<'_>, SubscriptionOptions)],
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if filters.is_empty() {
        return Err(EncodeError::EmptyPayload);
    }
    for (filter, options) in filters {
        check_filter(filter, options.no_local)?;
    }
    check_properties(properties, Context::Subscribe)?;
    encode_filter_list(
        PacketType::Subscribe,
        pid,
        Some(properties),
        || subscribe_entries(filters),
        buf,
    )
}

/// The exact number of bytes [`encode_unsubscribe`] writes.
pub fn unsubscribe_len(
    _pid: Pid,
    filters: &[TopicFilter<'_>],
    properties: Properties<'_>,
) -> usize {
    packet_len(filter_list_len(
        Some(properties),
        unsubscribe_entries(filters),
    ))
}

/// Encodes an UNSUBSCRIBE (flags 0b0010). At least one filter;
/// `properties` valid for [`Context::Unsubscribe`].
pub fn encode_unsubscribe(
    pid: Pid,
    filters: &[TopicFilter<'_>],
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if filters.is_empty() {
        return Err(EncodeError::EmptyPayload);
    }
    for filter in filters {
        check_filter(filter, false)?;
    }
    check_properties(properties, Context::Unsubscribe)?;
    encode_filter_list(
        PacketType::Unsubscribe,
        pid,
        Some(properties),
        || unsubscribe_entries(filters),
        buf,
    )
}

fn ack_remaining_len(properties: Properties<'_>, codes: &[u8]) -> usize {
    properties
        .encoded_len()
        .saturating_add(2)
        .saturating_add(codes.len())
}

/// The exact number of bytes [`encode_suback`] writes.
pub fn suback_len(properties: Properties<'_>, codes: &[u8]) -> usize {
    packet_len(ack_remaining_len(properties, codes))
}

/// The exact number of bytes [`encode_unsuback`] writes.
pub fn unsuback_len(properties: Properties<'_>, codes: &[u8]) -> usize {
    packet_len(ack_remaining_len(properties, codes))
}

fn encode_list_ack(
    packet_type: PacketType,
    context: Context,
    pid: Pid,
    properties: Properties<'_>,
    codes: &[u8],
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    if codes.is_empty() {
        return Err(EncodeError::EmptyPayload);
    }
    if !codes
        .iter()
        .all(|&code| ReasonCode(code).valid_for(packet_type))
    {
        return Err(EncodeError::InvalidReasonCode);
    }
    check_properties(properties, context)?;
    let remaining_len = ack_remaining_len(properties, codes);
    let mut writer = Writer::packet(buf, packet_type, remaining_len)?;
    writer.put_pid(pid)?;
    put_properties(&mut writer, properties)?;
    writer.put_bytes(codes)?;
    Ok(writer.finish())
}

/// Encodes a SUBACK (a server's job; for tests and fuzzing): one reason
/// code per filter, each valid for SUBACK.
pub fn encode_suback(
    pid: Pid,
    properties: Properties<'_>,
    codes: &[u8],
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    encode_list_ack(
        PacketType::SubAck,
        Context::SubAck,
        pid,
        properties,
        codes,
        buf,
    )
}

/// Encodes an UNSUBACK (a server's job; for tests and fuzzing): one reason
/// code per filter, each valid for UNSUBACK.
pub fn encode_unsuback(
    pid: Pid,
    properties: Properties<'_>,
    codes: &[u8],
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    encode_list_ack(
        PacketType::UnsubAck,
        Context::UnsubAck,
        pid,
        properties,
        codes,
        buf,
    )
}

/// A SUBACK (§3.9) or UNSUBACK (§3.11): packet id, properties and a
/// non-empty list of codes valid for `packet_type`. One decoder for both:
/// the two differ only in where the codes go.
pub(super) fn decode_list_ack(
    packet_type: PacketType,
    body: &[u8],
    v5: bool,
) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    let is_suback = packet_type == PacketType::SubAck;
    let context = if is_suback {
        Context::SubAck
    } else {
        Context::UnsubAck
    };
    let mut reader = Reader::new(body);
    let pid = reader.pid()?;
    // Before MQTT 5 (not `v5`): no properties, an UNSUBACK is its packet
    // id alone (no codes) and a SUBACK's codes are 3.1.1 return codes
    // (§3.9.3).
    let properties = if v5 {
        read_properties(&mut reader, context)?
    } else {
        Properties::EMPTY
    };
    let codes = reader.rest();
    if !(v5 || is_suback) {
        if !codes.is_empty() {
            return Err(DecodeError::TrailingBytes);
        }
    } else if codes.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    if !v5 {
        if !codes.iter().all(|&code| is_valid_suback_code(code)) {
            return Err(DecodeError::InvalidReturnCode);
        }
    } else if !codes
        .iter()
        .all(|&code| ReasonCode(code).valid_for(packet_type))
    {
        return Err(DecodeError::InvalidReasonCode);
    }
    let extra = Extra::with_properties(properties);
    Ok(if is_suback {
        let ack = SubAck {
            pid,
            return_codes: codes,
        };
        (Packet::SubAck(ack), extra)
    } else {
        let extra = Extra {
            reason_codes: codes,
            ..extra
        };
        (Packet::UnsubAck(UnsubAck { pid }), extra)
    })
}

/// A decoded SUBSCRIBE (tests only).
#[cfg(test)]
pub(crate) type DecodedSubscribe<'a> = (
    Pid,
    Properties<'a>,
    std::vec::Vec<(TopicFilter<'a>, SubscriptionOptions)>,
);

/// Decodes a SUBSCRIBE body, as a server would (tests only).
#[cfg(test)]
pub(crate) fn decode_subscribe(body: &[u8]) -> Result<DecodedSubscribe<'_>, DecodeError> {
    use crate::codec::topic_error;
    let mut reader = Reader::new(body);
    let pid = reader.pid()?;
    let properties = read_properties(&mut reader, Context::Subscribe)?;
    let mut filters = std::vec::Vec::new();
    if reader.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    while !reader.is_empty() {
        let filter = TopicFilter::new_v5(reader.field()?).map_err(topic_error)?;
        let options = SubscriptionOptions::from_byte(reader.u8()?)?;
        filters.push((filter, options));
    }
    Ok((pid, properties, filters))
}

/// Decodes an UNSUBSCRIBE body, as a server would (tests only).
#[cfg(test)]
pub(crate) fn decode_unsubscribe(
    body: &[u8],
) -> Result<(Pid, Properties<'_>, std::vec::Vec<TopicFilter<'_>>), DecodeError> {
    use crate::codec::topic_error;
    let mut reader = Reader::new(body);
    let pid = reader.pid()?;
    let properties = read_properties(&mut reader, Context::Unsubscribe)?;
    let mut filters = std::vec::Vec::new();
    if reader.is_empty() {
        return Err(DecodeError::EmptyPayload);
    }
    while !reader.is_empty() {
        filters.push(TopicFilter::new_v5(reader.field()?).map_err(topic_error)?);
    }
    Ok((pid, properties, filters))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_encodes, filter, pid};
    use crate::codec::v5::tests::props;
    use crate::codec::v5::{decode, Property, PropertyId, PropertyValue};
    use crate::codec::RetainHandling;
    use crate::types::QoS;

    #[test]
    fn options_byte_round_trips() {
        for byte in 0..=255u8 {
            match SubscriptionOptions::from_byte(byte) {
                Ok(options) => assert_eq!(options.to_byte(), byte),
                Err(error) => {
                    let expected = if byte & 0xc0 != 0 {
                        DecodeError::ReservedBitsSet
                    } else if byte & 0b11 == 3 {
                        DecodeError::InvalidQos
                    } else {
                        assert_eq!(byte & 0x30, 0x30);
                        DecodeError::InvalidRetainHandling
                    };
                    assert_eq!(error, expected, "{byte:#x}");
                }
            }
        }
        let all = SubscriptionOptions {
            qos: QoS::ExactlyOnce,
            no_local: true,
            retain_as_published: true,
            retain_handling: RetainHandling::DoNotSend,
        };
        assert_eq!(all.to_byte(), 0b0010_1110);
        assert_eq!(SubscriptionOptions::new(QoS::AtLeastOnce).to_byte(), 0x01);
        assert_eq!(
            SubscriptionOptions::from_byte(0x15),
            Ok(SubscriptionOptions {
                qos: QoS::AtLeastOnce,
                no_local: true,
                retain_as_published: false,
                retain_handling: RetainHandling::SendIfNew,
            })
        );
    }

    /// The payload example of §3.8.3 ("a/b" QoS 1, "c/d" QoS 2) with a
    /// Subscription Identifier of 200 (a two-byte variable byte integer).
    #[test]
    fn golden_subscribe() {
        let mut block = [0u8; 8];
        let properties = props(
            &mut block,
            Context::Subscribe,
            &[Property {
                id: PropertyId::SubscriptionIdentifier,
                value: PropertyValue::VarInt(200),
            }],
        );
        let list = [
            (filter("a/b"), SubscriptionOptions::new(QoS::AtLeastOnce)),
            (
                filter("c/d"),
                SubscriptionOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: true,
                    retain_as_published: true,
                    retain_handling: RetainHandling::SendIfNew,
                },
            ),
        ];
        #[rustfmt::skip]
        let expected = [
            0x82, 18,
            0x00, 0x0a,                        // packet id 10
            0x03, 0x0b, 0xc8, 0x01,            // Subscription Identifier 200
            0x00, 0x03, b'a', b'/', b'b', 0x01, // QoS 1
            0x00, 0x03, b'c', b'/', b'd', 0x1e, // QoS 2, no local, retain as published, send if new
        ];
        let (first_byte, body) = assert_encodes(
            &expected,
            subscribe_len(pid(10), &list, properties),
            |buf| encode_subscribe(pid(10), &list, properties, buf),
        );
        assert_eq!(decode(first_byte, body), Err(DecodeError::UnexpectedPacket));
        assert_eq!(
            decode_subscribe(body),
            Ok((pid(10), properties, list.to_vec()))
        );
    }

    #[test]
    fn golden_unsubscribe() {
        let mut block = [0u8; 16];
        let properties = props(
            &mut block,
            Context::Unsubscribe,
            &[Property {
                id: PropertyId::UserProperty,
                value: PropertyValue::Utf8Pair("k", "v"),
            }],
        );
        let list = [filter("a/b"), filter("$share/g/c/#")];
        #[rustfmt::skip]
        let expected = [
            0xa2, 29,
            0x00, 0x0a,                                   // packet id 10
            0x07, 0x26, 0x00, 0x01, b'k', 0x00, 0x01, b'v', // User Property k=v
            0x00, 0x03, b'a', b'/', b'b',
            0x00, 0x0c, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', b'/', b'c', b'/', b'#',
        ];
        let (first_byte, body) = assert_encodes(
            &expected,
            unsubscribe_len(pid(10), &list, properties),
            |buf| encode_unsubscribe(pid(10), &list, properties, buf),
        );
        assert_eq!(decode(first_byte, body), Err(DecodeError::UnexpectedPacket));
        assert_eq!(
            decode_unsubscribe(body),
            Ok((pid(10), properties, list.to_vec()))
        );
    }

    #[test]
    fn subscribe_encoders_refuse_bad_input() {
        let mut buf = [0u8; 64];
        let options = SubscriptionOptions::new(QoS::AtMostOnce);
        assert_eq!(
            encode_subscribe(pid(1), &[], Properties::EMPTY, &mut buf),
            Err(EncodeError::EmptyPayload)
        );
        assert_eq!(
            encode_unsubscribe(pid(1), &[], Properties::EMPTY, &mut buf),
            Err(EncodeError::EmptyPayload)
        );
        // Malformed shared subscriptions, and No Local on a shared one.
        let bad_share = filter("$share//a");
        assert_eq!(
            encode_subscribe(pid(1), &[(bad_share, options)], Properties::EMPTY, &mut buf),
            Err(EncodeError::InvalidSubscription)
        );
        assert_eq!(
            encode_unsubscribe(pid(1), &[bad_share], Properties::EMPTY, &mut buf),
            Err(EncodeError::InvalidSubscription)
        );
        let no_local = SubscriptionOptions {
            no_local: true,
            ..options
        };
        assert_eq!(
            encode_subscribe(
                pid(1),
                &[(filter("$share/g/a"), no_local)],
                Properties::EMPTY,
                &mut buf
            ),
            Err(EncodeError::InvalidSubscription)
        );
        assert!(encode_subscribe(
            pid(1),
            &[(filter("a"), no_local)],
            Properties::EMPTY,
            &mut buf
        )
        .is_ok());
        // Two Subscription Identifiers are one too many in SUBSCRIBE.
        let twice = Properties::trusted(&[0x0b, 0x01, 0x0b, 0x02]);
        assert_eq!(
            encode_subscribe(pid(1), &[(filter("a"), options)], twice, &mut buf),
            Err(EncodeError::InvalidProperties)
        );
    }

    #[test]
    fn subscribe_decoder_rejects_bad_entries() {
        let check = |body: &[u8], expected: DecodeError| {
            assert_eq!(decode_subscribe(body), Err(expected), "{body:x?}");
        };
        check(&[0x00, 0x01, 0x00], DecodeError::EmptyPayload);
        check(
            &[0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x40],
            DecodeError::ReservedBitsSet,
        );
        check(
            &[0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x30],
            DecodeError::InvalidRetainHandling,
        );
        check(
            &[0x00, 0x01, 0x00, 0x00, 0x01, b'a', 0x03],
            DecodeError::InvalidQos,
        );
        check(
            &[
                0x00, 0x01, 0x00, 0x00, 0x08, b'$', b's', b'h', b'a', b'r', b'e', b'/', b'g', 0x00,
            ],
            DecodeError::InvalidTopic,
        );
        check(
            &[0x00, 0x01, 0x02, 0x0b, 0x00, 0x00, 0x01, b'a', 0x00],
            DecodeError::InvalidProperty,
        );
        assert_eq!(
            decode_unsubscribe(&[0x00, 0x01, 0x00]),
            Err(DecodeError::EmptyPayload)
        );
    }

    /// §3.9.3: one reason code per filter; here granted QoS 1, Not
    /// authorized, Shared Subscriptions not supported, with a Reason String.
    #[test]
    fn golden_suback() {
        let mut block = [0u8; 16];
        let properties = props(
            &mut block,
            Context::SubAck,
            &[Property {
                id: PropertyId::ReasonString,
                value: PropertyValue::Utf8String("x"),
            }],
        );
        let codes = [0x01, 0x87, 0x9e];
        #[rustfmt::skip]
        let expected = [
            0x90, 10,
            0x00, 0x0a,             // packet id 10
            0x04, 0x1f, 0x00, 0x01, b'x', // Reason String "x"
            0x01, 0x87, 0x9e,
        ];
        let (first_byte, body) = assert_encodes(&expected, suback_len(properties, &codes), |buf| {
            encode_suback(pid(10), properties, &codes, buf)
        });
        let (packet, extra) = decode(first_byte, body).unwrap();
        assert_eq!(
            packet,
            Packet::SubAck(SubAck {
                pid: pid(10),
                return_codes: &codes
            })
        );
        assert_eq!(extra.properties, properties);
        assert!(extra.reason_codes.is_empty());
    }

    #[test]
    fn golden_unsuback() {
        let codes = [0x00, 0x11, 0x8f];
        #[rustfmt::skip]
        let expected = [
            0xb0, 6,
            0x00, 0x0a, // packet id 10
            0x00,       // no properties
            0x00, 0x11, 0x8f, // Success, No subscription existed, Topic Filter invalid
        ];
        let (first_byte, body) =
            assert_encodes(&expected, unsuback_len(Properties::EMPTY, &codes), |buf| {
                encode_unsuback(pid(10), Properties::EMPTY, &codes, buf)
            });
        let (packet, extra) = decode(first_byte, body).unwrap();
        assert_eq!(packet, Packet::UnsubAck(UnsubAck { pid: pid(10) }));
        assert_eq!(extra.reason_codes, &codes);
        assert!(extra.properties.is_empty());
    }

    #[test]
    fn reject_bad_list_acks() {
        for first_byte in [0x90, 0xb0] {
            let check = |body: &[u8], expected: DecodeError| {
                assert_eq!(
                    decode(first_byte, body),
                    Err(expected),
                    "{first_byte:#x} {body:x?}"
                );
            };
            check(&[0x00, 0x01, 0x00], DecodeError::EmptyPayload);
            check(&[0x00, 0x01], DecodeError::Truncated);
            check(&[0x00, 0x00, 0x00, 0x00], DecodeError::ZeroPid);
            check(&[0x00, 0x01, 0x00, 0x03], DecodeError::InvalidReasonCode);
            check(&[0x00, 0x01, 0x00, 0x04], DecodeError::InvalidReasonCode);
            check(
                &[0x00, 0x01, 0x02, 0x1f, 0x00, 0x00],
                DecodeError::InvalidProperty,
            );
            assert_eq!(
                decode(first_byte | 0x02, &[0x00, 0x01, 0x00, 0x00]),
                Err(DecodeError::InvalidFlags)
            );
        }
        // Granted QoS 2 is a SUBACK code, No subscription existed an UNSUBACK one.
        assert!(decode(0x90, &[0x00, 0x01, 0x00, 0x02]).is_ok());
        assert_eq!(
            decode(0xb0, &[0x00, 0x01, 0x00, 0x02]),
            Err(DecodeError::InvalidReasonCode)
        );
        assert!(decode(0xb0, &[0x00, 0x01, 0x00, 0x11]).is_ok());
        assert_eq!(
            decode(0x90, &[0x00, 0x01, 0x00, 0x11]),
            Err(DecodeError::InvalidReasonCode)
        );
        let mut buf = [0u8; 16];
        assert_eq!(
            encode_suback(pid(1), Properties::EMPTY, &[], &mut buf),
            Err(EncodeError::EmptyPayload)
        );
        assert_eq!(
            encode_suback(pid(1), Properties::EMPTY, &[0x11], &mut buf),
            Err(EncodeError::InvalidReasonCode)
        );
        assert_eq!(
            encode_unsuback(pid(1), Properties::EMPTY, &[0x01], &mut buf),
            Err(EncodeError::InvalidReasonCode)
        );
    }
}
