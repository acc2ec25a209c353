//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §1.3, §4.1, §4.2.2).

use core::fmt;

use super::base64;
use super::headers::trim_ows;
use super::sha1::Sha1;

/// The GUID appended to the key before hashing (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// A `Sec-WebSocket-Key`: the base64 encoding of a 16-byte nonce, always 24 ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key([u8; 24]);

impl Key {
    /// Encodes a nonce the caller drew from its own entropy source (the core never draws
    /// randomness). RFC 6455 §4.1 asks for a fresh random nonce per connection.
    pub fn from_nonce(nonce: [u8; 16]) -> Self {
        let mut out = [0u8; 24];
        // 16 bytes encode to exactly 24 characters with padding.
        base64::encode(&nonce, &mut out);
        Key(out)
    }

    /// Checks a received header value (surrounding spaces and tabs ignored): `Some` only if
    /// it is canonical padded base64 of exactly 16 bytes.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let value = trim_ows(value);
        let encoded: [u8; 24] = value.try_into().ok()?;
        base64::decode_key(&encoded).map(|_| Key(encoded))
    }

    /// The key as it appears on the wire.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The key's bytes, as they appear on the wire.
    pub(super) fn as_bytes(&self) -> &[u8; 24] {
        &self.0
    }

    /// The `Sec-WebSocket-Accept` value a server answers this key with.
    pub fn accept(&self) -> AcceptKey {
        AcceptKey::from_key(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key").field(&self.as_str()).finish()
    }
}

/// A `Sec-WebSocket-Accept` value: base64(SHA-1(key + [`GUID`])), always 28 ASCII bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AcceptKey([u8; 28]);

impl AcceptKey {
    /// Computes the accept value for a key exactly as it appeared on the wire.
    pub fn from_key(key: &[u8]) -> Self {
        let mut sha = Sha1::new();
        sha.update(key);
        sha.update(GUID.as_bytes());
        let digest = sha.finish();
        let mut out = [0u8; 28];
        // 20 bytes encode to exactly 28 characters with padding.
        base64::encode(&digest, &mut out);
        AcceptKey(out)
    }

    /// The value as it appears on the wire.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The value's bytes.
    pub fn as_bytes(&self) -> &[u8; 28] {
        &self.0
    }
}

impl fmt::Debug for AcceptKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AcceptKey").field(&self.as_str()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_1_3_vector() {
        let key = Key::parse(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap();
        assert_eq!(key.accept().as_str(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(
            AcceptKey::from_key(b"dGhlIHNhbXBsZSBub25jZQ==").as_str(),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn nonce_round_trip() {
        let key = Key::from_nonce(*b"the sample nonce");
        assert_eq!(key.as_str(), "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(Key::parse(b" dGhlIHNhbXBsZSBub25jZQ==\t"), Some(key));
    }

    #[test]
    fn rejects_bad_keys() {
        for bad in [
            &b""[..],
            b"not base64 at all!!!!!!!",
            b"AAECAwQFBgcICQoLDA0O",     // 15 bytes
            b"AAECAwQFBgcICQoLDA0ODxA=", // 17 bytes
            b"AAECAwQFBgcICQoLDA0ODw",   // 16 bytes without padding
            b"AAECAwQFBgcICQoLDA0ODx==", // non-zero trailing bits
        ] {
            assert_eq!(Key::parse(bad), None, "{:?}", core::str::from_utf8(bad));
        }
        assert!(Key::parse(b"AAECAwQFBgcICQoLDA0ODw==").is_some());
    }
}
