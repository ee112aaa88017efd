//! Control side: the authority over a graph. The [`Controller`] validates each request against
//! its own copy of the graph — topology, node kinds, parameter timelines — hands out node ids,
//! and only then records the command; the render side applies the commands it is given at the
//! next quantum boundary. Whatever the render side could refuse, the controller refuses first.
#![forbid(unsafe_code)]

mod controller;

pub use controller::Controller;
