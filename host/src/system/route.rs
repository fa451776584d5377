//! The IPv4 default route, read from the kernel's routing table in `/proc/net/route`.

use std::net::Ipv4Addr;

/// `RTF_UP` and `RTF_GATEWAY` from `<linux/route.h>`.
const RTF_UP: u32 = 0x1;
const RTF_GATEWAY: u32 = 0x2;

/// One default route: the interface it leaves through and the gateway it goes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultRoute {
    pub interface: String,
    pub gateway: Ipv4Addr,
}

/// The default route with the lowest metric among those that are up and have a gateway.
pub fn default_route(table: &str) -> Option<DefaultRoute> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            // Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let destination = hex(f[1])?;
            let gateway = hex(f[2])?;
            let flags = hex(f[3])?;
            let metric: u32 = f[6].parse().ok()?;
            let mask = hex(f[7])?;
            let is_default = destination == 0
                && mask == 0
                && flags & (RTF_UP | RTF_GATEWAY) == RTF_UP | RTF_GATEWAY;
            is_default.then(|| {
                // The kernel prints the address as a native-endian u32 of network-order bytes.
                let route = DefaultRoute {
                    interface: f[0].to_string(),
                    gateway: Ipv4Addr::from(gateway.to_ne_bytes()),
                };
                (metric, route)
            })
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, route)| route)
}

fn hex(field: &str) -> Option<u32> {
    u32::from_str_radix(field, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT";

    fn table(rows: &[&str]) -> String {
        std::iter::once(HEADER)
            .chain(rows.iter().copied())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn native(ip: [u8; 4]) -> String {
        format!("{:08X}", u32::from_ne_bytes(ip))
    }

    #[test]
    fn picks_the_gateway_of_the_default_route() {
        let t = table(&[
            &format!(
                "eth0\t00000000\t{}\t0003\t0\t0\t0\t00000000\t0\t0\t0",
                native([192, 0, 2, 1])
            ),
            &format!(
                "eth0\t{}\t00000000\t0001\t0\t0\t0\t{}\t0\t0\t0",
                native([192, 0, 2, 0]),
                native([255, 255, 255, 0])
            ),
        ]);
        assert_eq!(
            default_route(&t),
            Some(DefaultRoute {
                interface: "eth0".into(),
                gateway: Ipv4Addr::new(192, 0, 2, 1)
            })
        );
    }

    #[test]
    fn lowest_metric_wins_among_several_default_routes() {
        let t = table(&[
            &format!(
                "wlan0\t00000000\t{}\t0003\t0\t0\t600\t00000000\t0\t0\t0",
                native([10, 0, 0, 1])
            ),
            &format!(
                "eth0\t00000000\t{}\t0003\t0\t0\t100\t00000000\t0\t0\t0",
                native([172, 16, 0, 1])
            ),
        ]);
        assert_eq!(
            default_route(&t).unwrap().gateway,
            Ipv4Addr::new(172, 16, 0, 1)
        );
    }

    #[test]
    fn routes_that_are_down_without_gateway_or_not_default_are_ignored() {
        for row in [
            format!(
                "eth0\t00000000\t{}\t0002\t0\t0\t0\t00000000\t0\t0\t0",
                native([10, 0, 0, 1])
            ),
            "ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0".to_string(),
            format!(
                "eth0\t{}\t{}\t0003\t0\t0\t0\t{}\t0\t0\t0",
                native([10, 1, 0, 0]),
                native([10, 0, 0, 1]),
                native([255, 255, 0, 0])
            ),
        ] {
            assert_eq!(default_route(&table(&[&row])), None, "{row}");
        }
    }

    #[test]
    fn an_empty_or_garbled_table_has_no_default_route() {
        assert_eq!(default_route(""), None);
        assert_eq!(default_route(&table(&["eth0 zz"])), None);
    }
}
