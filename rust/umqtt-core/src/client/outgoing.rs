//! Outgoing packets: each `prepare_*` checks an operation with the codec's
//! own rules and the broker's limits and returns the packet, without
//! changing anything; `track_*` then puts its packet id in flight, once the
//! driver knows the bytes fit. A send that fails is undone with
//! [`Tracking::undo`].

use crate::codec::properties::{Context, Properties, PropertyId};
#[cfg(feature = "mqtt5")]
use crate::codec::v5::{self, PropertyValue, ReasonCode};
#[cfg(feature = "mqtt5")]
use crate::codec::SubscriptionOptions;
use crate::codec::{field_len, packet_len, put_all, Writer};
use crate::codec::{Connect, EncodeError, Publish};
#[cfg(feature = "mqtt5")]
use crate::limits::{BrokerLimits, TopicAliases};
use crate::session::Transmit;
use crate::tables::Tables;
use crate::time::Instant;
use crate::topic::{TopicFilter, TopicName};
use crate::types::{PacketType, Pid, ProtocolVersion, QoS, QosPid};

use super::{Client, ClientError, Link};

/// A packet to send, in the form the connection speaks: only what a
/// client sends, each encoded straight (no detour through [`Packet`], whose
/// encoder also carries the server's packets and filter lists). Its MQTT 5
/// property blocks, reason codes and subscription options are encoded as
/// the `prepare_*` that made it checked them, not parsed again.
///
/// [`Packet`]: crate::Packet
// A word-sized tag, then each variant's fields in their declared order: the
// CONNECT sits at the same offset in `Connect` and `Connect5`, so the two
// ways `prepare_connect` builds it (and the encoders that read it) share
// one layout instead of shuffling fields between two that rustc chose.
#[derive(Clone, Copy, Debug)]
#[repr(u32)]
pub enum Outgoing<'a> {
    /// CONNECT in its MQTT 3.1 / 3.1.1 form.
    Connect(Connect<'a>),
    /// MQTT 5 CONNECT with its properties and the will's.
    #[cfg(feature = "mqtt5")]
    Connect5(Connect<'a>, Properties<'a>, Properties<'a>),
    /// PUBLISH (MQTT 5: with its properties).
    Publish(PublishPacket<'a>),
    /// SUBSCRIBE of one filter with its options byte as sent (the QoS on
    /// MQTT 3; MQTT 5 adds No Local, Retain As Published and Retain
    /// Handling, [`SubscriptionOptions::to_byte`]); MQTT 5 when it has
    /// properties (refused by `encode` without feature `mqtt5`).
    Subscribe(Pid, TopicFilter<'a>, u8, Option<Properties<'a>>),
    /// UNSUBSCRIBE of one filter; MQTT 5 when it has properties.
    Unsubscribe(Pid, TopicFilter<'a>, Option<Properties<'a>>),
    /// PUBACK, PUBREC, PUBREL or PUBCOMP the session owes (the same bytes
    /// in every version).
    Ack(Transmit),
    /// PINGREQ (the same bytes in every version).
    PingReq,
    /// DISCONNECT in its MQTT 3.1 / 3.1.1 form.
    Disconnect,
    /// MQTT 5 DISCONNECT with a reason code and properties.
    #[cfg(feature = "mqtt5")]
    Disconnect5(ReasonCode, Properties<'a>),
}

impl<'a> Outgoing<'a> {
    /// The exact number of bytes [`Outgoing::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        match self {
            Outgoing::Connect(connect) => connect.encoded_len(),
            #[cfg(feature = "mqtt5")]
            Outgoing::Connect5(connect, props, will) => v5::connect_len(connect, *props, *will),
            Outgoing::Publish(p) => p.publish.encoded_len_with(p.properties),
            #[cfg(feature = "mqtt5")]
            Outgoing::Subscribe(pid, filter, _, Some(props)) => {
                // The options do not change the length.
                let options = SubscriptionOptions::new(QoS::AtMostOnce);
                v5::subscribe_len(*pid, &[(*filter, options)], *props)
            }
            Outgoing::Subscribe(_, filter, ..) => packet_len(one_filter_len(filter, 1)),
            #[cfg(feature = "mqtt5")]
            Outgoing::Unsubscribe(pid, filter, Some(props)) => {
                v5::unsubscribe_len(*pid, &[*filter], *props)
            }
            Outgoing::Unsubscribe(_, filter, _) => packet_len(one_filter_len(filter, 0)),
            Outgoing::Ack(_) => Transmit::ENCODED_LEN,
            Outgoing::PingReq | Outgoing::Disconnect => 2,
            #[cfg(feature = "mqtt5")]
            Outgoing::Disconnect5(reason, props) => v5::disconnect_len(*reason, *props),
        }
    }

    /// Encodes the whole packet into `buf`; returns its length.
    // `extern "C"` (called from Rust only): its two-word result comes back in
    // two registers on rv32, not through a stack slot (Rust ABI).
    #[allow(improper_ctypes_definitions)]
    pub extern "C" fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        match self {
            Outgoing::Connect(connect) => connect.encode(buf),
            #[cfg(feature = "mqtt5")]
            Outgoing::Connect5(connect, props, will) => {
                v5::encode_connect_prepared(connect, *props, *will, buf)
            }
            Outgoing::Publish(p) => p.encode(buf),
            #[cfg(not(feature = "mqtt5"))]
            Outgoing::Subscribe(.., Some(_)) | Outgoing::Unsubscribe(.., Some(_)) => {
                Err(EncodeError::Unsupported)
            }
            // Both versions through one encoder: MQTT 5 adds the properties.
            Outgoing::Subscribe(pid, filter, options, props) => encode_one_filter(
                PacketType::Subscribe,
                *pid,
                filter,
                Some(*options),
                *props,
                buf,
            ),
            Outgoing::Unsubscribe(pid, filter, props) => {
                // `prepare_unsubscribe` leaves an MQTT 5 shared filter's
                // form to the encoder.
                #[cfg(feature = "mqtt5")]
                if props.is_some() {
                    v5::check_filter(filter, false)?;
                }
                encode_one_filter(PacketType::Unsubscribe, *pid, filter, None, *props, buf)
            }
            Outgoing::Ack(transmit) => transmit.encode(buf),
            Outgoing::PingReq => put_all(buf, &[PacketType::PingReq.fixed_first_byte(), 0]),
            Outgoing::Disconnect => put_all(buf, &[PacketType::Disconnect.fixed_first_byte(), 0]),
            #[cfg(feature = "mqtt5")]
            Outgoing::Disconnect5(reason, props) => {
                v5::encode_disconnect_prepared(*reason, *props, buf)
            }
        }
    }
}

