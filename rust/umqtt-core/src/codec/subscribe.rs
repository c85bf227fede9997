//! SUBSCRIBE (MQTT 3.1.1 §3.8), SUBACK (§3.9) and UNSUBSCRIBE (§3.10).
//!
//! The topic lists borrow either from the caller's slice (when encoding) or
//! from the received body (when decoding, already validated), so both
//! directions stay zero-copy. They compare equal by content.

use core::fmt;

use super::properties::Properties;
use super::{field_len, packet_len, topic_error, DecodeError, EncodeError, Reader, Writer};
use crate::topic::TopicFilter;
use crate::types::{PacketType, Pid, QoS};

/// Whether the server sends retained messages when the subscription is
/// made (§3.8.3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[repr(u8)]
pub enum RetainHandling {
    /// Send retained messages at the time of the subscribe.
    #[default]
    SendAtSubscribe = 0,
    /// Send them only if the subscription did not exist yet.
    SendIfNew = 1,
    /// Do not send them.
    DoNotSend = 2,
}

/// The options byte of one SUBSCRIBE entry (§3.8.3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SubscriptionOptions {
    /// Maximum QoS the server may deliver with (bits 1-0).
    pub qos: QoS,
    /// Do not receive our own publications (bit 2); not on a shared subscription.
    pub no_local: bool,
    /// Keep the retain flag as published instead of clearing it (bit 3).
    pub retain_as_published: bool,
    /// Retained messages at subscribe time (bits 5-4).
    pub retain_handling: RetainHandling,
}

const NO_LOCAL: u8 = 0b0000_0100;
const RETAIN_AS_PUBLISHED: u8 = 0b0000_1000;
const RETAIN_HANDLING_SHIFT: u8 = 4;
const RESERVED: u8 = 0b1100_0000;

impl SubscriptionOptions {
    /// `qos` with every other option at its default (all false, send
    /// retained messages at subscribe): what a 3.1.1 subscription means.
    pub const fn new(qos: QoS) -> SubscriptionOptions {
        SubscriptionOptions {
            qos,
            no_local: false,
            retain_as_published: false,
            retain_handling: RetainHandling::SendAtSubscribe,
        }
    }

    /// The wire byte.
    pub const fn to_byte(self) -> u8 {
        let mut byte = self.qos.as_u8() | ((self.retain_handling as u8) << RETAIN_HANDLING_SHIFT);
        if self.no_local {
            byte |= NO_LOCAL;
        }
        if self.retain_as_published {
            byte |= RETAIN_AS_PUBLISHED;
        }
        byte
    }

    /// Reads the wire byte: reserved bits 7-6 set, QoS 3 and Retain
    /// Handling 3 are malformed.
    pub fn from_byte(byte: u8) -> Result<SubscriptionOptions, DecodeError> {
        if byte & RESERVED != 0 {
            return Err(DecodeError::ReservedBitsSet);
        }
        let qos = QoS::from_u8(byte & 0b11).ok_or(DecodeError::InvalidQos)?;
        let retain_handling = match (byte >> RETAIN_HANDLING_SHIFT) & 0b11 {
            0 => RetainHandling::SendAtSubscribe,
            1 => RetainHandling::SendIfNew,
            2 => RetainHandling::DoNotSend,
            _ => return Err(DecodeError::InvalidRetainHandling),
        };
        Ok(SubscriptionOptions {
            qos,
            no_local: byte & NO_LOCAL != 0,
            retain_as_published: byte & RETAIN_AS_PUBLISHED != 0,
            retain_handling,
        })
    }
}

/// SUBACK return code for a refused subscription (§3.9.3).
pub const SUBACK_FAILURE: u8 = 0x80;

pub(crate) fn is_valid_suback_code(code: u8) -> bool {
    matches!(code, 0 | 1 | 2 | SUBACK_FAILURE)
}

/// One filter and its requested QoS; the upper six option bits are reserved (§3.8.3.1).
fn read_subscription<'a>(reader: &mut Reader<'a>) -> Result<(TopicFilter<'a>, QoS), DecodeError> {
    let filter = TopicFilter::new(reader.field()?).map_err(topic_error)?;
    let options = reader.u8()?;
    if options & 0b1111_1100 != 0 {
        return Err(DecodeError::ReservedBitsSet);
    }
    let qos = QoS::from_u8(options).ok_or(DecodeError::InvalidQos)?;
    Ok((filter, qos))
}

