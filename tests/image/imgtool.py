#!/usr/bin/env python3
"""Build image tarballs for capsule's image tests, independently of capsule.

  imgtool.py oci OUT.tar [--index-in-index] [--docker-media-types] IMAGE...
  imgtool.py docker OUT.tar IMAGE...
  imgtool.py tar OUT.tar SPEC...      a layer tar from entry specs (see below)

IMAGE is "ref=NAME,platform=OS/ARCH[/VARIANT],cmd=CMD,layers=A.tar:B.tar.gz",
every field optional but layers. Layer files may be tar, tar+gzip or
tar+zstd (by magic); diff ids are computed from their uncompressed bytes.

Entry specs for `tar` (one per argument, fields separated by ':'):
  f:PATH:CONTENT[:MODE[:UID:GID]]  regular file
  d:PATH[:MODE]                   directory
  l:PATH:TARGET                   symlink
  h:PATH:TARGET                   hardlink
  c:PATH:MAJOR:MINOR              character device
  x:PATH:CONTENT:KEY=VALUE        regular file with an xattr (pax SCHILY.xattr)
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def uncompressed(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


def layer_media_type(data, docker):
    if data[:2] == b"\x1f\x8b":
        return "application/vnd.docker.image.rootfs.diff.tar.gzip" if docker else \
            "application/vnd.oci.image.layer.v1.tar+gzip"
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return "application/vnd.oci.image.layer.v1.tar+zstd"
    return "application/vnd.oci.image.layer.v1.tar"


def parse_image(spec):
    img = {"ref": None, "platform": "linux/amd64", "cmd": None, "layers": []}
    for part in spec.split(","):
        key, _, value = part.partition("=")
        img[key] = value.split(":") if key == "layers" else value
    return img


class Archive:
    def __init__(self, path):
        self.tar = tarfile.open(path, "w", format=tarfile.PAX_FORMAT)
        self.names = set()

    def add(self, name, data):
        if name in self.names:
            return
        self.names.add(name)
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        self.tar.addfile(info, io.BytesIO(data))

    def blob(self, data):
        digest = sha(data)
        self.add("blobs/sha256/" + digest[7:], data)
        return {"digest": digest, "size": len(data)}


def config_for(img, layers):
    os_, arch, *variant = img["platform"].split("/")
    cfg = {"architecture": arch, "os": os_,
           "config": {"Cmd": [img["cmd"]]} if img["cmd"] else {},
           "rootfs": {"type": "layers", "diff_ids": [sha(uncompressed(d)) for d in layers]},
           "history": [{"created_by": "imgtool layer %d" % i} for i in range(len(layers))]}
    if variant:
        cfg["variant"] = variant[0]
    return json.dumps(cfg).encode()


def oci(out, args):
    nested = "--index-in-index" in args
    docker = "--docker-media-types" in args
    images = [parse_image(a) for a in args if not a.startswith("--")]
    ar = Archive(out)
    ar.add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    descs = []
    for img in images:
        layers = [open(p, "rb").read() for p in img["layers"]]
        cfg = ar.blob(config_for(img, layers))
        manifest = {"schemaVersion": 2,
                    "mediaType": MT_DOCKER_MANIFEST if docker else MT_OCI_MANIFEST,
                    "config": dict(mediaType=MT_DOCKER_CONFIG if docker else MT_OCI_CONFIG, **cfg),
                    "layers": [dict(mediaType=layer_media_type(d, docker), **ar.blob(d))
                               for d in layers]}
        desc = dict(mediaType=manifest["mediaType"], **ar.blob(json.dumps(manifest).encode()))
        os_, arch, *variant = img["platform"].split("/")
        desc["platform"] = {"os": os_, "architecture": arch}
        if variant:
            desc["platform"]["variant"] = variant[0]
        if img["ref"] and not nested:
            desc["annotations"] = {"org.opencontainers.image.ref.name": img["ref"]}
        descs.append(desc)
    if nested:
        index = {"schemaVersion": 2, "mediaType": MT_DOCKER_LIST if docker else MT_OCI_INDEX,
                 "manifests": descs}
        desc = dict(mediaType=index["mediaType"], **ar.blob(json.dumps(index).encode()))
        ref = next((i["ref"] for i in images if i["ref"]), None)
        if ref:
            desc["annotations"] = {"org.opencontainers.image.ref.name": ref}
        descs = [desc]
    ar.add("index.json", json.dumps({"schemaVersion": 2, "manifests": descs}).encode())
    ar.tar.close()


def docker(out, args):
    ar = Archive(out)
    entries = []
    for img in (parse_image(a) for a in args):
        layers = [open(p, "rb").read() for p in img["layers"]]
        cfg = config_for(img, layers)
        ar.add(sha(cfg)[7:] + ".json", cfg)
        names = []
        for d in layers:
            name = sha(d)[7:] + "/layer.tar"
            ar.add(name, d)
            names.append(name)
        entries.append({"Config": sha(cfg)[7:] + ".json",
                        "RepoTags": [img["ref"]] if img["ref"] else None, "Layers": names})
    ar.add("manifest.json", json.dumps(entries).encode())
    ar.tar.close()


def layer(out, specs):
    tar = tarfile.open(out, "w", format=tarfile.PAX_FORMAT)
    for spec in specs:
        kind, path, *rest = spec.split(":")
        info = tarfile.TarInfo(path)
        info.mtime = 1000000000
        data = None
        if kind in ("f", "x"):
            data = rest[0].encode()
            info.size = len(data)
            info.mode = int(rest[1], 8) if kind == "f" and len(rest) > 1 else 0o644
            if kind == "f" and len(rest) > 3:
                info.uid, info.gid = int(rest[2]), int(rest[3])
            if kind == "x":
                key, _, value = rest[1].partition("=")
                info.pax_headers = {"SCHILY.xattr." + key: value}
        elif kind == "d":
            info.type = tarfile.DIRTYPE
            info.mode = int(rest[0], 8) if rest else 0o755
        elif kind == "l":
            info.type, info.linkname = tarfile.SYMTYPE, rest[0]
        elif kind == "h":
            info.type, info.linkname = tarfile.LNKTYPE, rest[0]
        elif kind == "c":
            info.type = tarfile.CHRTYPE
            info.devmajor, info.devminor = int(rest[0]), int(rest[1])
        else:
            sys.exit("unknown entry kind " + kind)
        tar.addfile(info, io.BytesIO(data) if data is not None else None)
    tar.close()


if __name__ == "__main__":
    cmd, out, *rest = sys.argv[1:]
    {"oci": oci, "docker": docker, "tar": layer}[cmd](out, rest)
