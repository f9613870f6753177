//! Non-cryptographic digests and flow ids: `Murmur3Hash` and `Murmur3Hash128` (hex of the
//! little-endian hash, as upstream's twmb/murmur3 with seed 0), `XXH3` and `XXH128` (hex,
//! big-endian), and `CommunityID` (Corelight's community-id v1 flow hash).

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};
use xxhash_rust::xxh3::{xxh3_128, xxh3_64};

use super::super::eval::{EvalError, EvalResult};
use super::super::signature::{opt, req};
use super::super::value::Value;
use super::strings::{call, expect_int, expect_str, hash_call};
use super::{converter, param, FunctionSpec};

pub const SPECS: &[FunctionSpec] = &[
    converter("Murmur3Hash", &[req(param::VALUE)], |a| hash_call(a, murmur3_32_hex)),
    converter("Murmur3Hash128", &[req(param::VALUE)], |a| {
        hash_call(a, murmur3_128_hex)
    }),
    converter("XXH3", &[req(param::VALUE)], |a| hash_call(a, xxh3_hex)),
    converter("XXH128", &[req(param::VALUE)], |a| hash_call(a, xxh128_hex)),
    converter(
        "CommunityID",
        &[
            req(param::SOURCE_IP),
            req(param::SOURCE_PORT),
            req(param::DESTINATION_IP),
            req(param::DESTINATION_PORT),
            opt(param::PROTOCOL),
            opt(param::SEED),
        ],
        |a| call(a, community_id),
    ),
];

fn xxh3_hex(data: &[u8]) -> String {
    hex::encode(xxh3_64(data).to_be_bytes())
}

fn xxh128_hex(data: &[u8]) -> String {
    hex::encode(xxh3_128(data).to_be_bytes())
}

fn murmur3_32_hex(data: &[u8]) -> String {
    hex::encode(murmur3_x86_32(data, 0).to_le_bytes())
}

fn murmur3_128_hex(data: &[u8]) -> String {
    let (h1, h2) = murmur3_x64_128(data, 0);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&h1.to_le_bytes());
    bytes[8..].copy_from_slice(&h2.to_le_bytes());
    hex::encode(bytes)
}

