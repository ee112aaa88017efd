"""Quaver's analysis from Python: tempo, key and loudness of audio (WAV, MP3, FLAC, Ogg Vorbis,
AAC) and MIDI files.

    >>> import quaver
    >>> quaver.analyze_file("song.mid")["key"]
    'A minor'
    >>> table = quaver.analyze_batch(paths)        # dict of columns, one row per path
    >>> pyarrow.table(table, schema=quaver.SCHEMA)  # or pandas.DataFrame(table)

The analysis is Quaver's own Rust code (the same as `quaver analyze --json` on the command
line, row for row); it releases the GIL, and a batch runs on all cores unless `threads` says
otherwise. `python -m quaver.dask DIR --out results.parquet` spreads a folder over a Dask
cluster.
"""

from ._native import analyze_batch, analyze_file, columns, walk

__all__ = ["analyze_file", "analyze_batch", "columns", "walk", "arrow_schema"]

# Column types for Arrow/Parquet, so shards whose rows are all empty in a column still agree.
TYPES = {
    "bpm": "float64",
    "channels": "int64",
    "declared_key": "string",
    "error": "string",
    "file": "string",
    "hash": "string",
    "key": "string",
    "key_confidence": "float64",
    "key_disagrees": "bool_",
    "kind": "string",
    "loudness_lufs": "float64",
    "loudness_range_lu": "float64",
    "notes": "int64",
    "sample_rate": "int64",
    "seconds": "float64",
    "tempo_confidence": "float64",
    "true_peak_dbtp": "float64",
}


def arrow_schema():
    """The `pyarrow.Schema` of a batch's columns (needs pyarrow)."""
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, TYPES[name])()) for name in columns()])
