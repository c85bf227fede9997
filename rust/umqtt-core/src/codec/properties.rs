//! MQTT 5 properties (MQTT 5 §2.2.2).
//!
//! A property block is a run of (identifier, value) pairs preceded on the
//! wire by its length as a variable byte integer. [`Properties`] is a
//! validated block, borrowed from the packet it arrived in or from the
//! buffer a [`PropertyWriter`] filled; it is read with [`Properties::iter`]
//! and [`Properties::get`] without ever copying.
//!
//! Which property a packet may carry, and how often, depends on the packet:
//! that is the [`Context`] every check takes.

#[cfg(feature = "mqtt5")]
use core::fmt;

use super::reason::ReasonCode;
use crate::codec::{DecodeError, EncodeError, Reader, Writer};
use crate::topic::TopicName;
use crate::varint;

/// A property identifier (MQTT 5 §2.2.2.2). All of them fit one byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(u8)]
pub enum PropertyId {
    /// 0 unspecified bytes, 1 UTF-8 payload (§3.3.2.3.2).
    PayloadFormatIndicator = 0x01,
    /// Lifetime of the message in seconds (§3.3.2.3.3).
    MessageExpiryInterval = 0x02,
    /// MIME-like description of the payload (§3.3.2.3.9).
    ContentType = 0x03,
    /// Topic for a response (§3.3.2.3.5).
    ResponseTopic = 0x08,
    /// Binary data correlating a response with its request (§3.3.2.3.6).
    CorrelationData = 0x09,
    /// Identifier of the subscription (§3.8.2.1.2).
    SubscriptionIdentifier = 0x0B,
    /// Seconds the session outlives the connection (§3.1.2.11.2).
    SessionExpiryInterval = 0x11,
    /// Client identifier the server assigned (§3.2.2.3.7).
    AssignedClientIdentifier = 0x12,
    /// Keep-alive the server imposes, in seconds (§3.2.2.3.14).
    ServerKeepAlive = 0x13,
    /// Name of the extended authentication method (§3.1.2.11.9).
    AuthenticationMethod = 0x15,
    /// Data of the extended authentication method (§3.1.2.11.10).
    AuthenticationData = 0x16,
    /// Whether the server may send Reason Strings and User Properties on failures (§3.1.2.11.7).
    RequestProblemInformation = 0x17,
    /// Seconds the server waits before publishing the will (§3.1.3.2.2).
    WillDelayInterval = 0x18,
    /// Whether the client asks for Response Information (§3.1.2.11.6).
    RequestResponseInformation = 0x19,
    /// Basis for response topics (§3.2.2.3.15).
    ResponseInformation = 0x1A,
    /// Another server to use (§3.2.2.3.16).
    ServerReference = 0x1C,
    /// Human-readable diagnostic (§3.2.2.3.9).
    ReasonString = 0x1F,
    /// QoS 1/2 publishes the sender accepts concurrently (§3.1.2.11.3).
    ReceiveMaximum = 0x21,
    /// Highest topic alias the sender accepts (§3.1.2.11.5).
    TopicAliasMaximum = 0x22,
    /// Integer standing for the topic (§3.3.2.3.4).
    TopicAlias = 0x23,
    /// Highest QoS the server supports (§3.2.2.3.4).
    MaximumQoS = 0x24,
    /// Whether the server supports retained messages (§3.2.2.3.5).
    RetainAvailable = 0x25,
    /// Name/value pair for the application (§3.1.2.11.8).
    UserProperty = 0x26,
    /// Largest packet the sender accepts (§3.1.2.11.4).
    MaximumPacketSize = 0x27,
    /// Whether the server supports wildcard subscriptions (§3.2.2.3.11).
    WildcardSubscriptionAvailable = 0x28,
    /// Whether the server supports subscription identifiers (§3.2.2.3.12).
    SubscriptionIdentifierAvailable = 0x29,
    /// Whether the server supports shared subscriptions (§3.2.2.3.13).
    SharedSubscriptionAvailable = 0x2A,
}

/// Where an `ID_TABLE` entry keeps the kind (as `PropertyKind as u16`),
/// above the 11 context bits.
const KIND_SHIFT: u16 = 11;

/// Per identifier (0 for the undefined ones; none is 43 or above): the
/// contexts the property may appear in, one bit each
/// ([`PropertyId::allowed_in`]), and its kind from bit `KIND_SHIFT` on
/// ([`PropertyId::kind`]); non-zero is defined ([`PropertyId::from_u8`]).
// Evaluated at compile time: an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const ID_TABLE: [u16; 43] = {
    assert!(Context::ALL.len() <= KIND_SHIFT as usize);
    let mut table = [0; 43];
    let mut value = 0;
    while value < 256 {
        if let Some(id) = PropertyId::lookup(value as u8) {
            // What `from_u8` relies on: a non-zero entry at the identifier
            // of each variant, its discriminant.
            assert!(id as usize == value && id.contexts() != 0);
            table[value] = id.contexts() | ((id.kind_of() as u16) << KIND_SHIFT);
        }
        value += 1;
    }
    table
};