/// MurmurHash3_x86_32 (Austin Appleby's reference, little-endian blocks).
fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for block in &mut blocks {
        let mut k = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    let mut k = 0u32;
    for (i, byte) in tail.iter().enumerate() {
        k ^= u32::from(*byte) << (8 * i);
    }
    if !tail.is_empty() {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    fmix32(h)
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// MurmurHash3_x64_128 (the reference's 64-bit variant): the two halves.
fn murmur3_x64_128(data: &[u8], seed: u64) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let (mut h1, mut h2) = (seed, seed);
    let mut blocks = data.chunks_exact(16);
    for block in &mut blocks {
        let mut k1 = u64::from_le_bytes(block[..8].try_into().unwrap_or([0; 8]));
        let mut k2 = u64::from_le_bytes(block[8..].try_into().unwrap_or([0; 8]));
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1
            .rotate_left(27)
            .wrapping_add(h2)
            .wrapping_mul(5)
            .wrapping_add(0x52dc_e729);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2
            .rotate_left(31)
            .wrapping_add(h1)
            .wrapping_mul(5)
            .wrapping_add(0x3849_5ab5);
    }
    let tail = blocks.remainder();
    let (mut k1, mut k2) = (0u64, 0u64);
    for (i, byte) in tail.iter().enumerate() {
        if i < 8 {
            k1 ^= u64::from(*byte) << (8 * i);
        } else {
            k2 ^= u64::from(*byte) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The protocols upstream names.
fn protocol_number(name: &str) -> Option<u8> {
    Some(match name {
        "ICMP" => 1,
        "TCP" => 6,
        "UDP" => 17,
        "RSVP" => 46,
        "ICMP6" => 58,
        "SCTP" => 132,
        _ => return None,
    })
}

/// `CommunityID(source_ip, source_port, destination_ip, destination_port, [protocol], [seed])`:
/// `1:` and the base64 SHA-1 of seed, the two endpoints in canonical order (smaller address,
/// then smaller port, first), the protocol and a zero byte, the two ports.
fn community_id(v: &[Value<'_>]) -> EvalResult<Value<'static>> {
    let ip = |value: &Value<'_>, what: &str| -> EvalResult<Vec<u8>> {
        let text = expect_str(value, what)?;
        match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(a)) => Ok(a.octets().to_vec()),
            // An IPv4-mapped IPv6 address hashes as the IPv4 one, as Go's To4 does.
            Ok(IpAddr::V6(a)) => Ok(a
                .to_ipv4_mapped()
                .map_or(a.octets().to_vec(), |v4| v4.octets().to_vec())),
            Err(_) => Err(EvalError::new(format!("invalid {what}: {text}"))),
        }
    };
    let port = |value: &Value<'_>, what: &str| -> EvalResult<u16> {
        let n = expect_int(value, what)?;
        u16::try_from(n)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| EvalError::new(format!("{what} must be between 1 and 65535, got {n}")))
    };
    let mut source = (ip(&v[0], "source IP")?, port(&v[1], "source port")?);
    let mut destination = (ip(&v[2], "destination IP")?, port(&v[3], "destination port")?);
    let protocol = match &v[4] {
        Value::Nil => 6,
        other => {
            let name = expect_str(other, "protocol")?;
            protocol_number(name).ok_or_else(|| EvalError::new(format!("unsupported protocol: {name}")))?
        }
    };
    let seed = match &v[5] {
        Value::Nil => 0,
        other => {
            let n = expect_int(other, "seed")?;
            u16::try_from(n).map_err(|_| EvalError::new(format!("seed must be between 0 and 65535, got {n}")))?
        }
    };
    let swap = if source.0.len() != destination.0.len() {
        source.0.len() > destination.0.len()
    } else {
        (&source.0, source.1) > (&destination.0, destination.1)
    };
    if swap {
        std::mem::swap(&mut source, &mut destination);
    }
    let mut tuple = Vec::with_capacity(2 + 32 + 2 + 4);
    tuple.extend_from_slice(&seed.to_be_bytes());
    tuple.extend_from_slice(&source.0);
    tuple.extend_from_slice(&destination.0);
    tuple.extend_from_slice(&[protocol, 0]);
    tuple.extend_from_slice(&source.1.to_be_bytes());
    tuple.extend_from_slice(&destination.1.to_be_bytes());
    let digest = Sha1::digest(&tuple);
    Ok(Value::string(format!(
        "1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Upstream's function tests (pkg/ottl/ottlfuncs/func_murmur3hash*_test.go, func_xxh*_test.go).
    #[test]
    fn digests_match_upstream_values() {
        assert_eq!(murmur3_32_hex(b"Hello World"), "ce837619");
        assert_eq!(murmur3_32_hex(b""), "00000000");
        assert_eq!(murmur3_128_hex(b"Hello World"), "dbc2a0c1ab26631a27b4c09fcf1fe683");
        assert_eq!(murmur3_128_hex(b""), "00000000000000000000000000000000");
        assert_eq!(xxh3_hex(b"hello world"), "d447b1ea40e6988b");
    }

    /// The reference implementation's published values (smhasher's verification strings).
    #[test]
    fn murmur3_matches_the_reference_for_every_tail_length() {
        assert_eq!(murmur3_x86_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_x86_32(b"hello, world", 0), 0x149b_bb7f);
        assert_eq!(
            murmur3_x86_32(b"The quick brown fox jumps over the lazy dog", 0),
            0x2e4f_f723
        );
        assert_eq!(murmur3_x86_32(b"hello", 1), 0xbb4a_bcad);
        let (h1, _) = murmur3_x64_128(b"hello", 0);
        assert_eq!(h1, 0xcbd8_a7b3_41bd_9b02);
        let (h1, h2) = murmur3_x64_128(b"The quick brown fox jumps over the lazy dog", 0);
        assert_eq!((h1, h2), (0xe34b_bc7b_bc07_1b6c, 0x7a43_3ca9_c49a_9347));
    }

    fn flow(source: &str, sport: i64, destination: &str, dport: i64, protocol: &str, seed: i64) -> String {
        let args = [
            Value::str(source),
            Value::Int(sport),
            Value::str(destination),
            Value::Int(dport),
            Value::str(protocol),
            Value::Int(seed),
        ];
        match community_id(&args).unwrap() {
            Value::Str(s) => s.into_owned(),
            other => panic!("{other:?}"),
        }
    }

    /// Upstream's e2e cases (pkg/ottl/e2e/e2e_test.go, CommunityID) and the direction rule.
    #[test]
    fn community_ids_match_upstream_and_ignore_direction() {
        let a = ("123.124.125.126", 12345, "55.56.57.58", 80);
        assert_eq!(flow(a.0, a.1, a.2, a.3, "TCP", 0), "1:9qr9Z1LViXcNwtLVOHZ3CL8MlyM=");
        assert_eq!(flow(a.0, a.1, a.2, a.3, "UDP", 1), "1:1viZaClxhTkWejXjxmQXaZzI8F4=");
        assert_eq!(flow(a.0, a.1, a.2, a.3, "RSVP", 11), "1:cEVbY6jymDAKgyIU4UqMu0WQHTI=");
        assert_eq!(flow(a.0, a.1, a.2, a.3, "SCTP", 12), "1:4KOPjy2bsV43uY/mf4HtwyZkwqM=");
        assert_eq!(flow(a.2, a.3, a.0, a.1, "TCP", 0), "1:9qr9Z1LViXcNwtLVOHZ3CL8MlyM=");
        let bad = [
            Value::str("999.1.1.1"),
            Value::Int(1),
            Value::str("1.1.1.1"),
            Value::Int(1),
            Value::Nil,
            Value::Nil,
        ];
        assert!(community_id(&bad).is_err());
        let bad_port = [
            Value::str("1.1.1.1"),
            Value::Int(0),
            Value::str("1.1.1.1"),
            Value::Int(1),
            Value::Nil,
            Value::Nil,
        ];
        assert!(community_id(&bad_port).is_err());
    }
}
