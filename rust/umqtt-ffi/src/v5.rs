//! MQTT 5 at the C ABI: property blocks, built and read one property per
//! call so that the C glue can convert Python dicts without knowing the
//! wire format, and the texts of the engine's MQTT 5 refusals.
//!
//! A property block is the encoded list of properties of one packet
//! (MQTT 5 §2.2.2), without its length prefix. The C glue builds it in a
//! buffer it owns with [`umqtt_props_put`] (which enforces every rule: the
//! id is known, allowed in that packet, of the right type and range, not
//! repeated unless the spec allows it) and passes it to the operation; the
//! engine validates it again. Received blocks (in `umqtt_event`, or the
//! CONNACK's) are read with [`umqtt_props_next`].

use umqtt_core::codec::v5::{
    Context, Properties, PropertyError, PropertyId, PropertyKind, PropertyWriter,
};
use umqtt_core::limits::LimitError;

use crate::Error;
use crate::{result_status, umqtt_bytes, umqtt_status, write_ptr, Result};

/// The packet a property block is for.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum umqtt_props_context {
    /// CONNECT.
    Connect,
    /// The will (CONNECT's will properties).
    Will,
    /// PUBLISH.
    Publish,
    /// SUBSCRIBE.
    Subscribe,
    /// UNSUBSCRIBE.
    Unsubscribe,
    /// DISCONNECT.
    Disconnect,
}

impl umqtt_props_context {
    pub(crate) fn context(self) -> Context {
        match self {
            umqtt_props_context::Connect => Context::Connect,
            umqtt_props_context::Will => Context::Will,
            umqtt_props_context::Publish => Context::Publish,
            umqtt_props_context::Subscribe => Context::Subscribe,
            umqtt_props_context::Unsubscribe => Context::Unsubscribe,
            umqtt_props_context::Disconnect => Context::Disconnect,
        }
    }
}

/// How a property's value is represented (MQTT 5 §2.2.2.2).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum umqtt_property_kind {
    /// Not a property id.
    Unknown,
    /// A byte, in `number`.
    Byte,
    /// A two-byte integer, in `number`.
    TwoByteInt,
    /// A four-byte integer, in `number`.
    FourByteInt,
    /// A variable byte integer, in `number`.
    VarInt,
    /// A UTF-8 string, in `a`.
    Utf8String,
    /// Binary data, in `a`.
    BinaryData,
    /// A UTF-8 string pair (user property): name in `a`, value in `b`.
    Utf8Pair,
}

/// One property: its id, and its value in the field its kind names.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct umqtt_property {
    /// The property identifier (0x01 ... 0x2A).
    pub id: u8,
    /// How the value is held.
    pub kind: umqtt_property_kind,
    /// Integer values.
    pub number: u32,
    /// String or binary value; a user property's name.
    pub a: umqtt_bytes,
    /// A user property's value.
    pub b: umqtt_bytes,
}

fn kind_of(id: PropertyId) -> umqtt_property_kind {
    kind_of_value(id.kind())
}

fn kind_of_value(kind: PropertyKind) -> umqtt_property_kind {
    match kind {
        PropertyKind::Byte => umqtt_property_kind::Byte,
        PropertyKind::TwoByteInt => umqtt_property_kind::TwoByteInt,
        PropertyKind::FourByteInt => umqtt_property_kind::FourByteInt,
        PropertyKind::VarInt => umqtt_property_kind::VarInt,
        PropertyKind::Utf8String => umqtt_property_kind::Utf8String,
        PropertyKind::BinaryData => umqtt_property_kind::BinaryData,
        PropertyKind::Utf8Pair => umqtt_property_kind::Utf8Pair,
    }
}

/// The kind of value property `id` holds; `Unknown` for an id MQTT 5 does
/// not define.
#[no_mangle]
pub extern "C" fn umqtt_property_kind_of(id: u8) -> umqtt_property_kind {
    PropertyId::from_u8(id).map_or(umqtt_property_kind::Unknown, kind_of)
}

