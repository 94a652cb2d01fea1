//! Sign-in rate limiting per client address: a fixed window of attempts,
//! so guessing passwords from one place is slow whatever the usernames
//! tried. Accounts are also locked after failures in a row (in the store),
//! which stops guessing one account from many places.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct LoginLimiter {
    attempts: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl LoginLimiter {
    pub fn new(attempts: u32, window: Duration) -> LoginLimiter {
        LoginLimiter { attempts, window, seen: Mutex::new(HashMap::new()) }
    }

    /// Counts an attempt from `ip`; Err(seconds to wait) past the limit.
    pub fn attempt(&self, ip: IpAddr) -> Result<(), u64> {
        self.attempt_at(ip, Instant::now())
    }

    fn attempt_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let Ok(mut seen) = self.seen.lock() else { return Ok(()) };
        if seen.len() > 100_000 {
            // Bounded memory: forget windows that are over.
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let (start, count) = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(*start) >= self.window {
            (*start, *count) = (now, 0);
        }
        if *count >= self.attempts {
            let left = self.window.saturating_sub(now.duration_since(*start));
            return Err(left.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_past_its_attempts_waits_for_the_window_to_end() {
        let limiter = LoginLimiter::new(3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            limiter.attempt_at(a, t0).unwrap();
        }
        assert_eq!(limiter.attempt_at(a, t0 + Duration::from_secs(20)), Err(40));
        limiter.attempt_at(b, t0).unwrap();
        limiter.attempt_at(a, t0 + Duration::from_secs(60)).unwrap();
    }
}
