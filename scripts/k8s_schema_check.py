#!/usr/bin/env python3
"""Offline schema check of Kubernetes manifests with the JSON schemas bundled in PyPI's
kubernetes-validate. Reports every error of every document (the kubernetes-validate CLI
stops at the first) and fails on a kind it has no schema for, except kubeadm's and the
components' own config kinds, which it skips. Ends with `N passed, N failed, N skipped`.

Usage: k8s_schema_check.py [-k 1.34] [--lax] FILE...   (run with the venv's python)
Strict (additional properties are errors) unless --lax.
"""
import argparse
import re
import sys

import jsonschema
import yaml
from kubernetes_validate import utils
from referencing import Registry, Resource

ALLOW_NO_SCHEMA = ("kubeadm.k8s.io/", "kubelet.config.k8s.io/", "kubeproxy.config.k8s.io/")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", "--kubernetes-version", default="1.34", help="Kubernetes version (major.minor)")
    ap.add_argument("--lax", action="store_true", help="allow properties the schema does not define")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()

    wanted = a.kubernetes_version if a.kubernetes_version.count(".") > 1 else a.kubernetes_version + ".0"
    versions = [v for v in utils.all_versions() if utils.major_minor(v) == utils.major_minor(wanted)]
    if not versions:
        print("no schemas for Kubernetes %s in this kubernetes-validate" % a.kubernetes_version)
        return 2
    ver = versions[0]
    sdir = "kubernetes-json-schema/v%s-local%s" % (ver, "" if a.lax else "-strict")
    defs = Resource.from_contents(utils.schema_contents(sdir + "/_definitions.json", ver))

    bad = total = skipped = 0
    for f in a.files:
        with open(f) as fh:
            docs = list(yaml.safe_load_all(fh))
        for doc in docs:
            if not doc:
                continue
            total += 1
            gv, kind = doc.get("apiVersion", "?"), doc.get("kind", "?")
            name = "%s %s/%s" % (f, kind, (doc.get("metadata") or {}).get("name"))
            gvf = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", gv)
            try:
                schema = utils.schema_contents("%s/%s-%s.json" % (sdir, kind.lower(), gvf), ver)
            except FileNotFoundError:
                if gv.startswith(ALLOW_NO_SCHEMA):
                    print("SKIP %s (no schema for %s)" % (name, gv))
                    skipped += 1
                    continue
                print("FAIL %s: no schema for %s %s in %s" % (name, gv, kind, ver))
                bad += 1
                continue
            validator = jsonschema.Draft202012Validator(
                schema, registry=Resource.from_contents(schema) @ (defs @ Registry())
            )
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
            for e in errors:
                print("FAIL %s: %s: %s" % (name, ".".join(map(str, e.absolute_path)) or "<root>", e.message))
            if errors:
                bad += 1
            else:
                print("ok   %s" % name)
    print("%d passed, %d failed, %d skipped" % (total - bad - skipped, bad, skipped))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