fn read_filter<'a>(reader: &mut Reader<'a>) -> Result<TopicFilter<'a>, DecodeError> {
    TopicFilter::new(reader.field()?).map_err(topic_error)
}

/// The (filter, QoS) pairs of a SUBSCRIBE.
#[derive(Clone, Copy)]
pub struct SubscribeFilters<'a>(SubscribeSource<'a>);

#[derive(Clone, Copy)]
enum SubscribeSource<'a> {
    List(&'a [(TopicFilter<'a>, QoS)]),
    /// Validated wire bytes: repeated length-prefixed filter plus options byte.
    #[cfg_attr(not(any(test, feature = "server")), allow(dead_code))] // decoders only
    Wire(&'a [u8]),
}

impl<'a> SubscribeFilters<'a> {
    /// Filters to send, with the maximum QoS asked for each.
    pub const fn new(list: &'a [(TopicFilter<'a>, QoS)]) -> SubscribeFilters<'a> {
        SubscribeFilters(SubscribeSource::List(list))
    }

    /// The pairs in order.
    pub fn iter(&self) -> SubscribeIter<'a> {
        SubscribeIter(match self.0 {
            SubscribeSource::List(list) => SubscribeIterSource::List(list.iter()),
            SubscribeSource::Wire(bytes) => SubscribeIterSource::Wire(Reader::new(bytes)),
        })
    }

    /// Number of filters; a SUBACK must carry as many return codes (§3.9.3).
    pub fn len(&self) -> usize {
        match self.0 {
            SubscribeSource::List(list) => list.len(),
            SubscribeSource::Wire(_) => self.iter().count(),
        }
    }

    /// True when there is no filter (which encode refuses).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for SubscribeFilters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SubscribeFilters<'_> {}

impl fmt::Debug for SubscribeFilters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`SubscribeFilters`].
pub struct SubscribeIter<'a>(SubscribeIterSource<'a>);

enum SubscribeIterSource<'a> {
    List(core::slice::Iter<'a, (TopicFilter<'a>, QoS)>),
    Wire(Reader<'a>),
}

impl<'a> Iterator for SubscribeIter<'a> {
    type Item = (TopicFilter<'a>, QoS);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            SubscribeIterSource::List(iter) => iter.next().copied(),
            SubscribeIterSource::Wire(reader) if reader.is_empty() => None,
            // Validated by decode, so an error cannot occur; stop if it did.
            SubscribeIterSource::Wire(reader) => read_subscription(reader).ok(),
        }
    }
}

/// Request to receive messages on one or more filters (§3.8). Flags 0b0010.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Subscribe<'a> {
    /// Echoed by the SUBACK.
    pub pid: Pid,
    /// At least one filter.
    pub filters: SubscribeFilters<'a>,
}

/// One entry of a SUBSCRIBE (a filter and its options byte) or of an
/// UNSUBSCRIBE (a filter alone).
pub(crate) type Entry<'f> = (TopicFilter<'f>, Option<u8>);

/// Body length of a SUBSCRIBE or UNSUBSCRIBE: packet id, the MQTT 5
/// `properties` if any, then `entries`.
pub(crate) fn filter_list_len<'f>(
    properties: Option<Properties<'_>>,
    entries: impl Iterator<Item = Entry<'f>>,
) -> usize {
    let properties_len = properties.map_or(0, |properties| properties.encoded_len());
    entries.fold(
        properties_len.saturating_add(2),
        |len, (filter, options)| {
            len.saturating_add(field_len(filter.as_bytes()))
                .saturating_add(usize::from(options.is_some()))
        },
    )
}

/// Writes a SUBSCRIBE or UNSUBSCRIBE: packet id, the MQTT 5 `properties`
/// if any, then the entries `entries()` yields (the caller has checked
/// them, and that there is at least one).
pub(crate) fn encode_filter_list<'f, I: Iterator<Item = Entry<'f>>>(
    packet_type: PacketType,
    pid: Pid,
    properties: Option<Properties<'_>>,
    entries: impl Fn() -> I,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let remaining_len = filter_list_len(properties, entries());
    let mut writer = Writer::new(buf);
    writer.packet_header(packet_type, remaining_len)?;
    writer.write_u16(pid.get());
    if let Some(properties) = properties {
        writer.write_properties(properties);
    }
    for (filter, options) in entries() {
        writer.write_field(filter.as_bytes());
        if let Some(options) = options {
            writer.write_u8(options);
        }
    }
    writer.done()
}

