//! Name resolution without a thread per request.
//!
//! With a timeout set, ureq's default resolver looks the host up on a fresh thread for every
//! request, even when a pooled connection is reused and even for an IP address: that thread
//! was most of the server's own cost per call. Here an IP literal needs no lookup at all, and a
//! host name's addresses are kept for a minute, so a burst of sends resolves once.
//!
//! This uses ureq's `unversioned` API (public, but outside its semver promise); Cargo.lock
//! pins the ureq it was written against.

use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a host name's addresses are reused.
const TTL: Duration = Duration::from_secs(60);

/// The last lookup: one webhook host per sender.
#[derive(Debug)]
struct Lookup {
    key: String,
    addrs: ResolvedSocketAddrs,
    at: Instant,
}

/// ureq's resolver, without lookups for IP literals and with a short cache for names.
#[derive(Debug, Default)]
pub struct CachingResolver {
    inner: DefaultResolver,
    last: Mutex<Option<Lookup>>,
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().unwrap_or_default();
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            let default_port = if uri.scheme_str() == Some("https") {
                443
            } else {
                80
            };
            let mut addrs = self.empty();
            addrs.push(SocketAddr::new(ip, uri.port_u16().unwrap_or(default_port)));
            return Ok(addrs);
        }
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or_default(),
            uri.authority().map_or("", |a| a.as_str())
        );
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(lookup) = last
            .as_ref()
            .filter(|l| l.key == key && l.at.elapsed() < TTL)
        {
            return Ok(lookup.addrs.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        *last = Some(Lookup {
            key,
            addrs: addrs.clone(),
            at: Instant::now(),
        });
        Ok(addrs)
    }
}
