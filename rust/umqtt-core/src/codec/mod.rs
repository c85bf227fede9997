//! Encode and decode MQTT 3.1 / 3.1.1 control packets (MQTT 3.1.1 §2, §3).
//!
//! Encoding writes into a caller buffer: every packet has
//! `encode(&self, buf) -> Result<usize, EncodeError>` and `encoded_len()`,
//! which is exact for every packet `encode` accepts. The length is checked
//! before the first byte is written, so a too-small buffer reports
//! [`EncodeError::BufferTooSmall`] with the size needed.
//!
//! Decoding is zero-copy and strict: [`decode`] takes the first byte and
//! exactly the remaining-length bytes that [`crate::FrameReader`] collected,
//! and returns a [`Packet`] that borrows from them.
//!
//! One file per packet family; each ends with golden-bytes and round-trip tests.
//!
//! MQTT 5 has its own codec in [`v5`]: it decodes into the same [`Packet`]
//! plus a [`v5::Extra`] (reason codes, properties), and encodes with free
//! functions that take the properties alongside the packet. [`decode`] here
//! is 3.1 / 3.1.1 only.

mod ack;
mod connect;
mod ping;
pub mod properties;
mod publish;
pub mod reason;
mod subscribe;
#[cfg(feature = "mqtt5")]
pub mod v5;

#[cfg(test)]
pub(crate) mod tests;

use core::fmt;

pub use ack::{PubAck, PubComp, PubRec, PubRel, UnsubAck};
pub use connect::{ConnAck, Connect, LastWill, CONNACK_ACCEPTED};
pub use ping::{Auth, Disconnect, PingReq, PingResp};
pub use publish::Publish;
pub use subscribe::{
    RetainHandling, SubAck, Subscribe, SubscribeFilters, SubscriptionOptions, Unsubscribe,
    UnsubscribeFilters, SUBACK_FAILURE,
};

use crate::types::{PacketType, Pid, ProtocolVersion};
use crate::varint;
use properties::Properties;

/// Why a packet could not be encoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum EncodeError {
    /// The buffer is shorter than the `needed` bytes of the whole packet
    /// (or header, for [`Publish::encode_header`]).
    BufferTooSmall {
        /// Bytes the encoding needs.
        needed: usize,
    },
    /// The remaining length would exceed 268_435_455 bytes (§2.2.3).
    PacketTooLarge,
    /// A string or binary field is longer than 65535 bytes (§1.5.3).
    FieldTooLong,
    /// A QoS 0 PUBLISH with the DUP flag set (§3.3.1.1).
    DupWithoutQos,
    /// A CONNECT with a password but no user name (§3.1.2.9).
    PasswordWithoutUsername,
    /// A SUBSCRIBE, UNSUBSCRIBE or SUBACK without any entry (§3.8.3).
    EmptyPayload,
    /// A SUBACK return code outside {0, 1, 2, 0x80} (§3.9.3).
    InvalidReturnCode,
    /// MQTT 5: a PUBLISH with [`crate::TopicName::EMPTY`] but no Topic Alias
    /// property (MQTT 5 §3.3.2.1), or a will with that topic.
    EmptyTopicWithoutAlias,
    /// MQTT 5: a reason code the packet cannot carry (MQTT 5 §2.4), or a
    /// CONNACK with session present and an error reason (§3.2.2.1.1).
    InvalidReasonCode,
    /// MQTT 5: the property block is not valid for this packet (§2.2.2).
    InvalidProperties,
    /// MQTT 5: [`v5::encode_ack`] with a type other than PUBACK, PUBREC,
    /// PUBREL or PUBCOMP.
    InvalidPacketType,
    /// MQTT 5: a malformed shared subscription filter, or No Local on a
    /// shared subscription (§4.8.2, §3.8.3.1).
    InvalidSubscription,
    /// MQTT 5: will properties for a CONNECT without a will (§3.1.3.2).
    WillPropertiesWithoutWill,
    /// A packet this build leaves out: an MQTT 5 CONNECT without feature
    /// `mqtt5`, or a packet only a server sends without feature `server`.
    Unsupported,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EncodeError::BufferTooSmall { .. } => "buffer too small for packet",
            EncodeError::PacketTooLarge => "packet longer than 268435455 bytes",
            EncodeError::FieldTooLong => "field longer than 65535 bytes",
            EncodeError::DupWithoutQos => "dup flag set on a QoS 0 publish",
            EncodeError::PasswordWithoutUsername => "password given without user name",
            EncodeError::EmptyPayload => "packet needs at least one topic",
            EncodeError::InvalidReturnCode => "invalid SUBACK return code",
            EncodeError::EmptyTopicWithoutAlias => "empty topic without a topic alias",
            EncodeError::InvalidReasonCode => "reason code not valid for this packet",
            EncodeError::InvalidProperties => "properties not valid for this packet",
            EncodeError::InvalidPacketType => "not an acknowledgement packet type",
            EncodeError::InvalidSubscription => "invalid shared subscription",
            EncodeError::WillPropertiesWithoutWill => "will properties without a will",
            EncodeError::Unsupported => "packet not built into this firmware",
        })
    }
}

