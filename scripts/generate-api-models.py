#!/usr/bin/env python3
"""Writes api-models/ from the botocore data installed on this machine.

The emulator's protocol layer is driven by these files; they are never edited by hand. Documentation strings
are dropped (they are most of the size and none of the behaviour). Corrections belong in api-models/overlays/.
Usage: python3 scripts/generate-api-models.py
"""
import gzip
import json
import os
import sys

import botocore

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api-models")
DATA = os.path.join(os.path.dirname(botocore.__file__), "data")

# service → (api version, operations to keep or None for all)
SERVICES = {
    "elasticache": ("2015-02-02", None),
    # The EC2 networking subset Terraform stacks around ElastiCache need (VPCs, subnets, security groups, ...).
    "ec2": ("2016-11-15", {
        "CreateVpc", "DescribeVpcs", "DeleteVpc", "DescribeVpcAttribute", "ModifyVpcAttribute",
        "DescribeRouteTables", "DescribeNetworkAcls",
        "CreateSubnet", "DescribeSubnets", "DeleteSubnet", "ModifySubnetAttribute",
        "CreateSecurityGroup", "DescribeSecurityGroups", "DeleteSecurityGroup",
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "DescribeSecurityGroupRules",
        "DescribeAvailabilityZones", "DescribeAccountAttributes", "DescribeNetworkInterfaces",
        "CreateTags", "DeleteTags", "DescribeTags",
    }),
    # Who am I: what tools ask before anything else.
    "sts": ("2011-06-15", {"GetCallerIdentity"}),
    "iam": ("2010-05-08", {"GetUser"}),
}

DROP_KEYS = {"documentation", "documentationUrl", "deprecatedMessage"}


def read_json(path):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def strip_docs(node):
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in DROP_KEYS}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


def reachable_shapes(model, operations):
    """Shapes used by the kept operations (inputs, outputs, errors), transitively."""
    shapes = model["shapes"]
    seen = set()
    stack = []
    for op in operations.values():
        for key in ("input", "output"):
            if key in op:
                stack.append(op[key]["shape"])
        stack.extend(e["shape"] for e in op.get("errors", []))
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        shape = shapes[name]
        for member in shape.get("members", {}).values():
            stack.append(member["shape"])
        for key in ("member", "key", "value"):
            if key in shape:
                stack.append(shape[key]["shape"])
    return seen


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(content, f, indent=1, sort_keys=False)
        f.write("\n")


def main():
    source = {"generator": "scripts/generate-api-models.py", "botocore": botocore.__version__, "services": {}}
    for service, (version, keep) in SERVICES.items():
        src = os.path.join(DATA, service, version)
        model = strip_docs(read_json(os.path.join(src, "service-2.json")))
        if keep is not None:
            model["operations"] = {k: v for k, v in model["operations"].items() if k in keep}
            used = reachable_shapes(model, model["operations"])
            model["shapes"] = {k: v for k, v in model["shapes"].items() if k in used}
        out = os.path.join(ROOT, service, version)
        write(os.path.join(out, "service-2.json"), model)
        files = ["service-2.json"]
        for extra in ("paginators-1.json", "waiters-2.json"):
            if os.path.exists(os.path.join(src, extra)) or os.path.exists(os.path.join(src, extra + ".gz")):
                data = read_json(os.path.join(src, extra))
                if keep is not None and extra == "paginators-1.json":
                    data["pagination"] = {k: v for k, v in data["pagination"].items() if k in keep}
                if keep is not None and extra == "waiters-2.json":
                    data["waiters"] = {
                        k: v for k, v in data["waiters"].items() if v["operation"] in keep
                    }
                write(os.path.join(out, extra), data)
                files.append(extra)
        source["services"][service] = {
            "apiVersion": version,
            "operations": len(model["operations"]),
            "shapes": len(model["shapes"]),
            "files": files,
        }
    write(os.path.join(ROOT, "SOURCE.json"), source)
    print(json.dumps(source, indent=1))


if __name__ == "__main__":
    sys.exit(main())
