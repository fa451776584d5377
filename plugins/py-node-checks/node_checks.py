"""Checks a platform team keeps for its nodes: an OS release it supports, the marker its
provisioning tool leaves, and the CPUs and memory each node role needs.

Plain Python with no component imports: `app.py` hands it the host's node facts inside the
component, and the pytest tests hand it fakes.
"""

from dataclasses import dataclass
from typing import Callable, List, Optional, Protocol, Tuple

NAME = "py-node-checks"
VERSION = "0.1.0"
WIT_VERSION = "0.1.0"
MIN_HOST_VERSION = "0.1.0"

# The provisioning tool writes its marker here; the plugin declares it as its one read-path.
MARKER_DIR = "/var/lib/node-provisioner"
MARKER_REASON = "reads the marker the provisioning tool leaves when a node is ready"

CHECKS = [
    ("os-release", "the node runs an OS release the platform team supports"),
    ("provisioned", "the provisioning tool left its marker under " + MARKER_DIR),
    ("resources", "the node has the CPUs and memory its role needs"),
]

ROLES = ("control-plane", "worker")

# (name, description, default)
PARAMETERS = [
    ("supported-os", "ID or ID:VERSION_ID of /etc/os-release, comma-separated",
     "debian:12,debian:13,ubuntu:24.04"),
    ("marker", "the marker's file name in " + MARKER_DIR, "provisioned"),
    ("role", "the node's role: control-plane or worker", "worker"),
    ("control-plane-cpus", "the fewest CPUs of a control-plane node", "2"),
    ("control-plane-memory", "the least memory of a control-plane node (1700Mi, 4Gi)", "1700Mi"),
    ("worker-cpus", "the fewest CPUs of a worker node", "1"),
    ("worker-memory", "the least memory of a worker node", "1Gi"),
]

MIB = 1 << 20

QUANTITY_SUFFIXES = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18,
    "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
}


class CheckError(Exception):
    """The plugin cannot check at all (a bad parameter, a fact the host would not give);
    the host reports it as the plugin failing. One line, naming the value."""


@dataclass(frozen=True)
class Finding:
    check: str
    severity: str  # "error", "warning" or "info"
    message: str
    remedy: Optional[str] = None


class Node(Protocol):
    """The node facts the checks read (the host's `node` interface, or a test's fake)."""

    def os_release(self) -> List[Tuple[str, str]]: ...

    def cpu_count(self) -> int: ...

    def memory_bytes(self) -> int: ...


class Params:
    """The operator's parameters, each read with its default from PARAMETERS."""

    def __init__(self, pairs: List[Tuple[str, str]]):
        self._values = dict(pairs)
        unknown = sorted(set(self._values) - {name for name, _, _ in PARAMETERS})
        if unknown:
            # The host refuses unknown keys before running; this guards direct callers.
            raise CheckError(f"parameter {unknown[0]} not understood")
        self._defaults = {name: default for name, _, default in PARAMETERS}

    def text(self, key: str) -> str:
        return self._values.get(key, self._defaults[key]).strip()

    def count(self, key: str) -> int:
        value = self.text(key)
        if not value.isdigit():
            raise CheckError(f'parameter {key}: "{value}" is invalid; expected a whole number')
        return int(value)

    def size(self, key: str) -> int:
        value = self.text(key)
        size = parse_quantity(value)
        if size is None:
            raise CheckError(
                f'parameter {key}: "{value}" is invalid; '
                "expected a size such as 1700Mi, 2Gi, 1.5G or a number of bytes")
        return size


def parse_quantity(text: str) -> Optional[int]:
    """A non-negative Kubernetes quantity in bytes, fractions rounded down; None if invalid."""
    split = len(text)
    for i, c in enumerate(text):
        if not (c.isdigit() or c == "."):
            split = i
            break
    number, suffix = text[:split], text[split:]
    multiplier = QUANTITY_SUFFIXES.get(suffix)
    whole, _, fraction = number.partition(".")
    if multiplier is None or not whole.isdigit() or "." in fraction or len(fraction) > 9:
        return None
    if fraction and not fraction.isdigit():
        return None
    return int(whole + fraction) * multiplier // 10 ** len(fraction)


def check_os_release(node: Node, params: Params) -> List[Finding]:
    supported = [s.strip() for s in params.text("supported-os").split(",") if s.strip()]
    if not supported:
        raise CheckError('parameter supported-os: "" is invalid; expected ID or ID:VERSION_ID entries')
    fields = dict(node.os_release())
    os_id, version = fields.get("ID", ""), fields.get("VERSION_ID", "")
    if os_id in supported or f"{os_id}:{version}" in supported:
        return []
    shown = f"{os_id}:{version}" if version else os_id or "an OS without ID"
    return [Finding(
        "os-release", "error",
        f"the node runs {shown}; supported: {', '.join(supported)}",
        "install a supported release, or add it to the supported-os parameter")]


def check_marker(params: Params, marker_dir: str,
                 read: Callable[[str], str]) -> List[Finding]:
    name = params.text("marker")
    if not name or "/" in name or name in (".", ".."):
        raise CheckError(f'parameter marker: "{name}" is invalid; expected a file name')
    path = f"{marker_dir}/{name}"
    try:
        read(path)
    except FileNotFoundError:
        return [Finding(
            "provisioned", "error", f"no provisioning marker at {path}",
            "run the provisioning tool on this node first")]
    except OSError as e:
        return [Finding(
            "provisioned", "error",
            f"the provisioning marker {path} cannot be read: {e.strerror or e}",
            f"grant read-path {marker_dir} and check the marker's permissions")]
    return []


def check_resources(node: Node, params: Params) -> List[Finding]:
    role = params.text("role")
    if role not in ROLES:
        raise CheckError(f'parameter role: "{role}" is invalid; expected control-plane or worker')
    min_cpus = params.count(f"{role}-cpus")
    min_memory = params.size(f"{role}-memory")
    findings = []
    cpus = node.cpu_count()
    if cpus < min_cpus:
        findings.append(Finding(
            "resources", "error",
            f"a {role} node needs {min_cpus} CPUs, this one has {cpus}",
            f"give the node more CPUs, or lower {role}-cpus"))
    memory = node.memory_bytes()
    if memory < min_memory:
        findings.append(Finding(
            "resources", "error",
            f"a {role} node needs {-(-min_memory // MIB)} MiB of memory, "
            f"this one has {memory // MIB} MiB",
            f"give the node more memory, or lower {role}-memory"))
    return findings


def read_text(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def run(node: Node, pairs: List[Tuple[str, str]], marker_dir: str = MARKER_DIR,
        read: Callable[[str], str] = read_text) -> List[Finding]:
    """Every check; the problems found (empty when the node passes)."""
    params = Params(pairs)
    return (check_os_release(node, params)
            + check_marker(params, marker_dir, read)
            + check_resources(node, params))
