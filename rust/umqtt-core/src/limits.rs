//! MQTT 5 session rules a client enforces itself: what the broker's CONNACK
//! allows ([`BrokerLimits`], MQTT 5 §3.2.2.3) and the topic aliases the
//! broker may use towards us ([`TopicAliases`], §3.3.2.3.4).
//!
//! Both are plain values fed by the caller: the limits from the CONNACK's
//! properties, the aliases from each incoming PUBLISH, with their storage
//! in a caller-owned buffer (no allocator, no size taken from the network).

use core::fmt;

use crate::codec::v5::{Properties, PropertyId, PropertyValue};
use crate::topic::{TopicFilter, TopicName};
use crate::types::QoS;

/// Why an outgoing packet breaks what the broker announced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum LimitError {
    /// QoS above the broker's Maximum QoS.
    QosNotSupported,
    /// A retained message, and the broker has Retain Available 0.
    RetainNotSupported,
    /// The packet is larger than the broker's Maximum Packet Size.
    PacketTooLarge,
    /// As many QoS 1/2 publishes in flight as the broker's Receive Maximum.
    ReceiveMaximum,
    /// A Topic Alias above the broker's Topic Alias Maximum.
    TopicAliasInvalid,
    /// A wildcard filter, and Wildcard Subscription Available is 0.
    WildcardNotSupported,
    /// A `$share/` filter, and Shared Subscription Available is 0.
    SharedNotSupported,
    /// A Subscription Identifier, and Subscription Identifiers Available is 0.
    SubscriptionIdsNotSupported,
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitError::QosNotSupported => "QoS above the broker's Maximum QoS",
            LimitError::RetainNotSupported => "the broker does not support retained messages",
            LimitError::PacketTooLarge => "packet larger than the broker's Maximum Packet Size",
            LimitError::ReceiveMaximum => "the broker's Receive Maximum is reached",
            LimitError::TopicAliasInvalid => "topic alias above the broker's Topic Alias Maximum",
            LimitError::WildcardNotSupported => {
                "the broker does not support wildcard subscriptions"
            }
            LimitError::SharedNotSupported => "the broker does not support shared subscriptions",
            LimitError::SubscriptionIdsNotSupported => {
                "the broker does not support subscription identifiers"
            }
        })
    }
}

/// What the broker's CONNACK allows the client to send (§3.2.2.3). Absent
/// properties mean "no limit" / "available", as the spec defines.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BrokerLimits {
    /// QoS 1/2 publishes the broker accepts in flight at once.
    pub receive_maximum: u16,
    /// Highest QoS the broker accepts.
    pub maximum_qos: QoS,
    /// Whether retained messages are accepted.
    pub retain_available: bool,
    /// Largest packet the broker accepts, in bytes.
    pub maximum_packet_size: u32,
    /// Highest topic alias the broker accepts (0: none).
    pub topic_alias_maximum: u16,
    /// Whether filters may contain `+` and `#`.
    pub wildcard_available: bool,
    /// Whether SUBSCRIBE may carry a Subscription Identifier.
    pub subscription_ids_available: bool,
    /// Whether `$share/` filters are accepted.
    pub shared_available: bool,
    /// Keep-alive the broker imposes, replacing the client's (seconds).
    pub server_keep_alive: Option<u16>,
}

impl BrokerLimits {
    /// No limits: a 3.1.1 broker, or a v5 CONNACK without properties.
    pub const UNLIMITED: BrokerLimits = BrokerLimits {
        receive_maximum: u16::MAX,
        maximum_qos: QoS::ExactlyOnce,
        retain_available: true,
        maximum_packet_size: 268_435_460,
        topic_alias_maximum: 0,
        wildcard_available: true,
        subscription_ids_available: true,
        shared_available: true,
        server_keep_alive: None,
    };

    /// The limits a CONNACK's (validated) properties announce.
    pub fn from_connack(properties: &Properties<'_>) -> BrokerLimits {
        let mut limits = BrokerLimits::UNLIMITED;
        limits.set_from_connack(properties);
        limits
    }

