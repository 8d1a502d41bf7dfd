"""Open an import file: recognise Parquet, gzip or plain CSV by content, hash it, detect the text encoding,
and stream it as raw Arrow batches of bounded size, each with the row numbers a person would look up.

Row numbers are 1-based data rows: row 1 is the first record after the header (line 2 of a CSV file).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lottocrm.presentation.text import printable

SAMPLE_BYTES = 256 * 1024
CSV_BLOCK_BYTES = 8 * 1024 * 1024
HASH_CHUNK = 4 * 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
INFLATE_STEP = 4 * 1024 * 1024
MAX_INFLATE_RATIO = 100
RATIO_FREE_BYTES = 64 * 1024 * 1024
# The header is read in full (a sample could cut its last name short); a longer first line is not a header.
MAX_HEADER_BYTES = 4 * 1024 * 1024
PARQUET_MAGIC = b"PAR1"
# Encodings a Russian operator's export plausibly uses; a guess outside this list is treated as no guess.
DETECTABLE_ENCODINGS = {"utf_8", "cp1251", "koi8_r", "cp866", "mac_cyrillic", "utf_16", "ascii"}
# Rows written in UTF-8 inside a file of one of these read without an error, as nonsense: they are looked for.
ONE_BYTE_CYRILLIC = {"cp1251", "koi8_r", "cp866", "mac_cyrillic"}
# Values per column and chunk that look like misread UTF-8 and are checked byte by byte.
CANDIDATES_CHECKED = 1_000


class SourceError(ValueError):
    """The file as a whole cannot be read: empty, truncated, not CSV, undecodable."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass
class MalformedRow:
    row: int
    text: str
    reason: str


@dataclass
class RawChunk:
    table: pa.Table
    rows: np.ndarray  # the data-row number of each record in ``table``
    malformed: list[MalformedRow] = field(default_factory=list)


def content_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _check_gzip(path: Path) -> None:
    """Fail before loading anything if the gzip stream is cut short, corrupt, or a decompression bomb.

    Inflates at most ``INFLATE_STEP`` bytes at a time (memory stays bounded whatever the ratio) and refuses a
    stream that inflates more than ``MAX_INFLATE_RATIO`` times its compressed size once past
    ``RATIO_FREE_BYTES``: real exports compress 5–15 times; a file of zeros compresses a thousand times.
    """
    inflater = zlib.decompressobj(wbits=31)
    inflated = compressed = 0
    try:
        with open(path, "rb") as handle:
            while block := handle.read(HASH_CHUNK):
                compressed += len(block)
                while block:
                    inflated += len(inflater.decompress(block, INFLATE_STEP))
                    if inflated > RATIO_FREE_BYTES and inflated > MAX_INFLATE_RATIO * compressed:
                        raise SourceError(
                            f"{printable(path.name)} inflates more than {MAX_INFLATE_RATIO} times its size "
                            f"({inflated / 2**20:,.0f} MiB from {compressed / 2**20:,.1f} MiB so far): "
                            "refused as a possible decompression bomb; decompress it yourself if genuine"
                        )
                    if inflater.unconsumed_tail:
                        block = inflater.unconsumed_tail
                    elif inflater.eof and inflater.unused_data:
                        block = inflater.unused_data
                        inflater = zlib.decompressobj(wbits=31)
                    else:
                        block = b""
    except zlib.error as exc:
        raise SourceError(f"corrupt gzip data: {exc}") from None
    if not inflater.eof:
        raise SourceError("the gzip file is truncated: it ends in the middle of the compressed stream")


def _first_line(path: Path, *, gzipped: bool) -> bytes:
    """The file's first line as bytes (without its end), read in full but no further than a header can be."""
    inflater = zlib.decompressobj(wbits=31) if gzipped else None
    line = b""
    with open(path, "rb") as handle:
        while b"\n" not in line and len(line) <= MAX_HEADER_BYTES and (block := handle.read(64 * 1024)):
            line += inflater.decompress(block, MAX_HEADER_BYTES) if inflater else block
    if b"\n" not in line and len(line) > MAX_HEADER_BYTES:
        raise SourceError(
            f"the first line is longer than {MAX_HEADER_BYTES // 1024:,} KiB: that is no header of an import "
            "file (is it the right file?)",
            row=0,
        )
    return line.split(b"\n", 1)[0].rstrip(b"\r")


def _gzip_sample(path: Path) -> bytes:
    inflater = zlib.decompressobj(wbits=31)
    out = b""
    with open(path, "rb") as handle:
        while len(out) < SAMPLE_BYTES and (block := handle.read(64 * 1024)):
            out += inflater.decompress(block, SAMPLE_BYTES - len(out))
    return out