/// How a property's value is encoded (MQTT 5 §1.5, §2.2.2.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PropertyKind {
    /// One byte.
    Byte,
    /// Big-endian 16-bit integer.
    TwoByteInt,
    /// Big-endian 32-bit integer.
    FourByteInt,
    /// Variable byte integer (§1.5.5).
    VarInt,
    /// Length-prefixed UTF-8 string without U+0000 (§1.5.4).
    Utf8String,
    /// Length-prefixed bytes (§1.5.6).
    BinaryData,
    /// Two UTF-8 strings, name then value (§1.5.7).
    Utf8Pair,
}

// The fixed-size integers are declared in width order: `read_property` and
// `PropertyWriter::append` take a value's width as `1 << kind`.
const _: () = assert!(
    1 << PropertyKind::Byte as usize == 1
        && 1 << PropertyKind::TwoByteInt as usize == 2
        && 1 << PropertyKind::FourByteInt as usize == 4
);

/// The packet (or part of one) a property block belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Context {
    /// CONNECT.
    Connect,
    /// The will properties of CONNECT.
    Will,
    /// CONNACK.
    ConnAck,
    /// PUBLISH.
    Publish,
    /// PUBACK, PUBREC, PUBREL and PUBCOMP: they allow the same properties.
    PubAck,
    /// SUBSCRIBE.
    Subscribe,
    /// SUBACK.
    SubAck,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// UNSUBACK.
    UnsubAck,
    /// DISCONNECT.
    Disconnect,
    /// AUTH.
    Auth,
}

impl Context {
    /// Every context, in declaration order.
    pub(crate) const ALL: [Context; 11] = [
        Context::Connect,
        Context::Will,
        Context::ConnAck,
        Context::Publish,
        Context::PubAck,
        Context::Subscribe,
        Context::SubAck,
        Context::Unsubscribe,
        Context::UnsubAck,
        Context::Disconnect,
        Context::Auth,
    ];

    /// One bit per context, for the allowed-in table.
    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// Sets of contexts for [`PropertyId::allowed_in`].
const fn contexts(mut list: &[Context]) -> u16 {
    let mut bits = 0;
    while let [first, rest @ ..] = list {
        bits |= first.bit();
        list = rest;
    }
    bits
}

const MESSAGE: u16 = contexts(&[Context::Publish, Context::Will]);
const EVERY: u16 = contexts(&Context::ALL);

impl PropertyId {
    /// The property with identifier `value`; `None` for one MQTT 5 does not define.
    // Out of line: inlined into `read_property` it became a 168-byte jump
    // table. A look at `ID_TABLE` and the value itself, not the 42-byte
    // lookup table the match below compiles to (only `ID_TABLE` evaluates
    // it, at compile time).
    #[inline(never)]
    pub const fn from_u8(value: u8) -> Option<PropertyId> {
        let index = value as usize;
        #[allow(clippy::indexing_slicing)] // `index` is checked first
        if index >= ID_TABLE.len() || ID_TABLE[index] == 0 {
            return None;
        }
        // SAFETY: `PropertyId` is `repr(u8)` and `value` is one of its
        // discriminants: `ID_TABLE` has a non-zero entry exactly where
        // `lookup` maps a byte to the variant of that discriminant.
        Some(unsafe { core::mem::transmute::<u8, PropertyId>(value) })
    }

    /// [`PropertyId::from_u8`] as a match: what `ID_TABLE` is built from.
    const fn lookup(value: u8) -> Option<PropertyId> {
        Some(match value {
            0x01 => PropertyId::PayloadFormatIndicator,
            0x02 => PropertyId::MessageExpiryInterval,
            0x03 => PropertyId::ContentType,
            0x08 => PropertyId::ResponseTopic,
            0x09 => PropertyId::CorrelationData,
            0x0B => PropertyId::SubscriptionIdentifier,
            0x11 => PropertyId::SessionExpiryInterval,
            0x12 => PropertyId::AssignedClientIdentifier,
            0x13 => PropertyId::ServerKeepAlive,
            0x15 => PropertyId::AuthenticationMethod,
            0x16 => PropertyId::AuthenticationData,
            0x17 => PropertyId::RequestProblemInformation,
            0x18 => PropertyId::WillDelayInterval,
            0x19 => PropertyId::RequestResponseInformation,
            0x1A => PropertyId::ResponseInformation,
            0x1C => PropertyId::ServerReference,
            0x1F => PropertyId::ReasonString,
            0x21 => PropertyId::ReceiveMaximum,
            0x22 => PropertyId::TopicAliasMaximum,
            0x23 => PropertyId::TopicAlias,
            0x24 => PropertyId::MaximumQoS,
            0x25 => PropertyId::RetainAvailable,
            0x26 => PropertyId::UserProperty,
            0x27 => PropertyId::MaximumPacketSize,
            0x28 => PropertyId::WildcardSubscriptionAvailable,
            0x29 => PropertyId::SubscriptionIdentifierAvailable,
            0x2A => PropertyId::SharedSubscriptionAvailable,
            _ => return None,
        })
    }

