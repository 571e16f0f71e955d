//! The authorization test matrix, generated from the contracts: every method of the gRPC services a server
//! serves (read from the compiled descriptors, so a new method is in the matrix the moment it is in `proto/`) is
//! called with no certificate, with a certificate of each role, and with a certificate of another principal of the
//! same role, and the answer is held to the policy:
//!
//! - no certificate: UNAUTHENTICATED (open methods: anything but UNAUTHENTICATED or PERMISSION_DENIED);
//! - a role the policy does not allow: PERMISSION_DENIED;
//! - an allowed role of reach all: not refused (the empty request then fails validation, or succeeds);
//! - an allowed role of reach own: with a request naming what belongs to principal A (a [`Fixture`]), A is not
//!   refused and B is refused with PERMISSION_DENIED. A method and role of reach own without a fixture fails the
//!   matrix: the test must show what "own" means for it. A list whose request names no owner at all (it answers
//!   every caller with only its own, e.g. `ListApiKeys {}`) has a [`Fixture::own_only`] with a marker found in A's
//!   data: A's answer must contain it, B's must not (B is answered, not refused).
//!
//! A fixture for a method and role that are not of reach own, or a second one for the same pair, fails the matrix
//! too, so the fixtures say exactly what the policy says.
//!
//! Requests travel as raw protobuf bytes, so the matrix needs no generated client per method.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::{Buf, BufMut, Bytes};
use koprik_authz::policy::{self, Reach, Rule};
use koprik_authz::Role;
use koprik_proto::tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use koprik_proto::tonic::transport::Channel;
use koprik_proto::tonic::{Code, Request, Status};

use crate::TestPki;

/// Who plays each role: principal A (owner of the fixtures' resources) and principal B (another of the same role),
/// as `<role>:<principal>` identities.
#[derive(Debug, Clone)]
pub struct Cast {
    /// Per role, (A, B).
    pub principals: BTreeMap<Role, (String, String)>,
}

impl Cast {
    /// People roles get made-up handles; the organisation-bound roles are the test's to name, because what they
    /// own must exist in the service under test.
    pub fn new(organisation_roles: &[(Role, &str, &str)]) -> Self {
        let mut principals = BTreeMap::new();
        for role in [Role::Operator, Role::RegistryReviewer, Role::Auditor, Role::PaymentChannel] {
            principals.insert(role, (format!("{role}:matrix-a"), format!("{role}:matrix-b")));
        }
        for (role, a, b) in organisation_roles {
            principals.insert(*role, (format!("{role}:{a}"), format!("{role}:{b}")));
        }
        for role in Role::ALL {
            assert!(principals.contains_key(&role), "the cast names no {role}");
        }
        Self { principals }
    }

    /// Every identity of the cast, A then B per role.
    pub fn identities(&self) -> Vec<String> {
        self.principals.values().flat_map(|(a, b)| [a.clone(), b.clone()]).collect()
    }

    /// Principal A of `role`.
    pub fn a(&self, role: Role) -> &str {
        &self.principals[&role].0
    }

    /// Principal B of `role`.
    pub fn b(&self, role: Role) -> &str {
        &self.principals[&role].1
    }
}

/// A request naming something that belongs to principal A of `role`, for a method where `role`'s reach is own.
pub struct Fixture {
    /// `/package.Service/Method`.
    pub method: &'static str,
    /// The role whose reach it tests.
    pub role: Role,
    /// The encoded request message (for a client-streaming method, its first message).
    pub request: Vec<u8>,
    /// `None`: B is refused (PERMISSION_DENIED) with this request. `Some(marker)`: a list that names no owner and
    /// answers each caller with only its own: A's answer contains the marker (bytes of A's data), B's does not.
    pub own_marker: Option<String>,
}

impl Fixture {
    /// A fixture from a typed request naming A's resource: B is refused.
    pub fn new(method: &'static str, role: Role, request: &impl koprik_proto::prost::Message) -> Self {
        Self { method, role, request: request.encode_to_vec(), own_marker: None }
    }

    /// A fixture for a list whose request names no owner (the method keeps only the caller's own): A and B are
    /// both answered, A's answer contains `marker` (e.g. the name of one of A's items) and B's does not.
    pub fn own_only(
        method: &'static str,
        role: Role,
        request: &impl koprik_proto::prost::Message,
        marker: impl Into<String>,
    ) -> Self {
        Self { own_marker: Some(marker.into()), ..Self::new(method, role, request) }
    }
}

/// Raw bytes in and out: the matrix sends encoded requests and ignores answers' contents.
#[derive(Clone, Default)]
struct RawCodec;

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

/// Calls `method` with `request` on `channel`; the encoded answer, or the status.
pub async fn call_raw(
    channel: Channel,
    method: &str,
    client_streaming: bool,
    request: Vec<u8>,
) -> Result<Bytes, Status> {
    let mut client = koprik_proto::tonic::client::Grpc::new(channel);
    client.ready().await.map_err(|e| Status::unavailable(format!("not ready: {e}")))?;
    let path: koprik_proto::tonic::codegen::http::uri::PathAndQuery = method.parse().expect("a gRPC path");
    let answer = if client_streaming {
        let stream = tokio_stream::iter(vec![Bytes::from(request)]);
        client.client_streaming(Request::new(stream), path, RawCodec).await
    } else {
        client.unary(Request::new(Bytes::from(request)), path, RawCodec).await
    };
    answer.map(|response| response.into_inner())
}