def _detect_encoding(sample: bytes, given: str | None) -> str:
    if given:
        try:
            name = codecs.lookup(given).name
        except LookupError:
            raise SourceError(f"unknown encoding {given!r} (try utf-8 or cp1251)") from None
        try:
            sample.decode(name)
        except UnicodeDecodeError as exc:
            if exc.start < len(sample) - 4:  # a character cut by the sample's end is not an error
                raise SourceError(
                    f"the file is not valid {name}: undecodable byte at offset {exc.start}"
                ) from None
        return name
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 4:
            return "utf-8"
        if not sample[: exc.start].decode("utf-8").isascii():
            # Letters in UTF-8, then bytes that are not: rows of another encoding after UTF-8 ones.
            raise _mixed_encodings(
                sample.count(b"\n", 0, exc.start), "is not valid UTF-8 like the rows before it"
            ) from None
    guess = charset_normalizer.from_bytes(sample).best()
    name = codecs.lookup(guess.encoding).name.replace("-", "_") if guess else None
    if name not in DETECTABLE_ENCODINGS:
        raise SourceError(
            "cannot tell the file's text encoding"
            + (f" (it looks like {guess.encoding}, which no Russian export uses)" if guess else "")
            + "; name it with --encoding, e.g. --encoding cp1251"
        )
    return name.replace("_", "-")


def _mixed_encodings(row: int, what: str, column: str | None = None) -> SourceError:
    return SourceError(
        f"row {row} {what}: the file mixes two text encodings. Save it again in one (UTF-8 is best) and "
        "import it again; nothing was loaded",
        row=row,
        column=column,
    )


def _utf8_lookalike(encoding: str) -> str | None:
    """For a one-byte Cyrillic encoding, an RE2 pattern of what a UTF-8 Cyrillic letter turns into when read
    in it (its lead byte D0/D1, then a continuation byte 80–BF), or None for other encodings."""
    if codecs.lookup(encoding).name.replace("-", "_") not in ONE_BYTE_CYRILLIC:
        return None
    leads = bytes([0xD0, 0xD1]).decode(encoding, errors="ignore")
    followers = bytes(range(0x80, 0xC0)).decode(encoding, errors="ignore")

    def char_class(chars: str) -> str:
        return "[" + "".join(f"\\x{{{ord(char):04x}}}" for char in chars) + "]"

    return char_class(leads) + char_class(followers)


def _utf8_row(table: pa.Table, rows: np.ndarray, encoding: str, pattern: str) -> tuple[int, str] | None:
    """(row, column) of the first value that is UTF-8 text misread in ``encoding``, if any.

    A candidate's characters are turned back into the file's bytes; Cyrillic text written in ``encoding``
    is almost never valid UTF-8, so bytes that are valid UTF-8 with letters beyond ASCII were written in
    UTF-8. Only values matching ``pattern`` are looked at: a clean file costs a vectorised scan per column.
    """
    found: list[tuple[int, str]] = []
    for column in table.column_names:
        candidates = np.flatnonzero(pc.fill_null(pc.match_substring_regex(table[column], pattern), False))
        for index in candidates[:CANDIDATES_CHECKED]:
            raw = table[column][int(index)].as_py().encode(encoding, errors="ignore")
            try:
                if not raw.decode("utf-8").isascii():
                    found.append((int(rows[index]), column))
                    break
            except UnicodeDecodeError:
                continue
    return min(found) if found else None


def _data_rows(first_record: int, count: int, skipped: np.ndarray) -> np.ndarray:
    """Row numbers of ``count`` consecutive good records, stepping over rows Arrow skipped as malformed."""
    rows = np.arange(first_record + 1, first_record + count + 1, dtype=np.int64)
    if skipped.size == 0:
        return rows
    wanted = rows.copy()
    for _ in range(skipped.size + 1):
        shifted = wanted + np.searchsorted(skipped, rows, side="right")
        if np.array_equal(shifted, rows):
            break
        rows = shifted
    return rows