/// Appends `property` to the block in `buf[..*len]` (capacity `cap`) for
/// a packet of type `context`; `*len` grows by what was written. Nothing
/// is written on failure: `InvalidProperty` (unknown id, not allowed in
/// this packet, repeated, value out of range or not UTF-8) or
/// `BufferTooSmall`.
///
/// # Safety
/// `buf` writable for `cap` bytes, `len` writable, `property` and its byte
/// strings valid for the call.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_put(
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    context: umqtt_props_context,
    property: *const umqtt_property,
) -> umqtt_status {
    // SAFETY: per the contract.
    result_status(unsafe { props_put(buf, cap, len, context, property) })
}

unsafe fn props_put(
    buf: *mut u8,
    cap: usize,
    len: *mut usize,
    context: umqtt_props_context,
    property: *const umqtt_property,
) -> Result<()> {
    if buf.is_null() {
        return Err(Error::InvalidArgument);
    }
    // SAFETY: per the contract.
    let (property, used) = unsafe {
        (
            property.as_ref().ok_or(Error::InvalidArgument)?,
            *len.as_ref().ok_or(Error::InvalidArgument)?,
        )
    };
    // SAFETY: per the contract.
    let (a, b) = unsafe { (property.a.as_slice(), property.b.as_slice()) };
    // SAFETY: buf is writable for cap bytes.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf, cap) };
    // The writer checks the kind's range of `number`, the UTF-8 of
    // strings, and the block before it with it.
    let grown = PropertyWriter::append_to(
        buf,
        used,
        context.context(),
        property.id,
        property.number,
        a,
        b,
    )
    .map_err(property_status)?;
    write_ptr(len, grown);
    Ok(())
}

fn property_status(err: PropertyError) -> Error {
    match err {
        PropertyError::BufferTooSmall => Error::BufferTooSmall,
        _ => Error::InvalidProperty,
    }
}

/// Reads the property at `*offset` of a received (already validated)
/// block into `*out` and advances `*offset`; false at the end.
///
/// # Safety
/// `block` valid for the call (and `out`'s byte strings point into it);
/// `offset` and `out` writable.
#[no_mangle]
pub unsafe extern "C" fn umqtt_props_next(
    block: umqtt_bytes,
    offset: *mut usize,
    out: *mut umqtt_property,
) -> bool {
    // SAFETY: per the contract.
    let (bytes, Some(start)) = (unsafe { block.as_slice() }, unsafe { offset.as_ref() }) else {
        return false;
    };
    let Some(rest) = bytes.get(*start..) else {
        return false;
    };
    // The block was validated where it was received; `Properties` reads
    // it without panicking either way. Any context parses one property.
    let mut iter = Properties::trusted(rest).iter();
    let Some(property) = iter.next() else {
        return false;
    };
    let consumed = rest.len() - iter.remaining();
    // The value's kind is its id's (the block is read by the ids' kinds):
    // no second lookup by id.
    let (kind, number, a, b) = property.value.parts();
    let p = umqtt_property {
        id: property.id as u8,
        kind: kind_of_value(kind),
        number,
        a: umqtt_bytes::of(a),
        b: umqtt_bytes::of(b),
    };
    write_ptr(out, p);
    write_ptr(offset, start.saturating_add(consumed));
    true
}

/// The `detail` code of a limit refusal, for `umqtt_text`
/// (`UMQTT_TEXT_LIMIT` plus it).
pub(crate) fn limit_code(err: LimitError) -> u8 {
    match err {
        LimitError::QosNotSupported => 1,
        LimitError::RetainNotSupported => 2,
        LimitError::PacketTooLarge => 3,
        LimitError::ReceiveMaximum => 4,
        LimitError::TopicAliasInvalid => 5,
        LimitError::WildcardNotSupported => 6,
        LimitError::SharedNotSupported => 7,
        LimitError::SubscriptionIdsNotSupported => 8,
        _ => 0,
    }
}