    /// How the value of this property is encoded (§2.2.2.2).
    // Out of line: each inlined copy brought its own lookup.
    #[inline(never)]
    pub const fn kind(self) -> PropertyKind {
        // From `ID_TABLE`, which also holds the contexts: one 86-byte
        // table, not two of 84 and 42 bytes.
        #[allow(clippy::indexing_slicing)] // every identifier is below 43
        match ID_TABLE[self as usize] >> KIND_SHIFT {
            0 => PropertyKind::Byte,
            1 => PropertyKind::TwoByteInt,
            2 => PropertyKind::FourByteInt,
            3 => PropertyKind::VarInt,
            4 => PropertyKind::Utf8String,
            5 => PropertyKind::BinaryData,
            _ => PropertyKind::Utf8Pair,
        }
    }

    /// [`PropertyId::kind`] as a match: what `ID_TABLE` is built from.
    const fn kind_of(self) -> PropertyKind {
        match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::RequestProblemInformation
            | PropertyId::RequestResponseInformation
            | PropertyId::MaximumQoS
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => PropertyKind::Byte,
            PropertyId::ServerKeepAlive
            | PropertyId::ReceiveMaximum
            | PropertyId::TopicAliasMaximum
            | PropertyId::TopicAlias => PropertyKind::TwoByteInt,
            PropertyId::MessageExpiryInterval
            | PropertyId::SessionExpiryInterval
            | PropertyId::WillDelayInterval
            | PropertyId::MaximumPacketSize => PropertyKind::FourByteInt,
            PropertyId::SubscriptionIdentifier => PropertyKind::VarInt,
            PropertyId::ContentType
            | PropertyId::ResponseTopic
            | PropertyId::AssignedClientIdentifier
            | PropertyId::AuthenticationMethod
            | PropertyId::ResponseInformation
            | PropertyId::ServerReference
            | PropertyId::ReasonString => PropertyKind::Utf8String,
            PropertyId::CorrelationData | PropertyId::AuthenticationData => {
                PropertyKind::BinaryData
            }
            PropertyId::UserProperty => PropertyKind::Utf8Pair,
        }
    }

    /// The contexts this property may appear in (the table of §2.2.2.2).
    const fn contexts(self) -> u16 {
        use Context::*;
        match self {
            PropertyId::PayloadFormatIndicator
            | PropertyId::MessageExpiryInterval
            | PropertyId::ContentType
            | PropertyId::ResponseTopic
            | PropertyId::CorrelationData => MESSAGE,
            PropertyId::SubscriptionIdentifier => contexts(&[Publish, Subscribe]),
            PropertyId::SessionExpiryInterval => contexts(&[Connect, ConnAck, Disconnect]),
            PropertyId::AssignedClientIdentifier
            | PropertyId::ServerKeepAlive
            | PropertyId::ResponseInformation
            | PropertyId::MaximumQoS
            | PropertyId::RetainAvailable
            | PropertyId::WildcardSubscriptionAvailable
            | PropertyId::SubscriptionIdentifierAvailable
            | PropertyId::SharedSubscriptionAvailable => contexts(&[ConnAck]),
            PropertyId::AuthenticationMethod | PropertyId::AuthenticationData => {
                contexts(&[Connect, ConnAck, Auth])
            }
            PropertyId::RequestProblemInformation | PropertyId::RequestResponseInformation => {
                contexts(&[Connect])
            }
            PropertyId::WillDelayInterval => contexts(&[Will]),
            PropertyId::ServerReference => contexts(&[ConnAck, Disconnect]),
            PropertyId::ReasonString => {
                contexts(&[ConnAck, PubAck, SubAck, UnsubAck, Disconnect, Auth])
            }
            PropertyId::ReceiveMaximum
            | PropertyId::TopicAliasMaximum
            | PropertyId::MaximumPacketSize => contexts(&[Connect, ConnAck]),
            PropertyId::TopicAlias => contexts(&[Publish]),
            PropertyId::UserProperty => EVERY,
        }
    }

    /// Whether a packet of this context may carry the property (§2.2.2.2).
    pub fn allowed_in(self, context: Context) -> bool {
        #[allow(clippy::indexing_slicing)] // every identifier is below 43
        let entry = ID_TABLE[self as usize];
        entry & context.bit() != 0
    }

    /// Whether the property may appear more than once in this context:
    /// User Property wherever it is allowed, Subscription Identifier in a
    /// PUBLISH (one per matching subscription, §3.3.2.3.8).
    pub fn repeatable_in(self, context: Context) -> bool {
        match self {
            PropertyId::UserProperty => self.allowed_in(context),
            PropertyId::SubscriptionIdentifier => context == Context::Publish,
            _ => false,
        }
    }