    /// `*self = BrokerLimits::from_connack(properties)`, built in place
    /// (the client's limits are not built apart and copied in).
    pub fn set_from_connack(&mut self, properties: &Properties<'_>) {
        *self = BrokerLimits::UNLIMITED;
        let limits = self;
        for property in properties.iter() {
            // Every limit is an integer; an identifier has one kind
            // (`PropertyId::kind`), so the value is read by kind once and
            // each limit is picked by identifier alone.
            let value = match property.value {
                PropertyValue::Byte(b) => u32::from(b),
                PropertyValue::TwoByteInt(n) => u32::from(n),
                PropertyValue::FourByteInt(n) => n,
                _ => continue,
            };
            // The two-byte limits hold a u16 value (their kind).
            let two_bytes = value as u16;
            match property.id {
                PropertyId::ReceiveMaximum => limits.receive_maximum = two_bytes,
                PropertyId::MaximumQoS if value == 0 => limits.maximum_qos = QoS::AtMostOnce,
                PropertyId::MaximumQoS => limits.maximum_qos = QoS::AtLeastOnce,
                PropertyId::RetainAvailable => limits.retain_available = value != 0,
                PropertyId::MaximumPacketSize => limits.maximum_packet_size = value,
                PropertyId::TopicAliasMaximum => limits.topic_alias_maximum = two_bytes,
                PropertyId::WildcardSubscriptionAvailable => limits.wildcard_available = value != 0,
                PropertyId::SubscriptionIdentifierAvailable => {
                    limits.subscription_ids_available = value != 0
                }
                PropertyId::SharedSubscriptionAvailable => limits.shared_available = value != 0,
                PropertyId::ServerKeepAlive => limits.server_keep_alive = Some(two_bytes),
                _ => {}
            }
        }
    }

    fn check_size(&self, packet_len: usize) -> Result<(), LimitError> {
        match u32::try_from(packet_len) {
            Ok(len) if len <= self.maximum_packet_size => Ok(()),
            _ => Err(LimitError::PacketTooLarge),
        }
    }

    /// Checks a PUBLISH of `packet_len` bytes. `publishes_in_flight`: QoS
    /// 1/2 publishes sent and not yet acknowledged, this one excluded.
    pub fn check_publish(
        &self,
        qos: QoS,
        retain: bool,
        properties: &Properties<'_>,
        packet_len: usize,
        publishes_in_flight: usize,
    ) -> Result<(), LimitError> {
        let alias = properties.get(PropertyId::TopicAlias);
        self.check_publish_aliased(qos, retain, alias, packet_len, publishes_in_flight)
    }

    /// [`BrokerLimits::check_publish`] given the value of the Topic Alias
    /// property, which `Client::prepare_publish` has looked up already.
    pub(crate) fn check_publish_aliased(
        &self,
        qos: QoS,
        retain: bool,
        alias: Option<PropertyValue<'_>>,
        packet_len: usize,
        publishes_in_flight: usize,
    ) -> Result<(), LimitError> {
        if qos > self.maximum_qos {
            return Err(LimitError::QosNotSupported);
        }
        if retain && !self.retain_available {
            return Err(LimitError::RetainNotSupported);
        }
        if let Some(PropertyValue::TwoByteInt(alias)) = alias {
            if alias > self.topic_alias_maximum {
                return Err(LimitError::TopicAliasInvalid);
            }
        }
        if qos != QoS::AtMostOnce && publishes_in_flight >= usize::from(self.receive_maximum) {
            return Err(LimitError::ReceiveMaximum);
        }
        self.check_size(packet_len)
    }

    /// Checks a SUBSCRIBE of one filter, `packet_len` bytes.
    pub fn check_subscribe(
        &self,
        filter: &TopicFilter<'_>,
        properties: &Properties<'_>,
        packet_len: usize,
    ) -> Result<(), LimitError> {
        let shared = filter.as_str().starts_with(crate::topic::SHARED_PREFIX);
        self.check_subscribe_shared(filter, shared, properties, packet_len)
    }

    /// [`BrokerLimits::check_subscribe`] told whether `filter` is a shared
    /// subscription, which `Client::prepare_subscribe` has found already.
    pub(crate) fn check_subscribe_shared(
        &self,
        filter: &TopicFilter<'_>,
        shared: bool,
        properties: &Properties<'_>,
        packet_len: usize,
    ) -> Result<(), LimitError> {
        if shared && !self.shared_available {
            return Err(LimitError::SharedNotSupported);
        }
        if crate::topic::has_wildcard(filter.as_bytes()) && !self.wildcard_available {
            return Err(LimitError::WildcardNotSupported);
        }
        if properties.get(PropertyId::SubscriptionIdentifier).is_some()
            && !self.subscription_ids_available
        {
            return Err(LimitError::SubscriptionIdsNotSupported);
        }
        self.check_size(packet_len)
    }

    /// Checks any other packet's size (UNSUBSCRIBE, DISCONNECT).
    pub fn check_packet(&self, packet_len: usize) -> Result<(), LimitError> {
        self.check_size(packet_len)
    }
}

impl Default for BrokerLimits {
    fn default() -> Self {
        BrokerLimits::UNLIMITED
    }
}

