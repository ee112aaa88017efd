"""Analyse a folder on a Dask cluster: `python -m quaver.dask DIR --out results.parquet
[--scheduler ADDRESS] [--shard-size N] [--workers N]`.

The driver lists the files (the same walk as `quaver library scan`), cuts the list into
shards, and maps one task per shard; each task runs Quaver's Rust analysis on its shard with
the GIL released and returns an Arrow table. Dask does the scheduling: a worker that dies
mid-shard has its tasks run again elsewhere. The shards' tables are gathered, concatenated
with rows for places the walk could not go, sorted by file and written as one Parquet file.
Without `--scheduler` a local cluster of `--workers` processes is started.
"""

import argparse
import os
import sys
import time

import quaver


def analyze_shard(paths):
    """One task: the rows of `paths` as an Arrow table, one thread per worker process."""
    import pyarrow as pa

    # Fault injection for the tests: the first task to see this marker path missing makes it and
    # kills its worker process, as a crash mid-shard would.
    marker = os.environ.get("QUAVER_DASK_DIE_ONCE")
    if marker and paths and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return pa.table(quaver.analyze_batch(list(paths), threads=1), schema=quaver.arrow_schema())


def scan(directory, out, scheduler=None, shard_size=500, workers=2):
    """Analyses every audio and MIDI file under `directory` on a Dask cluster into the Parquet file
    `out`; returns (rows, seconds from the first task to the last result, workers warmed up)."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from dask.distributed import Client, LocalCluster

    paths, problems = quaver.walk(directory)
    shards = [paths[i:i + shard_size] for i in range(0, len(paths), shard_size)]
    if scheduler:
        client = Client(scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        # Every worker runs an empty task first, so loading the extension, Arrow and this module
        # (hundreds of milliseconds, once per process) and the task path's first use are not counted
        # as analysis.
        workers_seen = list(client.scheduler_info()["workers"])
        client.gather([client.submit(analyze_shard, [], workers=[w], pure=False) for w in workers_seen])
        started = time.perf_counter()
        futures = client.map(analyze_shard, shards, retries=3, pure=False)
        tables = client.gather(futures)
        seconds = time.perf_counter() - started
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    table = pa.concat_tables([pa.table(problems, schema=quaver.arrow_schema())] + tables)
    table = table.sort_by("file")
    pq.write_table(table, out)
    return table.num_rows, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m quaver.dask", description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--out", required=True, help="the Parquet file to write")
    parser.add_argument("--scheduler", help="a Dask scheduler's address; a local cluster otherwise")
    parser.add_argument("--shard-size", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.directory):
        parser.error(f"{args.directory}: not a folder")
    rows, seconds = scan(args.directory, args.out, args.scheduler, args.shard_size, args.workers)
    print(f"{rows} rows in {seconds:.3f} s -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