impl<'a> Subscribe<'a> {
    fn entries(&self) -> impl Iterator<Item = Entry<'a>> {
        self.filters
            .iter()
            .map(|(filter, qos)| (filter, Some(qos.as_u8())))
    }

    /// The exact number of bytes [`Subscribe::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        packet_len(filter_list_len(None, self.entries()))
    }

    /// Encodes the SUBSCRIBE into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        encode_filter_list(
            PacketType::Subscribe,
            self.pid,
            None,
            || self.entries(),
            buf,
        )
    }

    #[cfg(any(test, feature = "server"))]
    pub(crate) fn decode(body: &'a [u8]) -> Result<Subscribe<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let pid = reader.pid()?;
        let entries = reader.rest();
        let mut entry_reader = Reader::new(entries);
        if entry_reader.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        while !entry_reader.is_empty() {
            read_subscription(&mut entry_reader)?;
        }
        Ok(Subscribe {
            pid,
            filters: SubscribeFilters(SubscribeSource::Wire(entries)),
        })
    }
}

/// The broker's answer to SUBSCRIBE: one return code per filter (§3.9).
// repr(C), the id first: rustc's own order cost the SUBACK decoder and
// the receive path moves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C)]
pub struct SubAck<'a> {
    /// The SUBSCRIBE being acknowledged.
    pub pid: Pid,
    /// Granted QoS 0, 1, 2, or [`SUBACK_FAILURE`], in filter order; never empty.
    pub return_codes: &'a [u8],
}

impl<'a> SubAck<'a> {
    /// The exact number of bytes [`SubAck::encode`] writes.
    #[cfg(any(test, feature = "server"))]
    pub fn encoded_len(&self) -> usize {
        packet_len(self.return_codes.len().saturating_add(2))
    }

    /// Encodes the SUBACK (a broker's job; used by tests).
    #[cfg(any(test, feature = "server"))]
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.return_codes.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        if !self.return_codes.iter().copied().all(is_valid_suback_code) {
            return Err(EncodeError::InvalidReturnCode);
        }
        let remaining_len = self.return_codes.len().saturating_add(2);
        let mut writer = Writer::new(buf);
        writer.packet_header(PacketType::SubAck, remaining_len)?;
        writer.write_u16(self.pid.get());
        writer.write(self.return_codes);
        writer.done()
    }

    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn decode(body: &'a [u8]) -> Result<SubAck<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let pid = reader.pid()?;
        let return_codes = reader.rest();
        if return_codes.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        if !return_codes.iter().copied().all(is_valid_suback_code) {
            return Err(DecodeError::InvalidReturnCode);
        }
        Ok(SubAck { pid, return_codes })
    }
}

/// The filters of an UNSUBSCRIBE.
#[derive(Clone, Copy)]
pub struct UnsubscribeFilters<'a>(UnsubscribeSource<'a>);

#[derive(Clone, Copy)]
enum UnsubscribeSource<'a> {
    List(&'a [TopicFilter<'a>]),
    /// Validated wire bytes: repeated length-prefixed filters.
    #[cfg_attr(not(any(test, feature = "server")), allow(dead_code))] // decoders only
    Wire(&'a [u8]),
}

impl<'a> UnsubscribeFilters<'a> {
    /// Filters to unsubscribe from, exactly as they were subscribed.
    pub const fn new(list: &'a [TopicFilter<'a>]) -> UnsubscribeFilters<'a> {
        UnsubscribeFilters(UnsubscribeSource::List(list))
    }

    /// The filters in order.
    pub fn iter(&self) -> UnsubscribeIter<'a> {
        UnsubscribeIter(match self.0 {
            UnsubscribeSource::List(list) => UnsubscribeIterSource::List(list.iter()),
            UnsubscribeSource::Wire(bytes) => UnsubscribeIterSource::Wire(Reader::new(bytes)),
        })
    }

    /// Number of filters.
    pub fn len(&self) -> usize {
        match self.0 {
            UnsubscribeSource::List(list) => list.len(),
            UnsubscribeSource::Wire(_) => self.iter().count(),
        }
    }

    /// True when there is no filter (which encode refuses).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl PartialEq for UnsubscribeFilters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UnsubscribeFilters<'_> {}

