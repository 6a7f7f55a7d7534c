#!/usr/bin/env python3
"""Build an OCI image layout from layer directories, for skopeo to copy.

  mkimage.py LAYOUT TAG [--platform OS/ARCH DIR...]...

Each DIR becomes one gzip'd tar layer (whiteout files such as .wh.NAME are
kept as they are). One platform makes a plain image manifest; several make
an image index with one manifest per platform, each with its own config.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def put_blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    with open(path, "wb") as f:
        f.write(data)
    return "sha256:" + digest


def tar_dir(src):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for root, dirs, files in os.walk(src):
            dirs.sort()
            for name in sorted(dirs) + sorted(files):
                full = os.path.join(root, name)
                arc = os.path.relpath(full, src)
                info = tar.gettarinfo(full, arc)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isfile():
                    with open(full, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return buf.getvalue()


def descriptor(media_type, digest, data, extra=None):
    d = {"mediaType": media_type, "digest": digest, "size": len(data)}
    d.update(extra or {})
    return d


def image(layout, os_name, arch, dirs):
    layers, diff_ids = [], []
    for d in dirs:
        raw = tar_dir(d)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gz = gzip.compress(raw, mtime=0)
        layers.append(descriptor("application/vnd.oci.image.layer.v1.tar+gzip",
                                 put_blob(layout, gz), gz))
    config = json.dumps({
        "architecture": arch, "os": os_name,
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "mkimage.py layer %d" % i} for i in range(len(dirs))],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json",
                             put_blob(layout, config), config),
        "layers": layers,
    }, sort_keys=True).encode()
    return manifest


def main(argv):
    layout, tag = argv[0], argv[1]
    platforms, args = [], iter(argv[2:])
    for a in args:
        if a == "--platform":
            platforms.append((next(args), []))
        else:
            platforms[-1][1].append(a)
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    manifests = []
    for plat, dirs in platforms:
        os_name, arch = plat.split("/", 1)
        m = image(layout, os_name, arch, dirs)
        manifests.append(descriptor("application/vnd.oci.image.manifest.v1+json",
                                    put_blob(layout, m), m,
                                    {"platform": {"os": os_name, "architecture": arch}}))
    if len(manifests) == 1:
        top = manifests[0]
        del top["platform"]
    else:
        idx = json.dumps({"schemaVersion": 2,
                          "mediaType": "application/vnd.oci.image.index.v1+json",
                          "manifests": manifests}, sort_keys=True).encode()
        top = descriptor("application/vnd.oci.image.index.v1+json", put_blob(layout, idx), idx)
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    print(top["digest"])


if __name__ == "__main__":
    main(sys.argv[1:])
