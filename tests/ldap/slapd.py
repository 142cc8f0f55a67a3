"""A real OpenLDAP server (Debian's slapd) for the tests: its own config and database under a temporary directory,
listening on free loopback ports (ldap:// with StartTLS, and ldaps://), seeded with a small しののめ市 tree.

The tree (BASE = dc=shinonome,dc=lg,dc=jp):
  ou=people   yamada (staff group + 市民課 group), suzuki (admins), ito (records + staff: records wins),
              tanaka (employeeType=disabled, still in the staff group: the user filter leaves him out),
              sato (only in an unmapped group), shimin (same ID as a local demo account)
  ou=system   cn=spia-reader (the service account that looks users up)
  ou=groups   spia-admins, spia-records, spia-staff, shimin-ka, other-group (all groupOfNames; no memberOf overlay)
Passwords are "<Uid>-Dir-2025" (e.g. Yamada-Dir-2025); the service account's is Reader-Dir-2025.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

SLAPD = os.environ.get("SPIA_SLAPD", "/usr/sbin/slapd")
SLAPADD = os.environ.get("SPIA_SLAPADD", "/usr/sbin/slapadd")
SCHEMA = Path("/etc/ldap/schema")
BASE = "dc=shinonome,dc=lg,dc=jp"
ROOT_DN, ROOT_PW = f"cn=admin,{BASE}", "Root-Dir-2025"
READER_DN, READER_PW = f"cn=spia-reader,ou=system,{BASE}", "Reader-Dir-2025"
PEOPLE, GROUPS = f"ou=people,{BASE}", f"ou=groups,{BASE}"
DISABLED_FILTER = "(&(objectClass=inetOrgPerson)(uid={login})(!(employeeType=disabled)))"

USERS = {  # uid: (display name, groups, disabled)
    "yamada": ("市民課 山田 太郎", ["spia-staff", "shimin-ka"], False),
    "suzuki": ("情報政策課 鈴木 花子", ["spia-admins"], False),
    "ito": ("総務課 伊藤 三郎", ["spia-records", "spia-staff"], False),
    "tanaka": ("市民課 田中 一郎", ["spia-staff", "shimin-ka"], True),
    "sato": ("財政課 佐藤 次郎", ["other-group"], False),
    "shimin": ("同じIDの別人", ["spia-staff"], False),
}
GROUP_NAMES = ["spia-admins", "spia-records", "spia-staff", "shimin-ka", "other-group"]


def password(uid: str) -> str:
    return f"{uid.capitalize()}-Dir-2025"


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def group_dn(name: str) -> str:
    return f"cn={name},{GROUPS}"


def available() -> str | None:
    """None when slapd can run here, else the reason (for the skip)."""
    for path in (SLAPD, SLAPADD):
        if not os.path.exists(path):
            return f"{path} not found (apt-get install slapd ldap-utils)"
    if not (SCHEMA / "inetorgperson.schema").exists():
        return f"{SCHEMA}/inetorgperson.schema not found (apt-get install slapd)"
    if shutil.which("openssl") is None:
        return "openssl not found (apt-get install openssl)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ldif() -> str:
    out = [f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: shinonome\ndc: shinonome\n"]
    for ou in ("people", "groups", "system"):
        out.append(f"dn: ou={ou},{BASE}\nobjectClass: organizationalUnit\nou: {ou}\n")
    out.append(f"dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
               f"cn: spia-reader\nuserPassword: {READER_PW}\n")
    for uid, (name, _groups, disabled) in USERS.items():
        out.append(f"dn: {user_dn(uid)}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\nsn: {uid}\n"
                   f"displayName: {name}\nuserPassword: {password(uid)}\n"
                   + ("employeeType: disabled\n" if disabled else ""))
    for g in GROUP_NAMES:
        members = [user_dn(u) for u, (_n, groups, _d) in USERS.items() if g in groups] or [READER_DN]
        out.append(f"dn: {group_dn(g)}\nobjectClass: groupOfNames\ncn: {g}\n"
                   + "".join(f"member: {m}\n" for m in members))
    return "\n".join(out)


def _certificates(d: Path) -> None:
    """A throw-away CA and a server certificate for 127.0.0.1 / localhost, signed by it (and a second, unrelated
    CA: the "wrong CA" of the tests)."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    for ca in ("ca", "other-ca"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.pem",
            "-days", "2", "-subj", f"/CN=spia test {ca}")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    os.chmod(d / "server.key", 0o644)  # slapd may drop privileges; the file lives in a private temp dir


class Slapd:
    def __init__(self, workdir: Path):
        self.dir = workdir
        self.port, self.tls_port = free_port(), free_port()
        self.url, self.ldaps_url = f"ldap://127.0.0.1:{self.port}", f"ldaps://127.0.0.1:{self.tls_port}"
        self.ca_file, self.other_ca_file = str(workdir / "ca.pem"), str(workdir / "other-ca.pem")
        self.proc: subprocess.Popen | None = None

    def _conf(self) -> str:
        d = self.dir
        return "\n".join([
            *(f"include {SCHEMA / s}.schema" for s in ("core", "cosine", "inetorgperson")),
            "modulepath /usr/lib/ldap", "moduleload back_mdb", f"pidfile {d / 'slapd.pid'}",
            f"TLSCACertificateFile {d / 'ca.pem'}", f"TLSCertificateFile {d / 'server.pem'}",
            f"TLSCertificateKeyFile {d / 'server.key'}",
            "database mdb", "maxsize 10485760", f'suffix "{BASE}"', f'rootdn "{ROOT_DN}"', f"rootpw {ROOT_PW}",
            f"directory {d / 'db'}",
            "access to attrs=userPassword by self write by anonymous auth by * none",
            "access to * by * read", "",
        ])

    def start(self) -> Slapd:
        (self.dir / "db").mkdir()
        _certificates(self.dir)
        (self.dir / "slapd.conf").write_text(self._conf())
        (self.dir / "seed.ldif").write_text(_ldif(), encoding="utf-8")
        subprocess.run([SLAPADD, "-f", str(self.dir / "slapd.conf"), "-l", str(self.dir / "seed.ldif")],
                       check=True, capture_output=True)
        self.proc = subprocess.Popen(
            [SLAPD, "-h", f"{self.url}/ {self.ldaps_url}/", "-f", str(self.dir / "slapd.conf"), "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"slapd exited: {self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("slapd did not start within 20 s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def admin(self):
        """A connection bound as the directory's root (to change the tree during a test)."""
        from ldap3 import Connection

        conn = Connection(self.url, user=ROOT_DN, password=ROOT_PW, raise_exceptions=True)
        conn.bind()
        return conn
