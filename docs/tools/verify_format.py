#!/usr/bin/env python3
"""An independent verifier of SilverLedger stores, written from docs/FORMAT.md alone.

Walks a store directory and checks every byte the format defines: the STORE
manifest, every segment header, every batch (header, both CRC32Cs, the
SHA-256 chain across segments, positions, timestamps, write groups), every
payload (LZ4 block decompression, record framing), every index file and HEAD;
and, for an event store, its saved stream and command indexes
(snapshots/store.index) against the event envelopes of the log; and its seals
(SEALS, §19) against the chain, with --key-file=FILE also their MACs.
Prints a summary, or the problems found with their file, byte offset and
position.

Standard library only: CRC32C and LZ4 block decompression are implemented
here, in pure Python, from the specification (CRC32C runs at a few MB/s, so a
store of many 64 MiB segments takes a while).

It also says, for the first problem, what `Log.open` would do about it
(FORMAT.md §14): cut it off as a torn tail (nothing of a later write follows
it, and no durable HEAD covers it), refuse the store, or not see it at all because a usable index covers it
or it is inside a payload.

    usage: verify_format.py [--quiet] [--self-test] [--key-file=FILE] STORE_DIR

Exit status: 0 intact; 1 the log itself is damaged (or has a torn tail that
open would cut off); 2 only an index file, HEAD, a reserved field or another
writer convention is wrong (open rebuilds or ignores them); 3 not a store /
cannot run.
"""

import hashlib
import os
import re
import signal
import struct
import sys

# --- §1 Conventions -----------------------------------------------------------

MAGIC_STORE = b"SLSTORE1"
MAGIC_SEGMENT = b"SLSEGMT1"
MAGIC_BATCH = b"SLB1"
MAGIC_INDEX = b"SLINDEX1"
MAGIC_INDEX_END = b"SLIDXEND"
MAGIC_HEAD = b"SLHEAD01"

VERSION = 1
MANIFEST_LEN = 64
SEGMENT_HEADER_LEN = 64
BATCH_HEADER_LEN = 96
CHAINED_PREFIX = 56        # header bytes the chain hash covers (magic .. group first position)
BATCH_CRC_AT = 88          # batch CRC32C: over header bytes 0..88, then the stored payload
HEADER_CRC_AT = 92         # header CRC32C: over header bytes 0..92
INDEX_HEADER_LEN = 64
INDEX_ENTRY_LEN = 24
INDEX_TRAILER_LEN = 80
HEAD_LEN = 40

FLAG_LZ4 = 0x0001
FLAG_ENCRYPTED = 0x0002  # §20: AES-256-GCM, nonce || ciphertext || tag
KNOWN_FLAGS = FLAG_LZ4 | FLAG_ENCRYPTED
STORE_FLAG_ENCRYPTED = 0x0001
ENCRYPTION_OVERHEAD = 28  # 12-byte nonce, 16-byte tag

GENESIS_TEXT = b"SilverLedger genesis v1"
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
UINT64_MAX = (1 << 64) - 1

SEGMENT_NAME = re.compile(r"^([0-9]{20})\.seg$")


def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def i64(b, o):
    return struct.unpack_from("<q", b, o)[0]


def stem(position):
    return "%020d" % position


# --- CRC32C (Castagnoli, reflected 0x82F63B78, init/xorout 0xFFFFFFFF) ---------

def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc_table()