/// Why an incoming PUBLISH's topic alias cannot be resolved. The broker
/// broke the protocol (§3.3.2.3.4: "Topic Alias invalid", 0x94), except
/// [`AliasError::NoRoom`], where our storage is too small for its topic.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AliasError {
    /// Alias 0 or above the Topic Alias Maximum we announced.
    OutOfRange,
    /// An empty topic with an alias that was never set on this connection.
    Unknown,
    /// The topic is longer than one alias slot of the caller's buffer.
    NoRoom,
}

impl fmt::Display for AliasError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AliasError::OutOfRange => "topic alias above the maximum announced",
            AliasError::Unknown => "topic alias used before it was set",
            AliasError::NoRoom => "topic too long for its topic alias slot",
        })
    }
}

/// The topic aliases the broker set on this connection (§3.3.2.3.4), kept
/// in a caller-owned buffer split into `maximum` equal slots: slot `n`
/// holds alias `n + 1` as a 2-byte length and the topic. A topic longer
/// than a slot is refused ([`AliasError::NoRoom`]), so the storage never
/// depends on what the broker sends. Clear the buffer on each connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TopicAliases {
    maximum: u16,
}

impl TopicAliases {
    /// Aliases 1..=`maximum` (the Topic Alias Maximum sent in CONNECT).
    pub const fn new(maximum: u16) -> TopicAliases {
        TopicAliases { maximum }
    }

    /// The Topic Alias Maximum.
    pub const fn maximum(&self) -> u16 {
        self.maximum
    }

    /// Forgets every alias (a new connection).
    pub fn clear(&self, store: &mut [u8]) {
        store.fill(0);
    }