/// Calls `method` with `request` on `channel`; the status of the answer (OK for a success).
pub async fn call(channel: Channel, method: &str, client_streaming: bool, request: Vec<u8>) -> Status {
    call_raw(channel, method, client_streaming, request).await.err().unwrap_or_else(|| Status::ok(""))
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

fn refused(code: Code) -> bool {
    matches!(code, Code::Unauthenticated | Code::PermissionDenied)
}

/// Runs the matrix against the server at `addr`, which is the platform's `server` (`registry`, `gateway`,
/// `billing`, `opendata`: [`policy::SERVERS`] says which gRPC services that is, and together they are every service
/// of `proto/` the platform serves). The certificates of `cast` must already be registered with what the server
/// believes. Returns the number of calls made; panics with every disagreement with the policy.
pub async fn run_server(pki: &TestPki, addr: SocketAddr, server: &str, cast: &Cast, fixtures: &[Fixture]) -> usize {
    run(pki, addr, policy::services_of(server), cast, fixtures).await
}

/// [`run_server`] for an explicit list of gRPC services (full names).
pub async fn run(pki: &TestPki, addr: SocketAddr, services: &[&str], cast: &Cast, fixtures: &[Fixture]) -> usize {
    let methods: Vec<(String, bool)> = policy::served_methods()
        .into_iter()
        .filter(|(path, _)| services.iter().any(|service| path.starts_with(&format!("/{service}/"))))
        .collect();
    assert!(!methods.is_empty(), "no method of {services:?} in proto/");
    let anonymous = pki.channel(addr, None).await;
    let mut channels = BTreeMap::new();
    for identity in cast.identities() {
        let channel = pki.channel(addr, Some(&identity)).await;
        channels.insert(identity, channel);
    }
    let mut failures = Vec::new();
    let mut calls = 0;
    for (method, streaming) in &methods {
        let entry = policy::lookup(method).unwrap_or_else(|| panic!("{method} has no policy entry"));
        let status = call(anonymous.clone(), method, *streaming, Vec::new()).await;
        calls += 1;
        let expected_anonymous = match entry.rule {
            Rule::Open => !refused(status.code()),
            Rule::Roles(_) => status.code() == Code::Unauthenticated,
        };
        if !expected_anonymous {
            failures.push(format!("{method} without a certificate: {:?} {}", status.code(), status.message()));
        }
        for role in Role::ALL {
            let (a, b) = (cast.a(role), cast.b(role));
            match entry.allowance(role) {
                None => {
                    for identity in [a, b] {
                        let status = call(channels[identity].clone(), method, *streaming, Vec::new()).await;
                        calls += 1;
                        if status.code() != Code::PermissionDenied {
                            failures.push(format!(
                                "{method} as {identity}: {:?} {}, expected PermissionDenied",
                                status.code(),
                                status.message()
                            ));
                        }
                    }
                }
                Some(allow) if allow.reach == Reach::All => {
                    for identity in [a, b] {
                        let status = call(channels[identity].clone(), method, *streaming, Vec::new()).await;
                        calls += 1;
                        if refused(status.code()) {
                            failures.push(format!(
                                "{method} as {identity}: refused ({:?} {})",
                                status.code(),
                                status.message()
                            ));
                        }
                    }
                }
                Some(_) => {
                    let Some(fixture) = fixtures.iter().find(|f| f.method == method.as_str() && f.role == role) else {
                        failures.push(format!("{method}: no fixture shows what {role}'s own reach is"));
                        continue;
                    };
                    let own = call_raw(channels[a].clone(), method, *streaming, fixture.request.clone()).await;
                    let others = call_raw(channels[b].clone(), method, *streaming, fixture.request.clone()).await;
                    calls += 2;
                    match (&own, fixture.own_marker.as_deref()) {
                        (Err(status), _) if refused(status.code()) => failures.push(format!(
                            "{method} as {a} on its own: refused ({:?} {})",
                            status.code(),
                            status.message()
                        )),
                        (Ok(answer), Some(marker)) if !contains(answer, marker) => {
                            failures.push(format!("{method} as {a}: its own {marker:?} is not in the answer"))
                        }
                        (Err(status), Some(_)) => failures.push(format!(
                            "{method} as {a}: {:?} {}, expected its own list",
                            status.code(),
                            status.message()
                        )),
                        _ => {}
                    }
                    match (&others, fixture.own_marker.as_deref()) {
                        (Err(status), None) if status.code() == Code::PermissionDenied => {}
                        (Ok(_), None) => {
                            failures.push(format!("{method} as {b} on {a}'s: answered, expected PermissionDenied"))
                        }
                        (Err(status), None) => failures.push(format!(
                            "{method} as {b} on {a}'s: {:?} {}, expected PermissionDenied",
                            status.code(),
                            status.message()
                        )),
                        (Ok(answer), Some(marker)) if contains(answer, marker) => {
                            failures.push(format!("{method} as {b}: {a}'s {marker:?} is in its answer"))
                        }
                        (Err(status), Some(_)) => failures.push(format!(
                            "{method} as {b} (only its own): {:?} {}, expected its own list",
                            status.code(),
                            status.message()
                        )),
                        (Ok(_), Some(_)) => {}
                    }
                }
            }
        }
    }
    for (index, fixture) in fixtures.iter().enumerate() {
        if !methods.iter().any(|(m, _)| m == fixture.method) {
            failures.push(format!("a fixture for {}, which is not a method of {services:?}", fixture.method));
        }
        let own = policy::lookup(fixture.method).and_then(|e| e.allowance(fixture.role)).map(|a| a.reach);
        if own != Some(Reach::Own) {
            failures.push(format!("a fixture for {} as {}, whose reach is not own", fixture.method, fixture.role));
        }
        if fixtures[..index].iter().any(|f| f.method == fixture.method && f.role == fixture.role) {
            failures.push(format!("a second fixture for {} as {}", fixture.method, fixture.role));
        }
    }
    assert!(failures.is_empty(), "{} disagreements with the policy:\n{}", failures.len(), failures.join("\n"));
    calls
}