    /// The property's name as the specification writes it.
    pub fn name(self) -> &'static str {
        match self {
            PropertyId::PayloadFormatIndicator => "Payload Format Indicator",
            PropertyId::MessageExpiryInterval => "Message Expiry Interval",
            PropertyId::ContentType => "Content Type",
            PropertyId::ResponseTopic => "Response Topic",
            PropertyId::CorrelationData => "Correlation Data",
            PropertyId::SubscriptionIdentifier => "Subscription Identifier",
            PropertyId::SessionExpiryInterval => "Session Expiry Interval",
            PropertyId::AssignedClientIdentifier => "Assigned Client Identifier",
            PropertyId::ServerKeepAlive => "Server Keep Alive",
            PropertyId::AuthenticationMethod => "Authentication Method",
            PropertyId::AuthenticationData => "Authentication Data",
            PropertyId::RequestProblemInformation => "Request Problem Information",
            PropertyId::WillDelayInterval => "Will Delay Interval",
            PropertyId::RequestResponseInformation => "Request Response Information",
            PropertyId::ResponseInformation => "Response Information",
            PropertyId::ServerReference => "Server Reference",
            PropertyId::ReasonString => "Reason String",
            PropertyId::ReceiveMaximum => "Receive Maximum",
            PropertyId::TopicAliasMaximum => "Topic Alias Maximum",
            PropertyId::TopicAlias => "Topic Alias",
            PropertyId::MaximumQoS => "Maximum QoS",
            PropertyId::RetainAvailable => "Retain Available",
            PropertyId::UserProperty => "User Property",
            PropertyId::MaximumPacketSize => "Maximum Packet Size",
            PropertyId::WildcardSubscriptionAvailable => "Wildcard Subscription Available",
            PropertyId::SubscriptionIdentifierAvailable => "Subscription Identifier Available",
            PropertyId::SharedSubscriptionAvailable => "Shared Subscription Available",
        }
    }
}

/// A property's value, borrowing strings and binary data from the block.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PropertyValue<'a> {
    /// [`PropertyKind::Byte`].
    Byte(u8),
    /// [`PropertyKind::TwoByteInt`].
    TwoByteInt(u16),
    /// [`PropertyKind::FourByteInt`].
    FourByteInt(u32),
    /// [`PropertyKind::VarInt`]: at most 268_435_455.
    VarInt(u32),
    /// [`PropertyKind::Utf8String`].
    Utf8String(&'a str),
    /// [`PropertyKind::BinaryData`].
    BinaryData(&'a [u8]),
    /// [`PropertyKind::Utf8Pair`]: name, value.
    Utf8Pair(&'a str, &'a str),
}

impl<'a> PropertyValue<'a> {
    /// The kind this value is.
    pub const fn kind(&self) -> PropertyKind {
        match self {
            PropertyValue::Byte(_) => PropertyKind::Byte,
            PropertyValue::TwoByteInt(_) => PropertyKind::TwoByteInt,
            PropertyValue::FourByteInt(_) => PropertyKind::FourByteInt,
            PropertyValue::VarInt(_) => PropertyKind::VarInt,
            PropertyValue::Utf8String(_) => PropertyKind::Utf8String,
            PropertyValue::BinaryData(_) => PropertyKind::BinaryData,
            PropertyValue::Utf8Pair(_, _) => PropertyKind::Utf8Pair,
        }
    }

    /// The value as the C glue sees it: its kind, the integer (0 for the
    /// others), the string or binary data (a pair's name), a pair's value.
    /// One match for the writer, the range check and the FFI.
    pub fn parts(&self) -> (PropertyKind, u32, &'a [u8], &'a [u8]) {
        match *self {
            PropertyValue::Byte(n) => (PropertyKind::Byte, u32::from(n), &[], &[]),
            PropertyValue::TwoByteInt(n) => (PropertyKind::TwoByteInt, u32::from(n), &[], &[]),
            PropertyValue::FourByteInt(n) => (PropertyKind::FourByteInt, n, &[], &[]),
            PropertyValue::VarInt(n) => (PropertyKind::VarInt, n, &[], &[]),
            PropertyValue::Utf8String(text) => (PropertyKind::Utf8String, 0, text.as_bytes(), &[]),
            PropertyValue::BinaryData(bytes) => (PropertyKind::BinaryData, 0, bytes, &[]),
            PropertyValue::Utf8Pair(name, value) => {
                (PropertyKind::Utf8Pair, 0, name.as_bytes(), value.as_bytes())
            }
        }
    }
}

/// One property: identifier and value.
// In declared order (repr(C)): rustc's own layout cost read_property,
// Properties::parse and their callers 16 B of rv32imc code in moves.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[repr(C)]
pub struct Property<'a> {
    /// Which property.
    pub id: PropertyId,
    /// Its value; its kind must be `id.kind()`.
    pub value: PropertyValue<'a>,
}