    fn slot<'s>(&self, store: &'s mut [u8], alias: u16) -> Result<&'s mut [u8], AliasError> {
        if alias == 0 || alias > self.maximum {
            return Err(AliasError::OutOfRange);
        }
        let size = store.len() / usize::from(self.maximum);
        let start = usize::from(alias - 1) * size;
        store.get_mut(start..start + size).ok_or(AliasError::NoRoom)
    }

    /// The topic of a PUBLISH that carried `topic` (possibly
    /// [`TopicName::EMPTY`]) and the Topic Alias `alias`: a non-empty topic
    /// (re)sets the alias and is returned; an empty one is looked up. The
    /// result borrows the packet or the store.
    pub fn resolve<'a>(
        &self,
        store: &'a mut [u8],
        topic: TopicName<'a>,
        alias: Option<u16>,
    ) -> Result<TopicName<'a>, AliasError> {
        let Some(alias) = alias else {
            return if topic.as_bytes().is_empty() {
                Err(AliasError::Unknown)
            } else {
                Ok(topic)
            };
        };
        let slot = self.slot(store, alias)?;
        let bytes = topic.as_bytes();
        if !bytes.is_empty() {
            let len = u16::try_from(bytes.len()).map_err(|_| AliasError::NoRoom)?;
            let target = slot.get_mut(2..2 + bytes.len()).ok_or(AliasError::NoRoom)?;
            target.copy_from_slice(bytes);
            if let Some(prefix) = slot.get_mut(..2) {
                prefix.copy_from_slice(&len.to_be_bytes());
            }
            return Ok(topic);
        }
        let slot: &'a [u8] = slot;
        let len = match slot {
            [high, low, ..] => usize::from(u16::from_be_bytes([*high, *low])),
            _ => 0,
        };
        let stored = slot.get(2..2 + len).unwrap_or_default();
        TopicName::new(stored).map_err(|_| AliasError::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::v5::{Context, Property, PropertyWriter};

    fn props<'b>(buf: &'b mut [u8], ctx: Context, list: &[Property<'_>]) -> Properties<'b> {
        let mut writer = PropertyWriter::new(buf, ctx);
        for p in list {
            writer.push(*p).unwrap();
        }
        writer.finish()
    }

    #[test]
    fn connack_properties_set_the_limits() {
        let mut buf = [0u8; 64];
        let p = props(
            &mut buf,
            Context::ConnAck,
            &[
                Property {
                    id: PropertyId::ReceiveMaximum,
                    value: PropertyValue::TwoByteInt(2),
                },
                Property {
                    id: PropertyId::MaximumQoS,
                    value: PropertyValue::Byte(0),
                },
                Property {
                    id: PropertyId::RetainAvailable,
                    value: PropertyValue::Byte(0),
                },
                Property {
                    id: PropertyId::MaximumPacketSize,
                    value: PropertyValue::FourByteInt(100),
                },
                Property {
                    id: PropertyId::TopicAliasMaximum,
                    value: PropertyValue::TwoByteInt(3),
                },
                Property {
                    id: PropertyId::ServerKeepAlive,
                    value: PropertyValue::TwoByteInt(9),
                },
                Property {
                    id: PropertyId::SharedSubscriptionAvailable,
                    value: PropertyValue::Byte(0),
                },
            ],
        );
        let limits = BrokerLimits::from_connack(&p);
        assert_eq!(limits.receive_maximum, 2);
        assert_eq!(limits.maximum_qos, QoS::AtMostOnce);
        assert!(!limits.retain_available);
        assert_eq!(limits.maximum_packet_size, 100);
        assert_eq!(limits.topic_alias_maximum, 3);
        assert_eq!(limits.server_keep_alive, Some(9));
        assert!(!limits.shared_available);
        assert!(limits.wildcard_available);
        // In place, over limits an earlier CONNACK set: the same limits.
        let mut again = limits;
        again.set_from_connack(&p);
        assert_eq!(again, limits);
        again.set_from_connack(&Properties::EMPTY);
        assert_eq!(again, BrokerLimits::UNLIMITED);

        let none = Properties::EMPTY;
        assert_eq!(
            limits.check_publish(QoS::AtLeastOnce, false, &none, 10, 0),
            Err(LimitError::QosNotSupported)
        );
        assert_eq!(
            limits.check_publish(QoS::AtMostOnce, true, &none, 10, 0),
            Err(LimitError::RetainNotSupported)
        );
        assert_eq!(
            limits.check_publish(QoS::AtMostOnce, false, &none, 101, 0),
            Err(LimitError::PacketTooLarge)
        );
        assert_eq!(
            limits.check_publish(QoS::AtMostOnce, false, &none, 100, 5),
            Ok(())
        );
        let shared = TopicFilter::new(b"$share/g/a/#").unwrap();
        assert_eq!(
            limits.check_subscribe(&shared, &none, 20),
            Err(LimitError::SharedNotSupported)
        );
    }

    #[test]
    fn receive_maximum_and_alias_maximum() {
        let limits = BrokerLimits {
            receive_maximum: 2,
            topic_alias_maximum: 1,
            ..BrokerLimits::UNLIMITED
        };
        let none = Properties::EMPTY;
        assert_eq!(
            limits.check_publish(QoS::AtLeastOnce, false, &none, 10, 1),
            Ok(())
        );
        assert_eq!(
            limits.check_publish(QoS::ExactlyOnce, false, &none, 10, 2),
            Err(LimitError::ReceiveMaximum)
        );
        // QoS 0 is not flow-controlled.
        assert_eq!(
            limits.check_publish(QoS::AtMostOnce, false, &none, 10, 2),
            Ok(())
        );
        let mut buf = [0u8; 8];
        let alias2 = props(
            &mut buf,
            Context::Publish,
            &[Property {
                id: PropertyId::TopicAlias,
                value: PropertyValue::TwoByteInt(2),
            }],
        );
        assert_eq!(
            limits.check_publish(QoS::AtMostOnce, false, &alias2, 10, 0),
            Err(LimitError::TopicAliasInvalid)
        );
    }

    #[test]
    fn aliases_set_and_resolve() {
        let aliases = TopicAliases::new(2);
        let mut store = [0u8; 20]; // two slots of 10 bytes: topics up to 8
        let t = TopicName::new(b"a/b/c").unwrap();
        assert_eq!(aliases.resolve(&mut store, t, Some(1)), Ok(t));
        assert_eq!(
            aliases
                .resolve(&mut store, TopicName::EMPTY, Some(1))
                .map(|t| t.as_str()),
            Ok("a/b/c")
        );
        assert_eq!(
            aliases.resolve(&mut store, TopicName::EMPTY, Some(2)),
            Err(AliasError::Unknown)
        );
        assert_eq!(
            aliases.resolve(&mut store, t, Some(3)),
            Err(AliasError::OutOfRange)
        );
        assert_eq!(
            aliases.resolve(&mut store, t, Some(0)),
            Err(AliasError::OutOfRange)
        );
        let long = TopicName::new(b"123456789").unwrap();
        assert_eq!(
            aliases.resolve(&mut store, long, Some(2)),
            Err(AliasError::NoRoom)
        );
        // Re-setting an alias replaces its topic.
        let u = TopicName::new(b"x").unwrap();
        assert_eq!(aliases.resolve(&mut store, u, Some(1)), Ok(u));
        assert_eq!(
            aliases
                .resolve(&mut store, TopicName::EMPTY, Some(1))
                .map(|t| t.as_str()),
            Ok("x")
        );
        assert_eq!(
            aliases.resolve(&mut store, TopicName::EMPTY, None),
            Err(AliasError::Unknown)
        );
        aliases.clear(&mut store);
        assert_eq!(
            aliases.resolve(&mut store, TopicName::EMPTY, Some(1)),
            Err(AliasError::Unknown)
        );
        // No aliases announced: every alias is out of range.
        assert_eq!(
            TopicAliases::new(0).resolve(&mut store, t, Some(1)),
            Err(AliasError::OutOfRange)
        );
    }
}
