//! The gRPC face of the portal for suppliers and the operator: one implementation per `koprik.opendata.v1`
//! service, each a thin translation to the repository. Errors become statuses in one place, [`crate::error`].

pub mod api_keys;
pub mod datasets;
pub mod feedback;
pub mod suppliers;

use koprik_proto::tonic::{Response, Status};

/// The result of a gRPC method.
pub type Reply<T> = Result<Response<T>, Status>;
