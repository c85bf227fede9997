//! PUBLISH (MQTT 3.1.1 §3.3).

use super::properties::Properties;
#[cfg(feature = "mqtt5")]
use super::properties::{check_properties, Context, PropertyId};
use super::{field_len, topic_error, DecodeError, EncodeError, Reader};
use crate::topic::TopicName;
use crate::types::{PacketType, QoS, QosPid};
use crate::varint;

const FLAG_DUP: u8 = 0b1000;
const FLAG_RETAIN: u8 = 0b0001;
const QOS_SHIFT: u8 = 1;

/// An application message, in either direction (§3.3).
// Fields in this order, flags first: the layout rustc picked put the
// flags after the slices and cost the builders and encoders 90 B of
// rv32imc code in shuffling them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct Publish<'a> {
    /// QoS and, for QoS 1 and 2, the packet id (§3.3.1.2, §3.3.2.2).
    pub qos_pid: QosPid,
    /// The broker keeps the message for future subscribers (§3.3.1.3).
    pub retain: bool,
    /// This is a re-delivery of an earlier attempt (§3.3.1.1). Must be false for QoS 0.
    pub dup: bool,
    /// Where the message goes (§3.3.2.1).
    pub topic: TopicName<'a>,
    /// The application payload, any bytes, possibly empty (§3.3.3).
    pub payload: &'a [u8],
}

impl<'a> Publish<'a> {
    fn first_byte(&self) -> u8 {
        let mut flags = self.qos_pid.qos().as_u8() << QOS_SHIFT;
        if self.dup {
            flags |= FLAG_DUP;
        }
        if self.retain {
            flags |= FLAG_RETAIN;
        }
        ((PacketType::Publish as u8) << 4) | flags
    }

    /// Topic, packet id and, for MQTT 5, `properties`: everything in the
    /// body before the payload.
    // Inlined with MQTT 5, as `remaining_len`: out of line they are one
    // more call on every publish (14 instructions on x86-64). Without it
    // LLVM inlines them by itself, in 10 B less of rv32imc code.
    #[cfg_attr(feature = "mqtt5", inline(always))]
    fn variable_header_len(&self, properties: Option<Properties<'_>>) -> usize {
        let pid_len = if self.qos_pid.pid().is_some() { 2 } else { 0 };
        field_len(self.topic.as_bytes())
            .saturating_add(pid_len)
            .saturating_add(properties.map_or(0, |properties| properties.encoded_len()))
    }

    #[cfg_attr(feature = "mqtt5", inline(always))]
    fn remaining_len(&self, properties: Option<Properties<'_>>) -> usize {
        self.variable_header_len(properties)
            .saturating_add(self.payload.len())
    }

