//! Free loopback ports for the processes a test or bench starts (also used by
//! `benches/load.rs`, which includes this file).

use std::net::TcpListener;

pub fn free_port() -> u16 {
    free_ports::<1>()[0]
}

/// `N` distinct free ports: held open together while they are picked, so the system cannot
/// hand out one of them twice (two `free_port` calls in a row can get the same port).
pub fn free_ports<const N: usize>() -> [u16; N] {
    let listeners: [TcpListener; N] =
        std::array::from_fn(|_| TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port"));
    listeners.map(|listener| listener.local_addr().expect("local addr").port())
}