impl Property<'_> {
    /// Bytes the property takes in a block: identifier and value. Saturates
    /// for values [`PropertyWriter::push`] refuses anyway.
    pub fn encoded_len(&self) -> usize {
        let value_len = match self.value {
            PropertyValue::Byte(_) => 1,
            PropertyValue::TwoByteInt(_) => 2,
            PropertyValue::FourByteInt(_) => 4,
            PropertyValue::VarInt(value) => usize::try_from(value)
                .map(varint::encoded_len)
                .unwrap_or(varint::MAX_LEN),
            PropertyValue::Utf8String(text) => text.len().saturating_add(2),
            PropertyValue::BinaryData(bytes) => bytes.len().saturating_add(2),
            PropertyValue::Utf8Pair(name, value) => {
                name.len().saturating_add(value.len()).saturating_add(4)
            }
        };
        value_len.saturating_add(1)
    }
}

/// Whether `value` is within the range the spec gives property `id`
/// (its kind is checked separately): every one-byte property (the flags,
/// Payload Format Indicator, Maximum QoS) 0 or 1; Receive Maximum, Topic
/// Alias, Maximum Packet Size and Subscription Identifier not 0 (the
/// reader keeps a variable byte integer within 268_435_455); a Response
/// Topic a Topic Name, without wildcards (§3.3.2.3.5).
fn value_in_range(id: PropertyId, value: &PropertyValue<'_>) -> bool {
    let nonzero = matches!(
        id,
        PropertyId::ReceiveMaximum
            | PropertyId::TopicAlias
            | PropertyId::MaximumPacketSize
            | PropertyId::SubscriptionIdentifier
    );
    // On the value itself, not its `parts` (a jump table more).
    match *value {
        PropertyValue::Byte(number) => number <= 1,
        PropertyValue::TwoByteInt(number) => !nonzero || number != 0,
        PropertyValue::FourByteInt(number) | PropertyValue::VarInt(number) => {
            !nonzero || number != 0
        }
        PropertyValue::Utf8String(text) => {
            id != PropertyId::ResponseTopic || TopicName::new(text.as_bytes()).is_ok()
        }
        PropertyValue::BinaryData(_) | PropertyValue::Utf8Pair(..) => true,
    }
}

/// Reads one property. Errors as the readers report them: [`Properties::parse`]
/// turns all but bad UTF-8 into [`DecodeError::InvalidProperty`].
fn read_property<'a>(reader: &mut Reader<'a>) -> Result<Property<'a>, DecodeError> {
    let id = PropertyId::from_u8(reader.u8()?).ok_or(DecodeError::InvalidProperty)?;
    let kind = id.kind();
    // Tests, not a `match` (its jump table cost 28 B of rv32imc rodata).
    let value = if kind as u8 <= PropertyKind::FourByteInt as u8 {
        // The fixed-size integers, big-endian (§1.5.1, §1.5.2, §1.5.3),
        // through one loop: 1, 2 or 4 bytes (the kinds' order, asserted at
        // the enum).
        let width = 1 << kind as usize;
        let value = reader
            .take(width)?
            .iter()
            .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
        match kind {
            PropertyKind::Byte => PropertyValue::Byte(value as u8),
            PropertyKind::TwoByteInt => PropertyValue::TwoByteInt(value as u16),
            _ => PropertyValue::FourByteInt(value),
        }
    } else if kind == PropertyKind::VarInt {
        PropertyValue::VarInt(read_varint(reader)?)
    } else if kind == PropertyKind::BinaryData {
        PropertyValue::BinaryData(reader.field()?)
    } else {
        // A string, or the first string of a pair (§1.5.7).
        let text = read_str(reader)?;
        if kind == PropertyKind::Utf8Pair {
            PropertyValue::Utf8Pair(text, read_str(reader)?)
        } else {
            PropertyValue::Utf8String(text)
        }
    };
    Ok(Property { id, value })
}

/// A validated property block: the bytes after the property length.
///
/// Equality compares the bytes, so two blocks with the same properties in
/// another order differ.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Properties<'a> {
    bytes: &'a [u8],
}

impl<'a> Properties<'a> {
    /// No properties.
    pub const EMPTY: Properties<'static> = Properties { bytes: &[] };