def crc32c_bitwise(data, crc=0):
    """The plain definition, one byte at a time (used by --self-test as the oracle)."""
    c = crc ^ 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        c = table[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# Slicing-by-8: table k, entry n is the CRC register after byte n and k zero bytes.
_T = [_CRC_TABLE]
for _k in range(1, 8):
    _T.append([(_T[_k - 1][n] >> 8) ^ _CRC_TABLE[_T[_k - 1][n] & 0xFF] for n in range(256)])
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _T


def crc32c(data, crc=0):
    """CRC32C of data; pass a previous result as crc to continue it over more bytes."""
    c = crc ^ 0xFFFFFFFF
    n = len(data) & ~7
    if n:
        for lo, hi in struct.iter_unpack("<II", memoryview(data)[:n]):
            c ^= lo
            c = (_T7[c & 0xFF] ^ _T6[(c >> 8) & 0xFF] ^ _T5[(c >> 16) & 0xFF] ^ _T4[c >> 24]
                 ^ _T3[hi & 0xFF] ^ _T2[(hi >> 8) & 0xFF] ^ _T1[(hi >> 16) & 0xFF] ^ _T0[hi >> 24])
    for byte in memoryview(data)[n:]:
        c = _CRC_TABLE[(c ^ byte) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


# --- LZ4 block format ---------------------------------------------------------

class LZ4Error(Exception):
    pass



def _lz4_length(src, i, length, what):
    """A 4-bit length from a token, extended by 255-bytes while they last; returns (length, next index)."""
    if length == 15:
        while True:
            if i >= len(src):
                raise LZ4Error("LZ4 %s length runs past the end of the block" % what)
            extra = src[i]
            i += 1
            length += extra
            if extra != 255:
                break
    return length, i

def lz4_block_decompress(src, size):
    """Decodes one LZ4 block that must decompress to exactly `size` bytes (FORMAT.md §6)."""
    n = len(src)
    if n == 0:
        raise LZ4Error("empty LZ4 block")
    out = bytearray()
    i = 0
    while True:
        if i >= n:
            raise LZ4Error("LZ4 block ends with a match (the last sequence must be literals only)")
        token = src[i]
        i += 1
        literals, i = _lz4_length(src, i, token >> 4, "literal")
        if i + literals > n:
            raise LZ4Error("LZ4 literals run past the end of the block")
        out += src[i:i + literals]
        i += literals
        if len(out) > size:
            raise LZ4Error("LZ4 block decompresses to more than %d bytes" % size)
        if i == n:
            break  # the last sequence: literals only
        if i + 2 > n:
            raise LZ4Error("LZ4 match offset runs past the end of the block")
        offset = src[i] | (src[i + 1] << 8)
        i += 2
        if offset == 0:
            raise LZ4Error("LZ4 match offset 0")
        if offset > len(out):
            raise LZ4Error("LZ4 match offset %d reaches before the start of the output (%d bytes)" % (offset, len(out)))
        length, i = _lz4_length(src, i, token & 15, "match")
        length += 4
        start = len(out)
        if start > size - 12:
            raise LZ4Error("LZ4 match starts less than 12 bytes before the end of the block")
        if start + length > size - 5:
            raise LZ4Error("LZ4 match reaches into the last 5 bytes of the block")
        if offset >= length:
            out += out[start - offset:start - offset + length]
        else:
            pattern = bytes(out[start - offset:start])
            out += (pattern * (length // offset + 1))[:length]
    if len(out) != size:
        raise LZ4Error("LZ4 block decompresses to %d bytes, the header says %d" % (len(out), size))
    return bytes(out)


# --- Varints (unsigned LEB128, at most 10 bytes) ------------------------------

def read_varint(b, offset):
    """Returns (value, next offset), or (None, offset) if malformed or incomplete."""
    result = 0
    shift = 0
    while offset < len(b):
        byte = b[offset]
        offset += 1
        if shift == 63 and byte > 1:
            return None, offset
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, offset
        shift += 7
        if shift > 63:
            return None, offset
    return None, offset


# --- Problems -----------------------------------------------------------------

DAMAGE = "damage"            # open refuses the store (or readers fail on it)
TORN_TAIL = "torn tail"      # open cuts it off into recovered/
INDEX = "index"              # an index file is missing or wrong: open rebuilds it
HEAD = "HEAD"                # the watermark is wrong: the writer rewrites it
RESERVED = "nonconforming"   # a reserved field is not zero: no version-1 writer does that
NOT_A_STORE = "not a store"


class Problem(Exception):
    def __init__(self, kind, message, path, offset=None, position=None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.path = path
        self.offset = offset
        self.position = position

    def __str__(self):
        where = ["file %s" % self.path]
        if self.offset is not None:
            where.append("offset %d" % self.offset)
        if self.position is not None:
            where.append("position %d" % self.position)
        return "%s: %s (%s)" % (self.kind, self.message, ", ".join(where))


class BadHeader(Exception):
    pass


# --- Batch header (§5) --------------------------------------------------------

def decode_batch_header(h):
    """Header checks 2-11 of §5 on 96 bytes; returns a dict or raises BadHeader."""
    if len(h) < BATCH_HEADER_LEN:
        raise BadHeader("batch header is truncated (%d of %d bytes)" % (len(h), BATCH_HEADER_LEN))
    if h[0:4] != MAGIC_BATCH:
        raise BadHeader("no batch magic (found %s)" % bytes(h[0:4]).hex())
    stored_crc = u32(h, HEADER_CRC_AT)
    computed = crc32c(h[0:HEADER_CRC_AT])
    if stored_crc != computed:
        raise BadHeader("batch header CRC mismatch (stored 0x%08x, computed 0x%08x)" % (stored_crc, computed))
    version = u16(h, 4)
    if version != VERSION:
        raise BadHeader("batch format version %d, version 1 expected" % version)
    flags = u16(h, 6)
    if flags & ~KNOWN_FLAGS & 0xFFFF:
        raise BadHeader("batch has unknown flags 0x%04x" % flags)
    hdr = {
        "flags": flags,
        "first": u64(h, 8),
        "count": u32(h, 16),
        "key_id": u32(h, 20),
        "min_ts": i64(h, 24),
        "max_ts": i64(h, 32),
        "ulen": u32(h, 40),
        "slen": u32(h, 44),
        "group": u64(h, 48),
        "chain": bytes(h[CHAINED_PREFIX:BATCH_CRC_AT]),
        "batch_crc": u32(h, BATCH_CRC_AT),
        "header_crc": stored_crc,
    }
    if hdr["count"] == 0:
        raise BadHeader("batch has no records")
    if hdr["first"] + hdr["count"] > UINT64_MAX:
        raise BadHeader("batch positions %d + %d overflow a u64" % (hdr["first"], hdr["count"]))
    if hdr["group"] > hdr["first"]:
        raise BadHeader("batch's write group starts at position %d, after the batch (%d)" % (hdr["group"], hdr["first"]))
    if hdr["min_ts"] > hdr["max_ts"]:
        raise BadHeader("batch min timestamp %d is after its max %d" % (hdr["min_ts"], hdr["max_ts"]))
    encrypted = flags & FLAG_ENCRYPTED
    if encrypted and (hdr["key_id"] == 0 or hdr["slen"] < ENCRYPTION_OVERHEAD):
        raise BadHeader("encrypted batch has key id %d and %d stored bytes" % (hdr["key_id"], hdr["slen"]))
    if not flags & FLAG_LZ4 and hdr["slen"] != hdr["ulen"] + (ENCRYPTION_OVERHEAD if encrypted else 0):
        raise BadHeader("raw batch stores %d bytes but declares %d uncompressed" % (hdr["slen"], hdr["ulen"]))
    if hdr["ulen"] < 2 * hdr["count"]:
        raise BadHeader("batch declares %d records in %d bytes" % (hdr["count"], hdr["ulen"]))
    return hdr


def check_framing(hdr, b):
    """§6 framing checks; returns a message or None."""
    offset = 0
    count = 0
    previous = 0
    span = hdr["max_ts"] - hdr["min_ts"]  # 0 .. 2^64 - 1 (min <= max is a header check)
    while offset < len(b):
        length, offset = read_varint(b, offset)
        delta = None
        if length is not None:
            delta, offset = read_varint(b, offset)
        if length is None or delta is None:
            return "record %d has a malformed length or timestamp varint" % count
        if count == 0 and delta != 0:
            return "first record's timestamp delta is %d, not 0" % delta
        if delta < previous or delta > span:
            return "record %d timestamp delta %d is out of order or outside the batch's range 0..%d" % (count, delta, span)
        if length > len(b) - offset:
            return "record %d (%d bytes) runs past the end of the payload" % (count, length)
        offset += length
        previous = delta
        count += 1
    if count != hdr["count"]:
        return "payload holds %d records, the header says %d" % (count, hdr["count"])
    if previous != span:
        return "last record's timestamp delta is %d, max - min is %d" % (previous, span)
    return None


def records_of(framed):
    """The records of a payload whose framing check_framing accepted."""
    offset = 0
    while offset < len(framed):
        length, offset = read_varint(framed, offset)
        _, offset = read_varint(framed, offset)
        yield framed[offset:offset + length]
        offset += length


def parse_envelope(record):
    """docs/EVENTS.md, "The envelope": (stream id, command id) of a version-1 event
    envelope, or None if the record is not one."""
    if not record or record[0] != 1:
        return None

    def string(offset):
        n, offset = read_varint(record, offset)
        if n is None or offset + n > len(record):
            raise ValueError("string")
        return record[offset:offset + n].decode("utf-8"), offset + n

    def varint(offset):
        value, offset = read_varint(record, offset)
        if value is None:
            raise ValueError("varint")
        return value, offset

    try:
        stream, offset = string(1)
        _, offset = varint(offset)      # stream version
        _, offset = string(offset)      # event type
        _, offset = varint(offset)      # schema version
        _, offset = varint(offset)      # business date (zigzag)
        _, offset = string(offset)      # recorded by
        command, offset = string(offset)
    except (ValueError, UnicodeDecodeError):
        return None
    return stream, command


def command_fingerprint(command_id):
    """FORMAT.md: FNV-1a 64 of the id's UTF-8, then the finalizer; 1 instead of 0."""
    h = 0xcbf29ce484222325
    for byte in command_id.encode("utf-8"):
        h = ((h ^ byte) * 0x100000001b3) & UINT64_MAX
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & UINT64_MAX
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & UINT64_MAX
    h ^= h >> 33
    return h or 1


# --- The verifier -------------------------------------------------------------

class Verifier:
    def __init__(self, directory, quiet=False):
        self.dir = directory.rstrip("/") or "/"
        self.quiet = quiet
        self.problems = []
        self.notes = []
        self.progress = None
        self.encryption_key_id = None
        self.stats = {"segments": 0, "batches": 0, "records": 0, "raw": 0, "lz4": 0, "encrypted": 0, "writes": 0,
                      "largest_write": 0, "stored": 0, "uncompressed": 0, "index_files": 0, "index_entries": 0}
        # For snapshots/store.index: each record's (stream id, command id) if it is an
        # event envelope (None if not), and the chain hash at each batch's end position.
        self.envelopes = []
        self.chain_at_end = {}
        self.store_index = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def report(self, problem):
        self.problems.append(problem)

    def note(self, text):
        self.notes.append(text)

    # STORE, §3
    def read_manifest(self):
        p = self.path("STORE")
        if not os.path.isfile(p):
            raise Problem(NOT_A_STORE, "no STORE manifest", p)
        b = open(p, "rb").read()
        if len(b) != MANIFEST_LEN:
            raise Problem(DAMAGE, "STORE is %d bytes, 64 expected" % len(b), p, 0)
        if b[0:8] != MAGIC_STORE:
            raise Problem(NOT_A_STORE, "STORE has the wrong magic %r" % b[0:8], p, 0)
        if crc32c(b[0:60]) != u32(b, 60):
            raise Problem(DAMAGE, "STORE CRC mismatch (stored 0x%08x, computed 0x%08x)" % (u32(b, 60), crc32c(b[0:60])), p, 60)
        if u16(b, 8) != VERSION:
            raise Problem(DAMAGE, "STORE format version %d, this verifier reads 1" % u16(b, 8), p, 8)
        flags = u16(b, 10)
        if flags & ~STORE_FLAG_ENCRYPTED:
            raise Problem(DAMAGE, "STORE flags 0x%04x: unknown bits (incompatible format)" % flags, p, 10)
        self.encryption_key_id = u32(b, 40) if flags & STORE_FLAG_ENCRYPTED else None
        if self.encryption_key_id == 0:
            raise Problem(DAMAGE, "STORE is marked encrypted but names no key (key id 0)", p, 40)
        if self.encryption_key_id is None and u32(b, 40) != 0:
            self.report(Problem(RESERVED, "STORE key id %d in a store that is not encrypted" % u32(b, 40), p, 40))
        if u32(b, 12) != MANIFEST_LEN:
            self.report(Problem(RESERVED, "STORE header length %d, 64 expected" % u32(b, 12), p, 12))
        if any(b[44:60]):
            self.report(Problem(RESERVED, "STORE reserved bytes 44..60 are not zero", p, 44))
        self.store_id = bytes(b[16:32])
        self.created_at = i64(b, 32)
        self.genesis = hashlib.sha256(GENESIS_TEXT + self.store_id).digest()

    # §2
    def list_directory(self):
        names = sorted(os.listdir(self.dir))
        self.names = set(names)
        firsts = []
        for name in names:
            m = SEGMENT_NAME.match(name)
            if m and int(m.group(1)) <= UINT64_MAX and os.path.isfile(self.path(name)):
                firsts.append(int(m.group(1)))
        firsts.sort()
        self.segment_firsts = firsts
        for name in names:
            if name.endswith(".tmp"):
                self.note("leftover temporary file %s (a writable open deletes it)" % name)
        rec = self.path("recovered")
        if os.path.isdir(rec):
            for name in sorted(os.listdir(rec)):
                self.note("recovered/%s: %d bytes set aside by an earlier recovery or repair"
                          % (name, os.path.getsize(os.path.join(rec, name))))

    # §4
    @staticmethod
    def segment_header_problem(b):
        if len(b) < SEGMENT_HEADER_LEN:
            return "segment header is truncated (%d of 64 bytes)" % len(b)
        if b[0:8] != MAGIC_SEGMENT:
            return "segment header has the wrong magic %r" % bytes(b[0:8])
        if crc32c(b[0:60]) != u32(b, 60):
            return "segment header CRC mismatch (stored 0x%08x, computed 0x%08x)" % (u32(b, 60), crc32c(b[0:60]))
        if u16(b, 8) != VERSION:
            return "segment format version %d, version 1 expected" % u16(b, 8)
        return None

    def drop_interrupted_creations(self):
        """§14 step 3: trailing segments of at most 64 bytes whose header is not valid, unless a durable
        HEAD names the segment (its header was synced) or HEAD is damaged (it cannot say)."""
        while self.segment_firsts:
            first = self.segment_firsts[-1]
            p = self.path(stem(first) + ".seg")
            data = open(p, "rb").read()
            if len(data) > SEGMENT_HEADER_LEN or self.segment_header_problem(data) is None:
                return
            if (self.durable_head is not None and self.durable_head[0] == first) or self.head_damaged:
                why = ("the writer's durable commit watermark (HEAD) names this segment: it was created and synced"
                       if not self.head_damaged else "HEAD is damaged and cannot say whether it was created and synced")
                raise Problem(DAMAGE, "the segment's header is cut short or damaged (%d bytes); %s, so this is damage, "
                              "not a creation cut short; open refuses the store" % (len(data), why), p, 0, first)
            self.report(Problem(TORN_TAIL, "segment creation was interrupted (%d bytes, no valid header); "
                                "open sets it aside and removes it" % len(data), p, 0, first))
            self.segment_firsts.pop()

    def verify(self):
        self.read_manifest()
        self.list_directory()
        self.durable_head = self.read_durable_head()
        try:
            self.drop_interrupted_creations()
        except Problem as p:
            self.report(p)
            return
        chain = self.genesis
        last_ts = INT64_MIN
        position = 0
        self.end = None
        self.chain_head, self.next_position, self.last_timestamp = chain, position, last_ts
        self.progress = (chain, position, last_ts)
        for i, first in enumerate(self.segment_firsts):
            is_last = i == len(self.segment_firsts) - 1
            start_state = (position, last_ts, chain)
            try:
                position, last_ts, chain, boundaries, size = self.verify_segment(first, is_last, position, last_ts, chain,
                                                                                  self.index_open_uses(first, is_last))
            except Problem as p:
                self.report(p)
                return
            finally:
                self.chain_head, self.next_position, self.last_timestamp = self.progress
            self.stats["segments"] += 1
            if is_last and self.durable_head is not None and self.durable_head[0] == first and self.durable_head[1] > size:
                # §14: a last segment that ends, whole, before its durable HEAD's end offset.
                self.report(Problem(DAMAGE, "the segment ends at byte %d, but the writer's durable commit watermark (HEAD) "
                                    "says it held %d bytes: acknowledged batches are missing; open refuses the store"
                                    % (size, self.durable_head[1]), self.path(stem(first) + ".seg"), size, position))
                return
            self.verify_index(first, is_last, size, boundaries, start_state)
            self.end = (first, size, position)
        self.verify_head()
        self.verify_lock()
        if self.encryption_key_id is not None:
            self.note("the store is encrypted (key id %08x): its %d payloads were checked by CRC and hash chain only, "
                      "and its framing, envelopes and snapshots/store.index not at all (decrypting needs the key and "
                      "AES-GCM, which Python's standard library lacks)" % (self.encryption_key_id, self.stats["encrypted"]))
        self.verify_store_index()
        self.verify_seals()

    def verify_segment(self, first, is_last, position, last_ts, chain, covered):
        """Checks one segment. `covered` is the end offset of the index open would use (§14), or None."""
        p = self.path(stem(first) + ".seg")
        data = open(p, "rb").read()
        size = len(data)
        self.progress = (chain, position, last_ts)
        unseen = ("; open does not read it (the segment's index covers it): "
                  "readers fail when they first open this segment")

        def header_fail(message, offset):
            raise Problem(DAMAGE, message + (unseen if covered is not None and not is_last else ""), p, offset, position)

        if first != position:
            raise Problem(DAMAGE, "segments are not contiguous: segment starts at position %d, the log before it ends at %d"
                          % (first, position), p, 0, position)
        problem = self.segment_header_problem(data)
        if problem:
            header_fail(problem, 0)
        if data[16:32] != self.store_id:
            header_fail("segment belongs to store %s, this store is %s" % (data[16:32].hex(), self.store_id.hex()), 16)
        if u64(data, 32) != first:
            header_fail("segment header says first position %d, its name says %d" % (u64(data, 32), first), 32)
        if u16(data, 10) != 0:
            self.report(Problem(RESERVED, "segment flags 0x%04x, 0 expected" % u16(data, 10), p, 10))
        if u32(data, 12) != SEGMENT_HEADER_LEN:
            self.report(Problem(RESERVED, "segment header length %d, 64 expected" % u32(data, 12), p, 12))
        if any(data[48:60]):
            self.report(Problem(RESERVED, "segment reserved bytes 48..60 are not zero", p, 48))

        boundaries = {}  # offset -> (header, position after, max ts after, chain after)
        offset = SEGMENT_HEADER_LEN
        group = None  # (group first position, batches so far) of the write the previous batch belongs to
        while offset < size:
            def fail(kind_of_problem, message, batch_offset=offset, at=position):
                # What open would do about it (§14).
                if covered is not None and batch_offset < covered:
                    kind, suffix = DAMAGE, ("; open does not read it (the segment's index covers it): "
                                            "readers fail when they reach this batch")
                elif kind_of_problem == "payload":
                    kind, suffix = DAMAGE, ("; its checksums hold, so it is not a torn write; open does not "
                                            "check payloads: readers fail when they reach this batch")
                elif not is_last:
                    kind, suffix = DAMAGE, "; in a sealed segment: open refuses the store"
                elif self.durable_head is not None and self.durable_head[0] == first and batch_offset < self.durable_head[1]:
                    kind, suffix = DAMAGE, ("; below the writer's durable commit watermark (HEAD end offset %d): the batch "
                                            "was synced and acknowledged, so it is damage, not a torn write; open refuses "
                                            "the store" % self.durable_head[1])
                elif self.head_damaged:
                    kind, suffix = DAMAGE, ("; HEAD is damaged, so whether the batch was synced and acknowledged cannot be "
                                            "told: open refuses the store rather than cut it off (§14)")
                else:
                    kind, why = self.classify_tail(kind_of_problem, data, batch_offset, at)
                    suffix = "; " + why + ("; a torn tail: open cuts it off into recovered/" if kind == TORN_TAIL
                                           else "; open refuses the store")
                raise Problem(kind, message + suffix, p, batch_offset, at)

            if size - offset < BATCH_HEADER_LEN:
                fail("incomplete", "file ends inside a batch header (%d of %d bytes)" % (size - offset, BATCH_HEADER_LEN))
            h = data[offset:offset + BATCH_HEADER_LEN]
            try:
                hdr = decode_batch_header(h)
            except BadHeader as e:
                fail("header", str(e))
            end = offset + BATCH_HEADER_LEN + hdr["slen"]
            if end > size:
                fail("incomplete", "file ends inside a batch (%d of %d bytes present)" % (size - offset, BATCH_HEADER_LEN + hdr["slen"]))
            payload = data[offset + BATCH_HEADER_LEN:end]
            computed = crc32c(payload, crc32c(h[0:BATCH_CRC_AT]))
            if computed != hdr["batch_crc"]:
                fail("batch", "batch CRC mismatch (stored 0x%08x, computed 0x%08x)" % (hdr["batch_crc"], computed))
            if hdr["first"] != position:
                fail("batch", "batch starts at position %d, the log is at %d" % (hdr["first"], position))
            if hdr["min_ts"] < last_ts:
                fail("batch", "batch min timestamp %d is before the previous batch's max %d" % (hdr["min_ts"], last_ts))
            link = hashlib.sha256(chain + h[0:CHAINED_PREFIX] + payload).digest()
            if link != hdr["chain"]:
                fail("batch", "hash chain broken: SHA-256(previous %s... || header || payload) is %s..., the batch says %s..."
                     % (chain.hex()[:16], link.hex()[:16], hdr["chain"].hex()[:16]))
            # §20: an encrypted payload is checked by its CRC and chain only (AES-GCM is not in
            # Python's standard library); it must carry the store's key id.
            if hdr["flags"] & FLAG_ENCRYPTED:
                if self.encryption_key_id is None:
                    fail("payload", "the payload is encrypted (key id %08x), and the store is not" % hdr["key_id"])
                if hdr["key_id"] != self.encryption_key_id:
                    fail("payload", "the payload is encrypted with key id %08x; the store's key has id %08x"
                         % (hdr["key_id"], self.encryption_key_id))
                self.stats["encrypted"] += 1
                self.envelopes.extend(None for _ in range(hdr["count"]))
            elif self.encryption_key_id is not None:
                self.report(Problem(RESERVED, "a batch stored in clear in an encrypted store (no writer does that)", p, offset + 6, position))
            # §6: decompression and framing.
            if hdr["flags"] & FLAG_ENCRYPTED:
                pass
            elif hdr["flags"] & FLAG_LZ4:
                try:
                    framed = lz4_block_decompress(payload, hdr["ulen"])
                except LZ4Error as e:
                    fail("payload", str(e))
            else:
                framed = payload
            if not hdr["flags"] & FLAG_ENCRYPTED:
                message = check_framing(hdr, framed)
                if message:
                    fail("payload", message)
                self.envelopes.extend(parse_envelope(record) for record in records_of(framed))
            if hdr["key_id"] != 0 and not hdr["flags"] & FLAG_ENCRYPTED:
                self.report(Problem(RESERVED, "batch key id %d, 0 expected in version 1" % hdr["key_id"], p, offset + 20, position))
            if hdr["max_ts"] - hdr["min_ts"] > INT64_MAX:
                self.report(Problem(RESERVED, "batch timestamp span %d exceeds 2^63 - 1 (readers accept it; "
                                    "no version-1 writer produces one)" % (hdr["max_ts"] - hdr["min_ts"]),
                                    p, offset + 24, position))
            # §5: the batches of one write are consecutive in one segment and share its first position.
            if hdr["group"] == hdr["first"]:
                group = (hdr["group"], 1)
                self.stats["writes"] += 1
            elif group is not None and hdr["group"] == group[0]:
                group = (group[0], group[1] + 1)
            else:
                self.report(Problem(RESERVED, "batch's group first position %d is neither its own first position "
                                    "nor the previous batch's group (no version-1 writer does that)" % hdr["group"],
                                    p, offset + 48, position))
                group = (hdr["group"], 1)
                self.stats["writes"] += 1
            self.stats["largest_write"] = max(self.stats["largest_write"], group[1])
            self.stats["batches"] += 1
            self.stats["records"] += hdr["count"]
            self.stats["lz4" if hdr["flags"] & FLAG_LZ4 else "raw"] += 1
            self.stats["stored"] += BATCH_HEADER_LEN + hdr["slen"]
            self.stats["uncompressed"] += hdr["ulen"]
            position = hdr["first"] + hdr["count"]
            last_ts = hdr["max_ts"]
            chain = hdr["chain"]
            self.chain_at_end[position] = chain
            boundaries[offset] = (hdr, end, position, last_ts, chain)
            self.progress = (chain, position, last_ts)
            offset = end
        return position, last_ts, chain, boundaries, size

    @staticmethod
    def classify_tail(kind_of_problem, data, offset, expected):
        """§14: whether open treats the first problem of the last segment as a torn tail.

        Returns (TORN_TAIL or DAMAGE, why). `expected` is the position the failing
        batch should have started at."""
        if kind_of_problem == "incomplete":
            return TORN_TAIL, "the file ends inside the last write"
        # A header or batch check failed. Search every later byte offset for a
        # valid batch header (magic, header CRC, header checks), whole in the file.
        same = 0
        i = data.find(MAGIC_BATCH, offset + 1)
        while i != -1 and i + BATCH_HEADER_LEN <= len(data):
            try:
                hdr = decode_batch_header(data[i:i + BATCH_HEADER_LEN])
            except BadHeader:
                hdr = None
            if hdr is not None:
                if hdr["group"] > expected:
                    return DAMAGE, ("a batch of a later write (group first position %d > %d) follows at offset %d"
                                    % (hdr["group"], expected, i))
                same += 1
            i = data.find(MAGIC_BATCH, i + 1)
        if same == 0:
            return TORN_TAIL, "no valid batch header follows it"
        return TORN_TAIL, "only %d batch header(s) of the same write follow it" % same

    # §9, §14: whether open would use the index, and up to where.
    def index_open_uses(self, first, is_last):
        p = self.path(stem(first) + ".idx")
        seg = self.path(stem(first) + ".seg")
        if not os.path.isfile(p):
            return None
        b = open(p, "rb").read()
        if len(b) < INDEX_HEADER_LEN + INDEX_TRAILER_LEN or crc32c(b[:-4]) != u32(b, len(b) - 4):
            return None
        if b[0:8] != MAGIC_INDEX or u16(b, 8) != VERSION or b[16:32] != self.store_id or u64(b, 32) != first:
            return None
        count = u32(b, 40)
        if len(b) != INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN + INDEX_TRAILER_LEN:
            return None
        t = INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN
        if b[t:t + 8] != MAGIC_INDEX_END:
            return None
        end_offset, next_position, chain_head, last_batch = i64(b, t + 8), u64(b, t + 16), b[t + 32:t + 64], i64(b, t + 64)
        entries = [(u64(b, e), i64(b, e + 8), i64(b, e + 16))
                   for e in range(INDEX_HEADER_LEN, t, INDEX_ENTRY_LEN)]
        for i, (pos, off, ts) in enumerate(entries):
            if off < SEGMENT_HEADER_LEN or off >= end_offset:
                return None
            if i > 0 and (pos <= entries[i - 1][0] or off <= entries[i - 1][1] or ts < entries[i - 1][2]):
                return None
        if entries and (entries[0][0] != first or entries[0][1] != SEGMENT_HEADER_LEN):
            return None
        size = os.path.getsize(seg)
        if (end_offset != size) if not is_last else (end_offset > size):
            return None
        # The last batch it names must be there, whole, with the trailer's chain hash and position.
        if last_batch == 0:
            return end_offset if end_offset == SEGMENT_HEADER_LEN else None
        with open(seg, "rb") as f:
            f.seek(last_batch)
            h = f.read(BATCH_HEADER_LEN)
            try:
                hdr = decode_batch_header(h)
            except BadHeader:
                return None
            if last_batch + BATCH_HEADER_LEN + hdr["slen"] != end_offset or hdr["chain"] != chain_head \
                    or hdr["first"] + hdr["count"] != next_position:
                return None
            payload = f.read(hdr["slen"])
        if crc32c(payload, crc32c(h[0:BATCH_CRC_AT])) != hdr["batch_crc"]:
            return None
        return end_offset

    # §9
    def verify_index(self, first, is_last, size, boundaries, start_state):
        name = stem(first) + ".idx"
        p = self.path(name)
        if name not in self.names:
            if not is_last:
                self.report(Problem(INDEX, "sealed segment has no index file (open rebuilds it)", p))
            elif boundaries:
                self.note("%s: none yet; open scans the whole last segment, then writes it" % name)
            return
        b = open(p, "rb").read()
        self.stats["index_files"] += 1
        try:
            self.check_index(p, b, first, is_last, size, boundaries, start_state)
        except Problem as problem:
            self.report(problem)

    def check_index(self, p, b, first, is_last, size, boundaries, start_state):
        def bad(message, offset=None, position=None):
            raise Problem(INDEX, message + " (open rebuilds it)", p, offset, position)

        if len(b) < INDEX_HEADER_LEN + INDEX_TRAILER_LEN:
            bad("index file is %d bytes, at least 144 expected" % len(b), 0)
        if crc32c(b[:-4]) != u32(b, len(b) - 4):
            bad("index CRC mismatch (stored 0x%08x, computed 0x%08x)" % (u32(b, len(b) - 4), crc32c(b[:-4])), len(b) - 4)
        if b[0:8] != MAGIC_INDEX:
            bad("index file has the wrong magic", 0)
        if u16(b, 8) != VERSION:
            bad("index format version %d" % u16(b, 8), 8)
        if b[16:32] != self.store_id:
            bad("index belongs to store %s" % b[16:32].hex(), 16)
        if u64(b, 32) != first:
            bad("index is for segment %d, its name says %d" % (u64(b, 32), first), 32)
        count = u32(b, 40)
        interval = max(1, u32(b, 44))
        if len(b) != INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN + INDEX_TRAILER_LEN:
            bad("index is %d bytes, %d entries need %d" % (len(b), count, INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN + INDEX_TRAILER_LEN), 40)
        if u16(b, 10) != 0:
            self.report(Problem(RESERVED, "index flags 0x%04x, 0 expected" % u16(b, 10), p, 10))
        if u32(b, 12) != INDEX_HEADER_LEN:
            self.report(Problem(RESERVED, "index header length %d, 64 expected" % u32(b, 12), p, 12))
        if any(b[48:64]):
            self.report(Problem(RESERVED, "index reserved bytes 48..64 are not zero", p, 48))
        t = INDEX_HEADER_LEN + count * INDEX_ENTRY_LEN
        if b[t:t + 8] != MAGIC_INDEX_END:
            bad("index trailer has the wrong magic", t)
        end_offset = i64(b, t + 8)
        next_position = u64(b, t + 16)
        max_ts = i64(b, t + 24)
        chain_head = bytes(b[t + 32:t + 64])
        last_batch = i64(b, t + 64)
        if u32(b, t + 72) != 0:
            self.report(Problem(RESERVED, "index trailer reserved field is not zero", p, t + 72))

        # The trailer: the segment end it covers.
        if last_batch == 0:
            position, last_ts, chain = start_state
            expected = (SEGMENT_HEADER_LEN, position, last_ts, chain)
        else:
            if last_batch not in boundaries:
                bad("trailer's last batch offset %d is not a batch in the segment" % last_batch, t + 64)
            hdr, end, position, last_ts, chain = boundaries[last_batch]
            expected = (end, position, last_ts, chain)
        found = (end_offset, next_position, max_ts, chain_head)
        labels = ("end offset", "next position", "max timestamp", "chain head")
        for label, e, f, o in zip(labels, expected, found, (8, 16, 24, 32)):
            if e != f:
                show = (lambda v: v.hex()) if isinstance(e, bytes) else str
                bad("trailer %s is %s, the segment says %s" % (label, show(f), show(e)), t + o)
        if not is_last and end_offset != size:
            bad("index of a sealed segment covers %d bytes, the segment has %d" % (end_offset, size), t + 8)
        if end_offset > size:
            bad("index covers %d bytes, the segment has only %d" % (end_offset, size), t + 8)

        # The entries: exactly the batches the sparse rule picks, among those covered.
        expected_entries = []
        previous = None
        for offset in sorted(boundaries):
            if offset >= end_offset:
                break
            if previous is None or offset - previous >= interval:
                hdr = boundaries[offset][0]
                expected_entries.append((hdr["first"], offset, hdr["min_ts"]))
                previous = offset
        for i in range(count):
            e = INDEX_HEADER_LEN + i * INDEX_ENTRY_LEN
            entry = (u64(b, e), i64(b, e + 8), i64(b, e + 16))
            if entry[1] not in boundaries or boundaries[entry[1]][0]["first"] != entry[0] \
                    or boundaries[entry[1]][0]["min_ts"] != entry[2]:
                bad("entry %d (position %d, offset %d, timestamp %d) does not match a batch" % ((i,) + entry), e, entry[0])
            if i >= len(expected_entries) or entry != expected_entries[i]:
                bad("entry %d (position %d, offset %d) is not the one the sparse rule picks with interval %d"
                    % (i, entry[0], entry[1], interval), e, entry[0])
        if count != len(expected_entries):
            bad("index has %d entries, the sparse rule with interval %d picks %d" % (count, interval, len(expected_entries)), 40)
        self.stats["index_entries"] += count
        if is_last and end_offset < size:
            self.note("%s covers the last segment up to offset %d of %d (a checkpoint: open scans the rest)"
                      % (stem(first) + ".idx", end_offset, size))

    # §10, §14
    def read_durable_head(self):
        """(segment, end offset) of a valid HEAD whose durable flag is set, else None (as open reads it).
        Sets head_damaged: HEAD is there, not empty, and not a valid HEAD (§14)."""
        self.head_damaged = False
        if "HEAD" not in self.names:
            return None
        b = open(self.path("HEAD"), "rb").read()
        if len(b) != HEAD_LEN or b[0:8] != MAGIC_HEAD or crc32c(b[0:36]) != u32(b, 36) or u32(b, 32) & ~1:
            self.head_damaged = len(b) > 0
            return None
        return (u64(b, 8), i64(b, 16)) if u32(b, 32) & 1 else None

    # §10
    def verify_head(self):
        p = self.path("HEAD")
        if "HEAD" not in self.names:
            self.note("no HEAD (readers in other processes read to the end of the files)")
            return
        b = open(p, "rb").read()
        if len(b) != HEAD_LEN:
            self.report(Problem(HEAD, "HEAD is %d bytes, 40 expected (readers ignore it)" % len(b), p, 0))
            return
        if b[0:8] != MAGIC_HEAD:
            self.report(Problem(HEAD, "HEAD has the wrong magic (readers ignore it)", p, 0))
            return
        if crc32c(b[0:36]) != u32(b, 36):
            self.report(Problem(HEAD, "HEAD CRC mismatch (stored 0x%08x, computed 0x%08x; readers ignore it)"
                                % (u32(b, 36), crc32c(b[0:36])), p, 36))
            return
        if u32(b, 32) & ~1:
            self.report(Problem(HEAD, "HEAD flags 0x%08x: bits other than 0 (durable) are set (open and readers ignore it)"
                                % u32(b, 32), p, 32))
            return
        segment, end_offset, next_position = u64(b, 8), i64(b, 16), u64(b, 24)
        self.head = (segment, end_offset, next_position)
        if self.end is None:
            self.report(Problem(HEAD, "HEAD names segment %d but the store has no segment" % segment, p, 8))
            return
        last_first, last_size, log_next = self.end
        if (segment, end_offset, next_position) == (last_first, last_size, log_next):
            return  # the end of the log, as after a clean close
        if segment not in self.segment_firsts:
            self.report(Problem(HEAD, "HEAD names segment %d, which does not exist" % segment, p, 8))
            return
        if segment > last_first or (segment == last_first and end_offset > last_size):
            self.report(Problem(HEAD, "HEAD (segment %d, offset %d, position %d) is past the end of the log "
                                "(the writer's recovery rewrites it)" % (segment, end_offset, next_position), p, 16))
            return
        boundary_ok = self.is_boundary(segment, end_offset, next_position)
        if not boundary_ok:
            self.report(Problem(HEAD, "HEAD (segment %d, offset %d, position %d) is not a batch boundary of the log"
                                % (segment, end_offset, next_position), p, 16))
            return
        self.note("HEAD lags the end of the log (segment %d, offset %d, position %d): a writer is running, or it crashed"
                  % (segment, end_offset, next_position))

    def is_boundary(self, segment, end_offset, next_position):
        data = open(self.path(stem(segment) + ".seg"), "rb").read()
        offset, position = SEGMENT_HEADER_LEN, segment
        while True:
            if offset == end_offset:
                return position == next_position
            if offset > end_offset or offset + BATCH_HEADER_LEN > len(data):
                return False
            hdr = decode_batch_header(data[offset:offset + BATCH_HEADER_LEN])
            offset += BATCH_HEADER_LEN + hdr["slen"]
            position = hdr["first"] + hdr["count"]

    # §11
    def verify_lock(self):
        if "LOCK" not in self.names:
            return
        text = open(self.path("LOCK"), "rb").read()
        if re.fullmatch(rb"[0-9]+\n", text):
            self.lock_pid = int(text)
        elif text:
            self.note("LOCK holds %r, not a pid and a newline" % text[:32])

    # FORMAT.md, "The event store's indexes, store.index"
    def verify_store_index(self):
        name = os.path.join("snapshots", "store.index")
        if not os.path.isfile(self.path(name)):
            return
        if self.encryption_key_id is not None:
            return  # encrypted whole (§20): nothing to compare it with
        data = open(self.path(name), "rb").read()

        def bad(message, offset=None):
            self.report(Problem(INDEX, "store.index: %s (open ignores it and rebuilds the indexes from the log)" % message,
                                self.path(name), offset))

        if data[:8] in (b"SLIDX001", b"SLIDX002"):
            self.note("store.index is of the old format %s: open ignores it and rebuilds the indexes" % data[:8].decode())
            return
        if len(data) < 8 + 8 + 32 + 8 + 8 + 8 + 4:
            return bad("truncated (%d bytes)" % len(data), 0)
        if data[:8] != b"SLIDX003":
            return bad("magic %r, SLIDX003 expected" % data[:8], 0)
        body = data[:-4]
        if crc32c(body) != u32(data, len(data) - 4):
            return bad("CRC32C mismatch", len(data) - 4)
        end = u64(body, 8)
        if end > self.next_position:
            return bad("end %d is past the log's next position %d" % (end, self.next_position), 8)
        expected_chain = self.genesis if end == 0 else self.chain_at_end.get(end)
        if expected_chain is None:
            return bad("end %d is not the end of a batch" % end, 8)
        if body[16:48] != expected_chain:
            return bad("chain hash %s... is not the log's at position %d (%s...)" % (body[16:24].hex(), end, expected_chain[:8].hex()), 16)
        envelopes = self.envelopes[:end]
        if len(envelopes) < end or any(e is None for e in envelopes):
            return bad("the log's records before position %d are not all event envelopes" % end)
        # What the log says: each stream's key, count and last position; each position's
        # link back; each command's fingerprint, first position and count (a command's
        # events are consecutive; an id seen again later is not indexed again).
        streams, links, commands, seen = {}, [], [], set()
        for position, (stream, command) in enumerate(envelopes):
            key = hashlib.sha256(stream.encode("utf-8")).digest()[:16]
            count, last = streams.get(key, (0, None))
            links.append(0 if last is None else position - last)
            streams[key] = (count + 1, position)
            if position > 0 and envelopes[position - 1][1] == command:
                fp, first, n, indexed = commands[-1]
                commands[-1] = (fp, first, n + 1, indexed)
            else:
                commands.append((command_fingerprint(command), position, 1, command not in seen))
                seen.add(command)
        commands = sorted((fp, first, n) for fp, first, n, indexed in commands if indexed)
        # What the file says.
        offset = 56  # after the seed (any value: it places streams in memory only)
        try:
            count = u64(body, offset)
            offset += 8
            stored_streams = {}
            for _ in range(count):
                key = body[offset:offset + 16]
                n, offset = read_varint(body, offset + 16)
                last, offset = read_varint(body, offset)
                if n is None or last is None or len(key) < 16:
                    return bad("stream entry malformed", offset)
                stored_streams[key] = (n, last)
            stored_links = []
            for position in range(end):
                delta, offset = read_varint(body, offset)
                if delta is None:
                    return bad("link of position %d malformed" % position, offset)
                stored_links.append(delta)
            count = u64(body, offset)
            offset += 8
            stored_commands = []
            for _ in range(count):
                fp = u64(body, offset)
                first, offset = read_varint(body, offset + 8)
                n, offset = read_varint(body, offset)
                if first is None or n is None:
                    return bad("command entry malformed", offset)
                stored_commands.append((fp, first, n))
        except struct.error:
            return bad("truncated", offset)
        if offset != len(body):
            return bad("%d bytes left over after the commands" % (len(body) - offset), offset)
        if stored_streams != streams:
            wrong = sorted(k.hex() for k in set(streams) ^ set(stored_streams)
                           | {k.hex() for k in streams if stored_streams.get(k) not in (None, streams[k])})
            return bad("the streams differ from the log's (%d in the file, %d in the log; first key differing %s)"
                       % (len(stored_streams), len(streams), wrong[0] if wrong else "?"))
        if stored_links != links:
            position = next(i for i, (a, b) in enumerate(zip(stored_links, links)) if a != b)
            return bad("the link of position %d is %d, the log gives %d" % (position, stored_links[position], links[position]))
        if sorted(stored_commands) != commands:
            return bad("the commands differ from the log's (%d in the file, %d in the log)" % (len(stored_commands), len(commands)))
        self.store_index = (len(streams), len(commands), end)

    def summary(self):
        s = self.stats
        lines = [
            "store %s: %s" % (self.dir, self.store_id.hex()),
            "  segments:   %d" % s["segments"],
            "  batches:    %d (%d LZ4, %d raw; %d encrypted)" % (s["batches"], s["lz4"], s["raw"], s["encrypted"]),
            "  writes:     %d (at most %d batches in one)" % (s["writes"], s["largest_write"]),
            "  records:    %d" % s["records"],
            "  positions:  0..%d (next position %d)" % (self.next_position, self.next_position),
            "  bytes:      %d stored in batches, %d framed uncompressed" % (s["stored"], s["uncompressed"]),
            "  last time:  %s" % ("-" if self.next_position == 0 else self.last_timestamp),
            "  indexes:    %d files, %d entries" % (s["index_files"], s["index_entries"]),
            "  genesis:    %s" % self.genesis.hex(),
            "  chain head: %s" % self.chain_head.hex(),
        ]
        if self.store_index is not None:
            lines.append("  store.index: %d streams, %d commands, links for %d positions: as the log's envelopes give them"
                         % self.store_index)
        if "seals" in s:
            lines.append("  seals:      %s" % s["seals"])
        return "\n".join(lines)


def _seal_methods():
    """§19: SEALS, checked against the log's chain, and with a key against its MACs."""

    def key_id(key):
        return hashlib.sha256(b"SilverLedger seal key id v1" + key).digest()[:16]

    def verify_seals(self):
        import hmac
        path = self.path("SEALS")
        if not os.path.isfile(path):
            if self.seal_key is not None:
                self.report(Problem(DAMAGE, "a seal key was given but the store has no seal: its seals were removed, "
                                    "or it was never sealed", path))
            return
        data = open(path, "rb").read()
        whole = len(data) // 128
        if len(data) % 128:
            self.note("SEALS: %d bytes of a seal record cut short by a crash (the writer writes over them)" % (len(data) % 128))
        previous = None
        checked = 0
        for n in range(whole):
            r = data[128 * n:128 * (n + 1)]
            where = (path, 128 * n)
            if crc32c(r[:124]) != u32(r, 124):
                return self.report(Problem(DAMAGE, "seal %d: CRC mismatch" % n, *where))
            if r[:8] != b"SLSEAL01" or any(r[112:124]):
                return self.report(Problem(DAMAGE, "seal %d: wrong magic or reserved bytes not zero" % n, *where))
            sequence, position = u64(r, 8), u64(r, 16)
            if sequence != n:
                return self.report(Problem(DAMAGE, "seal %d carries sequence %d" % (n, sequence), *where))
            if previous is not None and position < previous:
                return self.report(Problem(DAMAGE, "seal %d seals position %d, before the previous seal's %d"
                                           % (n, position, previous), *where, position))
            previous = position
            if self.seal_key is not None:
                if r[64:80] != key_id(self.seal_key):
                    return self.report(Problem(DAMAGE, "seal %d was made with another key (key id %s)" % (n, r[64:80].hex()), *where))
                mac = hmac.new(self.seal_key, self.store_id + r[:80], hashlib.sha256).digest()
                if not hmac.compare_digest(mac, r[80:112]):
                    return self.report(Problem(DAMAGE, "seal %d: its MAC does not match (altered or forged)" % n, *where))
                checked += 1
            if position > self.next_position:
                return self.report(Problem(DAMAGE, "the log ends at position %d, before seal %d at %d: sealed records were removed"
                                           % (self.next_position, n, position), *where, position))
            expected = self.genesis if position == 0 else self.chain_at_end.get(position)
            if expected is None:
                return self.report(Problem(DAMAGE, "seal %d: position %d is not the end of a batch" % (n, position), *where, position))
            if r[24:56] != expected:
                return self.report(Problem(DAMAGE, "seal %d: the log's chain hash at position %d is not the sealed one: "
                                           "the log before it was rewritten" % (n, position), *where, position))
        self.stats["seals"] = "%d (%s)" % (whole, "%d checked with the key" % checked if self.seal_key is not None else "MACs not checked: no key")

    return verify_seals


def _encode_batch(chain, first, group, records, ts):
    """A raw batch as a version-1 writer makes it (for --self-test): (bytes, chain hash)."""
    framed = b"".join(bytes([len(r), 0]) + r for r in records)
    prefix = (MAGIC_BATCH + struct.pack("<HHQIIqqII", VERSION, 0, first, len(records), 0, ts, ts,
                                         len(framed), len(framed)) + struct.pack("<Q", group))
    assert len(prefix) == CHAINED_PREFIX
    link = hashlib.sha256(chain + prefix + framed).digest()
    h = prefix + link
    h += struct.pack("<I", crc32c(framed, crc32c(h)))
    h += struct.pack("<I", crc32c(h))
    assert len(h) == BATCH_HEADER_LEN
    return h + framed, link


def self_test():
    # §1: CRC32C check values, and continuing a CRC over more bytes.
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c_bitwise(b"123456789") == 0xE3069283
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == 0xE3069283
    sample = hashlib.sha256(b"x").digest() * 9
    for i in range(len(sample)):
        assert crc32c(sample[:i]) == crc32c_bitwise(sample[:i])
        assert crc32c(sample[i:], crc32c(sample[:i])) == crc32c_bitwise(sample)
    # §1: varints.
    assert read_varint(bytes([0xAB, 0x02]), 0) == (299, 2)
    assert read_varint(bytes([0x80]), 0)[0] is None
    assert read_varint(bytes([0xFF] * 9 + [0x01]), 0) == (UINT64_MAX, 10)
    assert read_varint(bytes([0xFF] * 9 + [0x02]), 0)[0] is None
    # §6, §18: the worked example's LZ4 block, and another with a long literal run.
    block = bytes.fromhex("3f280061010012506161010062")
    assert lz4_block_decompress(block, 45) == b"\x28\x00" + b"a" * 40 + b"\x01\x00\x62"
    block = bytes.fromhex("3f280061010013506101ab0262")
    assert lz4_block_decompress(block, 46) == b"\x28\x00" + b"a" * 40 + b"\x01\xab\x02\x62"
    for bad, n in ((bytes([0x14]) + b"a" + bytes([1, 0]), 9), (bytes([0x40]) + b"abcd" + b"\0", 4), (b"", 0)):
        try:
            lz4_block_decompress(bad, n)
            raise AssertionError("accepted a bad LZ4 block")
        except LZ4Error:
            pass
    # §18: HEAD of the worked example (the same in every store made that way).
    head = bytes.fromhex("534c484541443031" "0000000000000000" "8001000000000000" "0500000000000000" "01000000")
    assert crc32c(head) == 0x15DC5EF8
    # §5: the header layout and checks; §14: the torn-tail rule.
    genesis = hashlib.sha256(GENESIS_TEXT + bytes(16)).digest()
    a, chain = _encode_batch(genesis, 0, 0, [b"a"], 10)             # write 1: position 0
    b1, chain = _encode_batch(chain, 1, 1, [b"b", b"c"], 20)        # write 2: positions 1-2,
    b2, chain = _encode_batch(chain, 3, 1, [b"d"], 20)              #          3,
    b3, chain = _encode_batch(chain, 4, 1, [b"e"], 20)              #          4
    hdr = decode_batch_header(b2[:BATCH_HEADER_LEN])
    assert (hdr["first"], hdr["group"], hdr["count"]) == (3, 1, 1)
    for field_at, value, fmt in ((48, 4, "<Q"), (8, UINT64_MAX, "<Q")):  # group > first; positions overflow
        h = bytearray(b2[:BATCH_HEADER_LEN])
        struct.pack_into(fmt, h, field_at, value)
        struct.pack_into("<I", h, HEADER_CRC_AT, crc32c(bytes(h[:HEADER_CRC_AT])))
        try:
            decode_batch_header(bytes(h))
            raise AssertionError("accepted a bad batch header")
        except BadHeader:
            pass
    seg = bytearray(b"\0" * SEGMENT_HEADER_LEN + a + b1 + b2 + b3)
    off_a, off_b1, off_b2 = SEGMENT_HEADER_LEN, SEGMENT_HEADER_LEN + len(a), SEGMENT_HEADER_LEN + len(a) + len(b1)

    def damaged(offset, expected):
        data = bytearray(seg)
        data[offset + BATCH_HEADER_LEN] ^= 0x40  # a payload byte: the batch CRC fails
        return Verifier.classify_tail("batch", bytes(data), offset, expected)[0]

    assert damaged(off_b1, 1) == TORN_TAIL      # the first batch of the last write, two of it follow
    assert damaged(off_b2, 3) == TORN_TAIL
    assert damaged(off_a, 0) == DAMAGE          # write 2 (group 1 > 0) follows
    assert Verifier.classify_tail("incomplete", bytes(seg[:-1]), off_b2, 3)[0] == TORN_TAIL
    print("self-test passed")


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    flags = [a for a in argv[1:] if a.startswith("--")]
    if "--self-test" in flags:
        self_test()
        if not args:
            return 0
    key_files = [f[len("--key-file="):] for f in flags if f.startswith("--key-file=")]
    if len(args) != 1 or len(key_files) > 1 or any(f not in ("--quiet", "--self-test") and not f.startswith("--key-file=") for f in flags):
        print(__doc__.strip().splitlines()[0] + "\nusage: verify_format.py [--quiet] [--self-test] [--key-file=FILE] STORE_DIR", file=sys.stderr)
        return 3
    seal_key = None
    if key_files:
        text = open(key_files[0], "rb").read().rstrip(b"\n")
        if not re.fullmatch(rb"[0-9a-fA-F]{64}", text):
            print("the key file %s must hold 64 hexadecimal digits" % key_files[0], file=sys.stderr)
            return 3
        seal_key = bytes.fromhex(text.decode())
    if not os.path.isdir(args[0]):
        print("not a directory: %s" % args[0], file=sys.stderr)
        return 3
    Verifier.verify_seals = _seal_methods()
    v = Verifier(args[0], quiet="--quiet" in flags)
    v.seal_key = seal_key
    try:
        v.verify()
    except Problem as p:
        print("FAIL %s" % p)
        return 3 if p.kind == NOT_A_STORE else 1
    serious = [p for p in v.problems if p.kind in (DAMAGE, TORN_TAIL)]
    if not v.quiet:
        for note in v.notes:
            print("note: %s" % note)
    for p in v.problems:
        print(("FAIL %s" if p.kind in (DAMAGE, TORN_TAIL) else "WARN %s") % p)
    if serious:
        print("verified before the first problem:")
    print(v.summary())
    if serious:
        return 1
    if v.problems:
        return 2
    print("OK")
    return 0


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    sys.exit(main(sys.argv))
