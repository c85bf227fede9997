//! MQTT 5.0 codec: the client side of every packet, plus the server side
//! where tests and fuzzing need it.
//!
//! MQTT 5 keeps the packet set of 3.1.1 (plus AUTH) and adds to most
//! packets a reason code ([`ReasonCode`], §2.4) and a property block
//! ([`Properties`], §2.2.2). Decoding reuses the 3.1.1 packet structs:
//! [`decode`] returns a [`Packet`] and an [`Extra`] with what the 3.1.1 model
//! has no room for. Encoding is free functions that take the properties
//! next to the packet; like the 3.1.1 encoders they check the buffer size
//! before writing and have exact `*_len` companions.
//!
//! Differences a caller sees:
//! - [`decode`] decodes what a server sends; CONNECT, SUBSCRIBE, UNSUBSCRIBE
//!   and PINGREQ are [`DecodeError::UnexpectedPacket`].
//! - A PUBLISH may name its topic by a Topic Alias only: its topic is then
//!   [`TopicName::EMPTY`] and [`Extra::topic_alias`] is set; resolve it
//!   before delivery.
//! - SUBACK's codes are v5 reason codes (in [`SubAck::return_codes`]);
//!   UNSUBACK's are in [`Extra::reason_codes`].
//! - Strings in properties must not contain U+0000 (§1.5.4); variable byte
//!   integers must be minimal (§1.5.5).
//!
//! Section numbers in this module refer to MQTT Version 5.0 (OASIS, 2019).

mod ack;
mod connect;
mod disconnect;
mod publish;
mod subscribe;

#[cfg(test)]
mod decode_as_tests;
#[cfg(test)]
mod tests;

pub use ack::{ack_len, encode_ack};
pub(crate) use connect::encode_connect_prepared;
pub use connect::{connack_len, connect_len, encode_connack, encode_connect};
pub(crate) use disconnect::encode_disconnect_prepared;
pub use disconnect::{auth_len, disconnect_len, encode_auth, encode_disconnect};
pub use publish::{encode_publish, encode_publish_header, publish_header_len};
pub(crate) use subscribe::check_filter;
pub use subscribe::{
    encode_suback, encode_subscribe, encode_unsuback, encode_unsubscribe, suback_len,
    subscribe_len, unsuback_len, unsubscribe_len,
};
// The vocabulary MQTT 5 shares with the 3.1.1 codec and the client engine
// lives one level up (no import circle; it stays without feature `mqtt5`).
pub(crate) use super::properties::{check_properties, put_properties, read_properties};
pub use super::properties::{
    Context, Extra, Properties, Property, PropertyError, PropertyId, PropertyIter, PropertyKind,
    PropertyValue, PropertyWriter,
};
pub use super::reason::ReasonCode;
pub use super::subscribe::{RetainHandling, SubscriptionOptions};
pub use super::Auth;

use super::ping::decode_empty;
#[cfg(doc)]
use super::SubAck;
use super::{
    DecodeError, Disconnect, EncodeError, Packet, PingResp, PubAck, PubComp, PubRec, PubRel,
    Reader, Writer,
};
#[cfg(doc)]
use crate::topic::TopicName;
use crate::types::{PacketType, Pid, ProtocolVersion};

/// Decodes one packet a v5 server sends (CONNACK, PUBLISH, PUBACK, PUBREC,
/// PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, AUTH) from its
/// first byte and its body, which must be exactly the remaining-length
/// bytes. Packets only a client sends are [`DecodeError::UnexpectedPacket`].
pub fn decode(first_byte: u8, body: &[u8]) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    decode_as(first_byte, body, ProtocolVersion::V5)
}

