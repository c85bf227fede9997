//! The C ABI on the host: every test drives the real `extern "C"` functions
//! against the scripted port (`port::scripted`) and its virtual clock, as
//! the C glue does against a MicroPython socket. One file per file tested.

mod client;
#[cfg(not(feature = "qos2"))]
mod no_qos2;
#[cfg(feature = "nonblocking")]
mod nonblocking;
mod pending;
mod tables;
#[cfg(feature = "mqtt5")]
mod v5;

use std::vec;
use std::vec::Vec;

use umqtt_core::codec::{ConnAck, Packet, PubAck, Publish};
use umqtt_core::{Pid, QosPid, TopicName};

use crate::port::umqtt_port_t;
use crate::*;

/// A client, its stream and its buffers, as the C glue holds them.
pub(super) struct Harness {
    client: Vec<u64>,
    pub(super) port: std::boxed::Box<umqtt_port_t>,
    rx: Vec<u8>,
    tx: Vec<u8>,
    aliases: Vec<u8>,
    /// The session's rows, grown as the C glue grows them.
    rows: Vec<u64>,
}

impl Harness {
    pub(super) fn new(rx_max: usize, tx_cap: usize) -> Harness {
        let words = umqtt_client_size().div_ceil(8);
        let mut h = Harness {
            client: vec![0; words],
            port: std::boxed::Box::default(),
            rx: vec![0; rx_max],
            tx: vec![0; tx_cap],
            aliases: Vec::new(),
            rows: Vec::new(),
        };
        let size = h.client.len() * 8;
        assert_eq!(
            unsafe { umqtt_client_init(h.c(), size, rx_max) },
            umqtt_status::Ok
        );
        h
    }

    pub(super) fn c(&mut self) -> *mut umqtt_client {
        self.client.as_mut_ptr().cast()
    }

    /// The stream and buffers for a call, the session's rows grown first if
    /// it asks (as the C glue does before every call that may add an entry).
    pub(super) fn io(&mut self) -> umqtt_io {
        self.room();
        umqtt_io {
            port: &mut *self.port,
            rx: self.rx.as_mut_ptr(),
            rx_cap: self.rx.len(),
            tx: self.tx.as_mut_ptr(),
            tx_cap: self.tx.len(),
            aliases: self.aliases.as_mut_ptr(),
            aliases_cap: self.aliases.len(),
            scratch: core::ptr::null_mut(),
            scratch_cap: 0,
        }
    }

    /// Grows the session's rows if it asks, as the C glue does.
    pub(super) fn room(&mut self) {
        let rows = unsafe { crate::tables::umqtt_client_rows_wanted(self.c()) };
        if rows > 0 {
            let mut block = vec![0u64; (rows * crate::tables::umqtt_row_size()).div_ceil(8)];
            let moved = unsafe {
                crate::tables::umqtt_client_move_tables(self.c(), block.as_mut_ptr().cast(), rows)
            };
            assert_eq!(moved, umqtt_status::Ok);
            self.rows = block; // the old block is freed only now
        }
    }

    /// Bytes the broker sends.
    pub(super) fn broker(&mut self, bytes: &[u8]) {
        assert!(self.port.push(bytes));
    }

    /// What the client wrote since the last call.
    pub(super) fn sent(&mut self) -> Vec<u8> {
        self.port.take_output().to_vec()
    }

    /// Connects (MQTT 3.1.1, clean session) and checks the CONNACK is taken.
    pub(super) fn connected(rx_max: usize, tx_cap: usize) -> Harness {
        let mut h = Harness::new(rx_max, tx_cap);
        h.broker(&packet(Packet::ConnAck(ConnAck {
            session_present: false,
            return_code: 0,
        })));
        assert_eq!(h.connect(true), umqtt_status::Ok);
        h.sent();
        h
    }

    pub(super) fn connect(&mut self, clean: bool) -> umqtt_status {
        self.connect_with(&options(b"t", clean)).0
    }

    /// CONNECT with `options`: the status, the session-present flag and the
    /// CONNACK's return code (9 and 9 where the call left them unwritten).
    pub(super) fn connect_with(
        &mut self,
        options: &umqtt_connect_options,
    ) -> (umqtt_status, u8, u8) {
        let io = self.io();
        let (mut present, mut code) = (9, 9);
        let mut props = umqtt_bytes::EMPTY;
        // SAFETY: the client, `io`'s stream and buffers and `options`
        // outlive the call.
        let st = unsafe {
            umqtt_client_connect(
                self.c(),
                &io,
                options,
                1000,
                &mut present,
                &mut code,
                &mut props,
            )
        };
        (st, present, code)
    }

    /// One receive with a first-byte timeout of 0.
    pub(super) fn receive(&mut self) -> (umqtt_status, umqtt_event) {
        let io = self.io();
        let mut ev = umqtt_event::NONE;
        let st = unsafe { umqtt_client_receive(self.c(), &io, 0, 1000, &mut ev) };
        (st, ev)
    }

    pub(super) fn accept(&mut self, ev: &umqtt_event) -> umqtt_status {
        let io = self.io();
        accept(self.c(), &io, ev.qos, ev.pid)
    }

    pub(super) fn publish(&mut self, topic: &[u8], msg: &[u8], qos: u8, pid: u16) -> umqtt_status {
        let m = message(topic, msg, qos, pid);
        let io = self.io();
        let mut detail = 0;
        unsafe { umqtt_client_publish(self.c(), &io, &m, -1, 1000, &mut detail) }
    }
}

/// The ack of (`qos`, `pid`): a receive call with `UMQTT_ACCEPT`.
pub(super) fn accept(c: *mut umqtt_client, io: *const umqtt_io, qos: u8, pid: u16) -> umqtt_status {
    let mut ev = umqtt_event {
        qos,
        pid,
        ..umqtt_event::NONE
    };
    unsafe { umqtt_client_receive(c, io, UMQTT_ACCEPT, 1000, &mut ev) }
}

pub(super) fn options(client_id: &'static [u8], clean: bool) -> umqtt_connect_options {
    umqtt_connect_options {
        client_id: umqtt_bytes::of(client_id),
        has_username: false,
        username: umqtt_bytes::EMPTY,
        has_password: false,
        password: umqtt_bytes::EMPTY,
        has_will: false,
        will_topic: umqtt_bytes::EMPTY,
        will_message: umqtt_bytes::EMPTY,
        will_qos: 0,
        will_retain: false,
        keepalive: 60,
        clean_session: clean,
        version: 4,
        properties: umqtt_bytes::EMPTY,
        will_properties: umqtt_bytes::EMPTY,
    }
}

pub(super) fn message(topic: &[u8], msg: &[u8], qos: u8, pid: u16) -> umqtt_message {
    umqtt_message {
        topic: umqtt_bytes::of(topic),
        msg: umqtt_bytes::of(msg),
        qos,
        retain: false,
        dup: false,
        pid,
        properties: umqtt_bytes::EMPTY,
        topic_checked: false,
    }
}

pub(super) fn packet(p: Packet<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; p.encoded_len()];
    p.encode(&mut buf).unwrap();
    buf
}

pub(super) fn pid(n: u16) -> Pid {
    Pid::new(n).unwrap()
}

pub(super) fn incoming(qos_pid: QosPid, payload: &[u8]) -> Vec<u8> {
    packet(Packet::Publish(Publish {
        dup: false,
        qos_pid,
        retain: false,
        topic: TopicName::new(b"in/t").unwrap(),
        payload,
    }))
}

pub(super) fn puback(n: u16) -> Vec<u8> {
    packet(Packet::PubAck(PubAck { pid: pid(n) }))
}
