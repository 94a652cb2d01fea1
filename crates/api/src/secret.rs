//! Secrets: random session cookies, CSRF tokens and API tokens, and the
//! hashes stored in their place; argon2id password hashes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// What every API token starts with, so it is recognisable in logs and by
/// secret scanners.
pub const TOKEN_PREFIX: &str = "bw_";

/// `bytes` random bytes from the OS, URL-safe base64.
pub fn random(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source");
    URL_SAFE_NO_PAD.encode(buf)
}

/// A new API token: the token (shown once) and the prefix kept to list it.
pub fn new_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random(32));
    let prefix = token.chars().take(TOKEN_PREFIX.len() + 6).collect();
    (token, prefix)
}

/// What is stored for a session cookie or token: high-entropy secrets need
/// no slow hash, only one that a database leak does not reverse.
pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// argon2id with OWASP's recommended parameters (19 MiB, 2 passes).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password")
        .to_string()
}

/// Whether `password` matches the stored PHC string (any argon2 variant
/// and parameters it names).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
}

/// A password an administrator can be given: 20 characters from an
/// alphabet without look-alikes.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    // 256 is not a multiple of the alphabet's size; the bias (< 1 %) is
    // harmless for a generated password of this length.
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// Refuses passwords too weak to protect billing data.
pub fn check_new_password(password: &str, username: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("a password needs at least 10 characters".into());
    }
    if password.len() > 1024 {
        return Err("a password may have at most 1024 bytes".into());
    }
    if password.eq_ignore_ascii_case(username) {
        return Err("a password must not be the username".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let phc = hash_password("correct horse battery");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password("correct horse battery", &phc));
        assert!(!verify_password("correct horse batterY", &phc));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash_password("same"), hash_password("same"), "salted");
    }

    #[test]
    fn tokens_are_random_prefixed_and_stored_as_digests() {
        let (a, prefix) = new_token();
        let (b, _) = new_token();
        assert!(a.starts_with("bw_") && a.len() > 40 && a != b);
        assert!(a.starts_with(&prefix) && prefix.len() == 9);
        assert_eq!(digest(&a), digest(&a));
        assert_eq!(digest(&a).len(), 32);
    }

    #[test]
    fn weak_passwords_are_refused_and_generated_ones_pass() {
        assert!(check_new_password("short", "x").is_err());
        assert!(check_new_password("AdminAdmin", "adminadmin").is_err());
        let p = generate_password();
        assert_eq!(p.len(), 20);
        check_new_password(&p, "admin").unwrap();
    }
}