class Source:
    """One file to import. ``format`` is "parquet", "csv" or "csv.gz"."""

    def __init__(self, path: Path, *, encoding: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"no such file: {self.path}")
        self.size = self.path.stat().st_size
        if self.size == 0:
            raise SourceError("the file is empty")
        with open(self.path, "rb") as handle:
            magic = handle.read(4)
        self.encoding: str | None = None
        self.delimiter = ","
        self.done = 0
        if magic == PARQUET_MAGIC:
            self.format = "parquet"
            try:
                self._parquet = pq.ParquetFile(self.path)
            except (pa.ArrowInvalid, OSError) as exc:
                raise SourceError(f"not a readable Parquet file: {exc}") from None
            self.header = list(self._parquet.schema_arrow.names)
            self.total = self._parquet.metadata.num_rows
            return
        self.format = "csv.gz" if magic[:2] == GZIP_MAGIC else "csv"
        if self.format == "csv.gz":
            _check_gzip(self.path)
            sample = _gzip_sample(self.path)
        else:
            with open(self.path, "rb") as handle:
                sample = handle.read(SAMPLE_BYTES)
        if not sample.strip():
            raise SourceError("the file is empty")
        if b"\x00" in sample:
            raise SourceError("this is not a CSV file: it holds binary data")
        self.encoding = _detect_encoding(sample, encoding)
        first_line = (
            _first_line(self.path, gzipped=self.format == "csv.gz")
            .decode(self.encoding, errors="replace")
            .lstrip("\ufeff")
        )
        self.delimiter = max([",", ";", "\t"], key=first_line.count)
        try:
            names = next(csv.reader(io.StringIO(first_line), delimiter=self.delimiter), [])
        except csv.Error as exc:
            raise SourceError(f"cannot read the header: {exc}", row=0) from None
        self.header = [name.strip() for name in names]
        duplicated = sorted(name for name, times in Counter(self.header).items() if times > 1)
        if duplicated:
            shown = ", ".join(printable(name, 40) for name in duplicated[:10])
            raise SourceError(f"the header names {shown} more than once", row=0)
        self.total = self.size

    def _refuse_undecodable_row(self) -> None:
        """Name the first row whose bytes are not text in the file's encoding (lines counted from the header;
        a quoted field over several lines shifts the count)."""
        opener = gzip.open if self.format == "csv.gz" else open
        with opener(self.path, "rb") as lines:
            for number, line in enumerate(lines):
                try:
                    line.decode(self.encoding or "utf-8")
                except UnicodeDecodeError:
                    raise _mixed_encodings(number, f"is not valid {self.encoding}") from None

    def chunks(self, batch_rows: int) -> Iterator[RawChunk]:
        if self.format == "parquet":
            yield from self._parquet_chunks(batch_rows)
        else:
            yield from self._csv_chunks(batch_rows)

    def _parquet_chunks(self, batch_rows: int) -> Iterator[RawChunk]:
        first = 0
        try:
            for batch in self._parquet.iter_batches(batch_size=batch_rows):
                table = pa.Table.from_batches([batch])
                yield RawChunk(
                    table=table, rows=np.arange(first + 1, first + table.num_rows + 1, dtype=np.int64)
                )
                first += table.num_rows
                self.done = first
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(
                f"the Parquet file is damaged after row {first}: {exc}", row=first + 1
            ) from None

    def _csv_chunks(self, batch_rows: int) -> Iterator[RawChunk]:
        malformed: list[MalformedRow] = []

        def on_bad_row(row: pacsv.InvalidRow) -> str:
            # Called by Arrow only for broken rows, never for good ones.
            number = (row.number - 1) if row.number is not None else 0
            reason = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            malformed.append(MalformedRow(row=number, text=row.text, reason=reason))
            return "skip"

        raw = pa.OSFile(str(self.path))
        try:
            yield from self._read_csv(raw, batch_rows, malformed, on_bad_row)
        finally:
            raw.close()

    def _read_csv(
        self,
        raw: pa.NativeFile,
        batch_rows: int,
        malformed: list[MalformedRow],
        on_bad_row: Callable[[pacsv.InvalidRow], str],
    ) -> Iterator[RawChunk]:
        stream = pa.CompressedInputStream(raw, "gzip") if self.format == "csv.gz" else raw
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(
                    encoding=self.encoding or "utf-8", block_size=CSV_BLOCK_BYTES, use_threads=False
                ),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=on_bad_row),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in self.header},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            # Arrow reads the first block while opening: an undecodable row in it surfaces here.
            if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
                self._refuse_undecodable_row()
            raise SourceError(f"cannot read the CSV header: {exc}", row=0) from None
        records = 0
        pending: list[pa.RecordBatch] = []
        pending_rows = 0
        reported = 0
        skipped: list[int] = []
        lookalike = _utf8_lookalike(self.encoding or "utf-8")
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                batch = None
            except (pa.ArrowInvalid, UnicodeDecodeError, OSError) as exc:
                if "UTF8" in str(exc) or isinstance(exc, UnicodeDecodeError):
                    self._refuse_undecodable_row()
                raise SourceError(f"cannot read the file after row {records + pending_rows}: {exc}") from None
            if batch is not None and batch.num_rows:
                pending.append(batch)
                pending_rows += batch.num_rows
            if pending_rows and (pending_rows >= batch_rows or batch is None):
                skipped.extend(m.row for m in malformed[reported:])
                chunk_malformed = malformed[reported:]
                reported = len(malformed)
                table = pa.Table.from_batches(pending)
                rows = _data_rows(records, table.num_rows, np.array(sorted(skipped), dtype=np.int64))
                if lookalike and (mixed := _utf8_row(table, rows, self.encoding or "", lookalike)):
                    raise _mixed_encodings(
                        mixed[0], f"is written in UTF-8, but the file is read as {self.encoding}", mixed[1]
                    )
                yield RawChunk(table=table, rows=rows, malformed=chunk_malformed)
                records += table.num_rows
                pending, pending_rows = [], 0
                self.done = raw.tell()
            if batch is None:
                break
        if malformed[reported:]:
            yield RawChunk(
                table=pa.table({n: pa.array([], pa.string()) for n in self.header}),
                rows=np.array([], dtype=np.int64),
                malformed=malformed[reported:],
            )
        self.done = self.total