/// `InvalidArgument` for QoS 2 without feature `qos2` (a subscription the
/// engine could not take the messages of). (Not called with it: even as a
/// no-op, the call cost the subscribe path 80 B on rv32imc.)
#[cfg(not(feature = "qos2"))]
#[inline(always)]
fn check_qos(qos: QoS) -> Result<(), ClientError> {
    if qos == QoS::ExactlyOnce {
        return Err(ClientError::InvalidArgument);
    }
    Ok(())
}

/// Body length of a 3.1.1 SUBSCRIBE (`options_len` 1) or UNSUBSCRIBE (0)
/// of one filter: packet id, filter, options byte.
fn one_filter_len(filter: &TopicFilter<'_>, options_len: usize) -> usize {
    field_len(filter.as_bytes()).saturating_add(2 + options_len)
}

/// A SUBSCRIBE (with its options byte) or UNSUBSCRIBE of one filter, MQTT
/// 5 with `properties`: the bytes [`Packet::encode`] (MQTT 5:
/// `v5::encode_subscribe`, `v5::encode_unsubscribe`) writes for a list of
/// that one filter.
fn encode_one_filter(
    packet_type: PacketType,
    pid: Pid,
    filter: &TopicFilter<'_>,
    options: Option<u8>,
    properties: Option<Properties<'_>>,
    buf: &mut [u8],
) -> Result<usize, EncodeError> {
    let properties_len = properties.map_or(0, |properties| properties.encoded_len());
    let remaining_len =
        one_filter_len(filter, usize::from(options.is_some())).saturating_add(properties_len);
    let mut writer = Writer::new(buf);
    writer.packet_header(packet_type, remaining_len)?;
    writer.write_u16(pid.get());
    if let Some(properties) = properties {
        writer.write_properties(properties);
    }
    writer.write_field(filter.as_bytes());
    if let Some(options) = options {
        writer.write_u8(options);
    }
    writer.done()
}

