"""Hostile preflight plugin in Python: a CPython component links every WASI interface,
sockets included, and this one tries them. Each mode reports one `outcome` finding starting
with `denied:` (info) when the sandbox held, or `allowed:` (error) when it did not.

Modes: `tcp-connect` (to `addr`, default 127.0.0.1:6443), `udp-send` (a datagram to
`addr`), `dns` (resolves `host`, default localhost), `env` (environment variable names,
arguments, working directory), `read-granted` (control: /srv/py-hostile/granted.txt),
`read-outside` (/secret.txt), `dotdot` (/srv/py-hostile/../../secret.txt), `symlink`
(/srv/py-hostile/escape, which the test links to a file outside), `write`
(/srv/py-hostile/pwned), `list-root`; `raise` lets an exception escape `run`.
"""

# getaddrinfo encodes host names with the idna codec; bundled here so that the attempts reach
# the host's sockets instead of failing on a missing codec.
import encodings.idna  # noqa: F401
import os
import socket
import sys
from typing import Callable, List, Tuple

import wit_world
from componentize_py_types import Err
from wit_world.imports import types

GRANTED = "/srv/py-hostile"
MODES = ("tcp-connect", "udp-send", "dns", "env", "read-granted", "read-outside", "dotdot",
         "symlink", "write", "list-root", "raise")


def address(text: str) -> Tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def tcp_connect(params: dict) -> str:
    addr = address(params.get("addr", "127.0.0.1:6443"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as conn:
        conn.settimeout(2)
        conn.connect(addr)
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
    return f"connected to {addr}"


def udp_send(params: dict) -> str:
    addr = address(params.get("addr", "127.0.0.1:6443"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        sent = s.sendto(b"hostile", addr)
    return f"sent {sent} bytes to {addr}"


def dns(params: dict) -> str:
    host = params.get("host", "localhost")
    return f"resolved {host} to {socket.getaddrinfo(host, 80)}"


def env(_: dict) -> str:
    names = sorted(os.environ)
    args = [a for a in sys.argv if a]
    try:
        cwd = os.getcwd()
    except OSError:
        cwd = "none"
    if names or args:
        return f"env: {','.join(names) or 'none'}; args: {','.join(args) or 'none'}; cwd: {cwd}"
    raise PermissionError(f"env: none; args: none; cwd: {cwd}")


def read(path: str) -> Callable[[dict], str]:
    def attempt(_: dict) -> str:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    return attempt


def write(_: dict) -> str:
    with open(f"{GRANTED}/pwned", "w", encoding="utf-8") as f:
        f.write("pwned")
    return f"wrote {GRANTED}/pwned"


def list_root(_: dict) -> str:
    return f"/ holds {sorted(os.listdir('/'))}"


ATTEMPTS = {
    "tcp-connect": tcp_connect,
    "udp-send": udp_send,
    "dns": dns,
    "env": env,
    "read-granted": read(f"{GRANTED}/granted.txt"),
    "read-outside": read("/secret.txt"),
    "dotdot": read(f"{GRANTED}/../../secret.txt"),
    "symlink": read(f"{GRANTED}/escape"),
    "write": write,
    "list-root": list_root,
}


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name="py-hostile",
            version="0.1.0",
            kind=types.PluginKind.PREFLIGHT,
            wit_version="0.1.0",
            min_host_version="0.1.0",
            checks=[types.CheckInfo("outcome", "what the attempt got")],
            parameters=[
                types.ParameterInfo("mode", ", ".join(MODES), None),
                types.ParameterInfo("addr", "the address to connect or send to",
                                    "127.0.0.1:6443"),
                types.ParameterInfo("host", "the name to resolve", "localhost"),
            ],
            permissions=[types.PermissionRequest(
                types.Permission_ReadPath(GRANTED), "the control read of the fs modes")],
        )

    def run(self, params: List[Tuple[str, str]]) -> List[types.Finding]:
        given = dict(params)
        attempt = ATTEMPTS.get(given.get("mode", ""))
        if given.get("mode") == "raise":
            raise RuntimeError("raised on purpose")
        if attempt is None:
            raise Err(f"parameter mode: {given.get('mode')!r} is invalid; expected one of {', '.join(MODES)}")
        try:
            got = attempt(given)
        except Exception as e:  # every refusal, whatever its type, is the outcome
            return [types.Finding("outcome", types.Severity.INFO,
                                  f"denied: {type(e).__name__}: {e}", None)]
        return [types.Finding("outcome", types.Severity.ERROR, f"allowed: {got}", None)]
