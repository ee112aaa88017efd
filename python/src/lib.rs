//! Python bindings (pyo3, abi3) for Quaver's analysis: the same `Record` the native CLI prints,
//! as a dict for one file or as columns for a batch. Analysis runs with the GIL released, a
//! batch on rayon threads.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use quaver::analysis::summary::{FileKind, Record};
use quaver::library;
use rayon::prelude::*;
use std::path::Path;

/// The field names every record has, in alphabetical order (a test holds them to `Record`'s).
const COLUMNS: [&str; 17] = [
    "bpm",
    "channels",
    "declared_key",
    "error",
    "file",
    "hash",
    "key",
    "key_confidence",
    "key_disagrees",
    "kind",
    "loudness_lufs",
    "loudness_range_lu",
    "notes",
    "sample_rate",
    "seconds",
    "tempo_confidence",
    "true_peak_dbtp",
];

/// A record's values in [`COLUMNS`] order, made directly (a batch of small MIDI files spends
/// as long here as in the analysis if it goes through JSON values).
fn values(py: Python<'_>, r: &Record) -> [PyObject; 17] {
    let text = |k: &Option<quaver::analysis::key::Key>| k.map(|k| k.to_string()).into_py(py);
    [
        r.bpm.into_py(py),
        r.channels.into_py(py),
        text(&r.declared_key),
        r.error.clone().into_py(py),
        r.file.clone().into_py(py),
        r.hash.clone().into_py(py),
        text(&r.key),
        r.key_confidence.into_py(py),
        r.key_disagrees.into_py(py),
        r.kind.map(FileKind::as_str).into_py(py),
        r.loudness_lufs.into_py(py),
        r.loudness_range_lu.into_py(py),
        r.notes.into_py(py),
        r.sample_rate.into_py(py),
        r.seconds.into_py(py),
        r.tempo_confidence.into_py(py),
        r.true_peak_dbtp.into_py(py),
    ]
}

/// The field names every record has, in alphabetical order.
#[pyfunction]
fn columns() -> Vec<&'static str> {
    COLUMNS.to_vec()
}

/// Columns of `records`: a dict of field name to list.
fn column_dict<'py>(py: Python<'py>, records: &[Record]) -> PyResult<Bound<'py, PyDict>> {
    let mut lists: Vec<Vec<PyObject>> = COLUMNS.iter().map(|_| Vec::with_capacity(records.len())).collect();
    for record in records {
        for (list, value) in lists.iter_mut().zip(values(py, record)) {
            list.push(value);
        }
    }
    let dict = PyDict::new_bound(py);
    for (name, list) in COLUMNS.iter().zip(lists) {
        dict.set_item(name, PyList::new_bound(py, list))?;
    }
    Ok(dict)
}

/// Tempo, key and loudness of one audio or MIDI file, as a dict (`error` set when it could not be
/// analysed; the other fields are then `None`).
#[pyfunction]
fn analyze_file(py: Python<'_>, path: String) -> PyResult<Py<PyDict>> {
    let record = py.allow_threads(|| library::analyze_path(Path::new(&path)));
    let dict = PyDict::new_bound(py);
    for (name, value) in COLUMNS.iter().zip(values(py, &record)) {
        dict.set_item(name, value)?;
    }
    Ok(dict.unbind())
}

/// Many files at once, in parallel (`threads` of them; all cores when `None`), as columns: a
/// dict of field name to list, rows in the order of `paths` — ready for `pyarrow.table` or
/// `pandas.DataFrame`.
#[pyfunction]
#[pyo3(signature = (paths, threads=None))]
fn analyze_batch(py: Python<'_>, paths: Vec<String>, threads: Option<usize>) -> PyResult<Py<PyDict>> {
    let records: Vec<Record> = py.allow_threads(|| -> PyResult<Vec<Record>> {
        let work = || paths.par_iter().map(|p| library::analyze_path(Path::new(p))).collect();
        match threads {
            None => Ok(work()),
            Some(0) => Err(PyValueError::new_err("threads must be at least 1")),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map(|pool| pool.install(work))
                .map_err(|e| PyOSError::new_err(e.to_string())),
        }
    })?;
    Ok(column_dict(py, &records)?.unbind())
}

/// The files a library scan of `directory` would analyse (sorted), and a record for every place
/// the walk could not go (columns, like `analyze_batch`).
#[pyfunction]
fn walk(py: Python<'_>, directory: String) -> PyResult<(Vec<String>, Py<PyDict>)> {
    if !Path::new(&directory).is_dir() {
        return Err(PyOSError::new_err(format!("{directory}: not a folder")));
    }
    let (found, problems) = py.allow_threads(|| library::walk(Path::new(&directory)));
    let paths = found.iter().map(|f| f.path.to_string_lossy().into_owned()).collect();
    Ok((paths, column_dict(py, &problems)?.unbind()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_file, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_batch, m)?)?;
    m.add_function(wrap_pyfunction!(walk, m)?)?;
    m.add_function(wrap_pyfunction!(columns, m)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_columns_are_the_record_s_fields() {
        let record = serde_json::to_value(quaver::analysis::summary::Record::default()).unwrap();
        let fields: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, super::COLUMNS);
    }
}
