//! Hostile preflight plugin: tries the network, which no plugin is granted. Each mode
//! reports one `outcome` finding starting with `denied:` (info) or `allowed:` (error).
//!
//! Modes: `tcp-connect` (to `addr`, default `127.0.0.1:6443`), `udp-send` (a datagram to
//! `addr`), `dns` (resolves `host`, default `localhost`).

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs, UdpSocket};

use kubeadm_rs_plugin_sdk::{
    Check, Finding, NodeFacts, ParamError, Parameter, Params, PluginError, PreflightPlugin,
};

fn outcome(result: std::io::Result<String>) -> Finding {
    match result {
        Ok(got) => Finding::error("outcome", format!("allowed: {got}")),
        Err(err) => Finding::info("outcome", format!("denied: {err}")),
    }
}

pub struct HostileNet;

impl PreflightPlugin for HostileNet {
    const NAME: &'static str = "hostile-net";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    fn checks() -> Vec<Check> {
        vec![Check::new("outcome", "what the network attempt got")]
    }

    fn parameters() -> Vec<Parameter> {
        vec![
            Parameter::new("mode", "tcp-connect, udp-send or dns"),
            Parameter::new("addr", "the address to connect or send to")
                .with_default("127.0.0.1:6443"),
            Parameter::new("host", "the name to resolve").with_default("localhost"),
        ]
    }

    fn run(_: &dyn NodeFacts, params: &Params) -> Result<Vec<Finding>, PluginError> {
        let addr = params.str_or("addr", "127.0.0.1:6443");
        let result = match params.require("mode")? {
            "tcp-connect" => TcpStream::connect(addr).and_then(|mut stream| {
                stream.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
                Ok(format!("connected to {addr}"))
            }),
            "udp-send" => UdpSocket::bind("0.0.0.0:0")
                .and_then(|socket| socket.send_to(b"hostile", addr))
                .map(|sent| format!("sent {sent} bytes to {addr}")),
            "dns" => {
                let host = params.str_or("host", "localhost");
                (host, 80)
                    .to_socket_addrs()
                    .map(|addrs| format!("resolved {host} to {:?}", addrs.collect::<Vec<_>>()))
            }
            other => {
                return Err(ParamError::Invalid {
                    key: "mode".to_owned(),
                    value: other.to_owned(),
                    expected: "tcp-connect, udp-send or dns".to_owned(),
                }
                .into());
            }
        };
        Ok(vec![outcome(result)])
    }
}

kubeadm_rs_plugin_sdk::export_plugin!(preflight: HostileNet);
