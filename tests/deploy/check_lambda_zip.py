#!/usr/bin/env python3
"""Checks a Lambda deployment package (a zip for provided.al2023) without running it.

  check_lambda_zip.py ZIP [--arch x86_64|aarch64] [--max-glibc 2.34]
  check_lambda_zip.py --self-test PROBE   (PROBE: an ELF that needs GLIBC_2.36)

Rules:
- `bootstrap` is at the root, a regular file, executable; the zip is under Lambda's 50 MB
  (direct upload) and unzips to under 250 MB.
- Every ELF file in the zip is read (ELF header, program headers, .dynamic, .gnu.version_r: parsed
  here, no binutils needed): none may need a glibc symbol version above --max-glibc (2.34, the
  glibc of Amazon Linux 2023) UNLESS the package bundles the loader, that is: bootstrap is a
  shell script that execs lib/ld-linux-*.so.* --library-path .../lib bin/<name>, and both
  exist in the zip. Then the host's glibc is never used and the rule does not apply.
- With a bundled loader the package must be self-contained: every DT_NEEDED of every ELF in it
  is a file in lib/, the executable's PT_INTERP names the bundled loader, and every ELF is of
  the expected machine (no amd64 library in an arm64 package).
Prints one line per check and 'N passed, N failed'; exits 1 on any failure."""
import argparse
import io
import os
import re
import shutil
import stat
import struct
import sys
import tempfile
import zipfile

MACHINES = {62: "x86_64", 183: "aarch64"}
SHT_DYNAMIC, SHT_GNU_VERNEED = 6, 0x6FFFFFFE
PT_INTERP, DT_NEEDED = 3, 1


class Elf:
    """The parts of an ELF64 little-endian file that decide where it can run."""

    def __init__(self, data: bytes):
        if data[:4] != b"\x7fELF":
            raise ValueError("not an ELF file")
        if data[4] != 2 or data[5] != 1:
            raise ValueError("only ELF64 little-endian is supported")
        (self.type, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _) = struct.unpack_from(
            "<HHIQQQIHHHHHH", data, 16)
        self.machine = MACHINES.get(machine, f"machine {machine}")
        self.interp = None
        for i in range(phnum):
            p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
            if p_type == PT_INTERP:
                self.interp = data[p_offset:p_offset + p_filesz].rstrip(b"\0").decode()
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]

        def string(section_index, offset):
            base = sections[section_index][4]
            return data[base + offset:data.index(b"\0", base + offset)].decode()

        self.needed = []
        self.version_needs = []  # (file, version name), e.g. ("libc.so.6", "GLIBC_2.36")
        for (_, sh_type, _, _, off, size, link, _, _, _) in sections:
            if sh_type == SHT_DYNAMIC:
                for pos in range(off, off + size, 16):
                    tag, val = struct.unpack_from("<qQ", data, pos)
                    if tag == 0:
                        break
                    if tag == DT_NEEDED:
                        self.needed.append(string(link, val))
            elif sh_type == SHT_GNU_VERNEED:
                pos = off
                while True:
                    _, cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, pos)
                    aux = pos + vn_aux
                    for _ in range(cnt):
                        _, _, _, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                        self.version_needs.append((string(link, vn_file), string(link, vna_name)))
                        aux += vna_next
                    if vn_next == 0:
                        break
                    pos += vn_next

    def glibc_versions(self):
        """The GLIBC_x.y[.z] versions needed, as tuples of ints."""
        found = set()
        for _, name in self.version_needs:
            m = re.fullmatch(r"GLIBC_(\d+(?:\.\d+)+)", name)
            if m:
                found.add(tuple(int(x) for x in m.group(1).split(".")))
        return found


def version_text(v):
    return ".".join(str(x) for x in v)