/// Why received bytes are not a valid packet. Any of these means the peer
/// broke the protocol and the connection should be closed (§4.8).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum DecodeError {
    /// Packet type 0 or 15 (§2.2.1).
    ReservedPacketType,
    /// Fixed-header flags other than those the type requires (§2.2.2).
    InvalidFlags,
    /// QoS 3 in a PUBLISH, will or subscription (§3.3.1.2).
    InvalidQos,
    /// Packet id 0 (§2.3.1).
    ZeroPid,
    /// The body ends before the packet does.
    Truncated,
    /// The body continues after the packet ends.
    TrailingBytes,
    /// A remaining length that is not a valid variable byte integer (§2.2.3).
    MalformedLength,
    /// A topic name or filter breaks the rules of §4.7.
    InvalidTopic,
    /// A string is not valid UTF-8 (§1.5.3), or, in an MQTT 5 property,
    /// contains U+0000 (MQTT 5 §1.5.4).
    InvalidUtf8,
    /// A SUBACK return code outside {0, 1, 2, 0x80} (§3.9.3).
    InvalidReturnCode,
    /// A reserved bit is set: CONNECT flags bit 0, CONNACK flags bits 7-1,
    /// subscription options bits 7-2.
    ReservedBitsSet,
    /// CONNECT protocol name and level are not a known pair (§3.1.2.1).
    InvalidProtocol,
    /// CONNECT flags contradict each other, e.g. will QoS without a will
    /// (§3.1.2); or an MQTT 5 CONNACK has session present with an error
    /// reason (MQTT 5 §3.2.2.1.1).
    InvalidConnectFlags,
    /// A SUBSCRIBE, UNSUBSCRIBE or SUBACK without any entry (§3.8.3).
    EmptyPayload,
    /// MQTT 5: an unknown property identifier, a value that runs past the
    /// property block or is out of range, or a malformed property length
    /// (MQTT 5 §2.2.2).
    InvalidProperty,
    /// MQTT 5: a property included twice where only one is allowed (§2.2.2.2).
    DuplicateProperty,
    /// MQTT 5: a property this packet cannot carry (§2.2.2.2).
    PropertyNotAllowed,
    /// MQTT 5: a reason code this packet cannot carry (§2.4).
    InvalidReasonCode,
    /// A packet a client never receives: CONNECT, SUBSCRIBE, UNSUBSCRIBE,
    /// PINGREQ given to the client-side `v5::decode`, or (without feature
    /// `server`) to [`decode`], which then also refuses a 3.1.1 DISCONNECT.
    UnexpectedPacket,
    /// MQTT 5: subscription option Retain Handling 3 (§3.8.3.1).
    InvalidRetainHandling,
    /// MQTT 5: a PUBLISH's Topic Alias is 0, above the Topic Alias Maximum
    /// the client announced, unknown, or names a topic too long for its
    /// slot (§3.3.2.3.4). Not from the codec: the client engine reports it
    /// when it resolves the alias.
    TopicAliasInvalid,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecodeError::ReservedPacketType => "reserved packet type",
            DecodeError::InvalidFlags => "invalid fixed header flags",
            DecodeError::InvalidQos => "invalid QoS",
            DecodeError::ZeroPid => "packet id 0",
            DecodeError::Truncated => "packet truncated",
            DecodeError::TrailingBytes => "trailing bytes after packet",
            DecodeError::MalformedLength => "malformed remaining length",
            DecodeError::InvalidTopic => "invalid topic",
            DecodeError::InvalidUtf8 => "invalid UTF-8 string",
            DecodeError::InvalidReturnCode => "invalid return code",
            DecodeError::ReservedBitsSet => "reserved bits set",
            DecodeError::InvalidProtocol => "unknown protocol name or level",
            DecodeError::InvalidConnectFlags => "inconsistent CONNECT flags",
            DecodeError::EmptyPayload => "packet has no topics",
            DecodeError::InvalidProperty => "invalid property",
            DecodeError::DuplicateProperty => "property included more than once",
            DecodeError::PropertyNotAllowed => "property not allowed in this packet",
            DecodeError::InvalidReasonCode => "reason code not valid for this packet",
            DecodeError::UnexpectedPacket => "packet a server never sends",
            DecodeError::InvalidRetainHandling => "invalid retain handling",
            DecodeError::TopicAliasInvalid => "topic alias invalid",
        })
    }
}

