//! Python bindings (pyo3, abi3) for Quaver's analysis: the same `Record` the native CLI prints,
//! as a dict for one file or as columns for a batch. Analysis runs with the GIL released, a
//! batch on rayon threads.

use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use quaver::analysis::summary::Record;
use quaver::library;
use rayon::prelude::*;
use serde_json::Value;
use std::path::Path;

/// The fields of a record by name (in alphabetical order).
fn fields(record: &Record) -> serde_json::Map<String, Value> {
    match serde_json::to_value(record).expect("records serialise") {
        Value::Object(map) => map,
        _ => unreachable!("a record is an object"),
    }
}

fn to_python(py: Python<'_>, value: &Value) -> PyObject {
    match value {
        Value::Null => py.None(),
        Value::Bool(b) => b.into_py(py),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into_py(py),
            None => n.as_f64().unwrap_or(f64::NAN).into_py(py),
        },
        Value::String(s) => s.into_py(py),
        other => other.to_string().into_py(py),
    }
}

/// The field names every record has, in alphabetical order.
#[pyfunction]
fn columns() -> Vec<String> {
    fields(&Record::default()).keys().cloned().collect()
}

/// Tempo, key and loudness of one WAV or MIDI file, as a dict (`error` set when it could not be
/// analysed; the other fields are then `None`).
#[pyfunction]
fn analyze_file(py: Python<'_>, path: String) -> PyResult<Py<PyDict>> {
    let record = py.allow_threads(|| library::analyze_path(Path::new(&path)));
    let dict = PyDict::new_bound(py);
    for (k, v) in fields(&record) {
        dict.set_item(k, to_python(py, &v))?;
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
    let names = columns();
    let lists: Vec<Bound<'_, PyList>> = names.iter().map(|_| PyList::empty_bound(py)).collect();
    for record in &records {
        let map = fields(record);
        for (name, list) in names.iter().zip(&lists) {
            list.append(to_python(py, &map[name]))?;
        }
    }
    let dict = PyDict::new_bound(py);
    for (name, list) in names.iter().zip(lists) {
        dict.set_item(name, list)?;
    }
    Ok(dict.unbind())
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
    let names = columns();
    let dict = PyDict::new_bound(py);
    for name in &names {
        let list = PyList::empty_bound(py);
        for record in &problems {
            list.append(to_python(py, &fields(record)[name]))?;
        }
        dict.set_item(name, list)?;
    }
    Ok((paths, dict.unbind()))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_file, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_batch, m)?)?;
    m.add_function(wrap_pyfunction!(walk, m)?)?;
    m.add_function(wrap_pyfunction!(columns, m)?)?;
    Ok(())
}