def bundled_loader(bootstrap_text: str):
    """(loader, executable) paths in the zip when bootstrap runs an executable through a bundled
    loader with the bundled library path; None otherwise."""
    m = re.search(r'^exec "\$root/(lib/ld-linux[^"]*)" --library-path "\$root/lib" "\$root/(bin/[^"]+)"',
                  bootstrap_text, re.M)
    return (m.group(1), m.group(2)) if m else None


def check_zip(path, arch=None, max_glibc=(2, 34), out=sys.stdout):
    """Returns (passed, failed) and prints one line per check to `out`."""
    result = {"passed": 0, "failed": 0}

    def check(name, ok, detail=""):
        if ok:
            result["passed"] += 1
            print(f"ok   {name}", file=out)
        else:
            result["failed"] += 1
            print(f"FAIL {name}: {detail}", file=out)

    check("the zip exists (built by the default build)", os.path.isfile(path), f"{path} is missing")
    if not os.path.isfile(path):
        return result["passed"], result["failed"]
    with zipfile.ZipFile(path) as z:
        infos = {i.filename: i for i in z.infolist() if not i.is_dir()}
        check("the zip is under Lambda's 50 MB direct-upload limit", os.path.getsize(path) < 50 * 2**20,
              os.path.getsize(path))
        unzipped = sum(i.file_size for i in infos.values())
        check("it unzips to under Lambda's 250 MB", unzipped < 250 * 2**20, unzipped)
        check("bootstrap is at the root", "bootstrap" in infos, sorted(infos))
        if "bootstrap" not in infos:
            return result["passed"], result["failed"]
        mode = infos["bootstrap"].external_attr >> 16
        check("bootstrap is a regular file", stat.S_ISREG(mode), oct(mode))
        check("bootstrap is executable", mode & stat.S_IXUSR and mode & stat.S_IXOTH, oct(mode))
        bootstrap = z.read("bootstrap")
        bundled = None
        if bootstrap.startswith(b"#!/bin/sh"):
            bundled = bundled_loader(bootstrap.decode())
            check("bootstrap execs bin/<executable> through lib/ld-linux-*.so.* with --library-path lib",
                  bundled is not None, bootstrap.decode())
            if bundled:
                for name in bundled:
                    ok = name in infos and (infos[name].external_attr >> 16) & stat.S_IXUSR
                    check(f"{name} is in the zip and executable", ok, "missing or not executable")
                bundled = bundled if all(n in infos for n in bundled) else None
        else:
            check("bootstrap is an ELF executable (or a /bin/sh script)", bootstrap[:4] == b"\x7fELF", bootstrap[:16])

        elfs = {}
        for name in sorted(infos):
            data = z.read(name)
            if data[:4] == b"\x7fELF":
                try:
                    elfs[name] = Elf(data)
                except (ValueError, struct.error, IndexError) as e:
                    check(f"{name} is a readable ELF file", False, e)
        check("the zip holds ELF files", bool(elfs), sorted(infos))
        for name, elf in elfs.items():
            if arch:
                check(f"{name} is built for {arch}", elf.machine == arch, elf.machine)
            versions = elf.glibc_versions()
            newest = max(versions) if versions else None
            too_new = newest is not None and newest > max_glibc
            if bundled:
                if too_new:
                    print(f"ok   {name} needs GLIBC_{version_text(newest)} (> {version_text(max_glibc)}): "
                          "allowed, it runs on the bundled glibc", file=out)
            else:
                check(f"{name} needs no glibc symbol version above {version_text(max_glibc)}", not too_new,
                      f"needs GLIBC_{version_text(newest)} "
                      f"({', '.join(f'{f}:{v}' for f, v in elf.version_needs if v.startswith('GLIBC_2'))[:300]})")
        if bundled:
            loader, executable = bundled
            libs = {n[len("lib/"):] for n in infos if n.startswith("lib/") and "/" not in n[len("lib/"):]}
            missing = sorted({(n, lib) for n, e in elfs.items() for lib in e.needed if lib not in libs})
            check("every DT_NEEDED of every ELF file is in lib/ (self-contained)", not missing, missing)
            exe = elfs.get(executable)
            check(f"{executable} is an ELF executable", exe is not None, "not an ELF file")
            if exe:
                interp = os.path.basename(exe.interp or "")
                check(f"{executable}'s PT_INTERP is the bundled loader", interp == os.path.basename(loader),
                      exe.interp)
            libc = elfs.get("lib/libc.so.6")
            check("glibc itself (lib/libc.so.6) is bundled", libc is not None, "lib/libc.so.6 missing")
    return result["passed"], result["failed"]