/// [`decode`] on a connection of `version`: the client engine's one
/// decoder when the build has MQTT 5 (the 3.1.1 decoder beside it, inlined
/// into the receive path, cost 466 B of rv32imc code). MQTT 3.1 and
/// 3.1.1 packets are read as [`super::decode`] (the client's build, without
/// feature `server`) reads them: the same packets accepted, with an empty
/// [`Extra`]; refused with its error, but for a PUBLISH both of whose topic
/// and packet id are bad (another refusal: the checks run in another order).
///
/// [`super::decode`]: crate::codec::decode
pub(crate) fn decode_as(
    first_byte: u8,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    let v5 = version == ProtocolVersion::V5;
    let packet_type = match PacketType::from_first_byte(first_byte) {
        // MQTT 3 has no AUTH: its type is reserved there.
        Some(PacketType::Auth) if !v5 => return Err(DecodeError::ReservedPacketType),
        Some(packet_type) => packet_type,
        None => return Err(DecodeError::ReservedPacketType),
    };
    // One bit per type only a client sends: a bit test, not a jump table.
    // Before MQTT 5 only the client sends DISCONNECT too.
    const CLIENT_ONLY: u16 = (1 << PacketType::Connect as u16)
        | (1 << PacketType::Subscribe as u16)
        | (1 << PacketType::Unsubscribe as u16)
        | (1 << PacketType::PingReq as u16);
    let client_only = if v5 {
        CLIENT_ONLY
    } else {
        CLIENT_ONLY | (1 << PacketType::Disconnect as u16)
    };
    // The fixed-header flags (§2.2.2): PUBLISH's are its own, PUBREL's,
    // SUBSCRIBE's and UNSUBSCRIBE's 0b0010 (a bit test, not three
    // comparisons), every other type's 0.
    const FLAGS_0010: u16 = (1 << PacketType::PubRel as u16)
        | (1 << PacketType::Subscribe as u16)
        | (1 << PacketType::Unsubscribe as u16);
    let flags = first_byte & 0x0f;
    let required = (((FLAGS_0010 >> packet_type as u16) & 1) << 1) as u8;
    let flags_valid = packet_type == PacketType::Publish || flags == required;
    // MQTT 5 refuses a client's packet before its flags, 3.1.1 after them.
    if (client_only >> packet_type as u16) & 1 != 0 && (v5 || flags_valid) {
        return Err(DecodeError::UnexpectedPacket);
    }
    if !flags_valid {
        return Err(DecodeError::InvalidFlags);
    }
    // Tests, not a `match`: its jump table cost 56 B of rv32imc rodata.
    const LIST_ACKS: u16 = (1 << PacketType::SubAck as u16) | (1 << PacketType::UnsubAck as u16);
    if packet_type == PacketType::Publish {
        publish::decode_publish(flags, body, v5)
    } else if (LIST_ACKS >> packet_type as u16) & 1 != 0 {
        subscribe::decode_list_ack(packet_type, body, v5)
    } else if packet_type == PacketType::ConnAck {
        connect::decode_connack(body, version)
    } else if packet_type == PacketType::PingResp {
        decode_empty(body)?;
        Ok((Packet::PingResp(PingResp), Extra::default()))
    } else {
        // PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH; the
        // client-only types returned above.
        decode_reason_packet(packet_type, body, v5)
    }
}

/// The packets that are (a packet id,) a reason code and properties, both
/// of which may be left out; one decoder for all, they differ only in the
/// packet id and the properties allowed:
/// - PUBACK, PUBREC, PUBREL, PUBCOMP: packet id first (§3.4.2, §3.5.2,
///   §3.6.2, §3.7.2);
/// - DISCONNECT from the server: no Session Expiry Interval (§3.14.2.2.2);
/// - AUTH (§3.15.2).
///
/// Before MQTT 5 (not `v5`) the body is the packet id alone.
fn decode_reason_packet(
    packet_type: PacketType,
    body: &[u8],
    v5: bool,
) -> Result<(Packet<'_>, Extra<'_>), DecodeError> {
    let mut reader = Reader::new(body);
    let (packet, context) = match packet_type {
        PacketType::Disconnect => (Packet::Disconnect(Disconnect), Context::Disconnect),
        PacketType::Auth => (Packet::Auth(Auth), Context::Auth),
        _ => {
            let pid = reader.pid()?;
            let packet = match packet_type {
                PacketType::PubAck => Packet::PubAck(PubAck { pid }),
                PacketType::PubRec => Packet::PubRec(PubRec { pid }),
                PacketType::PubRel => Packet::PubRel(PubRel { pid }),
                PacketType::PubComp => Packet::PubComp(PubComp { pid }),
                _ => return Err(DecodeError::UnexpectedPacket),
            };
            (packet, Context::PubAck)
        }
    };
    // Nothing after it: the reason Success, no properties, as below.
    if !v5 && !reader.is_empty() {
        return Err(DecodeError::TrailingBytes);
    }
    let (reason, properties) = read_reason_and_properties(reader, packet_type, context)?;
    if packet_type == PacketType::Disconnect
        && properties.get(PropertyId::SessionExpiryInterval).is_some()
    {
        return Err(DecodeError::PropertyNotAllowed);
    }
    Ok((packet, Extra::with_reason(reason, properties)))
}