    /// The exact number of bytes [`Publish::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_with(None)
    }

    /// [`Publish::encoded_len`] with `properties` for MQTT 5.
    pub(crate) fn encoded_len_with(&self, properties: Option<Properties<'_>>) -> usize {
        super::packet_len(self.remaining_len(properties))
    }

    /// The exact number of bytes [`Publish::encode_header`] writes: the whole
    /// packet minus the payload.
    pub fn header_len(&self) -> usize {
        self.header_len_with(None)
    }

    /// [`Publish::header_len`] with `properties` for MQTT 5.
    pub(crate) fn header_len_with(&self, properties: Option<Properties<'_>>) -> usize {
        varint::encoded_len(self.remaining_len(properties))
            .saturating_add(1)
            .saturating_add(self.variable_header_len(properties))
    }

    /// Encodes the whole PUBLISH, payload included, into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_with(None, buf)
    }

    /// [`Publish::encode`] with `properties` for MQTT 5.
    pub(crate) fn encode_with(
        &self,
        properties: Option<Properties<'_>>,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        self.encode_parts(properties, buf, true)
    }

    /// Encodes only the fixed header, topic and packet id; the remaining
    /// length still counts `self.payload`. The caller then sends
    /// `self.payload` straight from its own buffer, so a large message is
    /// never copied. `buf` needs [`Publish::header_len`] bytes.
    pub fn encode_header(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_header_with(None, buf)
    }

    /// [`Publish::encode_header`] with `properties` for MQTT 5.
    pub(crate) fn encode_header_with(
        &self,
        properties: Option<Properties<'_>>,
        buf: &mut [u8],
    ) -> Result<usize, EncodeError> {
        self.encode_parts(properties, buf, false)
    }

    /// The checks of an MQTT 5 PUBLISH with `properties` that
    /// [`Publish::encode_with`] leaves to its callers: the flags, then the
    /// properties, valid for PUBLISH and naming a Topic Alias if the topic
    /// is empty. (A packet `Client::prepare_publish` made has passed them.)
    #[cfg(feature = "mqtt5")]
    pub(crate) fn check_with(&self, properties: Properties<'_>) -> Result<(), EncodeError> {
        if self.dup && self.qos_pid.pid().is_none() {
            return Err(EncodeError::DupWithoutQos);
        }
        check_properties(properties, Context::Publish)?;
        if self.topic.as_bytes().is_empty() && properties.get(PropertyId::TopicAlias).is_none() {
            return Err(EncodeError::EmptyTopicWithoutAlias);
        }
        Ok(())
    }

    /// Checks the flags, then writes the packet, its payload only
    /// `with_payload` (the remaining length counts it either way). MQTT 5
    /// `properties` are written as they are: [`Publish::check_with`] or
    /// `Client::prepare_publish` checked them (parsing them again on every
    /// publish cost time and 80 B of code). The room is checked once, then
    /// each part is copied in turn: the hot path of every publish.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn encode_parts(
        &self,
        properties: Option<Properties<'_>>,
        buf: &mut [u8],
        with_payload: bool,
    ) -> Result<usize, EncodeError> {
        let pid = self.qos_pid.pid();
        if self.dup && pid.is_none() {
            return Err(EncodeError::DupWithoutQos);
        }
        let topic = self.topic.as_bytes();
        let mut block: &[u8] = &[];
        if let Some(properties) = properties {
            // Without MQTT 5 no property block goes out.
            if !cfg!(feature = "mqtt5") {
                return Err(EncodeError::Unsupported);
            }
            // Too long a block makes the remaining length too large below.
            block = properties.as_bytes();
        }
        let remaining_len = self.remaining_len(properties);
        if remaining_len > varint::MAX_VALUE {
            return Err(EncodeError::PacketTooLarge);
        }
        let length_len = varint::encoded_len(remaining_len);
        let (payload, body_len): (&[u8], _) = if with_payload {
            (self.payload, remaining_len)
        } else {
            (&[], remaining_len.saturating_sub(self.payload.len()))
        };
        // At most 268,435,455 + 5: no overflow.
        let needed = 1 + length_len + body_len;
        let out = buf
            .get_mut(..needed)
            .ok_or(EncodeError::BufferTooSmall { needed })?;
        let topic_len = u16::try_from(topic.len()).map_err(|_| EncodeError::FieldTooLong)?;
        // The room is checked: `put` cannot fail from here on.
        let too_small = EncodeError::BufferTooSmall { needed };
        let (first, rest) = out.split_first_mut().ok_or(too_small)?;
        *first = self.first_byte();
        // Byte by byte: a copy of 1 to 4 bytes would be a call.
        let (length, mut rest) = rest.split_at_mut_checked(length_len).ok_or(too_small)?;
        varint::write_into(length, remaining_len);
        rest = put(rest, &topic_len.to_be_bytes()).ok_or(too_small)?;
        rest = put(rest, topic).ok_or(too_small)?;
        if let Some(pid) = pid {
            rest = put(rest, &pid.get().to_be_bytes()).ok_or(too_small)?;
        }
        if properties.is_some() {
            let (block_len, tail) = rest
                .split_at_mut_checked(varint::encoded_len(block.len()))
                .ok_or(too_small)?;
            varint::write_into(block_len, block.len());
            rest = put(tail, block).ok_or(too_small)?;
        }
        put(rest, payload).ok_or(too_small)?;
        Ok(needed)
    }

    pub(crate) fn decode(flags: u8, body: &'a [u8]) -> Result<Publish<'a>, DecodeError> {
        let (dup, qos, retain) = read_flags(flags)?;
        let mut reader = Reader::new(body);
        let topic = TopicName::new(reader.field()?).map_err(topic_error)?;
        let qos_pid = read_qos_pid(&mut reader, qos)?;
        Ok(Publish {
            dup,
            qos_pid,
            retain,
            topic,
            payload: reader.rest(),
        })
    }
}

/// Copies `bytes` to the start of `out`; the rest of `out`.
#[inline]
fn put<'b>(out: &'b mut [u8], bytes: &[u8]) -> Option<&'b mut [u8]> {
    let (head, rest) = out.split_at_mut_checked(bytes.len())?;
    head.copy_from_slice(bytes);
    Some(rest)
}