def self_test(probe):
    """The rule fails on what it must reject and passes the same ELF once the loader is bundled."""
    passed = failed = 0

    def expect(name, ok, detail=""):
        nonlocal passed, failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok else f": {detail}"))
        passed, failed = passed + bool(ok), failed + (not ok)

    host_libc = next((p for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6",
                                  "/lib64/libc.so.6") if os.path.exists(p)), None)
    with open(probe, "rb") as f:
        probe_elf = Elf(f.read())
    expect("the probe needs GLIBC_2.36 (it calls arc4random)", (2, 36) in probe_elf.glibc_versions(),
           probe_elf.version_needs)
    if host_libc:
        with open(host_libc, "rb") as f:
            libc = Elf(f.read())
        expect(f"the host's {host_libc} needs a version above 2.34 of its loader",
               max(libc.glibc_versions()) > (2, 34), libc.version_needs)

    tmp = tempfile.mkdtemp()
    try:
        def make_zip(name, files):
            path = os.path.join(tmp, name)
            with zipfile.ZipFile(path, "w") as z:
                for arcname, (src, mode) in files.items():
                    info = zipfile.ZipInfo(arcname)
                    info.external_attr = (stat.S_IFREG | mode) << 16
                    data = src if isinstance(src, bytes) else open(src, "rb").read()
                    z.writestr(info, data)
            return path

        # Today's kind of zip: the executable alone as bootstrap, on the host's glibc.
        bad = make_zip("bad.zip", {"bootstrap": (probe, 0o755)})
        log = io.StringIO()
        _, bad_failures = check_zip(bad, out=log)
        expect("a zip whose bootstrap ELF needs GLIBC_2.36 fails the check",
               bad_failures > 0 and "needs GLIBC_2.36" in log.getvalue(), log.getvalue())
        if host_libc:
            bad_libc = make_zip("bad-libc.zip", {"bootstrap": (probe, 0o755), "lib/libc.so.6": (host_libc, 0o644)})
            log = io.StringIO()
            _, failures = check_zip(bad_libc, out=log)
            expect("a zip carrying the host's libc.so.6 without its loader fails the check",
                   failures > 0 and "lib/libc.so.6 needs no glibc symbol version above 2.34" in log.getvalue(),
                   log.getvalue())
        # A script bootstrap that does not use a bundled loader is no excuse either.
        script = b'#!/bin/sh\nexec "$LAMBDA_TASK_ROOT/bin/probe" "$@"\n'
        bad_script = make_zip("bad-script.zip", {"bootstrap": (script, 0o755), "bin/probe": (probe, 0o755)})
        log = io.StringIO()
        _, failures = check_zip(bad_script, out=log)
        expect("a script bootstrap without a bundled loader fails too",
               failures > 0 and "needs GLIBC_2.36" in log.getvalue(), log.getvalue())
    finally:
        shutil.rmtree(tmp)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("zip", nargs="?")
    parser.add_argument("--arch", choices=sorted(MACHINES.values()))
    parser.add_argument("--max-glibc", default="2.34")
    parser.add_argument("--self-test", metavar="PROBE")
    args = parser.parse_args()
    if args.self_test:
        return self_test(args.self_test)
    if not args.zip:
        parser.error("ZIP is required")
    passed, failed = check_zip(args.zip, args.arch, tuple(int(x) for x in args.max_glibc.split(".")))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