/// Refuses a `reason` not valid for `packet_type` or `properties` not
/// valid for `context`.
pub(crate) fn check_reason(
    packet_type: PacketType,
    context: Context,
    reason: ReasonCode,
    properties: Properties<'_>,
) -> Result<(), EncodeError> {
    if !reason.valid_for(packet_type) {
        return Err(EncodeError::InvalidReasonCode);
    }
    check_properties(properties, context)
}

/// Bytes a reason code and properties take in their shortest form (PUBACK
/// family, DISCONNECT): nothing for reason 0 without properties, the reason
/// alone without properties, else the reason and the property block.
fn reason_body_len(reason: ReasonCode, properties: Properties<'_>) -> usize {
    if !properties.is_empty() {
        properties.encoded_len().saturating_add(1)
    } else if reason == ReasonCode::SUCCESS {
        0
    } else {
        1
    }
}

/// Remaining length of a packet that is an optional packet id, then a
/// reason code and properties in their shortest form.
pub(crate) fn reason_packet_remaining_len(
    has_pid: bool,
    reason: ReasonCode,
    properties: Properties<'_>,
) -> usize {
    let pid_len = if has_pid { 2 } else { 0 };
    reason_body_len(reason, properties).saturating_add(pid_len)
}

/// Encodes a packet that is an optional packet id, then a reason code and
/// properties in their shortest form; checks them with [`check_reason`].
pub(crate) fn encode_reason_packet(
    packet_type: PacketType,
    context: Context,
    pid: Option<Pid>,
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    check_reason(packet_type, context, reason, properties)?;
    write_reason_packet(packet_type, pid, reason, properties, buf)
}

/// [`encode_reason_packet`] without its checks, for a packet the client
/// engine checked (`Client::prepare_disconnect`).
pub(crate) fn write_reason_packet(
    packet_type: PacketType,
    pid: Option<Pid>,
    reason: ReasonCode,
    properties: Properties<'_>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let remaining_len = reason_packet_remaining_len(pid.is_some(), reason, properties);
    // The header checked the room: the unchecked writes, one check in `done`
    // (the checked ones, inlined, cost the DISCONNECT 150 B of rv32imc code).
    let mut writer = Writer::new(buf);
    writer.packet_header(packet_type, remaining_len)?;
    if let Some(pid) = pid {
        writer.write_u16(pid.get());
    }
    if reason_body_len(reason, properties) > 0 {
        writer.write_u8(reason.0);
    }
    if !properties.is_empty() {
        writer.write_properties(properties);
    }
    writer.done()
}

/// The rest of a body: an optional reason (0 when absent) valid for
/// `packet_type`, then optional properties valid for `context`, and nothing
/// after them.
pub(crate) fn read_reason_and_properties<'a>(
    mut reader: Reader<'a>,
    packet_type: PacketType,
    context: Context,
) -> Result<(ReasonCode, Properties<'a>), DecodeError> {
    let reason = if reader.is_empty() {
        ReasonCode::SUCCESS
    } else {
        ReasonCode(reader.u8()?)
    };
    if !reason.valid_for(packet_type) {
        return Err(DecodeError::InvalidReasonCode);
    }
    let properties = if reader.is_empty() {
        Properties::EMPTY
    } else {
        read_properties(&mut reader, context)?
    };
    reader.finish()?;
    Ok((reason, properties))
}