/// DUP, QoS and RETAIN from the flags of a PUBLISH's first byte; QoS 3 and
/// DUP on QoS 0 are refused (§3.3.1).
pub(crate) fn read_flags(flags: u8) -> Result<(bool, QoS, bool), DecodeError> {
    let qos = QoS::from_u8((flags >> QOS_SHIFT) & 0b11).ok_or(DecodeError::InvalidQos)?;
    let dup = flags & FLAG_DUP != 0;
    if dup && qos == QoS::AtMostOnce {
        return Err(DecodeError::InvalidFlags);
    }
    Ok((dup, qos, flags & FLAG_RETAIN != 0))
}

/// The packet id a PUBLISH of QoS 1 or 2 carries after its topic.
pub(crate) fn read_qos_pid(reader: &mut Reader<'_>, qos: QoS) -> Result<QosPid, DecodeError> {
    // Paired straight from the QoS (`QosPid::new` would check a pairing
    // that cannot fail here, through an `Option` packed and unpacked).
    if qos == QoS::AtMostOnce {
        return Ok(QosPid::AtMostOnce);
    }
    let pid = reader.pid()?;
    Ok(if qos == QoS::AtLeastOnce {
        QosPid::AtLeastOnce(pid)
    } else {
        QosPid::ExactlyOnce(pid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_golden, pid};
    use crate::codec::{decode, Packet};
    use crate::types::ProtocolVersion;

    const V311: ProtocolVersion = ProtocolVersion::V311;

    fn publish(qos_pid: QosPid, payload: &[u8]) -> Publish<'_> {
        Publish {
            dup: false,
            qos_pid,
            retain: false,
            topic: TopicName::new(b"a/b").unwrap(),
            payload,
        }
    }

    #[test]
    fn golden_publish_qos0() {
        let expected = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
        assert_golden(
            &Packet::Publish(publish(QosPid::AtMostOnce, b"hi")),
            &expected,
        );
    }

    /// The variable header example of §3.3.2.3: topic "a/b", packet id 10.
    #[test]
    fn golden_publish_qos1_spec_example() {
        let packet = Publish {
            dup: true,
            retain: true,
            ..publish(QosPid::AtLeastOnce(pid(10)), b"x")
        };
        let expected = [0x3b, 0x08, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x0a, b'x'];
        assert_golden(&Packet::Publish(packet), &expected);
    }

    #[test]
    fn golden_publish_qos2_empty_payload() {
        let expected = [0x34, 0x07, 0x00, 0x03, b'a', b'/', b'b', 0xff, 0xff];
        assert_golden(
            &Packet::Publish(publish(QosPid::ExactlyOnce(pid(65535)), b"")),
            &expected,
        );
    }

    #[test]
    fn encode_header_leaves_the_payload_to_the_caller() {
        let payload = [0xaa; 200];
        let packet = publish(QosPid::AtLeastOnce(pid(1)), &payload);
        let mut whole = [0u8; 256];
        let whole_len = packet.encode(&mut whole).unwrap();
        let mut header = [0u8; 16];
        let header_len = packet.encode_header(&mut header).unwrap();
        assert_eq!(header_len, packet.header_len());
        assert_eq!(header_len, 1 + 2 + 5 + 2); // two length bytes for 207
        assert_eq!(&whole[..header_len], &header[..header_len]);
        assert_eq!(&whole[header_len..whole_len], &payload[..]);
        assert_eq!(
            packet.encode_header(&mut header[..header_len - 1]),
            Err(EncodeError::BufferTooSmall { needed: header_len })
        );
    }

    #[test]
    fn dup_on_qos0_is_refused_both_ways() {
        let packet = Publish {
            dup: true,
            ..publish(QosPid::AtMostOnce, b"")
        };
        assert_eq!(
            packet.encode(&mut [0u8; 16]),
            Err(EncodeError::DupWithoutQos)
        );
        let body = [0x00, 0x01, b'a'];
        assert_eq!(decode(0x38, &body, V311), Err(DecodeError::InvalidFlags));
    }

    #[test]
    fn reject_qos3_zero_pid_and_bad_topics() {
        assert_eq!(
            decode(0x36, &[0x00, 0x01, b'a', 0x00, 0x01], V311),
            Err(DecodeError::InvalidQos)
        );
        assert_eq!(
            decode(0x32, &[0x00, 0x01, b'a', 0x00, 0x00], V311),
            Err(DecodeError::ZeroPid)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x00], V311),
            Err(DecodeError::InvalidTopic)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x01, b'+'], V311),
            Err(DecodeError::InvalidTopic)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x01, b'#'], V311),
            Err(DecodeError::InvalidTopic)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x01, 0x00], V311),
            Err(DecodeError::InvalidTopic)
        );
        assert_eq!(
            decode(0x30, &[0x00, 0x01, 0xff], V311),
            Err(DecodeError::InvalidUtf8)
        );
    }

    #[test]
    fn topic_length_beyond_body_is_truncated() {
        assert_eq!(
            decode(0x30, &[0x00, 0x05, b'a', b'b'], V311),
            Err(DecodeError::Truncated)
        );
        assert_eq!(decode(0x30, &[0x00], V311), Err(DecodeError::Truncated));
        // QoS 1 with the packet id cut short.
        assert_eq!(
            decode(0x32, &[0x00, 0x01, b'a', 0x00], V311),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn payload_is_whatever_follows_the_header() {
        // The remaining length defines where a PUBLISH ends, so one more or
        // one fewer body byte changes the payload instead of failing.
        let packet = publish(QosPid::AtLeastOnce(pid(3)), b"xy");
        let mut buf = [0u8; 32];
        let len = packet.encode(&mut buf).unwrap();
        buf[len] = b'z';
        let longer = decode(buf[0], &buf[2..len + 1], V311).unwrap();
        let shorter = decode(buf[0], &buf[2..len - 1], V311).unwrap();
        assert_eq!(
            longer,
            Packet::Publish(publish(QosPid::AtLeastOnce(pid(3)), b"xyz"))
        );
        assert_eq!(
            shorter,
            Packet::Publish(publish(QosPid::AtLeastOnce(pid(3)), b"x"))
        );
    }

    /// The header alone is the whole packet's first bytes, whatever the
    /// QoS and the length of the remaining length; both need exactly
    /// their size.
    #[test]
    fn header_is_the_start_of_the_packet() {
        let payload = std::vec![5u8; 20_000];
        for qos_pid in [QosPid::AtMostOnce, QosPid::ExactlyOnce(pid(9))] {
            for len in [0, 1, 120, 121, 122, 16_376, 16_377, 20_000] {
                let packet = publish(qos_pid, &payload[..len]);
                let mut whole = std::vec![0u8; packet.encoded_len()];
                assert_eq!(packet.encode(&mut whole), Ok(whole.len()));
                let mut header = std::vec![0u8; packet.header_len()];
                assert_eq!(packet.encode_header(&mut header), Ok(header.len()));
                assert_eq!(&whole[..header.len()], &header[..], "{qos_pid:?} {len}");
                assert_eq!(&whole[header.len()..], &payload[..len]);
                let short = whole.len() - 1;
                assert_eq!(
                    packet.encode(&mut whole[..short]),
                    Err(EncodeError::BufferTooSmall { needed: short + 1 })
                );
                let short = header.len() - 1;
                assert_eq!(
                    packet.encode_header(&mut header[..short]),
                    Err(EncodeError::BufferTooSmall { needed: short + 1 })
                );
            }
        }
    }

    #[test]
    fn large_payload_uses_multi_byte_length() {
        let payload = std::vec![7u8; 20_000];
        let packet = publish(QosPid::AtMostOnce, &payload);
        let mut buf = std::vec![0u8; packet.encoded_len()];
        assert_eq!(packet.encode(&mut buf), Ok(20_009));
        assert_eq!(&buf[..4], &[0x30, 0xa5, 0x9c, 0x01]); // 20_005 as a varint
        assert_eq!(decode(buf[0], &buf[4..], V311), Ok(Packet::Publish(packet)));
    }

    /// The remaining length tops out at 268_435_455 (§2.2.3). The payload
    /// is zeroed memory the header encoder never reads, so this is cheap.
    #[test]
    fn remaining_length_limit() {
        const MAX_REMAINING: usize = 268_435_455;
        let payload = std::vec![0u8; MAX_REMAINING - 5 + 1];
        let largest = publish(QosPid::AtMostOnce, &payload[..MAX_REMAINING - 5]);
        let mut header = [0u8; 16];
        assert_eq!(largest.encode_header(&mut header), Ok(1 + 4 + 5));
        assert_eq!(&header[..5], &[0x30, 0xff, 0xff, 0xff, 0x7f]);
        assert_eq!(largest.encoded_len(), 1 + 4 + MAX_REMAINING);

        let too_large = publish(QosPid::AtMostOnce, &payload);
        assert_eq!(
            too_large.encode_header(&mut header),
            Err(EncodeError::PacketTooLarge)
        );
        assert_eq!(
            too_large.encode(&mut header),
            Err(EncodeError::PacketTooLarge)
        );
        let too_large_qos1 = publish(QosPid::AtLeastOnce(pid(1)), &payload[..MAX_REMAINING - 6]);
        assert_eq!(
            too_large_qos1.encode_header(&mut header),
            Err(EncodeError::PacketTooLarge)
        );
    }
}
