//! Test doubles shared by the config tests.

use super::HostFacts;

/// Host facts with fixed answers; `loopback` is what the loopback interface offers.
pub(crate) struct FakeHost {
    pub hostname: Result<&'static str, &'static str>,
    pub address: Result<&'static str, &'static str>,
    pub loopback: Option<&'static str>,
}

impl Default for FakeHost {
    fn default() -> Self {
        FakeHost {
            hostname: Ok("Node-1"),
            address: Ok("192.168.0.10"),
            loopback: None,
        }
    }
}

impl HostFacts for FakeHost {
    fn hostname(&self) -> Result<String, String> {
        self.hostname.map(str::to_string).map_err(str::to_string)
    }

    fn default_address(&self) -> Result<String, String> {
        self.address.map(str::to_string).map_err(str::to_string)
    }

    fn new_token(&self) -> String {
        "newtok.0123456789abcdef".to_string()
    }

    fn loopback_global_address(&self) -> Result<Option<String>, String> {
        Ok(self.loopback.map(str::to_string))
    }
}