/// A decoded control packet, borrowing from the body it was decoded from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Packet<'a> {
    /// [§3.1](https://docs.oasis-open.org/mqtt/mqtt/v3.1.1/os/mqtt-v3.1.1-os.html#_Toc398718028)
    Connect(Connect<'a>),
    /// §3.2
    ConnAck(ConnAck),
    /// §3.3
    Publish(Publish<'a>),
    /// §3.4
    PubAck(PubAck),
    /// §3.5
    PubRec(PubRec),
    /// §3.6
    PubRel(PubRel),
    /// §3.7
    PubComp(PubComp),
    /// §3.8
    Subscribe(Subscribe<'a>),
    /// §3.9
    SubAck(SubAck<'a>),
    /// §3.10
    Unsubscribe(Unsubscribe<'a>),
    /// §3.11
    UnsubAck(UnsubAck),
    /// §3.12
    PingReq(PingReq),
    /// §3.13
    PingResp(PingResp),
    /// §3.14
    Disconnect(Disconnect),
    /// MQTT 5 §3.15 (reason and properties are in [`v5::Extra`]).
    Auth(Auth),
}

impl Packet<'_> {
    /// The type of this packet.
    pub fn packet_type(&self) -> PacketType {
        match self {
            Packet::Connect(_) => PacketType::Connect,
            Packet::ConnAck(_) => PacketType::ConnAck,
            Packet::Publish(_) => PacketType::Publish,
            Packet::PubAck(_) => PacketType::PubAck,
            Packet::PubRec(_) => PacketType::PubRec,
            Packet::PubRel(_) => PacketType::PubRel,
            Packet::PubComp(_) => PacketType::PubComp,
            Packet::Subscribe(_) => PacketType::Subscribe,
            Packet::SubAck(_) => PacketType::SubAck,
            Packet::Unsubscribe(_) => PacketType::Unsubscribe,
            Packet::UnsubAck(_) => PacketType::UnsubAck,
            Packet::PingReq(_) => PacketType::PingReq,
            Packet::PingResp(_) => PacketType::PingResp,
            Packet::Disconnect(_) => PacketType::Disconnect,
            Packet::Auth(_) => PacketType::Auth,
        }
    }

    /// Encodes the packet into `buf`; returns the number of bytes written.
    ///
    /// A [`ConnAck`] is encoded for MQTT 3.1.1 (the session-present bit kept).
    /// What only a server sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) is
    /// [`EncodeError::Unsupported`] without feature `server`.
    /// [`Auth`] is the MQTT 5 short form `F0 00`; a [`Connect`] whose
    /// version is [`ProtocolVersion::V5`] is a v5 CONNECT without properties.
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Packet::Connect(packet) => packet.encode(buf),
            #[cfg(any(test, feature = "server"))]
            Packet::ConnAck(packet) => packet.encode(buf),
            Packet::Publish(packet) => packet.encode(buf),
            Packet::PubAck(packet) => packet.encode(buf),
            Packet::PubRec(packet) => packet.encode(buf),
            Packet::PubRel(packet) => packet.encode(buf),
            Packet::PubComp(packet) => packet.encode(buf),
            Packet::Subscribe(packet) => packet.encode(buf),
            #[cfg(any(test, feature = "server"))]
            Packet::SubAck(packet) => packet.encode(buf),
            Packet::Unsubscribe(packet) => packet.encode(buf),
            #[cfg(any(test, feature = "server"))]
            Packet::UnsubAck(packet) => packet.encode(buf),
            Packet::PingReq(packet) => packet.encode(buf),
            #[cfg(any(test, feature = "server"))]
            Packet::PingResp(packet) => packet.encode(buf),
            // A client never sends these: the firmware leaves them out.
            #[cfg(not(any(test, feature = "server")))]
            Packet::ConnAck(_) | Packet::SubAck(_) | Packet::UnsubAck(_) | Packet::PingResp(_) => {
                Err(EncodeError::Unsupported)
            }
            Packet::Disconnect(packet) => packet.encode(buf),
            Packet::Auth(packet) => packet.encode(buf),
        }
    }

    /// The exact number of bytes [`Packet::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Packet::Connect(packet) => packet.encoded_len(),
            Packet::ConnAck(_) => ConnAck::ENCODED_LEN,
            Packet::Publish(packet) => packet.encoded_len(),
            Packet::PubAck(_)
            | Packet::PubRec(_)
            | Packet::PubRel(_)
            | Packet::PubComp(_)
            | Packet::UnsubAck(_) => ack::ENCODED_LEN,
            Packet::Subscribe(packet) => packet.encoded_len(),
            #[cfg(any(test, feature = "server"))]
            Packet::SubAck(packet) => packet.encoded_len(),
            #[cfg(not(any(test, feature = "server")))]
            Packet::SubAck(_) => 0,
            Packet::Unsubscribe(packet) => packet.encoded_len(),
            Packet::PingReq(_) | Packet::PingResp(_) | Packet::Disconnect(_) | Packet::Auth(_) => {
                ping::ENCODED_LEN
            }
        }
    }
}

