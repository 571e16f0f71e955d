"""The role certificates of a `koprik up` stack, as gRPC channels for the generated Python clients.

`koprik up` issues one client certificate per role it uses under var/pki/clients/, named
`<role>_<principal with '/' written as '_'>.pem|key` (e.g. consumer_UZ_GOV_200935935_tax-inspection.pem,
operator_koprik-admin.pem), and registers each. Every service identifies the caller by the certificate alone and
lets it do what its role may (crates/authz/POLICY.md). Used by exchange_client.py and opendata_client.py.
"""

import glob
import os


def files(clients: str, role: str, principal: str | None = None) -> tuple[str, str]:
    """The certificate and key of `role` for `principal`, or of the one certificate of `role` in `clients`."""
    if principal is not None:
        stem = os.path.join(clients, f"{role}_{principal.replace('/', '_')}")
    else:
        found = sorted(glob.glob(os.path.join(clients, f"{role}_*.pem")))
        assert len(found) == 1, f"expected exactly one {role} certificate in {clients}, found {found}"
        stem = found[0][: -len(".pem")]
    assert os.path.exists(f"{stem}.pem") and os.path.exists(f"{stem}.key"), f"no certificate {stem}.pem|key"
    return f"{stem}.pem", f"{stem}.key"


def principal(clients: str, role: str) -> str:
    """The principal of the one certificate of `role` in `clients`, for principals without '/' (a person handle or a
    channel name): the file stem after `<role>_`."""
    cert, _ = files(clients, role)
    return os.path.basename(cert)[len(f"{role}_") : -len(".pem")]


def channel(address: str, ca: str, clients: str | None = None, role: str | None = None, principal: str | None = None):
    """A TLS channel to `address` trusting `ca` and presenting the certificate of `role` (and `principal`), or no
    client certificate at all when `role` is None (then only the health checks answer)."""
    import grpc

    with open(ca, "rb") as f:
        root = f.read()
    if role is None:
        credentials = grpc.ssl_channel_credentials(root_certificates=root)
    else:
        cert, key = files(clients, role, principal)
        with open(cert, "rb") as c, open(key, "rb") as k:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=root, private_key=k.read(), certificate_chain=c.read()
            )
    return grpc.secure_channel(address, credentials, options=[("grpc.ssl_target_name_override", "localhost")])


def refused(call, code, what: str) -> str:
    """Calls `call()` and asserts it is refused with `code` (a grpc.StatusCode); returns the refusal's details."""
    import grpc

    try:
        call()
    except grpc.RpcError as error:
        assert error.code() == code, f"{what}: expected {code.name}, got {error.code().name}: {error.details()}"
        return error.details()
    raise AssertionError(f"{what}: expected {code.name}, but the call succeeded")
