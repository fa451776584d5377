"""The component side of py-node-checks: the `preflight` world's exports over node_checks,
with the host's typed node facts. componentize-py builds this module (see build.sh)."""

from typing import Callable, List, Tuple, TypeVar

import wit_world
from componentize_py_types import Err
from wit_world.imports import node, types

import node_checks

T = TypeVar("T")

SEVERITY = {
    "error": types.Severity.ERROR,
    "warning": types.Severity.WARNING,
    "info": types.Severity.INFO,
}


def fact(name: str, get: Callable[[], T]) -> T:
    """A node fact, or CheckError saying why the host would not give it."""
    try:
        return get()
    except Err as e:
        why = e.value
        if isinstance(why, node.FactError_Unavailable):
            reason = f"unavailable: {why.value}"
        elif isinstance(why, node.FactError_Denied):
            reason = "denied"
        else:
            reason = "not found"
        raise node_checks.CheckError(f"node fact {name}: {reason}") from None


class HostNode:
    """node_checks.Node from the host's `node` interface."""

    def os_release(self) -> List[Tuple[str, str]]:
        return fact("os-release", node.os_release)

    def cpu_count(self) -> int:
        return fact("cpu-count", node.cpu_count)

    def memory_bytes(self) -> int:
        return fact("memory-bytes", node.memory_bytes)


class WitWorld(wit_world.WitWorld):
    def describe(self) -> types.PluginInfo:
        return types.PluginInfo(
            name=node_checks.NAME,
            version=node_checks.VERSION,
            kind=types.PluginKind.PREFLIGHT,
            wit_version=node_checks.WIT_VERSION,
            min_host_version=node_checks.MIN_HOST_VERSION,
            checks=[types.CheckInfo(n, d) for n, d in node_checks.CHECKS],
            parameters=[types.ParameterInfo(n, d, v) for n, d, v in node_checks.PARAMETERS],
            permissions=[types.PermissionRequest(
                types.Permission_ReadPath(node_checks.MARKER_DIR), node_checks.MARKER_REASON)],
        )

    def run(self, params: List[Tuple[str, str]]) -> List[types.Finding]:
        try:
            findings = node_checks.run(HostNode(), params)
        except node_checks.CheckError as e:
            raise Err(str(e))
        return [types.Finding(f.check, SEVERITY[f.severity], f.message, f.remedy)
                for f in findings]
