#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the seed inputs of the fuzz targets into corpus/<target>/seed-*.

Seeds are well-formed inputs that reach deep: real answer layouts (see
../../shared/reference/jtt978.md), a whole purchase for fuzz-tap, a whole
PSAM session for fuzz-psam, the project's own configuration and profile
files.  Findings are added next to them by hand (corpus/<target>/crash-*),
never overwritten by this script.  Run it from anywhere: python3 make_seeds.py
"""
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
AID = bytes.fromhex("A000000632010105")
OK = bytes.fromhex("9000")


def tlv(tag, value):
    t = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    return t + bytes([len(value)]) + value


def file15(serial):
    return (bytes.fromhex("01011000FFFFFFFF0201") + bytes.fromhex(serial) +
            bytes.fromhex("20240101203012310100"))


def file17():
    return bytes.fromhex("00000156110010000001" "01") + bytes(49)


def ppse():
    entry = tlv(0x4F, AID) + tlv(0x50, b"MOT_T_EP") + tlv(0x87, b"\x02")
    return tlv(0x6F, tlv(0x84, b"2PAY.SYS.DDF01") + tlv(0xA5, tlv(0xBF0C, tlv(0x61, entry))))


def fci(serial, with15=True):
    a5 = tlv(0x9F08, b"\x02") + (tlv(0x9F0C, file15(serial)) if with15 else b"")
    return tlv(0x6F, tlv(0x84, AID) + tlv(0xA5, a5))


def init(balance, atc):
    return (balance.to_bytes(4, "big") + atc.to_bytes(2, "big") + bytes(3) +
            bytes.fromhex("0100") + bytes.fromhex("1A2B3C4D"))


def rec1e():
    return bytes.fromhex("04 0000000018211503 01 0018 0021 0000 00 00000190 0000085C"
                         " 20201227140456 2900 12002900FFFFFFFF 000000000000".replace(" ", ""))


def answers(*parts):
    out = b""
    for p in parts:
        out += bytes([len(p)]) + p
    return out


def write(target, name, data):
    d = HERE / "corpus" / target
    d.mkdir(parents=True, exist_ok=True)
    (d / f"seed-{name}").write_bytes(data)


def card_seeds():
    a = "10001000000000070001"
    write("card", "ppse", b"\x00" + ppse())
    write("card", "fci", b"\x00" + fci(a))
    write("card", "fci-no-15", b"\x00" + fci(a, False))
    write("card", "file15", b"\x01" + file15(a))
    write("card", "file17", b"\x01" + file17())
    write("card", "rec18", b"\x01" + bytes.fromhex("0065000000000000C809001122334455202611210900 00".replace(" ", "")))
    write("card", "rec1a", b"\x01" + bytes([0x27, 0x02, 0x7D, 0x01, 0x01]) + bytes(123))
    write("card", "rec1e", b"\x01" + rec1e())
    write("card", "init", b"\x02" + init(5000, 100))
    write("card", "debit", b"\x02" + bytes.fromhex("1122334455667788"))
    write("card", "rapdu", b"\x03" + fci(a) + OK)


def psam_seeds():
    session = answers(bytes.fromhex("3B6C0000"), OK,
                      bytes.fromhex("0000000000000001A001") + OK,
                      bytes.fromhex("001122334455") + OK, OK, b"\x01" + OK,
                      bytes.fromhex("6108"), bytes.fromhex("000013881A2B3C4D") + OK, OK)
    write("psam", "session", session)
    write("psam", "mac2-refused", session[:-3] + answers(bytes.fromhex("9302")))


def tap_seeds():
    a, b = "10001000000000070001", "10001000000000070002"
    # byte 0: bit 0 compound, bit 1 direct SELECT
    write("tap", "compound-paid", b"\x01" + answers(
        ppse() + OK, fci(b) + OK, file17() + OK, init(3000, 7) + OK, OK,
        bytes.fromhex("1122334455667788") + OK))
    write("tap", "simple-direct-read15", b"\x02" + answers(
        fci(b, False) + OK, file15(b) + OK, file17() + OK, init(3000, 7) + OK,
        bytes.fromhex("1122334455667788") + OK))
    # card a has a grey record at ATC 100 (fuzz_tap.c): 805A proves it
    write("tap", "recovered", b"\x01" + answers(
        ppse() + OK, fci(a) + OK, file17() + OK, bytes.fromhex("8877665544332211") + OK))
    # no proof, ATC unmoved: the grey record is void and the fare charged
    write("tap", "void-then-paid", b"\x01" + answers(
        ppse() + OK, fci(a) + OK, file17() + OK, bytes.fromhex("9406"), init(5000, 100) + OK,
        OK, bytes.fromhex("1122334455667788") + OK))
    # no proof, ATC moved: pending
    write("tap", "pending", b"\x01" + answers(
        ppse() + OK, fci(a) + OK, file17() + OK, bytes.fromhex("9406"), init(4800, 101) + OK))


def file_seeds():
    write("config", "demo", (ROOT / "demo" / "ykt.conf").read_bytes())
    write("config", "faults", (ROOT / "tests" / "scenario" / "faults" / "ykt.conf").read_bytes())
    data = ROOT / "tests" / "data"
    write("profile", "adult", b"\x00" + (data / "cards" / "adult.card").read_bytes())
    write("profile", "sm4-phone", b"\x00" + (data / "cards" / "sm4-phone.card").read_bytes())
    write("profile", "psam", b"\x01" + (data / "psam" / "psam.psam").read_bytes())
    write("profile", "keys", b"\x02" + (data / "keys" / "issuer-sm4.keys").read_bytes())


if __name__ == "__main__":
    card_seeds()
    psam_seeds()
    tap_seeds()
    file_seeds()
