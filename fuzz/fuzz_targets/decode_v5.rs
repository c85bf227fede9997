//! `umqtt_core::codec::v5::decode` over an arbitrary first byte and body
//! (input: byte 0 = first byte, the rest = the body), as a client meets
//! them. Whatever decodes must hold up: its property block parses again for
//! its packet and rebuilds byte for byte with `PropertyWriter`; a PUBLISH's
//! topic alias resolves (or is refused) against a small alias store without
//! panicking, and only a resolved, non-empty topic is ever produced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use umqtt_core::codec::v5::{self, Context, Properties, PropertyWriter};
use umqtt_core::limits::TopicAliases;
use umqtt_core::Packet;

fn context(packet: &Packet<'_>) -> Context {
    match packet {
        Packet::ConnAck(_) => Context::ConnAck,
        Packet::Publish(_) => Context::Publish,
        Packet::PubAck(_) | Packet::PubRec(_) | Packet::PubRel(_) | Packet::PubComp(_) => {
            Context::PubAck
        }
        Packet::SubAck(_) => Context::SubAck,
        Packet::UnsubAck(_) => Context::UnsubAck,
        Packet::Disconnect(_) => Context::Disconnect,
        Packet::Auth(_) => Context::Auth,
        _ => Context::PubAck,
    }
}

fuzz_target!(|data: &[u8]| {
    let [first_byte, body @ ..] = data else {
        return;
    };
    let Ok((packet, extra)) = v5::decode(*first_byte, body) else {
        return;
    };
    assert_eq!(packet.packet_type() as u8, first_byte >> 4);
    let ctx = context(&packet);
    let block = extra.properties.as_bytes();
    assert!(Properties::parse(block, ctx).is_ok(), "a decoded block parses again");
    let mut buf = vec![0u8; block.len()];
    let mut writer = PropertyWriter::new(&mut buf, ctx);
    for property in extra.properties.iter() {
        writer.push(property).expect("a valid property is accepted again");
    }
    assert_eq!(writer.finish().as_bytes(), block, "the block rebuilds byte for byte");
    if let Packet::Publish(publish) = packet {
        let mut store = [0u8; 3 * 10];
        let aliases = TopicAliases::new(3);
        match aliases.resolve(&mut store, publish.topic, extra.topic_alias) {
            Ok(topic) => assert!(!topic.as_bytes().is_empty()),
            Err(_) => assert!(extra.topic_alias.is_some() || publish.topic.as_bytes().is_empty()),
        }
    }
});