/// A PUBLISH as [`Client::prepare_publish`] checked it: the packet, and on
/// MQTT 5 its properties (encoded as checked, not parsed again). Smaller
/// than an [`Outgoing`], for the hot path.
#[derive(Clone, Copy, Debug)]
pub struct PublishPacket<'a> {
    /// The packet.
    pub publish: Publish<'a>,
    /// MQTT 5: its properties; `None` on MQTT 3.
    pub properties: Option<Properties<'a>>,
}

impl<'a> PublishPacket<'a> {
    /// Encodes the whole packet into `buf`; its length.
    #[inline]
    pub fn encode(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.publish.encode_with(self.properties, buf)
    }

    /// Encodes everything but the payload, for a driver that writes the
    /// payload from where it lies.
    pub fn encode_header(&self, buf: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode_part(buf, false)
    }

    /// [`PublishPacket::encode`] `with_payload`, else
    /// [`PublishPacket::encode_header`]: one call for a driver that picks
    /// at run time.
    pub fn encode_part(&self, buf: &mut [u8], with_payload: bool) -> Result<usize, EncodeError> {
        self.publish
            .encode_parts(self.properties, buf, with_payload)
    }
}

impl<'a> From<PublishPacket<'a>> for Outgoing<'a> {
    fn from(p: PublishPacket<'a>) -> Self {
        Outgoing::Publish(p)
    }
}

/// An application message to publish, as the driver received it.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    /// Topic name; empty on MQTT 5 when a Topic Alias property names it.
    pub topic: &'a [u8],
    /// Payload.
    pub payload: &'a [u8],
    /// QoS with its packet id (QoS 1/2).
    pub qos_pid: QosPid,
    /// Retain flag.
    pub retain: bool,
    /// DUP: a resend after a resumed reconnect (MQTT §4.4).
    pub dup: bool,
    /// MQTT 5 property block; empty on MQTT 3.
    pub properties: &'a [u8],
}

/// How an exchange's id went in flight, so that a failed send is undone.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tracking {
    /// QoS 0: nothing tracked.
    None,
    /// A new id: forgotten again if the send fails.
    New(Pid),
    /// A resend (DUP) of an id already in flight: it stays in flight.
    Resent,
}

impl Tracking {
    /// The send failed: forget what [`Client::track_publish`] or
    /// [`Client::track_request`] started.
    pub fn undo<T: Tables>(self, client: &mut Client<T>) {
        if let Tracking::New(pid) = self {
            client.session.forget(pid);
        }
    }
}