    /// Validates `block` (the bytes after the property length) for a packet
    /// of context `context`: every identifier is known and allowed in
    /// `context`; every value lies inside the block, is well formed (UTF-8
    /// valid and without U+0000, minimal variable byte integers) and within
    /// its range (the boolean bytes 0 or 1; Receive Maximum, Maximum Packet
    /// Size and Topic Alias not 0; Subscription Identifier 1..=268_435_455;
    /// Response Topic a topic name); and no property repeats unless
    /// [`PropertyId::repeatable_in`] `context`.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn parse(
        block: &'a [u8],
        context: Context,
    ) -> Result<Properties<'a>, DecodeError> {
        if block.len() > varint::MAX_VALUE {
            return Err(DecodeError::InvalidProperty);
        }
        let mut reader = Reader::new(block);
        // Bit n: property id n seen (ids are below 64).
        let mut seen = 0u64;
        while !reader.is_empty() {
            // Any shortfall or bad integer inside the block is an invalid
            // property; bad UTF-8 keeps its own error.
            let property = read_property(&mut reader).map_err(|error| match error {
                DecodeError::InvalidUtf8 => DecodeError::InvalidUtf8,
                _ => DecodeError::InvalidProperty,
            })?;
            let id = property.id;
            if !id.allowed_in(context) {
                return Err(DecodeError::PropertyNotAllowed);
            }
            if !value_in_range(id, &property.value) {
                return Err(DecodeError::InvalidProperty);
            }
            let bit = 1u64 << (id as u8);
            if seen & bit != 0 && !id.repeatable_in(context) {
                return Err(DecodeError::DuplicateProperty);
            }
            seen |= bit;
        }
        Ok(Properties { bytes: block })
    }

    /// Wraps a block without validating it, for reading one that was
    /// validated before (e.g. handed back across an FFI boundary).
    /// [`Properties::iter`] stops at the first malformed property and never
    /// panics; the `v5::encode_*` functions given such a block validate it
    /// again and refuse it if it is not valid for that packet (the client
    /// engine's [`Outgoing`] only carries blocks it parsed itself).
    ///
    /// [`Outgoing`]: crate::client::Outgoing
    pub const fn trusted(block: &'a [u8]) -> Properties<'a> {
        Properties { bytes: block }
    }

    /// The block, without its length prefix.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// True when there is no property.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The properties in wire order.
    pub fn iter(&self) -> PropertyIter<'a> {
        PropertyIter {
            reader: Reader::new(self.bytes),
        }
    }

    /// The value of the first property `id`, if any.
    // Out of line: the limits and the prepare_* checks each look up a few.
    #[inline(never)]
    pub fn get(&self, id: PropertyId) -> Option<PropertyValue<'a>> {
        self.iter()
            .find(|property| property.id == id)
            .map(|property| property.value)
    }

    /// Bytes the block takes in a packet: the property length and the block.
    pub fn encoded_len(&self) -> usize {
        varint::encoded_len(self.bytes.len()).saturating_add(self.bytes.len())
    }
}

impl<'a> IntoIterator for Properties<'a> {
    type Item = Property<'a>;
    type IntoIter = PropertyIter<'a>;

    fn into_iter(self) -> PropertyIter<'a> {
        self.iter()
    }
}

/// Iterator over the properties of a block, in wire order.
#[derive(Clone)]
pub struct PropertyIter<'a> {
    reader: Reader<'a>,
}

impl PropertyIter<'_> {
    /// Bytes of the block not read yet: after [`Iterator::next`] returned a
    /// property, where the next one starts counted from the end.
    pub fn remaining(&self) -> usize {
        self.reader.len()
    }
}

impl<'a> Iterator for PropertyIter<'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        if self.reader.is_empty() {
            return None;
        }
        match read_property(&mut self.reader) {
            Ok(property) => Some(property),
            Err(_) => {
                // Only a block that was not validated gets here: stop.
                self.reader.rest();
                None
            }
        }
    }
}

impl core::iter::FusedIterator for PropertyIter<'_> {}

/// Why [`PropertyWriter`] refused a property.
#[cfg(feature = "mqtt5")]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum PropertyError {
    /// The packet cannot carry this property.
    NotAllowed,
    /// The property is already in the block and may appear only once.
    Duplicate,
    /// The value is not of the property's kind, out of its range, or a
    /// string with U+0000; or the block given to
    /// [`PropertyWriter::resume`] is not valid.
    InvalidValue,
    /// The buffer has no room for the property.
    BufferTooSmall,
    /// A string or binary value is longer than 65535 bytes, or the block
    /// would exceed 268_435_455 bytes.
    FieldTooLong,
}

#[cfg(feature = "mqtt5")]
impl fmt::Display for PropertyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PropertyError::NotAllowed => "property not allowed in this packet",
            PropertyError::Duplicate => "property already present",
            PropertyError::InvalidValue => "invalid property value",
            PropertyError::BufferTooSmall => "buffer too small for property",
            PropertyError::FieldTooLong => "property value too long",
        })
    }
}

/// Builds a property block into a caller buffer, enforcing the same rules
/// as [`Properties::parse`], so [`PropertyWriter::finish`] always yields a
/// block that parses in its context.
// repr(C), the length first: rustc's own order cost the writers 14 B of
// rv32imc code.
#[cfg(feature = "mqtt5")]
#[repr(C)]
pub struct PropertyWriter<'b> {
    len: usize,
    buf: &'b mut [u8],
    context: Context,
}

#[cfg(feature = "mqtt5")]
impl<'b> PropertyWriter<'b> {
    /// An empty block for a packet of context `context`, built in `buf`.
    pub fn new(buf: &'b mut [u8], context: Context) -> Self {
        PropertyWriter {
            buf,
            len: 0,
            context,
        }
    }

