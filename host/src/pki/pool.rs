//! Keys generated ahead of time, in parallel, for the files a run is about to create. RSA key
//! generation dominates `init`; a parent phase fills the pool so its sub-phases, each still
//! runnable alone, find their keys ready.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::PkiError;
use super::keys::PrivateKey;
use crate::config::EncryptionAlgorithm;

/// Ready keys by the path of the file they are for.
#[derive(Debug, Default)]
pub struct KeyPool {
    ready: Mutex<HashMap<String, (EncryptionAlgorithm, PrivateKey)>>,
}

impl KeyPool {
    pub fn new() -> Self {
        KeyPool::default()
    }

    /// Generates a key for every id that has none pooled yet, spread over the CPUs.
    pub fn prepare(&self, ids: &[String], algorithm: EncryptionAlgorithm) -> Result<(), PkiError> {
        let missing: Vec<&String> = {
            let ready = self.ready.lock().expect("key pool lock");
            ids.iter()
                .filter(|id| ready.get(*id).is_none_or(|(a, _)| *a != algorithm))
                .collect()
        };
        let keys = generate_many(algorithm, missing.len())?;
        let mut ready = self.ready.lock().expect("key pool lock");
        for (id, key) in missing.into_iter().zip(keys) {
            ready.insert(id.clone(), (algorithm, key));
        }
        Ok(())
    }

    /// The ids with a key waiting, sorted (tests check nothing was generated in vain).
    #[cfg(test)]
    pub fn pooled(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .ready
            .lock()
            .expect("key pool lock")
            .keys()
            .cloned()
            .collect();
        ids.sort();
        ids
    }

    /// The pooled key for `id` if it has the right algorithm, else a freshly generated one.
    pub fn take(&self, id: &str, algorithm: EncryptionAlgorithm) -> Result<PrivateKey, PkiError> {
        let pooled = self.ready.lock().expect("key pool lock").remove(id);
        match pooled {
            Some((a, key)) if a == algorithm => Ok(key),
            _ => PrivateKey::generate(algorithm),
        }
    }
}

/// `count` keys; RSA ones on every available CPU (ECDSA keys take microseconds, threads would cost more).
fn generate_many(
    algorithm: EncryptionAlgorithm,
    count: usize,
) -> Result<Vec<PrivateKey>, PkiError> {
    let workers = if algorithm.is_rsa() {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(count)
    } else {
        1
    };
    if workers <= 1 {
        return (0..count)
            .map(|_| PrivateKey::generate(algorithm))
            .collect();
    }
    // A shared counter hands out work, so a slow prime search on one thread does not stall the rest.
    let next = AtomicUsize::new(0);
    let work = || {
        let mut out = Vec::new();
        while next.fetch_add(1, Ordering::Relaxed) < count {
            out.push(PrivateKey::generate(algorithm));
        }
        out
    };
    std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers).map(|_| s.spawn(work)).collect();
        let mut keys = work();
        for helper in helpers {
            keys.extend(helper.join().expect("key generation thread panicked"));
        }
        keys.into_iter().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_requested_number_of_distinct_keys() {
        for algorithm in [EncryptionAlgorithm::Rsa2048, EncryptionAlgorithm::EcdsaP256] {
            let keys = generate_many(algorithm, 3).unwrap();
            assert_eq!(keys.len(), 3, "{algorithm:?}");
            assert_ne!(keys[0].public_key_raw(), keys[1].public_key_raw());
            assert_ne!(keys[1].public_key_raw(), keys[2].public_key_raw());
        }
    }

    #[test]
    fn take_returns_the_prepared_key_once() {
        let pool = KeyPool::new();
        let ids = ["/pki/a.key".to_string(), "/pki/b.key".to_string()];
        pool.prepare(&ids, EncryptionAlgorithm::EcdsaP256).unwrap();
        let a = pool.ready.lock().unwrap()["/pki/a.key"]
            .1
            .public_key_raw()
            .to_vec();
        assert_eq!(
            pool.take("/pki/a.key", EncryptionAlgorithm::EcdsaP256)
                .unwrap()
                .public_key_raw(),
            a
        );
        assert_ne!(
            pool.take("/pki/a.key", EncryptionAlgorithm::EcdsaP256)
                .unwrap()
                .public_key_raw(),
            a
        );
    }

    #[test]
    fn a_key_of_another_algorithm_is_not_handed_out() {
        let pool = KeyPool::new();
        pool.prepare(&["/pki/a.key".to_string()], EncryptionAlgorithm::EcdsaP256)
            .unwrap();
        let key = pool
            .take("/pki/a.key", EncryptionAlgorithm::EcdsaP384)
            .unwrap();
        assert!(key.pem().starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(
            key.public_key_raw().len(),
            97,
            "an uncompressed P-384 point"
        );
    }
}
