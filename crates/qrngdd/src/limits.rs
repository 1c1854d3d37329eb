//! Per-source-address limits: how many connections, or `/push` uploads, one address may have open at once.
//!
//! An IPv4 address counts as itself (an IPv4-mapped IPv6 address as the IPv4 address); an IPv6 address
//! counts by its /64 prefix, since one host usually holds a whole /64. The table holds one entry per
//! address that has something open, so its size is bounded by what the caller admits in total.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, MutexGuard};

/// The unit a [`PerAddress`] limit counts by: an IPv4 address or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressKey(IpAddr);

impl AddressKey {
    /// The key of `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(Ipv6Addr::from(prefix)))
                }
            },
        }
    }
}

/// At most `max` things open per address.
#[derive(Debug)]
pub struct PerAddress {
    max: usize,
    open: Mutex<HashMap<AddressKey, usize>>,
}

impl PerAddress {
    /// A limit of `max` (at least 1) per address.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self { max: max.max(1), open: Mutex::new(HashMap::new()) })
    }

    fn table(&self) -> MutexGuard<'_, HashMap<AddressKey, usize>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one of `ip`'s places, or `None` when it already has `max` open. The place is given back when
    /// the permit is dropped.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<AddressPermit> {
        let key = AddressKey::of(ip);
        let mut t = self.table();
        let n = t.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressPermit { owner: self.clone(), key })
    }

    /// How many places `ip` holds now.
    pub fn open(&self, ip: IpAddr) -> usize {
        self.table().get(&AddressKey::of(ip)).copied().unwrap_or(0)
    }

    /// How many addresses hold at least one place.
    pub fn addresses(&self) -> usize {
        self.table().len()
    }
}

/// One place of an address under a [`PerAddress`] limit, given back on drop.
#[derive(Debug)]
pub struct AddressPermit {
    owner: Arc<PerAddress>,
    key: AddressKey,
}

impl Drop for AddressPermit {
    fn drop(&mut self) {
        let mut t = self.owner.table();
        if let Some(n) = t.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                t.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_forgets_closed_ones() {
        let l = PerAddress::new(2);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let p1 = l.try_acquire(a).unwrap();
        let _p2 = l.try_acquire(a).unwrap();
        assert!(l.try_acquire(a).is_none());
        let _q = l.try_acquire(b).unwrap();
        assert_eq!((l.open(a), l.addresses()), (2, 2));
        drop(p1);
        assert!(l.try_acquire(a).is_some());
        drop(_q);
        assert_eq!(l.addresses(), 1);
    }

    #[test]
    fn ipv6_counts_by_prefix_and_mapped_ipv4_as_ipv4() {
        let l = PerAddress::new(1);
        let _p = l.try_acquire("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert!(l.try_acquire("2001:db8:1:2:ffff::9".parse().unwrap()).is_none());
        assert!(l.try_acquire("2001:db8:1:3::1".parse().unwrap()).is_some());
        let _v4 = l.try_acquire("192.0.2.7".parse().unwrap()).unwrap();
        assert!(l.try_acquire("::ffff:192.0.2.7".parse().unwrap()).is_none());
    }
}