    /// Continues a block already in `buf[..len]`, which is validated again:
    /// lets a caller add one property per call across FFI calls.
    pub fn resume(buf: &'b mut [u8], len: usize, context: Context) -> Result<Self, PropertyError> {
        let block = buf.get(..len).ok_or(PropertyError::BufferTooSmall)?;
        check_block(block, context)?;
        Ok(PropertyWriter { buf, len, context })
    }

    /// The block so far.
    pub fn properties(&self) -> Properties<'_> {
        Properties {
            bytes: self.buf.get(..self.len).unwrap_or_default(),
        }
    }

    /// Appends `property`. It must be of its identifier's kind, allowed in
    /// the context, in range, not already present unless repeatable, and fit
    /// the buffer; otherwise nothing is written.
    pub fn push(&mut self, property: Property<'_>) -> Result<(), PropertyError> {
        let (kind, number, a, b) = property.value.parts();
        if kind != property.id.kind() {
            return Err(PropertyError::InvalidValue);
        }
        self.append(property.id as u8, number, a, b)
    }

    /// Appends the property with identifier `id` and the value in parts
    /// (see [`PropertyValue::parts`]: `number` for the integer kinds, `a`
    /// for strings and binary data, `a` and `b` for a pair; the rest is
    /// ignored), under the rules of [`PropertyWriter::push`]: an unknown
    /// `id`, a `number` too large for the kind or bytes that are not UTF-8
    /// where a string is due are [`PropertyError::InvalidValue`].
    ///
    /// The property is encoded after the block, then the block with it is
    /// parsed: [`Properties::parse`] is the one place the rules live. The
    /// length only grows once it passed.
    pub fn append(&mut self, id: u8, number: u32, a: &[u8], b: &[u8]) -> Result<(), PropertyError> {
        let id = PropertyId::from_u8(id).ok_or(PropertyError::InvalidValue)?;
        // Before the room: a property the packet cannot carry says so
        // whatever the buffer.
        if !id.allowed_in(self.context) {
            return Err(PropertyError::NotAllowed);
        }
        let mut out = Writer {
            buf: self
                .buf
                .get_mut(self.len..)
                .ok_or(PropertyError::BufferTooSmall)?,
            position: 0,
        };
        // Unchecked writes, checked once by `done` (the codec Writer's rule).
        out.write_u8(id as u8);
        match id.kind() {
            // One arm for the three widths: the low `width` bytes of
            // `number`, big-endian; above them it must be 0.
            kind @ (PropertyKind::Byte | PropertyKind::TwoByteInt | PropertyKind::FourByteInt) => {
                // 1, 2 or 4 bytes, as `read_property` takes them (the
                // kinds' order, asserted at the enum).
                let width = 1u32 << kind as u32;
                // A shift by 32 is `None`: four bytes take any number.
                if number.checked_shr(8 * width).unwrap_or(0) != 0 {
                    return Err(PropertyError::InvalidValue);
                }
                let bytes = number.to_be_bytes();
                out.write(bytes.get(4 - width as usize..).unwrap_or_default());
            }
            PropertyKind::VarInt => {
                let number = usize::try_from(number).unwrap_or(usize::MAX);
                if number > varint::MAX_VALUE {
                    return Err(PropertyError::InvalidValue);
                }
                out.write_varint(number)
            }
            PropertyKind::Utf8String | PropertyKind::BinaryData => out.write_field(a),
            PropertyKind::Utf8Pair => {
                out.write_field(a);
                out.write_field(b);
            }
        }
        let written = out.done().map_err(writer_error)?;
        let end = self.len.saturating_add(written);
        if end > varint::MAX_VALUE {
            return Err(PropertyError::FieldTooLong);
        }
        check_block(self.buf.get(..end).unwrap_or_default(), self.context)?;
        self.len = end;
        Ok(())
    }

    /// [`PropertyWriter::resume`] then [`PropertyWriter::append`] in one
    /// validation: the block in `buf[..len]` is parsed with the property
    /// added (it has to be valid anyway), not apart first. The new length.
    /// For the C glue, which adds one property per call.
    pub fn append_to(
        buf: &'b mut [u8],
        len: usize,
        context: Context,
        id: u8,
        number: u32,
        a: &[u8],
        b: &[u8],
    ) -> Result<usize, PropertyError> {
        let mut writer = PropertyWriter { len, buf, context };
        writer.append(id, number, a, b)?;
        Ok(writer.len)
    }

    /// Length of the block so far (without the property length prefix).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no property was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The block, borrowing the buffer.
    pub fn finish(self) -> Properties<'b> {
        let buf: &'b [u8] = self.buf;
        Properties {
            bytes: buf.get(..self.len).unwrap_or_default(),
        }
    }
}

