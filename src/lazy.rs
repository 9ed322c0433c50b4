//! Values the build cache keeps encoded until something reads them.
//!
//! An edit build of a big site loads what every document was last time, but
//! reads only a few documents' tables of contents and links. A [`Lazy`] read
//! from the cache holds its bytes and decodes them on first use; written back
//! untouched, it writes those bytes as they were.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::OnceLock;

/// Set when an encoded value failed to decode.
static DAMAGE_SEEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a value read from the cache failed to decode since the last call
/// (which clears it): whatever used it must be done again without the cache.
pub fn damage_seen() -> bool {
    DAMAGE_SEEN.swap(false, std::sync::atomic::Ordering::SeqCst)
}

/// A value, or its encoding (postcard) until first use.
pub struct Lazy<T> {
    value: OnceLock<T>,
    encoded: Option<Box<[u8]>>,
}

impl<T: DeserializeOwned + Default> Lazy<T> {
    pub fn new(value: T) -> Lazy<T> {
        Lazy {
            value: OnceLock::from(value),
            encoded: None,
        }
    }

    /// The value, decoded on first use.
    pub fn get(&self) -> &T {
        self.value.get_or_init(|| {
            let Some(bytes) = &self.encoded else {
                return T::default();
            };
            // The cache checks every memo's checksum before decoding it, so
            // this fails only if the cache is damaged in a way no check
            // caught: the value is taken as empty, and the build that read
            // it is done again without a cache (see `damage_seen`).
            postcard::from_bytes(bytes).unwrap_or_else(|_| {
                DAMAGE_SEEN.store(true, std::sync::atomic::Ordering::SeqCst);
                T::default()
            })
        })
    }
}

impl<T: DeserializeOwned + Default> Default for Lazy<T> {
    fn default() -> Lazy<T> {
        Lazy::new(T::default())
    }
}

impl<T: DeserializeOwned + Default> std::ops::Deref for Lazy<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: Clone> Clone for Lazy<T> {
    fn clone(&self) -> Lazy<T> {
        Lazy {
            value: self.value.clone(),
            encoded: self.encoded.clone(),
        }
    }
}

impl<T: DeserializeOwned + Default + PartialEq> PartialEq for Lazy<T> {
    fn eq(&self, other: &Lazy<T>) -> bool {
        match (&self.encoded, &other.encoded) {
            (Some(a), Some(b)) if a == b => true,
            _ => self.get() == other.get(),
        }
    }
}

impl<T: DeserializeOwned + Default + std::fmt::Debug> std::fmt::Debug for Lazy<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// In a binary format (the cache) the value travels as one byte string,
/// written back as read when nothing decoded it; elsewhere as itself.
impl<T: DeserializeOwned + Default + Serialize> Serialize for Lazy<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            return self.get().serialize(s);
        }
        match &self.encoded {
            Some(bytes) => s.serialize_bytes(bytes),
            None => {
                let bytes = postcard::to_stdvec(self.get()).map_err(serde::ser::Error::custom)?;
                s.serialize_bytes(&bytes)
            }
        }
    }
}

impl<'de, T: DeserializeOwned + Default> Deserialize<'de> for Lazy<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lazy<T>, D::Error> {
        if d.is_human_readable() {
            return T::deserialize(d).map(Lazy::new);
        }
        Ok(Lazy {
            value: OnceLock::new(),
            encoded: Some(d.deserialize_byte_buf(Bytes)?),
        })
    }
}

/// Reads a byte string without visiting it byte by byte.
struct Bytes;

impl serde::de::Visitor<'_> for Bytes {
    type Value = Box<[u8]>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an encoded value")
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Box<[u8]>, E> {
        Ok(v.into())
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Box<[u8]>, E> {
        Ok(v.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_survives_the_cache_format_whether_or_not_it_was_read() {
        let value = Lazy::new(vec!["a".to_string(), "b".to_string()]);
        let bytes = postcard::to_stdvec(&value).unwrap();
        let unread: Lazy<Vec<String>> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(postcard::to_stdvec(&unread).unwrap(), bytes);
        let read: Lazy<Vec<String>> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(*read, ["a", "b"]);
        assert_eq!(postcard::to_stdvec(&read).unwrap(), bytes);
        assert_eq!(read, value);
        let empty: Lazy<Vec<String>> = Lazy::default();
        assert!(empty.is_empty());
        let json = serde_json::to_string(&value).unwrap();
        let damaged: Lazy<Vec<String>> =
            postcard::from_bytes(&postcard::to_stdvec(&[1u8, 255]).unwrap()).unwrap();
        assert!(!damage_seen());
        assert!(
            damaged.is_empty(),
            "a value that does not decode reads as empty"
        );
        assert!(damage_seen(), "and says so");
        assert_eq!(json, r#"["a","b"]"#);
    }
}