/// Decodes one packet from its first byte and its body, which must be
/// exactly the remaining-length bytes (no more, no less).
///
/// `version` is the protocol the connection speaks; it decides how CONNACK's
/// first byte is read (3.1 has no session-present bit). MQTT 5 packets are
/// decoded by [`v5::decode`]: [`ProtocolVersion::V5`] here is
/// [`DecodeError::InvalidProtocol`], and type 15 (AUTH) is reserved.
pub fn decode(
    first_byte: u8,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<Packet<'_>, DecodeError> {
    if version == ProtocolVersion::V5 {
        return Err(DecodeError::InvalidProtocol);
    }
    let packet_type = match PacketType::from_first_byte(first_byte) {
        None | Some(PacketType::Auth) => return Err(DecodeError::ReservedPacketType),
        Some(packet_type) => packet_type,
    };
    let flags = check_flags(packet_type, first_byte)?;
    Ok(match packet_type {
        #[cfg(any(test, feature = "server"))]
        PacketType::Connect => Packet::Connect(Connect::decode(body)?),
        #[cfg(any(test, feature = "server"))]
        PacketType::Subscribe => Packet::Subscribe(Subscribe::decode(body)?),
        #[cfg(any(test, feature = "server"))]
        PacketType::Unsubscribe => Packet::Unsubscribe(Unsubscribe::decode(body)?),
        // A client never receives these (nor DISCONNECT before MQTT 5).
        #[cfg(not(any(test, feature = "server")))]
        PacketType::Connect
        | PacketType::Subscribe
        | PacketType::Unsubscribe
        | PacketType::PingReq
        | PacketType::Disconnect => return Err(DecodeError::UnexpectedPacket),
        PacketType::ConnAck => Packet::ConnAck(ConnAck::decode(body, version)?),
        PacketType::Publish => Packet::Publish(Publish::decode(flags, body)?),
        PacketType::PubAck => Packet::PubAck(PubAck {
            pid: ack::decode_pid(body)?,
        }),
        PacketType::PubRec => Packet::PubRec(PubRec {
            pid: ack::decode_pid(body)?,
        }),
        PacketType::PubRel => Packet::PubRel(PubRel {
            pid: ack::decode_pid(body)?,
        }),
        PacketType::PubComp => Packet::PubComp(PubComp {
            pid: ack::decode_pid(body)?,
        }),
        PacketType::SubAck => Packet::SubAck(SubAck::decode(body)?),
        PacketType::UnsubAck => Packet::UnsubAck(UnsubAck {
            pid: ack::decode_pid(body)?,
        }),
        #[cfg(any(test, feature = "server"))]
        PacketType::PingReq => {
            ping::decode_empty(body)?;
            Packet::PingReq(PingReq)
        }
        PacketType::PingResp => {
            ping::decode_empty(body)?;
            Packet::PingResp(PingResp)
        }
        #[cfg(any(test, feature = "server"))]
        PacketType::Disconnect => {
            ping::decode_empty(body)?;
            Packet::Disconnect(Disconnect)
        }
        PacketType::Auth => return Err(DecodeError::ReservedPacketType),
    })
}

