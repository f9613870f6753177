//! Secret hashing, constant-time verification and key minting.

use hmac::{Hmac, Mac};
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::credential::KeyPrefix;
use super::key::SecretHash;
use crate::secret::Secret;

pub const MINTED_LOOKUP_ID_LEN: usize = 16;
pub const MINTED_SECRET_LEN: usize = 48;

#[derive(Clone)]
pub struct KeyHasher {
    pepper: Secret,
}

/// A freshly minted key: the token is shown once, only the hash is stored.
pub struct MintedKey {
    pub token: Secret,
    pub lookup_id: String,
    pub secret_hash: SecretHash,
}

impl KeyHasher {
    pub fn new(pepper: Secret) -> Self {
        Self { pepper }
    }

    pub fn hmac(&self, secret: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(self.pepper.expose().as_bytes()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of the presented secret with the stored hash.
    pub fn verify(&self, stored: &SecretHash, secret: &str) -> bool {
        match stored {
            SecretHash::HmacSha256(expected) => self.hmac(secret).ct_eq(expected).into(),
            SecretHash::Sha256(expected) => {
                let digest: [u8; 32] = Sha256::digest(secret.as_bytes()).into();
                digest.ct_eq(expected).into()
            }
        }
    }

    /// Does the same work as a real verification, so an unknown lookup id takes as long
    /// to reject as a known one with a wrong secret.
    pub fn verify_decoy(&self, secret: &str) {
        let digest = self.hmac(secret);
        std::hint::black_box(digest.ct_eq(&[0u8; 32]));
    }

    pub fn mint(&self, prefix: KeyPrefix) -> MintedKey {
        let mut rng = rand::rng();
        let lookup_id = Alphanumeric.sample_string(&mut rng, MINTED_LOOKUP_ID_LEN);
        let secret = Alphanumeric.sample_string(&mut rng, MINTED_SECRET_LEN);
        let secret_hash = SecretHash::HmacSha256(self.hmac(&secret));
        MintedKey {
            token: Secret::new(format!("{}{}_{}", prefix.as_str(), lookup_id, secret)),
            lookup_id,
            secret_hash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::credential::parse_token;

    #[test]
    fn minted_key_verifies_and_a_wrong_secret_does_not() {
        let hasher = KeyHasher::new(Secret::new("pepper"));
        let minted = hasher.mint(KeyPrefix::Ingest);
        let (_, lookup, secret) = parse_token(minted.token.expose()).unwrap();
        assert_eq!(lookup, minted.lookup_id);
        assert!(hasher.verify(&minted.secret_hash, secret));
        assert!(!hasher.verify(&minted.secret_hash, &secret.replace(&secret[..1], "Z0")));
        let other_pepper = KeyHasher::new(Secret::new("other"));
        assert!(!other_pepper.verify(&minted.secret_hash, secret));
    }

    #[test]
    fn legacy_sha256_hashes_verify() {
        let hasher = KeyHasher::new(Secret::new("pepper"));
        let digest: [u8; 32] = Sha256::digest(b"legacysecret0123456789").into();
        assert!(hasher.verify(&SecretHash::Sha256(digest), "legacysecret0123456789"));
        assert!(!hasher.verify(&SecretHash::Sha256(digest), "legacysecret0123456780"));
    }
}