impl<T: Tables> Client<T> {
    /// Starts a connection: the CONNECT `connect` describes (MQTT 5 with
    /// the `properties` and `will_properties` blocks). Forgets the previous
    /// connection; the inbound topic aliases the CONNECT announces need 3
    /// bytes a slot in the driver's alias store of `alias_store` bytes,
    /// which the driver then clears.
    pub fn prepare_connect<'a>(
        &mut self,
        now: Instant,
        connect: Connect<'a>,
        properties: &'a [u8],
        will_properties: &'a [u8],
        alias_store: usize,
    ) -> Result<Outgoing<'a>, ClientError> {
        #[cfg(not(feature = "mqtt5"))]
        if connect.version == ProtocolVersion::V5 {
            return Err(ClientError::InvalidArgument);
        }
        #[cfg(feature = "mqtt5")]
        let (packet, aliases) = if connect.version == ProtocolVersion::V5 {
            let props = Properties::parse(properties, Context::Connect);
            let will = Properties::parse(will_properties, Context::Will);
            let (Ok(props), Ok(will)) = (props, will) else {
                return Err(ClientError::InvalidProperty);
            };
            let maximum = match props.get(PropertyId::TopicAliasMaximum) {
                Some(PropertyValue::TwoByteInt(n)) => n,
                _ => 0,
            };
            // Each alias needs a slot of at least a 2-byte length and a topic.
            if maximum > 0 && alias_store / usize::from(maximum) < 3 {
                return Err(ClientError::InvalidArgument);
            }
            (Outgoing::Connect5(connect, props, will), maximum)
        } else {
            if !properties.is_empty() || !will_properties.is_empty() {
                return Err(ClientError::InvalidProperty);
            }
            (Outgoing::Connect(connect), 0)
        };
        #[cfg(not(feature = "mqtt5"))]
        let packet = {
            if !properties.is_empty() || !will_properties.is_empty() {
                return Err(ClientError::InvalidProperty);
            }
            let _ = alias_store;
            Outgoing::Connect(connect)
        };
        self.detach();
        #[cfg(any(feature = "mqtt31", feature = "mqtt5"))]
        {
            self.version = connect.version;
        }
        #[cfg(feature = "mqtt5")]
        {
            self.limits = BrokerLimits::UNLIMITED;
            self.aliases = TopicAliases::new(aliases);
        }
        self.session.handle_connect(connect.clean_session);
        self.keepalive.restart(now);
        self.link = Link::AwaitingConnack;
        Ok(packet)
    }

    /// The PUBLISH of `m`, checked: a valid topic (MQTT 5: or an empty one
    /// sent by its Topic Alias), a pid exactly for QoS 1/2, DUP only with
    /// one, no Subscription Identifier (only a server sends one, §3.3.4),
    /// and on MQTT 5 the broker's limits. Without feature `qos2`, QoS 2 is
    /// `InvalidArgument`. Nothing changes yet.
    #[inline]
    pub fn prepare_publish<'a>(&self, m: &Message<'a>) -> Result<PublishPacket<'a>, ClientError> {
        let properties = self.properties(m.properties, Context::Publish)?;
        if properties.is_some_and(|p| p.get(PropertyId::SubscriptionIdentifier).is_some()) {
            return Err(ClientError::InvalidProperty);
        }
        let alias = properties.and_then(|p| p.get(PropertyId::TopicAlias));
        let topic = if m.topic.is_empty() && alias.is_some() {
            TopicName::EMPTY
        } else {
            TopicName::new(m.topic).map_err(|_| ClientError::InvalidTopic)?
        };
        if m.dup && m.qos_pid == QosPid::AtMostOnce {
            return Err(ClientError::InvalidArgument);
        }
        #[cfg(not(feature = "qos2"))]
        if let QosPid::ExactlyOnce(_) = m.qos_pid {
            return Err(ClientError::InvalidArgument);
        }
        let publish = Publish {
            dup: m.dup,
            qos_pid: m.qos_pid,
            retain: m.retain,
            topic,
            payload: m.payload,
        };
        if let Some(props) = properties {
            self.check_publish_limits(&publish, props, alias)?;
        }
        Ok(PublishPacket {
            publish,
            properties,
        })
    }

    /// The common case of [`Client::prepare_publish`] without its layers: a
    /// QoS 0 message without properties or DUP to a topic already checked,
    /// on an MQTT 3 connection. The packet `prepare_publish` returns for
    /// it, which needs no [`Client::track_publish`]. `None` on MQTT 5,
    /// where the broker's limits apply: use `prepare_publish` there.
    #[inline]
    pub fn prepare_publish_qos0<'a>(
        &self,
        topic: TopicName<'a>,
        payload: &'a [u8],
        retain: bool,
    ) -> Option<PublishPacket<'a>> {
        if self.is_v5() {
            return None;
        }
        let publish = Publish {
            dup: false,
            qos_pid: QosPid::AtMostOnce,
            retain,
            topic,
            payload,
        };
        Some(PublishPacket {
            publish,
            properties: None,
        })
    }

    /// Puts a QoS 1/2 publish's id in flight until `ack_deadline`. A DUP
    /// publish resends an id in flight (a resumed session). `Ok(None)`: a
    /// QoS 2 publish past its PUBREC, whose PUBREL is due instead of the
    /// PUBLISH: send nothing.
    // Inlined: out of line, its `Result<Option<Tracking>, _>` is packed into
    // one word and taken apart again by the caller (106 B on rv32imc).
    #[inline(always)]
    pub fn track_publish(
        &mut self,
        publish: &Publish<'_>,
        ack_deadline: Option<Instant>,
    ) -> Result<Option<Tracking>, ClientError> {
        let qos = publish.qos_pid.qos();
        let Some(pid) = publish.qos_pid.pid() else {
            return Ok(Some(Tracking::None));
        };
        Ok(
            match self
                .session
                .start_or_resend(pid, qos, ack_deadline, publish.dup)?
            {
                Some(true) => Some(Tracking::Resent),
                Some(false) => Some(Tracking::New(pid)),
                None => None,
            },
        )
    }

    /// SUBSCRIBE to one filter. `options`: the QoS in bits 0-1; MQTT 5 adds
    /// No Local (bit 2), Retain As Published (bit 3), Retain Handling (bits
    /// 4-5), and `properties` (e.g. a Subscription Identifier). A `$share/`
    /// filter must be well formed and may not ask for No Local (§4.8.2,
    /// §3.8.3.1); the broker's limits apply. Without feature `qos2`, QoS 2
    /// is `InvalidArgument`: the broker would then send QoS 2 messages.
    #[inline]
    pub fn prepare_subscribe<'a>(
        &self,
        pid: Pid,
        filter: &'a [u8],
        options: u8,
        properties: &'a [u8],
    ) -> Result<Outgoing<'a>, ClientError> {
        self.prepare_request(pid, filter, Some(options), properties)
    }

    /// UNSUBSCRIBE from one filter (MQTT 5: with `properties`).
    #[inline]
    pub fn prepare_unsubscribe<'a>(
        &self,
        pid: Pid,
        filter: &'a [u8],
        properties: &'a [u8],
    ) -> Result<Outgoing<'a>, ClientError> {
        self.prepare_request(pid, filter, None, properties)
    }

    /// [`Client::prepare_subscribe`] with `Some(options)`,
    /// [`Client::prepare_unsubscribe`] with `None`: for a driver that
    /// takes both the same way (their common checks once in its code).
    pub fn prepare_request<'a>(
        &self,
        pid: Pid,
        filter: &'a [u8],
        options: Option<u8>,
        properties: &'a [u8],
    ) -> Result<Outgoing<'a>, ClientError> {
        let filter = TopicFilter::new(filter).map_err(|_| ClientError::InvalidTopic)?;
        let Some(options) = options else {
            let props = self.properties(properties, Context::Unsubscribe)?;
            if let Some(props) = props {
                self.check_unsubscribe_limit(pid, filter, props)?;
            }
            return Ok(Outgoing::Unsubscribe(pid, filter, props));
        };
        match self.properties(properties, Context::Subscribe)? {
            Some(props) => self.subscribe5(pid, filter, options, props),
            None => {
                // MQTT 3: the options byte is the QoS alone.
                let qos = QoS::from_u8(options).ok_or(ClientError::InvalidArgument)?;
                #[cfg(not(feature = "qos2"))]
                check_qos(qos)?;
                Ok(Outgoing::Subscribe(pid, filter, qos.as_u8(), None))
            }
        }
    }

    /// Puts a prepared SUBSCRIBE's or UNSUBSCRIBE's id in flight until
    /// `ack_deadline`.
    pub fn track_request(
        &mut self,
        packet: &Outgoing<'_>,
        ack_deadline: Option<Instant>,
    ) -> Result<Tracking, ClientError> {
        let pid = match *packet {
            Outgoing::Subscribe(pid, ..) => {
                self.session.start_subscribe(pid, 1, ack_deadline)?;
                pid
            }
            Outgoing::Unsubscribe(pid, ..) => {
                self.session.start_unsubscribe(pid, ack_deadline)?;
                pid
            }
            _ => return Err(ClientError::InvalidArgument),
        };
        Ok(Tracking::New(pid))
    }

    /// DISCONNECT; MQTT 5 with `reason` (e.g. 0x04, "disconnect with will
    /// message") and `properties`; on MQTT 3 both must be 0 / empty.
    pub fn prepare_disconnect<'a>(
        &self,
        reason: u8,
        properties: &'a [u8],
    ) -> Result<Outgoing<'a>, ClientError> {
        match self.properties(properties, Context::Disconnect)? {
            Some(props) => self.disconnect5(reason, props),
            None if reason == 0 => Ok(Outgoing::Disconnect),
            None => Err(ClientError::InvalidArgument),
        }
    }
}