/// The flags of `first_byte`, which must be the ones `packet_type` requires
/// if it fixes them (§2.2.2).
pub(crate) fn check_flags(packet_type: PacketType, first_byte: u8) -> Result<u8, DecodeError> {
    let flags = first_byte & 0x0f;
    match packet_type.required_flags() {
        Some(required) if flags != required => Err(DecodeError::InvalidFlags),
        _ => Ok(flags),
    }
}

/// Size of a whole packet whose body is `remaining_len` bytes, saturating for
/// lengths `encode` would reject anyway.
pub(crate) const fn packet_len(remaining_len: usize) -> usize {
    varint::encoded_len(remaining_len)
        .saturating_add(1)
        .saturating_add(remaining_len)
}

/// Bytes a length-prefixed string or binary field takes (§1.5.3).
pub(crate) const fn field_len(bytes: &[u8]) -> usize {
    bytes.len().saturating_add(2)
}

/// Copies `bytes`, a whole packet, to the start of `buf`; their length.
pub(crate) fn put_all(buf: &mut [u8], bytes: &[u8]) -> Result<usize, EncodeError> {
    let needed = bytes.len();
    buf.get_mut(..needed)
        .ok_or(EncodeError::BufferTooSmall { needed })?
        .copy_from_slice(bytes);
    Ok(needed)
}

/// Sequential writer over a caller buffer whose size was checked up front.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    position: usize,
}

impl<'b> Writer<'b> {
    /// A writer at the start of `buf`.
    pub(crate) fn new(buf: &'b mut [u8]) -> Writer<'b> {
        Writer { buf, position: 0 }
    }

    /// Starts a packet: checks that the whole `remaining_len` body (of which
    /// the writer will see `written_body_len` bytes) fits, then writes the
    /// fixed header. (A method, not a constructor: its result fits two
    /// registers, where a `Result<Writer>` is returned through memory.)
    pub(crate) fn header(
        &mut self,
        first_byte: u8,
        remaining_len: usize,
        written_body_len: usize,
    ) -> Result<(), EncodeError> {
        if remaining_len > varint::MAX_VALUE {
            return Err(EncodeError::PacketTooLarge);
        }
        let header_len = 1 + varint::encoded_len(remaining_len);
        // At most 1 + 4 + 268,435,455: no overflow.
        let needed = header_len + written_body_len;
        if self.buf.len() < needed {
            return Err(EncodeError::BufferTooSmall { needed });
        }
        let header = self.buf.get_mut(..header_len);
        if let Some((first, length)) = header.and_then(|header| header.split_first_mut()) {
            *first = first_byte;
            varint::write_into(length, remaining_len);
        }
        self.position = header_len;
        Ok(())
    }

    /// [`Writer::header`] of a type with fixed flags whose whole
    /// `remaining_len` body will be written.
    pub(crate) fn packet_header(
        &mut self,
        packet_type: PacketType,
        remaining_len: usize,
    ) -> Result<(), EncodeError> {
        self.header(packet_type.fixed_first_byte(), remaining_len, remaining_len)
    }

    /// A writer of `buf` after [`Writer::packet_header`] (the MQTT 5
    /// encoders).
    #[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
    pub(crate) fn packet(
        buf: &'b mut [u8],
        packet_type: PacketType,
        remaining_len: usize,
    ) -> Result<Writer<'b>, EncodeError> {
        let mut writer = Writer::new(buf);
        writer.packet_header(packet_type, remaining_len)?;
        Ok(writer)
    }

    // The checked writes, `?` after each: the MQTT 5 encoders'
    // (`v5`, `put_properties`), dead code without them.
    #[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
    pub(crate) fn put_bytes(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self
            .position
            .checked_add(bytes.len())
            .ok_or(EncodeError::PacketTooLarge)?;
        let target = self
            .buf
            .get_mut(self.position..end)
            .ok_or(EncodeError::BufferTooSmall { needed: end })?;
        target.copy_from_slice(bytes);
        self.position = end;
        Ok(())
    }

    #[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
    pub(crate) fn put_u8(&mut self, value: u8) -> Result<(), EncodeError> {
        self.put_bytes(&[value])
    }

    #[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
    pub(crate) fn put_pid(&mut self, pid: Pid) -> Result<(), EncodeError> {
        self.put_bytes(&pid.get().to_be_bytes())
    }

    /// Bytes written so far.
    #[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
    pub(crate) fn finish(self) -> usize {
        self.position
    }

