"""The Python package against the native CLI: the same rows for the same files, one at a time,
in a batch, and on a Dask LocalCluster of two worker processes (one of which dies mid-shard in
the last test). Run by `npm test` after `maturin develop --release` into .venv."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

import quaver

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("QUAVER_CLI", os.path.join(ROOT, "target", "debug", "quaver"))
FILES_PY = os.path.join(ROOT, "tests", "interop", "files.py")


def cli_rows(paths):
    """`quaver analyze --json` of `paths`, one dict per file."""
    out = subprocess.run([CLI, "analyze", *paths, "--json"], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def make_corpus(directory, pieces=24):
    """MIDI pieces written by mido, WAVs written by soundfile, and files that are not what
    their names say."""
    for kind, count in [("midi-pieces", pieces), ("audio-pieces", 4)]:
        args = [sys.executable, FILES_PY, kind, directory, str(count), "17"] + (["4"] if kind == "audio-pieces" else [])
        subprocess.run(args, check=True, capture_output=True)
    with open(os.path.join(directory, "broken.mid"), "wb") as f:
        f.write(b"MThd\x00\x00\x00\x06\x00\x01")
    with open(os.path.join(directory, "text.wav"), "w") as f:
        f.write("not audio")


class OneFileAndBatches(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        make_corpus(cls.dir.name, pieces=6)
        cls.paths, cls.problems = quaver.walk(cls.dir.name)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_walk_finds_the_candidates_in_order(self):
        self.assertEqual(len(self.paths), 12)
        self.assertEqual(self.paths, sorted(self.paths))
        self.assertEqual(self.problems["file"], [])

    def test_analyze_file_equals_the_cli_row_for_row(self):
        expected = cli_rows(self.paths)
        got = [quaver.analyze_file(p) for p in self.paths]
        self.assertEqual(got, expected)
        keys = [r["key"] for r in got if r["kind"] == "midi"]
        self.assertTrue(all(k.endswith(" major") or k.endswith(" minor") for k in keys), keys)
        broken = next(r for r in got if r["file"].endswith("broken.mid"))
        self.assertIn("MThd", broken["error"])
        self.assertIsNone(broken["bpm"])

    def test_a_batch_is_columns_in_the_order_of_its_paths(self):
        columns = quaver.analyze_batch(self.paths, threads=2)
        self.assertEqual(sorted(columns), quaver.columns())
        self.assertEqual(columns["file"], self.paths)
        rows = [{name: columns[name][i] for name in columns} for i in range(len(self.paths))]
        self.assertEqual(rows, cli_rows(self.paths))
        self.assertEqual(quaver.analyze_batch(self.paths[:3]), quaver.analyze_batch(self.paths[:3], threads=1))
        with self.assertRaises(ValueError):
            quaver.analyze_batch(self.paths, threads=0)
        with self.assertRaises(OSError):
            quaver.walk(os.path.join(self.dir.name, "no such folder"))

    def test_columns_make_an_arrow_table_with_fixed_types(self):
        import pyarrow as pa

        table = pa.table(quaver.analyze_batch(self.paths), schema=quaver.arrow_schema())
        self.assertEqual(table.num_rows, 12)
        self.assertEqual(table.schema.field("bpm").type, pa.float64())
        empty = pa.table(quaver.analyze_batch([]), schema=quaver.arrow_schema())
        self.assertEqual(empty.num_rows, 0)


class OnDask(unittest.TestCase):
    def run_scan(self, directory, out, env=None):
        result = subprocess.run(
            [sys.executable, "-m", "quaver.dask", directory, "--out", out, "--shard-size", "8", "--workers", "2"],
            capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-3000:])
        import pyarrow.parquet as pq

        return pq.read_table(out).to_pylist()

    def test_a_local_cluster_gives_the_cli_rows_for_the_same_files(self):
        with tempfile.TemporaryDirectory() as directory:
            make_corpus(directory)
            os.symlink(directory, os.path.join(directory, "loop"))
            out = os.path.join(directory, "results.parquet")
            rows = self.run_scan(directory, out)
            paths, _ = quaver.walk(directory)
            self.assertEqual(len(paths), 30)
            expected = sorted(cli_rows(paths), key=lambda r: r["file"])
            by_file = {r["file"]: r for r in rows}
            self.assertIn("symlink loop", by_file[os.path.join(directory, "loop")]["error"])
            self.assertEqual([by_file[r["file"]] for r in expected], expected)
            self.assertEqual(len(rows), 31)

    def test_a_worker_that_dies_mid_shard_loses_no_rows(self):
        with tempfile.TemporaryDirectory() as directory:
            make_corpus(directory, pieces=12)
            marker = os.path.join(directory, "died")
            rows = self.run_scan(directory, os.path.join(directory, "results.parquet"), {"QUAVER_DASK_DIE_ONCE": marker})
            self.assertTrue(os.path.exists(marker), "a worker was killed")
            paths, _ = quaver.walk(directory)
            self.assertEqual(sorted(r["file"] for r in rows), paths)
            self.assertEqual(rows, sorted(cli_rows(paths), key=lambda r: r["file"]))


if __name__ == "__main__":
    unittest.main()