impl fmt::Debug for UnsubscribeFilters<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`UnsubscribeFilters`].
pub struct UnsubscribeIter<'a>(UnsubscribeIterSource<'a>);

enum UnsubscribeIterSource<'a> {
    List(core::slice::Iter<'a, TopicFilter<'a>>),
    Wire(Reader<'a>),
}

impl<'a> Iterator for UnsubscribeIter<'a> {
    type Item = TopicFilter<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            UnsubscribeIterSource::List(iter) => iter.next().copied(),
            UnsubscribeIterSource::Wire(reader) if reader.is_empty() => None,
            // Validated by decode, so an error cannot occur; stop if it did.
            UnsubscribeIterSource::Wire(reader) => read_filter(reader).ok(),
        }
    }
}

/// Request to stop receiving messages on one or more filters (§3.10). Flags 0b0010.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Unsubscribe<'a> {
    /// Echoed by the UNSUBACK.
    pub pid: Pid,
    /// At least one filter.
    pub filters: UnsubscribeFilters<'a>,
}

impl<'a> Unsubscribe<'a> {
    fn entries(&self) -> impl Iterator<Item = Entry<'a>> {
        self.filters.iter().map(|filter| (filter, None))
    }

    /// The exact number of bytes [`Unsubscribe::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        packet_len(filter_list_len(None, self.entries()))
    }

    /// Encodes the UNSUBSCRIBE into `buf`.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        if self.filters.is_empty() {
            return Err(EncodeError::EmptyPayload);
        }
        encode_filter_list(
            PacketType::Unsubscribe,
            self.pid,
            None,
            || self.entries(),
            buf,
        )
    }

    #[cfg(any(test, feature = "server"))]
    pub(crate) fn decode(body: &'a [u8]) -> Result<Unsubscribe<'a>, DecodeError> {
        let mut reader = Reader::new(body);
        let pid = reader.pid()?;
        let entries = reader.rest();
        let mut entry_reader = Reader::new(entries);
        if entry_reader.is_empty() {
            return Err(DecodeError::EmptyPayload);
        }
        while !entry_reader.is_empty() {
            read_filter(&mut entry_reader)?;
        }
        Ok(Unsubscribe {
            pid,
            filters: UnsubscribeFilters(UnsubscribeSource::Wire(entries)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tests::{assert_golden, assert_length_boundaries, filter, pid};
    use crate::codec::{decode, Packet};
    use crate::types::ProtocolVersion;

    const V311: ProtocolVersion = ProtocolVersion::V311;

    /// The payload example of §3.8.3: "a/b" at QoS 1 and "c/d" at QoS 2.
    #[test]
    fn golden_subscribe_spec_example() {
        let list = [
            (filter("a/b"), QoS::AtLeastOnce),
            (filter("c/d"), QoS::ExactlyOnce),
        ];
        let packet = Subscribe {
            pid: pid(10),
            filters: SubscribeFilters::new(&list),
        };
        #[rustfmt::skip]
        let expected = [
            0x82, 14,
            0x00, 0x0a,
            0x00, 0x03, b'a', b'/', b'b', 0x01,
            0x00, 0x03, b'c', b'/', b'd', 0x02,
        ];
        assert_golden(&Packet::Subscribe(packet), &expected);
        assert_length_boundaries(&Packet::Subscribe(packet));
        assert_eq!(packet.filters.len(), 2);
    }

    #[test]
    fn reject_bad_subscriptions() {
        let check = |body: &[u8], expected: DecodeError| {
            assert_eq!(decode(0x82, body, V311), Err(expected), "{body:x?}");
        };
        check(&[0x00, 0x01], DecodeError::EmptyPayload);
        check(
            &[0x00, 0x01, 0x00, 0x01, b'a', 0x03],
            DecodeError::InvalidQos,
        );
        check(
            &[0x00, 0x01, 0x00, 0x01, b'a', 0x04],
            DecodeError::ReservedBitsSet,
        );
        check(
            &[0x00, 0x01, 0x00, 0x02, b'a', b'#', 0x00],
            DecodeError::InvalidTopic,
        );
        check(&[0x00, 0x01, 0x00, 0x00, 0x00], DecodeError::InvalidTopic);
        check(&[0x00, 0x00, 0x00, 0x01, b'a', 0x00], DecodeError::ZeroPid);
        assert_eq!(
            decode(0x80, &[0x00, 0x01, 0x00, 0x01, b'a', 0x00], V311),
            Err(DecodeError::InvalidFlags)
        );
    }

    #[test]
    fn empty_lists_are_not_encoded() {
        let mut buf = [0u8; 16];
        let subscribe = Subscribe {
            pid: pid(1),
            filters: SubscribeFilters::new(&[]),
        };
        assert_eq!(subscribe.encode(&mut buf), Err(EncodeError::EmptyPayload));
        let unsubscribe = Unsubscribe {
            pid: pid(1),
            filters: UnsubscribeFilters::new(&[]),
        };
        assert_eq!(unsubscribe.encode(&mut buf), Err(EncodeError::EmptyPayload));
        let suback = SubAck {
            pid: pid(1),
            return_codes: &[],
        };
        assert_eq!(suback.encode(&mut buf), Err(EncodeError::EmptyPayload));
    }

    /// The payload example of §3.9.3: granted QoS 0, failure, granted QoS 2.
    #[test]
    fn golden_suback_spec_example() {
        let packet = SubAck {
            pid: pid(10),
            return_codes: &[0x00, 0x80, 0x02],
        };
        let expected = [0x90, 0x05, 0x00, 0x0a, 0x00, 0x80, 0x02];
        assert_golden(&Packet::SubAck(packet), &expected);
    }

    #[test]
    fn suback_with_one_code_boundaries() {
        let packet = SubAck {
            pid: pid(10),
            return_codes: &[0x01],
        };
        assert_length_boundaries(&Packet::SubAck(packet));
    }

    #[test]
    fn reject_bad_suback() {
        assert_eq!(
            decode(0x90, &[0x00, 0x01], V311),
            Err(DecodeError::EmptyPayload)
        );
        for code in [0x03, 0x7f, 0x81, 0xff] {
            assert_eq!(
                decode(0x90, &[0x00, 0x01, code], V311),
                Err(DecodeError::InvalidReturnCode)
            );
        }
        let invalid = SubAck {
            pid: pid(1),
            return_codes: &[3],
        };
        assert_eq!(
            invalid.encode(&mut [0u8; 8]),
            Err(EncodeError::InvalidReturnCode)
        );
    }

    /// The payload example of §3.10.3: "a/b" and "c/d".
    #[test]
    fn golden_unsubscribe_spec_example() {
        let list = [filter("a/b"), filter("c/d")];
        let packet = Unsubscribe {
            pid: pid(10),
            filters: UnsubscribeFilters::new(&list),
        };
        #[rustfmt::skip]
        let expected = [
            0xa2, 12,
            0x00, 0x0a,
            0x00, 0x03, b'a', b'/', b'b',
            0x00, 0x03, b'c', b'/', b'd',
        ];
        assert_golden(&Packet::Unsubscribe(packet), &expected);
        assert_length_boundaries(&Packet::Unsubscribe(packet));
    }

    #[test]
    fn reject_bad_unsubscribe() {
        assert_eq!(
            decode(0xa2, &[0x00, 0x01], V311),
            Err(DecodeError::EmptyPayload)
        );
        assert_eq!(
            decode(0xa2, &[0x00, 0x01, 0x00, 0x02, b'a', b'+'], V311),
            Err(DecodeError::InvalidTopic)
        );
        assert_eq!(
            decode(0xa0, &[0x00, 0x01, 0x00, 0x01, b'a'], V311),
            Err(DecodeError::InvalidFlags)
        );
    }

    #[test]
    fn decoded_lists_iterate_like_the_originals() {
        let list = [
            (filter("x/+"), QoS::AtMostOnce),
            (filter("#"), QoS::ExactlyOnce),
        ];
        let packet = Subscribe {
            pid: pid(2),
            filters: SubscribeFilters::new(&list),
        };
        let mut buf = [0u8; 32];
        let len = packet.encode(&mut buf).unwrap();
        let Ok(Packet::Subscribe(decoded)) = decode(buf[0], &buf[2..len], V311) else {
            panic!("not a subscribe");
        };
        assert_eq!(decoded.filters.len(), 2);
        assert!(decoded.filters.iter().eq(list.iter().copied()));
    }
}
