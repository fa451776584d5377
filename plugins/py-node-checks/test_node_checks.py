"""The checks' logic, natively: `pytest plugins/py-node-checks` (no component, no host)."""

import pytest

import node_checks
from node_checks import CheckError, Finding

GiB = 1 << 30


class FakeNode:
    def __init__(self, os_id="debian", version="12", cpus=4, memory=8 * GiB):
        self.fields = [("ID", os_id), ("VERSION_ID", version)] if version else [("ID", os_id)]
        self.cpus = cpus
        self.memory = memory

    def os_release(self):
        return self.fields

    def cpu_count(self):
        return self.cpus

    def memory_bytes(self):
        return self.memory


@pytest.fixture
def marker_dir(tmp_path):
    (tmp_path / "provisioned").write_text("profile=standard\n")
    return str(tmp_path)


def run(node, params=(), marker_dir="/nonexistent"):
    return node_checks.run(node, list(params), marker_dir=marker_dir)


def test_a_supported_provisioned_node_passes(marker_dir):
    assert run(FakeNode(), marker_dir=marker_dir) == []
    assert run(FakeNode("ubuntu", "24.04"), marker_dir=marker_dir) == []


def test_an_unsupported_release_is_named_with_the_supported_ones(marker_dir):
    assert run(FakeNode("debian", "11"), marker_dir=marker_dir) == [Finding(
        "os-release", "error", "the node runs debian:11; supported: debian:12, debian:13, ubuntu:24.04",
        "install a supported release, or add it to the supported-os parameter")]


def test_supported_os_takes_bare_ids_and_versions(marker_dir):
    params = [("supported-os", "rocky, debian:11")]
    assert run(FakeNode("rocky", "9.4"), params, marker_dir) == []
    assert run(FakeNode("debian", "11"), params, marker_dir) == []
    [finding] = run(FakeNode("debian", "12"), params, marker_dir)
    assert finding.message == "the node runs debian:12; supported: rocky, debian:11"


def test_a_missing_marker_is_an_error(tmp_path):
    [finding] = run(FakeNode(), marker_dir=str(tmp_path))
    assert finding == Finding("provisioned", "error",
                              f"no provisioning marker at {tmp_path}/provisioned",
                              "run the provisioning tool on this node first")


def test_the_marker_name_is_a_parameter_and_stays_a_file_name(marker_dir):
    assert run(FakeNode(), [("marker", "provisioned")], marker_dir) == []
    [finding] = run(FakeNode(), [("marker", "ready")], marker_dir)
    assert finding.message.endswith("/ready")
    for bad in ("../secret", "a/b", "..", ""):
        with pytest.raises(CheckError, match='parameter marker: ".*" is invalid; expected a file name'):
            run(FakeNode(), [("marker", bad)], marker_dir)


def test_an_unreadable_marker_names_the_error():
    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    [finding] = node_checks.run(FakeNode(), [], marker_dir="/m", read=denied)
    assert finding.message == "the provisioning marker /m/provisioned cannot be read: Permission denied"


def test_each_role_has_its_own_minimums(marker_dir):
    small = FakeNode(cpus=1, memory=1 * GiB)
    assert run(small, [("role", "worker")], marker_dir) == []
    assert [f.message for f in run(small, [("role", "control-plane")], marker_dir)] == [
        "a control-plane node needs 2 CPUs, this one has 1",
        "a control-plane node needs 1700 MiB of memory, this one has 1024 MiB",
    ]
    params = [("worker-cpus", "8"), ("worker-memory", "1.5Gi")]
    assert [f.message for f in run(small, params, marker_dir)] == [
        "a worker node needs 8 CPUs, this one has 1",
        "a worker node needs 1536 MiB of memory, this one has 1024 MiB",
    ]


@pytest.mark.parametrize("params, message", [
    ([("role", "etcd")], 'parameter role: "etcd" is invalid; expected control-plane or worker'),
    ([("worker-cpus", "two")], 'parameter worker-cpus: "two" is invalid; expected a whole number'),
    ([("worker-memory", "1GB")], 'parameter worker-memory: "1GB" is invalid; expected a size'),
    ([("min-cpus", "2")], "parameter min-cpus not understood"),
])
def test_bad_parameters_stop_the_plugin_with_one_line(marker_dir, params, message):
    with pytest.raises(CheckError) as e:
        run(FakeNode(), params, marker_dir)
    assert str(e.value).startswith(message)


@pytest.mark.parametrize("text, size", [
    ("1700Mi", 1700 << 20), ("1Gi", 1 << 30), ("1.5G", 1_500_000_000), ("512", 512),
    ("0.5Ki", 512), ("1e3", None), ("Gi", None), ("-1Gi", None), ("1.2.3Gi", None),
])
def test_quantities_read_as_kubernetes_writes_them(text, size):
    assert node_checks.parse_quantity(text) == size
