//! Sans-I/O MQTT 3.1 / 3.1.1 / 5.0 client core for umqtt-rs.
//!
//! MQTT 3.1 and 5.0 are the default features `mqtt31` and `mqtt5`; without
//! both the core speaks MQTT 3.1.1 only.
//!
//! This crate does no networking, reads no clock and never allocates: the
//! caller (the FFI crate driving MicroPython sockets) owns every buffer, reads
//! and writes the bytes, and passes the current time in. That keeps the
//! protocol logic deterministic and testable with a virtual clock, in the
//! style of `quinn-proto` and `minimq`.
//!
//! Layers, bottom up:
//! - [`varint`]: the MQTT variable byte integer (remaining length).
//! - [`framing`]: [`FrameReader`] cuts a byte stream into packets without
//!   ever reading past the end of one.
//! - [`codec`]: zero-copy encode/decode of every MQTT 3.1.1 control packet.
//!   [`codec::v5`] does the same for MQTT 5.0: reason codes, validated
//!   property blocks ([`codec::v5::Properties`], built with
//!   [`codec::v5::PropertyWriter`]), AUTH, and topic aliases; it decodes
//!   into the same [`Packet`] plus a [`codec::v5::Extra`].
//! - [`topic`]: validated [`TopicName`] / [`TopicFilter`] and matching, and
//!   MQTT 5 shared subscriptions ([`TopicFilter::shared`]).
//! - [`time`]: [`Instant`] on a wrapping millisecond clock.
//! - [`session`]: the client state machine (packet ids, in-flight tables,
//!   keep-alive), fed with decoded packets and polled for output.
//! - [`client`]: the whole client engine over the session: link state,
//!   framing, outgoing packets checked and tracked, incoming frames
//!   decoded and handled, MQTT 5 limits and aliases, the transmit queue,
//!   and the re-entrancy rules for callbacks.
//! - [`deliveries`]: messages reported to the application whose ack is not
//!   sent yet, and the re-entrancy rule that keeps each ack exactly once.
//! - [`limits`]: MQTT 5 rules around the session: the broker's CONNACK
//!   limits ([`limits::BrokerLimits`]) and inbound topic aliases
//!   ([`limits::TopicAliases`], in caller-owned storage).
//!
//! Cargo features, both default: `mqtt5` (MQTT 5.0: [`codec::v5`], the
//! engine's MQTT 5 parts) and `qos2` (the QoS 2 flows: [`session::QOS2`]);
//! `server` adds the decoders of what only a client sends.
//!
//! Nothing reachable from network bytes panics: indexing, `unwrap` and
//! friends are denied by clippy outside tests.
#![no_std]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
#![warn(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod client;
pub mod codec;
pub mod deliveries;
pub mod framing;
#[cfg(feature = "mqtt5")]
pub mod limits;
pub mod session;
pub mod tables;
pub mod time;
pub mod topic;
mod types;
pub mod varint;

pub use codec::{decode, DecodeError, EncodeError, Packet};
pub use framing::{Frame, FrameError, FrameReader};
pub use session::{Awaiting, Event, ProtocolError, Session, SessionError, Transmit};
pub use tables::{Inline, Row, Tables};
pub use time::{Duration, Instant};
pub use topic::{matches, TopicError, TopicFilter, TopicName};
pub use types::{PacketType, Pid, ProtocolVersion, QoS, QosPid};
