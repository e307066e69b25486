//! polyp2p core: the wire format of p2p.today's js2p/py2p, without any
//! runtime binding. See `/work/shared/PROTOCOL.md` for the rules implemented.

pub mod base58;
pub mod chord;
pub mod compression;
pub mod error;
pub mod framing;
pub mod ids;
pub mod message;
pub mod msgpack;
pub mod reader;
pub mod scan;
pub mod snappy;
pub mod waterfall;

pub use error::{Error, Result};
pub use msgpack::{EncodeOptions, Value};