    // The writes below cannot fail at their call sites: `start` checked
    // the room, so each encoder is straight-line code and checks once, in
    // `done`. A write past the end (a length miscounted) is dropped and
    // makes `done` fail, as does a field too long for its 16-bit length.

    /// Appends `bytes` (see [`Writer::done`]).
    #[inline(never)]
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        // The target is taken `bytes.len()` long: the copy cannot panic.
        let target = self.buf.get_mut(self.position..);
        if let Some(target) = target.and_then(|rest| rest.get_mut(..bytes.len())) {
            target.copy_from_slice(bytes);
        }
        self.position = self.position.saturating_add(bytes.len());
    }

    pub(crate) fn write_u8(&mut self, value: u8) {
        self.write(&[value]);
    }

    // Out of line: lengths and packet ids, in every encoder.
    #[inline(never)]
    pub(crate) fn write_u16(&mut self, value: u16) {
        // Two stores, not a copy call: the length is known here.
        let target = self.buf.get_mut(self.position..);
        if let Some(target) = target.and_then(|rest| rest.get_mut(..2)) {
            target.copy_from_slice(&value.to_be_bytes());
        }
        self.position = self.position.saturating_add(2);
    }

    /// A string or binary field: 16-bit big-endian length, then the bytes.
    /// A longer one poisons the writer: [`Writer::done`] reports it.
    #[inline(never)]
    pub(crate) fn write_field(&mut self, bytes: &[u8]) {
        match u16::try_from(bytes.len()) {
            Ok(len) => {
                self.write_u16(len);
                self.write(bytes);
            }
            Err(_) => self.position = FIELD_TOO_LONG,
        }
    }

    /// An MQTT 5 property block: its length, then its bytes.
    pub(crate) fn write_properties(&mut self, properties: Properties<'_>) {
        let block = properties.as_bytes();
        self.write_varint(block.len());
        self.write(block);
    }

    /// A variable byte integer (§1.5.5), a byte at a time (not through
    /// `varint::encode`'s array). One above 268,435,455 poisons the writer
    /// (not reached: the header refused a body this long).
    pub(crate) fn write_varint(&mut self, value: usize) {
        if value > varint::MAX_VALUE {
            self.position = FIELD_TOO_LONG;
            return;
        }
        let mut rest = value;
        loop {
            // Truncation keeps exactly the low seven bits.
            let byte = (rest % 128) as u8;
            rest /= 128;
            if rest == 0 {
                self.write_u8(byte);
                return;
            }
            self.write_u8(byte | 0x80);
        }
    }

    /// The length written, once every write fitted.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn done(self) -> Result<usize, EncodeError> {
        match self.position {
            FIELD_TOO_LONG => Err(EncodeError::FieldTooLong),
            needed if needed > self.buf.len() => Err(EncodeError::BufferTooSmall { needed }),
            len => Ok(len),
        }
    }
}

/// [`Writer::write_field`]'s poison: a position no buffer reaches.
const FIELD_TOO_LONG: usize = usize::MAX;

/// Sequential reader over a packet body; running out is [`DecodeError::Truncated`].
#[derive(Clone)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Reader<'a> {
        Reader { rest: body }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Bytes not read yet.
    pub(crate) fn len(&self) -> usize {
        self.rest.len()
    }

    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let (taken, rest) = self
            .rest
            .split_at_checked(len)
            .ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(taken)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        let (&first, rest) = self.rest.split_first().ok_or(DecodeError::Truncated)?;
        self.rest = rest;
        Ok(first)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        let high = self.u8()?;
        let low = self.u8()?;
        Ok(u16::from_be_bytes([high, low]))
    }

    pub(crate) fn pid(&mut self) -> Result<Pid, DecodeError> {
        Pid::new(self.u16()?).ok_or(DecodeError::ZeroPid)
    }

    /// A length-prefixed binary field.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn field(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.u16()?;
        self.take(usize::from(len))
    }

    /// A length-prefixed UTF-8 string.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub(crate) extern "C" fn str(&mut self) -> Result<&'a str, DecodeError> {
        crate::topic::utf8(self.field()?).ok_or(DecodeError::InvalidUtf8)
    }

    /// Everything not read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// Succeeds only if the whole body was consumed.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Maps a topic validation failure to the decode error that names it best.
pub(crate) fn topic_error(error: crate::topic::TopicError) -> DecodeError {
    match error {
        crate::topic::TopicError::InvalidUtf8 => DecodeError::InvalidUtf8,
        _ => DecodeError::InvalidTopic,
    }
}