/// [`Properties::parse`] for the writer: its refusals as [`PropertyError`].
#[cfg(feature = "mqtt5")]
fn check_block(block: &[u8], context: Context) -> Result<(), PropertyError> {
    match Properties::parse(block, context) {
        Ok(_) => Ok(()),
        Err(DecodeError::PropertyNotAllowed) => Err(PropertyError::NotAllowed),
        Err(DecodeError::DuplicateProperty) => Err(PropertyError::Duplicate),
        Err(_) => Err(PropertyError::InvalidValue),
    }
}

/// The writer's [`Writer`] refusals: out of room, or a field over 65535 bytes.
#[cfg(feature = "mqtt5")]
fn writer_error(error: EncodeError) -> PropertyError {
    match error {
        EncodeError::FieldTooLong => PropertyError::FieldTooLong,
        _ => PropertyError::BufferTooSmall,
    }
}

/// What a v5 packet carries beyond its 3.1.1 model.
// In this order (repr(C)), the properties and reason code first: rustc's
// own layout cost the MQTT 5 decoders and their caller 22 B of rv32imc
// code in moves.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct Extra<'a> {
    /// The packet's properties, validated for its [`Context`].
    pub properties: Properties<'a>,
    /// CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, DISCONNECT, AUTH: the
    /// reason code (0 when the short form omits it). CONNACK's is also in
    /// [`super::ConnAck::return_code`].
    pub reason: ReasonCode,
    /// UNSUBACK: one reason code per filter (SUBACK's are in
    /// [`super::SubAck::return_codes`]).
    pub reason_codes: &'a [u8],
    /// PUBLISH: the Topic Alias property, if any (§3.3.2.3.4).
    pub topic_alias: Option<u16>,
}

#[cfg(feature = "mqtt5")]
impl<'a> Extra<'a> {
    /// Only properties.
    pub(crate) fn with_properties(properties: Properties<'a>) -> Extra<'a> {
        Extra {
            properties,
            ..Extra::default()
        }
    }

    /// A reason code and properties.
    pub(crate) fn with_reason(reason: ReasonCode, properties: Properties<'a>) -> Extra<'a> {
        Extra {
            reason,
            ..Extra::with_properties(properties)
        }
    }
}

/// A variable byte integer inside a body (§1.5.5): at most four bytes and
/// the shortest encoding of its value, else [`DecodeError::MalformedLength`].
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn read_varint(reader: &mut Reader<'_>) -> Result<u32, DecodeError> {
    let mut value = 0u32;
    for index in 0..varint::MAX_LEN {
        let byte = reader.u8()?;
        value |= u32::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            // A last byte of 0 after others adds nothing: not minimal.
            if byte == 0 && index > 0 {
                return Err(DecodeError::MalformedLength);
            }
            return Ok(value);
        }
    }
    Err(DecodeError::MalformedLength)
}

/// A UTF-8 string as MQTT 5 allows it: valid UTF-8 without U+0000 (§1.5.4).
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn read_str<'a>(reader: &mut Reader<'a>) -> Result<&'a str, DecodeError> {
    let text = reader.str()?;
    if has_nul(text) {
        return Err(DecodeError::InvalidUtf8);
    }
    Ok(text)
}

/// Whether `text` holds U+0000. A byte loop: `contains('\0')` brings core's
/// word-at-a-time memchr, 172 B on rv32imc for strings of a few dozen bytes.
#[allow(clippy::manual_contains)]
fn has_nul(text: &str) -> bool {
    text.as_bytes().iter().any(|&b| b == 0)
}

/// A property length and the block it announces, validated for `context`.
#[cfg(feature = "mqtt5")]
// `extern "C"` (called from Rust only): its two-word result comes back in
// two registers on rv32, not through a stack slot (Rust ABI).
#[allow(improper_ctypes_definitions)]
pub(crate) extern "C" fn read_properties<'a>(
    reader: &mut Reader<'a>,
    context: Context,
) -> Result<Properties<'a>, DecodeError> {
    let len = read_varint(reader)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::MalformedLength)?;
    Properties::parse(reader.take(len)?, context)
}

/// Refuses a block that is not valid for `context` (it may come from
/// [`Properties::trusted`], or have been built for another packet).
#[cfg(feature = "mqtt5")]
pub(crate) fn check_properties(
    properties: Properties<'_>,
    context: Context,
) -> Result<(), EncodeError> {
    Properties::parse(properties.as_bytes(), context)
        .map(|_| ())
        .map_err(|_| EncodeError::InvalidProperties)
}

/// Writes the property length and the block.
#[cfg_attr(not(feature = "mqtt5"), allow(dead_code))]
pub(crate) fn put_properties(
    writer: &mut Writer<'_>,
    properties: Properties<'_>,
) -> Result<(), EncodeError> {
    let block = properties.as_bytes();
    let (bytes, used) = varint::encode(block.len()).map_err(|_| EncodeError::PacketTooLarge)?;
    writer.put_bytes(bytes.get(..used).unwrap_or_default())?;
    writer.put_bytes(block)
}

#[cfg(test)]
mod tests;