/// The MQTT 5 halves of the `prepare_*` above: the broker's limits, shared
/// subscriptions, subscription options and reason codes.
#[cfg(feature = "mqtt5")]
impl<T: Tables> Client<T> {
    fn check_publish_limits(
        &self,
        publish: &Publish<'_>,
        props: Properties<'_>,
        alias: Option<PropertyValue<'_>>,
    ) -> Result<(), ClientError> {
        let len = publish.encoded_len_with(Some(props));
        // A resend (DUP) of an id in flight does not take another slot.
        let in_flight = self.session.publishes_in_flight();
        let others = match publish.qos_pid.pid() {
            Some(pid) if publish.dup && self.session.is_in_flight(pid) => {
                in_flight.saturating_sub(1)
            }
            _ => in_flight,
        };
        self.limits
            .check_publish_aliased(publish.qos_pid.qos(), publish.retain, alias, len, others)
            .map_err(ClientError::BrokerLimit)
    }

    fn subscribe5<'a>(
        &self,
        pid: Pid,
        filter: TopicFilter<'a>,
        options: u8,
        props: Properties<'a>,
    ) -> Result<Outgoing<'a>, ClientError> {
        let shared = filter.is_shared().map_err(|_| ClientError::InvalidTopic)?;
        // Checked here, sent as given (`to_byte` gives back a valid byte).
        let parsed =
            SubscriptionOptions::from_byte(options).map_err(|_| ClientError::InvalidArgument)?;
        if parsed.no_local && shared {
            return Err(ClientError::InvalidArgument);
        }
        #[cfg(not(feature = "qos2"))]
        check_qos(parsed.qos)?;
        // The packet's length straight from the v5 codec (`Outgoing::encoded_len`
        // would bring every packet's into the firmware).
        let len = v5::subscribe_len(pid, &[(filter, parsed)], props);
        self.limits
            .check_subscribe_shared(&filter, shared, &props, len)
            .map_err(ClientError::BrokerLimit)?;
        Ok(Outgoing::Subscribe(pid, filter, options, Some(props)))
    }

    fn check_unsubscribe_limit(
        &self,
        pid: Pid,
        filter: TopicFilter<'_>,
        props: Properties<'_>,
    ) -> Result<(), ClientError> {
        self.limits
            .check_packet(v5::unsubscribe_len(pid, &[filter], props))
            .map_err(ClientError::BrokerLimit)
    }

    fn disconnect5<'a>(
        &self,
        reason: u8,
        props: Properties<'a>,
    ) -> Result<Outgoing<'a>, ClientError> {
        let reason = ReasonCode(reason);
        if !reason.valid_for(PacketType::Disconnect) {
            return Err(ClientError::InvalidArgument);
        }
        Ok(Outgoing::Disconnect5(reason, props))
    }
}

/// Without MQTT 5 no property block is ever accepted (`Client::properties`
/// returns `None` or an error), so these are never reached.
#[cfg(not(feature = "mqtt5"))]
impl<T: Tables> Client<T> {
    fn check_publish_limits(
        &self,
        _: &Publish<'_>,
        _: Properties<'_>,
        _: Option<crate::codec::properties::PropertyValue<'_>>,
    ) -> Result<(), ClientError> {
        Err(ClientError::InvalidProperty)
    }

    fn subscribe5<'a>(
        &self,
        _: Pid,
        _: TopicFilter<'a>,
        _: u8,
        _: Properties<'a>,
    ) -> Result<Outgoing<'a>, ClientError> {
        Err(ClientError::InvalidProperty)
    }

    fn check_unsubscribe_limit(
        &self,
        _: Pid,
        _: TopicFilter<'_>,
        _: Properties<'_>,
    ) -> Result<(), ClientError> {
        Err(ClientError::InvalidProperty)
    }

    fn disconnect5<'a>(&self, _: u8, _: Properties<'a>) -> Result<Outgoing<'a>, ClientError> {
        Err(ClientError::InvalidProperty)
    }
}
